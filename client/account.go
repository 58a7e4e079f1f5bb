package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/partnerd/partnerd"
)

var _ partnerd.AccountService = (*Client)(nil)

// accountInputJSON is the body of POST /accounts; absent optional fields
// are left out rather than sent as null.
type accountInputJSON struct {
	Name        string  `json:"name"`
	Email       string  `json:"email"`
	Password    string  `json:"password"`
	Phone       string  `json:"phone"`
	Country     string  `json:"country"`
	Description *string `json:"description,omitempty"`
	Company     *string `json:"company,omitempty"`
	Address     *string `json:"address,omitempty"`
	City        *string `json:"city,omitempty"`
	State       *string `json:"state,omitempty"`
	ZipCode     *string `json:"zip_code,omitempty"`
	Timezone    *string `json:"timezone,omitempty"`
	GSTIN       *string `json:"gstin,omitempty"`
	GSTStatus   *string `json:"gst_status,omitempty"`
	AccountType *string `json:"account_type,omitempty"`
}

// accountJSON holds every key of the account bodies (created, list row,
// profile, balance); each answer fills the keys it has.
type accountJSON struct {
	AuthID      string          `json:"auth_id"`
	AuthToken   string          `json:"auth_token"`
	Name        string          `json:"name"`
	Email       string          `json:"email"`
	Phone       string          `json:"phone"`
	Country     string          `json:"country"`
	Description *string         `json:"description"`
	Company     *string         `json:"company"`
	Address     *string         `json:"address"`
	City        *string         `json:"city"`
	State       *string         `json:"state"`
	ZipCode     *string         `json:"zip_code"`
	Timezone    string          `json:"timezone"`
	GSTIN       *string         `json:"gstin"`
	GSTStatus   *string         `json:"gst_status"`
	AccountType string          `json:"account_type"`
	Status      string          `json:"status"`
	Balance     json.RawMessage `json:"balance"`
	Currency    string          `json:"currency"`
	CreatedAt   time.Time       `json:"created_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
	LastUpdated time.Time       `json:"last_updated"`
}

func (j *accountJSON) account(partnerID string) (*partnerd.Account, error) {
	balance, err := parseMoney(j.Balance, j.Currency)
	if err != nil {
		return nil, err
	}
	return &partnerd.Account{
		AuthID: j.AuthID, PartnerID: partnerID, Name: j.Name, Email: j.Email, Phone: j.Phone,
		Country: j.Country, Description: j.Description, Company: j.Company, Address: j.Address,
		City: j.City, State: j.State, ZipCode: j.ZipCode, Timezone: j.Timezone, GSTIN: j.GSTIN,
		GSTStatus: j.GSTStatus, AccountType: j.AccountType, Status: j.Status, Currency: j.Currency,
		Balance: balance, AuthToken: j.AuthToken, CreatedAt: j.CreatedAt, UpdatedAt: j.UpdatedAt,
		BalanceUpdatedAt: j.LastUpdated,
	}, nil
}

// CreateAccount provisions a customer account (POST /accounts). The answer
// carries the published fields and the new auth_token; the others stay
// zero. partnerID must be empty or the client's own id.
func (c *Client) CreateAccount(ctx context.Context, partnerID string, in partnerd.AccountInput) (*partnerd.Account, error) {
	if err := c.checkPartner(partnerID); err != nil {
		return nil, err
	}
	body := accountInputJSON{
		Name: in.Name, Email: in.Email, Password: in.Password, Phone: in.Phone, Country: in.Country,
		Description: in.Description, Company: in.Company, Address: in.Address, City: in.City,
		State: in.State, ZipCode: in.ZipCode, Timezone: in.Timezone, GSTIN: in.GSTIN,
		GSTStatus: in.GSTStatus, AccountType: in.AccountType,
	}
	var out accountJSON
	if err := c.do(ctx, http.MethodPost, "/accounts", nil, body, &out); err != nil {
		return nil, err
	}
	return out.account(c.partnerID)
}

// ListAccounts returns one page of the partner's accounts, newest first,
// and the number of accounts matching f (GET /accounts). A zero page or
// size takes the server's default. partnerID must be empty or the
// client's own id.
func (c *Client) ListAccounts(ctx context.Context, partnerID string, f partnerd.AccountFilter) ([]*partnerd.Account, int, error) {
	if err := c.checkPartner(partnerID); err != nil {
		return nil, 0, err
	}
	q := url.Values{}
	if f.Page.Page != 0 {
		q.Set("page", strconv.Itoa(f.Page.Page))
	}
	if f.Page.Size != 0 {
		q.Set("size", strconv.Itoa(f.Page.Size))
	}
	if f.Search != "" {
		q.Set("search", f.Search)
	}
	var out struct {
		Data []accountJSON `json:"data"`
		Meta struct {
			Total int `json:"total"`
		} `json:"meta"`
	}
	if err := c.do(ctx, http.MethodGet, "/accounts", q, nil, &out); err != nil {
		return nil, 0, err
	}
	accounts := make([]*partnerd.Account, 0, len(out.Data))
	for i := range out.Data {
		a, err := out.Data[i].account(c.partnerID)
		if err != nil {
			return nil, 0, err
		}
		accounts = append(accounts, a)
	}
	return accounts, out.Meta.Total, nil
}

// Account returns a customer's full profile, auth_token included
// (GET /accounts/{id}). partnerID must be empty or the client's own id.
func (c *Client) Account(ctx context.Context, partnerID, authID string) (*partnerd.Account, error) {
	if err := c.checkPartner(partnerID); err != nil {
		return nil, err
	}
	return c.getAccount(ctx, authID, "")
}

// Balance returns a customer's wallet (GET /accounts/{id}/balance): an
// Account with only AuthID, Name, Balance, Currency and BalanceUpdatedAt set.
func (c *Client) Balance(ctx context.Context, authID string) (*partnerd.Account, error) {
	return c.getAccount(ctx, authID, "/balance")
}

// AccountBalance is Balance for the partnerd.AccountService interface.
// partnerID must be empty or the client's own id.
func (c *Client) AccountBalance(ctx context.Context, partnerID, authID string) (*partnerd.Account, error) {
	if err := c.checkPartner(partnerID); err != nil {
		return nil, err
	}
	return c.Balance(ctx, authID)
}

func (c *Client) getAccount(ctx context.Context, authID, suffix string) (*partnerd.Account, error) {
	// The server answers account_not_found for any id not shaped like one;
	// checking here also keeps odd ids ("", "..") out of the URL path.
	if !partnerd.IsAccountID(authID) {
		return nil, partnerd.ErrAccountNotFound(authID)
	}
	var out accountJSON
	if err := c.do(ctx, http.MethodGet, "/accounts/"+authID+suffix, nil, nil, &out); err != nil {
		return nil, err
	}
	return out.account(c.partnerID)
}
