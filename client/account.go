package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/wire"
)

var _ partnerd.AccountService = (*Client)(nil)

// CreateAccount provisions a customer account (POST /accounts). The answer
// carries the published fields and the new auth_token; the others stay
// zero. partnerID must be empty or the client's own id.
func (c *Client) CreateAccount(ctx context.Context, partnerID string, in partnerd.AccountInput) (*partnerd.Account, error) {
	if err := c.checkPartner(partnerID); err != nil {
		return nil, err
	}
	// An amount is written in the partner's currency, which only the
	// server knows.
	var currency string
	if in.LowBalanceThreshold != nil {
		me, err := c.Me(ctx)
		if err != nil {
			return nil, err
		}
		currency = me.Currency
	}
	var out wire.AccountCreated
	if err := c.do(ctx, http.MethodPost, "/accounts", nil, wire.NewAccountRequest(in, currency), &out); err != nil {
		return nil, err
	}
	return out.Account(c.partnerID)
}

// ListAccounts returns one page of the partner's accounts, newest first,
// and the number of accounts matching f (GET /accounts): f.Search, and
// f.Status (active, suspended or closed) when not empty. A zero page or
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
	if f.Status != "" {
		q.Set("status", f.Status)
	}
	var out wire.List[wire.AccountItem]
	if err := c.do(ctx, http.MethodGet, "/accounts", q, nil, &out); err != nil {
		return nil, 0, err
	}
	accounts := make([]*partnerd.Account, 0, len(out.Data))
	for i := range out.Data {
		a, err := out.Data[i].Account(c.partnerID)
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
	var out wire.AccountProfile
	if err := c.getAccount(ctx, authID, "", &out); err != nil {
		return nil, err
	}
	return out.Account(c.partnerID)
}

// Balance returns a customer's wallet (GET /accounts/{id}/balance): an
// Account with only AuthID, Name, Balance, Currency and BalanceUpdatedAt set.
func (c *Client) Balance(ctx context.Context, authID string) (*partnerd.Account, error) {
	var out wire.AccountBalance
	if err := c.getAccount(ctx, authID, "/balance", &out); err != nil {
		return nil, err
	}
	return out.Account(c.partnerID)
}

// AccountBalance is Balance for the partnerd.AccountService interface.
// partnerID must be empty or the client's own id.
func (c *Client) AccountBalance(ctx context.Context, partnerID, authID string) (*partnerd.Account, error) {
	if err := c.checkPartner(partnerID); err != nil {
		return nil, err
	}
	return c.Balance(ctx, authID)
}

// getAccount reads GET /accounts/{authID}{suffix} into out.
func (c *Client) getAccount(ctx context.Context, authID, suffix string, out any) error {
	// The server answers account_not_found for any id not shaped like one;
	// checking here also keeps odd ids ("", "..") out of the URL path.
	if !partnerd.IsAccountID(authID) {
		return partnerd.ErrAccountNotFound(authID)
	}
	return c.do(ctx, http.MethodGet, "/accounts/"+authID+suffix, nil, nil, out)
}
