package client

import (
	"context"
	"errors"
	"iter"

	"github.com/partnerd/partnerd"
)

// Iterators over paginated lists. Each walks the list's pages of
// partnerd.MaxPageSize rows, asking for the next page only when the
// consumer has taken the last row of this one; the filter's page is
// ignored. An error, including ctx ending, is the last value yielded.
// A new list's iterator is one call to walk.

// AccountsSeq yields every account of the partner that f selects, newest first.
func (c *Client) AccountsSeq(ctx context.Context, partnerID string, f partnerd.AccountFilter) iter.Seq2[*partnerd.Account, error] {
	return walk(ctx, func(ctx context.Context, p partnerd.Page) ([]*partnerd.Account, error) {
		f.Page = p
		rows, _, err := c.ListAccounts(ctx, partnerID, f)
		return rows, err
	}, func(a *partnerd.Account) string { return a.AuthID })
}

// NumbersSeq yields every number of the partner's pool that f selects.
func (c *Client) NumbersSeq(ctx context.Context, partnerID string, f partnerd.NumberFilter) iter.Seq2[*partnerd.Number, error] {
	return walk(ctx, func(ctx context.Context, p partnerd.Page) ([]*partnerd.Number, error) {
		f.Page = p
		rows, _, err := c.ListNumbers(ctx, partnerID, f)
		return rows, err
	}, numberKey)
}

// AccountNumbersSeq yields every number of a customer that f selects.
func (c *Client) AccountNumbersSeq(ctx context.Context, partnerID, authID string, f partnerd.NumberFilter) iter.Seq2[*partnerd.Number, error] {
	return walk(ctx, func(ctx context.Context, p partnerd.Page) ([]*partnerd.Number, error) {
		f.Page = p
		rows, _, err := c.ListAccountNumbers(ctx, partnerID, authID, f)
		return rows, err
	}, numberKey)
}

func numberKey(n *partnerd.Number) string { return n.Number }

// SIPEndpointsSeq yields every SIP endpoint of a customer, newest first.
func (c *Client) SIPEndpointsSeq(ctx context.Context, authID string) iter.Seq2[*partnerd.SIPEndpoint, error] {
	return walk(ctx, func(ctx context.Context, p partnerd.Page) ([]*partnerd.SIPEndpoint, error) {
		rows, _, err := c.ListSIPEndpoints(ctx, authID, p)
		return rows, err
	}, func(e *partnerd.SIPEndpoint) string { return e.ID })
}

// RatesSeq yields every rate of the partner's deck that f selects.
func (c *Client) RatesSeq(ctx context.Context, partnerID string, f partnerd.RateFilter) iter.Seq2[*partnerd.Rate, error] {
	return walk(ctx, func(ctx context.Context, p partnerd.Page) ([]*partnerd.Rate, error) {
		f.Page = p
		rows, _, err := c.ListRates(ctx, partnerID, f)
		return rows, err
	}, func(r *partnerd.Rate) [2]string { return [2]string{r.Direction, r.Prefix} })
}

// AccountEntriesSeq yields every entry of a customer's log that f
// selects, newest first.
func (c *Client) AccountEntriesSeq(ctx context.Context, partnerID, authID string, f partnerd.EntryFilter) iter.Seq2[*partnerd.Entry, error] {
	return walk(ctx, func(ctx context.Context, p partnerd.Page) ([]*partnerd.Entry, error) {
		f.Page = p
		rows, _, err := c.AccountEntries(ctx, partnerID, authID, f)
		return rows, err
	}, entryKeyOf)
}

// CustomerEntriesSeq yields every entry of the partner's customers' logs
// that f selects, newest first.
func (c *Client) CustomerEntriesSeq(ctx context.Context, partnerID string, f partnerd.EntryFilter) iter.Seq2[*partnerd.Entry, error] {
	return walk(ctx, func(ctx context.Context, p partnerd.Page) ([]*partnerd.Entry, error) {
		f.Page = p
		rows, _, err := c.CustomerEntries(ctx, partnerID, f)
		return rows, err
	}, entryKeyOf)
}

// PartnerEntriesSeq yields every entry of the partner's master wallet log
// that f selects, newest first.
func (c *Client) PartnerEntriesSeq(ctx context.Context, partnerID string, f partnerd.EntryFilter) iter.Seq2[*partnerd.Entry, error] {
	return walk(ctx, func(ctx context.Context, p partnerd.Page) ([]*partnerd.Entry, error) {
		f.Page = p
		rows, _, err := c.PartnerEntries(ctx, partnerID, f)
		return rows, err
	}, entryKeyOf)
}

// entryKey identifies one entry: a transaction has one entry per wallet.
type entryKey struct{ transactionID, wallet string }

func entryKeyOf(e *partnerd.Entry) entryKey { return entryKey{e.TransactionID, e.AccountAuthID} }

// walk yields the rows of successive pages. Rows only ever arrive at the
// newest end of a list, so a list growing during the walk shifts later
// pages by the new rows: nothing can be missed, but rows already yielded
// come again on later pages, as many as were inserted. Every row is
// yielded once: walk remembers the key of each row it yielded (one map
// entry per row, for the whole walk) and skips those it meets again.
func walk[T any, K comparable](ctx context.Context, page func(context.Context, partnerd.Page) ([]T, error), key func(T) K) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		p := partnerd.Page{Page: 1, Size: partnerd.MaxPageSize}
		seen := map[K]bool{}
		for {
			if err := ctx.Err(); err != nil {
				yield(zero, err)
				return
			}
			rows, err := page(ctx, p)
			if err != nil {
				yield(zero, err)
				return
			}
			for _, row := range rows {
				k := key(row)
				if seen[k] {
					continue
				}
				seen[k] = true
				if !yield(row, nil) {
					return
				}
			}
			if len(rows) < p.Size {
				return
			}
			if p.Page == partnerd.MaxPage {
				yield(zero, errors.New("partnerd client: the list is longer than the API's pages reach"))
				return
			}
			p.Page++
		}
	}
}
