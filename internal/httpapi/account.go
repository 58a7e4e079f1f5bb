package httpapi

import (
	"context"
	"net/http"
	"slices"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/wire"
)

// accountFields are the keys POST /accounts accepts.
var accountFields = []string{"name", "email", "password", "phone", "country", "description", "company",
	"address", "city", "state", "zip_code", "timezone", "gstin", "gst_status", "account_type", "low_balance_threshold"}

func (s *Server) handleAccountCreate(w http.ResponseWriter, r *http.Request) error {
	if err := noQuery(r); err != nil {
		return err
	}
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
	if c := o.amountChange("low_balance_threshold", partnerFrom(r.Context()).Currency); c.Set {
		in.LowBalanceThreshold = c.Value
	}
	if err := o.validate(&in); err != nil {
		return err
	}
	return commit(w, r, http.StatusCreated, renderAccountCreated, func(ctx context.Context) (*partnerd.Account, error) {
		return s.accounts.CreateAccount(ctx, partnerFrom(ctx).ID, in)
	})
}

func renderAccountCreated(a *partnerd.Account) any { return wire.NewAccountCreated(a) }

// accountListParams are the query parameters of GET /accounts.
var accountListParams = slices.Concat(pageParams, []string{"search", "status"})

func (s *Server) handleAccountList(w http.ResponseWriter, r *http.Request) error {
	q := parseQuery(r, accountListParams)
	f, err := partnerd.AccountParams{Page: q.page(), Search: q.get("search"), Status: q.get("status")}.Filter()
	if err := q.check(err); err != nil {
		return err
	}
	accounts, total, err := s.accounts.ListAccounts(r.Context(), partnerFrom(r.Context()).ID, f)
	if err != nil {
		return err
	}
	out := wire.List[wire.AccountItem]{Data: make([]wire.AccountItem, 0, len(accounts)), Meta: wire.NewPageMeta(f.Page, total)}
	for _, a := range accounts {
		out.Data = append(out.Data, wire.NewAccountItem(a))
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
	if err := noQuery(r); err != nil {
		return err
	}
	a, err := s.account(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wire.NewAccountProfile(a))
	return nil
}

func (s *Server) handleAccountBalance(w http.ResponseWriter, r *http.Request) error {
	if err := noQuery(r); err != nil {
		return err
	}
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
	w.Write(wire.NewAccountBalance(a).AppendJSON(make([]byte, 0, 256)))
	return nil
}
