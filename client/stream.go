package client

import (
	"context"
	"errors"
	"iter"

	"github.com/partnerd/partnerd"
)

// AccountEntriesSeq yields every entry of a customer's log that f selects,
// newest first (f.Page is ignored). The server has no streaming form yet,
// so the sequence walks the log's pages of partnerd.MaxPageSize entries,
// asking for the next page only when the consumer has taken the last one.
// An error, including ctx ending, is the last value yielded.
func (c *Client) AccountEntriesSeq(ctx context.Context, partnerID, authID string, f partnerd.EntryFilter) iter.Seq2[*partnerd.Entry, error] {
	return walkPages(ctx, f, func(ctx context.Context, f partnerd.EntryFilter) ([]*partnerd.Entry, int, error) {
		return c.AccountEntries(ctx, partnerID, authID, f)
	})
}

// CustomerEntriesSeq yields every entry of the partner's customers' logs
// that f selects, newest first, as AccountEntriesSeq does.
func (c *Client) CustomerEntriesSeq(ctx context.Context, partnerID string, f partnerd.EntryFilter) iter.Seq2[*partnerd.Entry, error] {
	return walkPages(ctx, f, func(ctx context.Context, f partnerd.EntryFilter) ([]*partnerd.Entry, int, error) {
		return c.CustomerEntries(ctx, partnerID, f)
	})
}

// PartnerEntriesSeq yields every entry of the partner's master wallet log
// that f selects, newest first, as AccountEntriesSeq does.
func (c *Client) PartnerEntriesSeq(ctx context.Context, partnerID string, f partnerd.EntryFilter) iter.Seq2[*partnerd.Entry, error] {
	return walkPages(ctx, f, func(ctx context.Context, f partnerd.EntryFilter) ([]*partnerd.Entry, int, error) {
		return c.PartnerEntries(ctx, partnerID, f)
	})
}

// entryKey identifies one entry: a transaction has one entry per wallet.
type entryKey struct{ transactionID, wallet string }

// walkPages yields the entries of successive pages. Entries only ever
// arrive at the newest end, so a log growing during the walk shifts later
// pages by the new entries: nothing can be missed, but rows already
// yielded come again at the top of the next page. Those of the previous
// page are skipped; a log growing by more than a page between two
// requests can still repeat rows.
func walkPages(ctx context.Context, f partnerd.EntryFilter,
	page func(context.Context, partnerd.EntryFilter) ([]*partnerd.Entry, int, error)) iter.Seq2[*partnerd.Entry, error] {
	return func(yield func(*partnerd.Entry, error) bool) {
		f.Page = partnerd.Page{Page: 1, Size: partnerd.MaxPageSize}
		var prev map[entryKey]bool
		for {
			if err := ctx.Err(); err != nil {
				yield(nil, err)
				return
			}
			entries, _, err := page(ctx, f)
			if err != nil {
				yield(nil, err)
				return
			}
			seen := make(map[entryKey]bool, len(entries))
			for _, e := range entries {
				k := entryKey{e.TransactionID, e.AccountAuthID}
				seen[k] = true
				if prev[k] {
					continue
				}
				if !yield(e, nil) {
					return
				}
			}
			if len(entries) < f.Page.Size {
				return
			}
			if f.Page.Page == partnerd.MaxPage {
				yield(nil, errors.New("partnerd client: the log is longer than the API's pages reach"))
				return
			}
			prev = seen
			f.Page.Page++
		}
	}
}
