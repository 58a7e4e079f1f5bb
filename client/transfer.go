package client

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/wire"
)

var _ partnerd.LedgerService = (*Client)(nil)

// WithCurrency tells the client the partner's currency (such as "INR";
// case-insensitive), so that it writes amounts in it without asking the
// server first. Without this option the client learns the currency from
// GET /me on its first transfer or withdrawal and keeps it.
//
// The currency is sent with every amount, so a wrong one is refused by the
// server (currency_mismatch) rather than read with the wrong decimals.
func WithCurrency(code string) Option {
	return func(c *Client) {
		cur, _ := partnerd.NormalizeCurrency(code)
		c.currency.Store(&cur)
	}
}

// partnerCurrency returns the currency the partner's wallets hold: the one
// given to WithCurrency, else the one learned from GET /me. Concurrent first
// calls may each ask; they all get the same answer. A failed GET /me is
// not remembered. The learned currency is kept for the client's life: a
// partner's currency is set when it is created and nothing changes it, and
// were it ever changed the server would refuse the currency sent with the
// amount (currency_mismatch) rather than misread the amount.
func (c *Client) partnerCurrency(ctx context.Context) (string, error) {
	if cur := c.currency.Load(); cur != nil {
		return *cur, nil
	}
	p, err := c.Me(ctx)
	if err != nil {
		return "", err
	}
	cur := p.Currency
	c.currency.CompareAndSwap(nil, &cur)
	return cur, nil
}

// Transfer moves in.Amount (minor units) from the partner's master wallet
// to the customer in.AuthID (POST /accounts/{id}/transfer-balance).
// partnerID must be empty or the client's own id. The amount is written in
// the partner's currency (see WithCurrency); a context from
// WithIdempotencyKey makes a retry return the first transfer instead of
// moving the money again.
func (c *Client) Transfer(ctx context.Context, partnerID string, in partnerd.TransferInput) (*partnerd.Transfer, error) {
	return c.move(ctx, partnerID, in, "/transfer-balance")
}

// Withdraw moves in.Amount (minor units) from the customer in.AuthID back
// to the partner's master wallet (POST /accounts/{id}/withdraw-balance),
// as Transfer does the other way.
func (c *Client) Withdraw(ctx context.Context, partnerID string, in partnerd.TransferInput) (*partnerd.Transfer, error) {
	return c.move(ctx, partnerID, in, "/withdraw-balance")
}

func (c *Client) move(ctx context.Context, partnerID string, in partnerd.TransferInput, suffix string) (*partnerd.Transfer, error) {
	if err := c.checkPartner(partnerID); err != nil {
		return nil, err
	}
	if !partnerd.IsAccountID(in.AuthID) {
		return nil, partnerd.ErrAccountNotFound(in.AuthID)
	}
	currency, err := c.partnerCurrency(ctx)
	if err != nil {
		return nil, err
	}
	var out wire.Transfer
	if err := c.do(ctx, http.MethodPost, "/accounts/"+in.AuthID+suffix, nil, wire.NewTransferRequest(in, currency), &out); err != nil {
		return nil, err
	}
	return out.Transfer()
}

// AccountEntries returns one page of a customer's log, newest first, and
// the number of entries matching f (GET /accounts/{id}/transactions).
// partnerID must be empty or the client's own id.
//
// For every log method: a zero f.Page.Page or f.Page.Size takes the
// server's default (1 and 20); f.From and f.To, when not zero, are sent as
// the UTC days holding them (from_date and to_date, both inclusive); f.Type,
// when not empty, is sent as transaction_type.
func (c *Client) AccountEntries(ctx context.Context, partnerID, authID string, f partnerd.EntryFilter) ([]*partnerd.Entry, int, error) {
	if err := c.checkPartner(partnerID); err != nil {
		return nil, 0, err
	}
	if !partnerd.IsAccountID(authID) {
		return nil, 0, partnerd.ErrAccountNotFound(authID)
	}
	return c.entries(ctx, "/accounts/"+authID+"/transactions", authID, f)
}

// CustomerEntries returns one page of the logs of all the partner's
// customers, newest first, and the number of entries matching f
// (GET /transactions). Each entry's AccountAuthID is its customer.
func (c *Client) CustomerEntries(ctx context.Context, partnerID string, f partnerd.EntryFilter) ([]*partnerd.Entry, int, error) {
	if err := c.checkPartner(partnerID); err != nil {
		return nil, 0, err
	}
	return c.entries(ctx, "/transactions", "", f)
}

// PartnerEntries returns one page of the partner's master wallet log,
// newest first, and the number of entries matching f (GET /me/transactions).
func (c *Client) PartnerEntries(ctx context.Context, partnerID string, f partnerd.EntryFilter) ([]*partnerd.Entry, int, error) {
	if err := c.checkPartner(partnerID); err != nil {
		return nil, 0, err
	}
	return c.entries(ctx, "/me/transactions", c.partnerID, f)
}

// entries fetches one page of a log. owner fills AccountAuthID for logs
// whose rows do not name their wallet (a single wallet's log).
func (c *Client) entries(ctx context.Context, path, owner string, f partnerd.EntryFilter) ([]*partnerd.Entry, int, error) {
	var out wire.List[wire.Entry]
	if err := c.do(ctx, http.MethodGet, path, entryQuery(f, false), nil, &out); err != nil {
		return nil, 0, err
	}
	entries := make([]*partnerd.Entry, 0, len(out.Data))
	for i := range out.Data {
		e, err := out.Data[i].Entry(owner)
		if err != nil {
			return nil, 0, err
		}
		entries = append(entries, e)
	}
	return entries, out.Meta.Total, nil
}

// entryQuery is the query string of a log; zero fields are left to the
// server's defaults. A CSV export has no pages.
func entryQuery(f partnerd.EntryFilter, csv bool) url.Values {
	q := url.Values{}
	if !csv {
		q = pageQuery(f.Page)
	}
	if !f.From.IsZero() {
		q.Set("from_date", f.From.UTC().Format(time.DateOnly))
	}
	if !f.To.IsZero() {
		q.Set("to_date", f.To.UTC().Format(time.DateOnly))
	}
	if f.Type != "" {
		q.Set("transaction_type", f.Type)
	}
	return q
}

// AccountEntriesCSV streams every entry of a customer's log that f
// selects (f.Page ignored) as CSV, header row first, in the server's
// constant memory (Accept: text/csv on GET /accounts/{id}/transactions).
// The caller reads and closes it; a connection lost mid-stream is a read
// error.
func (c *Client) AccountEntriesCSV(ctx context.Context, authID string, f partnerd.EntryFilter) (io.ReadCloser, error) {
	if !partnerd.IsAccountID(authID) {
		return nil, partnerd.ErrAccountNotFound(authID)
	}
	return c.stream(ctx, "/accounts/"+authID+"/transactions", entryQuery(f, true))
}

// CustomerEntriesCSV streams the logs of every customer of the partner as
// CSV (GET /transactions), each row with its account_auth_id, as
// AccountEntriesCSV does.
func (c *Client) CustomerEntriesCSV(ctx context.Context, f partnerd.EntryFilter) (io.ReadCloser, error) {
	return c.stream(ctx, "/transactions", entryQuery(f, true))
}

// PartnerEntriesCSV streams the partner's master wallet log as CSV
// (GET /me/transactions), as AccountEntriesCSV does.
func (c *Client) PartnerEntriesCSV(ctx context.Context, f partnerd.EntryFilter) (io.ReadCloser, error) {
	return c.stream(ctx, "/me/transactions", entryQuery(f, true))
}
