package httpapi

import (
	"context"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/partnerd/partnerd"
)

// accountFields are the keys POST /accounts accepts.
var accountFields = []string{"name", "email", "password", "phone", "country", "description", "company",
	"address", "city", "state", "zip_code", "timezone", "gstin", "gst_status", "account_type"}

// accountCreated is the 201 body: the published fields plus auth_token.
type accountCreated struct {
	AuthID    string         `json:"auth_id"`
	AuthToken string         `json:"auth_token"`
	Name      string         `json:"name"`
	Email     string         `json:"email"`
	Status    string         `json:"status"`
	Balance   partnerd.Money `json:"balance"`
	Currency  string         `json:"currency"`
	Country   string         `json:"country"`
	Timezone  string         `json:"timezone"`
	CreatedAt string         `json:"created_at"`
}

// accountItem is one row of GET /accounts.
type accountItem struct {
	AuthID    string         `json:"auth_id"`
	Name      string         `json:"name"`
	Email     string         `json:"email"`
	Status    string         `json:"status"`
	Balance   partnerd.Money `json:"balance"`
	Currency  string         `json:"currency"`
	CreatedAt string         `json:"created_at"`
}

// accountProfile is the full profile of GET /accounts/{id}.
type accountProfile struct {
	AuthID      string         `json:"auth_id"`
	AuthToken   string         `json:"auth_token"`
	Name        string         `json:"name"`
	Email       string         `json:"email"`
	Phone       string         `json:"phone"`
	Company     *string        `json:"company"`
	Status      string         `json:"status"`
	Balance     partnerd.Money `json:"balance"`
	Currency    string         `json:"currency"`
	GSTIN       *string        `json:"gstin"`
	GSTStatus   *string        `json:"gst_status"`
	Country     string         `json:"country"`
	Timezone    string         `json:"timezone"`
	CreatedAt   string         `json:"created_at"`
	Description *string        `json:"description"`
	Address     *string        `json:"address"`
	City        *string        `json:"city"`
	State       *string        `json:"state"`
	ZipCode     *string        `json:"zip_code"`
	AccountType string         `json:"account_type"`
	UpdatedAt   string         `json:"updated_at"`
}

// accountBalance is the body of GET /accounts/{id}/balance.
type accountBalance struct {
	AuthID      string         `json:"auth_id"`
	Name        string         `json:"name"`
	Balance     partnerd.Money `json:"balance"`
	Currency    string         `json:"currency"`
	LastUpdated string         `json:"last_updated"`
}

func balanceOf(a *partnerd.Account) partnerd.Money {
	return partnerd.Money{Minor: a.Balance, Currency: a.Currency}
}

func (s *Server) handleAccountCreate(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	o, err := decodeObject(body, accountFields...)
	if err != nil {
		return err
	}
	in := partnerd.AccountInput{
		Name: o.str("name"), Email: o.str("email"), Password: o.str("password"), Phone: o.str("phone"),
		Country: o.str("country"), Description: o.optString("description"), Company: o.optString("company"),
		Address: o.optString("address"), City: o.optString("city"), State: o.optString("state"),
		ZipCode: o.optString("zip_code"), Timezone: o.optString("timezone"), GSTIN: o.optString("gstin"),
		GSTStatus: o.optString("gst_status"), AccountType: o.optString("account_type"),
	}
	if err := o.validate(&in); err != nil {
		return err
	}
	return commit(w, r, http.StatusCreated, renderAccountCreated, func(ctx context.Context) (*partnerd.Account, error) {
		return s.accounts.CreateAccount(ctx, partnerFrom(ctx).ID, in)
	})
}

func renderAccountCreated(a *partnerd.Account) any {
	return accountCreated{
		AuthID: a.AuthID, AuthToken: a.AuthToken, Name: a.Name, Email: a.Email, Status: a.Status,
		Balance: balanceOf(a), Currency: a.Currency, Country: a.Country, Timezone: a.Timezone,
		CreatedAt: timestamp(a.CreatedAt),
	}
}

func (s *Server) handleAccountList(w http.ResponseWriter, r *http.Request) error {
	var errs partnerd.FieldErrors
	f := partnerd.AccountFilter{Page: pageFrom(r, &errs), Search: r.URL.Query().Get("search")}
	switch {
	case utf8.RuneCountInString(f.Search) > 254:
		errs.Add("search", partnerd.FCTooLong, "search must be at most 254 characters")
	case !utf8.ValidString(f.Search) || strings.IndexFunc(f.Search, unicode.IsControl) >= 0:
		errs.Add("search", partnerd.FCInvalidValue, "search must be text without control characters")
	}
	if err := errs.Err(); err != nil {
		return err
	}
	accounts, total, err := s.accounts.ListAccounts(r.Context(), partnerFrom(r.Context()).ID, f)
	if err != nil {
		return err
	}
	out := listBody[accountItem]{Data: make([]accountItem, 0, len(accounts)), Meta: metaOf(f.Page, total)}
	for _, a := range accounts {
		out.Data = append(out.Data, accountItem{
			AuthID: a.AuthID, Name: a.Name, Email: a.Email, Status: a.Status, Balance: balanceOf(a),
			Currency: a.Currency, CreatedAt: timestamp(a.CreatedAt),
		})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// account loads the path's customer, scoped to the authenticated partner.
func (s *Server) account(r *http.Request) (*partnerd.Account, error) {
	id := r.PathValue("customer_auth_id")
	if !partnerd.IsAccountID(id) {
		return nil, partnerd.ErrAccountNotFound(id)
	}
	return s.accounts.Account(r.Context(), partnerFrom(r.Context()).ID, id)
}

func (s *Server) handleAccountGet(w http.ResponseWriter, r *http.Request) error {
	a, err := s.account(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, accountProfile{
		AuthID: a.AuthID, AuthToken: a.AuthToken, Name: a.Name, Email: a.Email, Phone: a.Phone,
		Company: a.Company, Status: a.Status, Balance: balanceOf(a), Currency: a.Currency, GSTIN: a.GSTIN,
		GSTStatus: a.GSTStatus, Country: a.Country, Timezone: a.Timezone, CreatedAt: timestamp(a.CreatedAt),
		Description: a.Description, Address: a.Address, City: a.City, State: a.State, ZipCode: a.ZipCode,
		AccountType: a.AccountType, UpdatedAt: timestamp(a.UpdatedAt),
	})
	return nil
}

func (s *Server) handleAccountBalance(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("customer_auth_id")
	if !partnerd.IsAccountID(id) {
		return partnerd.ErrAccountNotFound(id)
	}
	a, err := s.accounts.AccountBalance(r.Context(), partnerFrom(r.Context()).ID, id)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	w.Write(appendBalance(make([]byte, 0, 256), a))
	return nil
}

// appendBalance appends the body of GET /accounts/{id}/balance: what
// writeJSON(accountBalance{…}) writes, byte for byte, built by hand because
// it is the API's hottest response (encoding/json's reflection was a tenth
// of the request's time in the server).
func appendBalance(b []byte, a *partnerd.Account) []byte {
	b = append(b, `{"auth_id":`...)
	b = appendJSONText(b, a.AuthID, true)
	b = append(b, `,"name":`...)
	b = appendJSONText(b, a.Name, true)
	b = append(b, `,"balance":`...)
	b = append(b, partnerd.FormatMinor(a.Balance, a.Currency)...)
	b = append(b, `,"currency":`...)
	b = appendJSONText(b, a.Currency, true)
	b = append(b, `,"last_updated":`...)
	b = appendJSONText(b, timestamp(a.BalanceUpdatedAt), true)
	return append(b, "}\n"...)
}
