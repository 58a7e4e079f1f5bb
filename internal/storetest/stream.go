package storetest

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
)

// logs is a partner with two customers and a known history of moves.
type logs struct {
	p    *partnerd.Partner
	a, b *partnerd.Account
	// Transaction ids, newest first, of each log.
	account, other, customers, partner []string
}

// mustLogs funds a partner and moves money to and from two customers.
func mustLogs(t *testing.T, s LedgerStore, name string) *logs {
	t.Helper()
	ctx := context.Background()
	p, _ := mustPartner(t, s, name)
	fund, err := s.FundPartner(ctx, p.ID, 1000000, nil)
	if err != nil {
		t.Fatalf("FundPartner: %v", err)
	}
	l := &logs{p: p, partner: []string{fund.TransactionID}}
	l.a = mustAccount(t, s, p.ID, name+" a", fmt.Sprintf("a@%s.example", name))
	l.b = mustAccount(t, s, p.ID, name+" b", fmt.Sprintf("b@%s.example", name))
	for i := range 11 {
		c, log := l.a, &l.account
		if i%3 == 1 {
			c, log = l.b, &l.other
		}
		var tr *partnerd.Transfer
		if i%4 == 3 {
			tr, err = s.Withdraw(ctx, p.ID, partnerd.TransferInput{AuthID: c.AuthID, Amount: 1})
		} else {
			tr, err = s.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: c.AuthID, Amount: int64(100 + i)})
		}
		if err != nil {
			t.Fatalf("move %d: %v", i, err)
		}
		*log = append([]string{tr.TransactionID}, *log...)
		l.customers = append([]string{tr.TransactionID}, l.customers...)
		l.partner = append([]string{tr.TransactionID}, l.partner...)
	}
	return l
}

// logReader reads one log both ways: a page, and a stream.
type logReader struct {
	name   string
	types  []string
	page   func(ctx context.Context, f partnerd.EntryFilter) ([]*partnerd.Entry, int, error)
	stream func(ctx context.Context, f partnerd.EntryFilter) iter.Seq2[*partnerd.Entry, error]
}

func (l *logs) readers(s LedgerStore) []logReader {
	pid := l.p.ID
	account := func(id string) logReader {
		return logReader{"account " + id, partnerd.CustomerTransactionTypes,
			func(ctx context.Context, f partnerd.EntryFilter) ([]*partnerd.Entry, int, error) {
				return s.AccountEntries(ctx, pid, id, f)
			},
			func(ctx context.Context, f partnerd.EntryFilter) iter.Seq2[*partnerd.Entry, error] {
				return s.AccountEntriesSeq(ctx, pid, id, f)
			}}
	}
	return []logReader{
		account(l.a.AuthID),
		account(l.b.AuthID),
		{"customers", partnerd.CustomerTransactionTypes,
			func(ctx context.Context, f partnerd.EntryFilter) ([]*partnerd.Entry, int, error) {
				return s.CustomerEntries(ctx, pid, f)
			},
			func(ctx context.Context, f partnerd.EntryFilter) iter.Seq2[*partnerd.Entry, error] {
				return s.CustomerEntriesSeq(ctx, pid, f)
			}},
		{"partner", partnerd.PartnerTransactionTypes,
			func(ctx context.Context, f partnerd.EntryFilter) ([]*partnerd.Entry, int, error) {
				return s.PartnerEntries(ctx, pid, f)
			},
			func(ctx context.Context, f partnerd.EntryFilter) iter.Seq2[*partnerd.Entry, error] {
				return s.PartnerEntriesSeq(ctx, pid, f)
			}},
	}
}

// mustCollect reads a whole stream.
func mustCollect(t *testing.T, what string, seq iter.Seq2[*partnerd.Entry, error]) []*partnerd.Entry {
	t.Helper()
	var out []*partnerd.Entry
	for e, err := range seq {
		if err != nil {
			t.Fatalf("%s: %v after %d entries", what, err, len(out))
		}
		out = append(out, e)
	}
	return out
}

// mustAllPages reads every page of size n and checks that each reports
// the same total.
func mustAllPages(t *testing.T, what string, r logReader, f partnerd.EntryFilter, n int) ([]*partnerd.Entry, int) {
	t.Helper()
	var out []*partnerd.Entry
	total := -1
	for page := 1; ; page++ {
		f.Page = partnerd.Page{Page: page, Size: n}
		es, tot, err := r.page(context.Background(), f)
		if err != nil {
			t.Fatalf("%s page %d: %v", what, page, err)
		}
		if total >= 0 && tot != total {
			t.Errorf("%s page %d: total %d, page 1 said %d", what, page, tot, total)
		}
		total = tot
		out = append(out, es...)
		if len(es) < n {
			return out, total
		}
	}
}

func txIDs(es []*partnerd.Entry) []string {
	ids := make([]string, 0, len(es))
	for _, e := range es {
		ids = append(ids, e.TransactionID)
	}
	return ids
}

// testEntriesSeq checks that each log's stream yields, for every filter,
// the entries its pages list, in the same order (newest first), and that
// every page's total is the number of those entries: maintained counts
// (unfiltered logs) and counted totals (filtered) alike.
func testEntriesSeq(t *testing.T, s LedgerStore) {
	l := mustLogs(t, s, "streamer")
	ctx := context.Background()
	want := map[string][]string{
		"account " + l.a.AuthID: l.account, "account " + l.b.AuthID: l.other,
		"customers": l.customers, "partner": l.partner,
	}
	for _, r := range l.readers(s) {
		all := mustCollect(t, r.name, r.stream(ctx, partnerd.EntryFilter{}))
		if diff := cmp.Diff(want[r.name], txIDs(all)); diff != "" {
			t.Errorf("%s stream, newest first (-want +got):\n%s", r.name, diff)
		}
		oldest, newest := all[len(all)-1].CreatedAt, all[0].CreatedAt
		day := func(at time.Time, d int) time.Time {
			return time.Date(at.Year(), at.Month(), at.Day()+d, 0, 0, 0, 0, time.UTC)
		}
		filters := []partnerd.EntryFilter{
			{},
			{From: day(oldest, 0), To: day(newest, 0)},
			{From: day(newest, 1)},
			{To: day(oldest, -1)},
		}
		for _, typ := range r.types {
			filters = append(filters, partnerd.EntryFilter{Type: typ}, partnerd.EntryFilter{Type: typ, From: day(oldest, 0)})
		}
		for _, f := range filters {
			what := fmt.Sprintf("%s %+v", r.name, f)
			var match []string
			for _, e := range all {
				if (f.Type == "" || e.Type == f.Type) && (f.From.IsZero() || !e.CreatedAt.Before(f.From)) &&
					(f.To.IsZero() || e.CreatedAt.Before(f.To.AddDate(0, 0, 1))) {
					match = append(match, e.TransactionID)
				}
			}
			got := txIDs(mustCollect(t, what, r.stream(ctx, f)))
			if diff := cmp.Diff(match, got, cmpEmpty); diff != "" {
				t.Errorf("%s stream (-want +got):\n%s", what, diff)
			}
			for _, size := range []int{3, 100} {
				paged, total := mustAllPages(t, what, r, f, size)
				if diff := cmp.Diff(got, txIDs(paged), cmpEmpty); diff != "" {
					t.Errorf("%s pages of %d against the stream (-stream +pages):\n%s", what, size, diff)
				}
				if total != len(got) {
					t.Errorf("%s pages of %d: total %d, the stream has %d", what, size, total, len(got))
				}
			}
			// A page past the end still reports the total.
			f.Page = partnerd.Page{Page: 50, Size: 2}
			if es, total, err := r.page(ctx, f); err != nil || len(es) != 0 || total != len(got) {
				t.Errorf("%s page past the end: %d rows, total %d, err %v; want none, %d", what, len(es), total, err, len(got))
			}
		}
	}
}

// cmpEmpty makes a nil and an empty list of ids equal.
var cmpEmpty = cmp.Transformer("nonNil", func(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
})

// testEntriesSeqStops checks that a consumer that breaks out of a stream,
// or whose context ends, stops it: no entry comes after, the error is the
// context's, and the stream gives back its connection (more early stops
// than any pool has connections, then a full read).
func testEntriesSeqStops(t *testing.T, s LedgerStore) {
	l := mustLogs(t, s, "stopper")
	ctx := context.Background()
	for _, r := range l.readers(s) {
		for i := range 40 {
			n := 0
			for _, err := range r.stream(ctx, partnerd.EntryFilter{}) {
				if err != nil {
					t.Fatalf("%s: %v", r.name, err)
				}
				n++
				if n == 2 {
					break
				}
			}
			if n != 2 {
				t.Fatalf("%s early break %d: took %d entries, want 2", r.name, i, n)
			}
		}

		cctx, cancel := context.WithCancel(ctx)
		var got []string
		var errs []error
		for e, err := range r.stream(cctx, partnerd.EntryFilter{}) {
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if len(errs) > 0 {
				t.Errorf("%s: entry %s after the error %v", r.name, e.TransactionID, errs[0])
			}
			got = append(got, e.TransactionID)
			cancel()
		}
		cancel()
		if len(got) != 1 || len(errs) != 1 || !errors.Is(errs[0], context.Canceled) {
			t.Errorf("%s cancelled after the first entry: %d entries, errors %v; want 1 entry, then context.Canceled", r.name, len(got), errs)
		}

		for e, err := range r.stream(cctx, partnerd.EntryFilter{}) {
			if e != nil || !errors.Is(err, context.Canceled) {
				t.Errorf("%s with a cancelled context: %v, %v; want only context.Canceled", r.name, e, err)
			}
		}
		if n := len(mustCollect(t, r.name+" after the stops", r.stream(ctx, partnerd.EntryFilter{}))); n < 2 {
			t.Errorf("%s after the stops: %d entries", r.name, n)
		}
	}
}

// testEntriesSeqRefuses checks a stream's errors: a foreign or unknown
// customer, a filter the log cannot take.
func testEntriesSeqRefuses(t *testing.T, s LedgerStore) {
	l := mustLogs(t, s, "logowner")
	other, _ := mustPartner(t, s, "nosy")
	ctx := context.Background()
	only := func(what string, seq iter.Seq2[*partnerd.Entry, error], code string) {
		t.Helper()
		n := 0
		for e, err := range seq {
			n++
			if e != nil {
				t.Errorf("%s: yielded entry %s", what, e.TransactionID)
			}
			wantCode(t, what, err, code)
		}
		if n != 1 {
			t.Errorf("%s: %d values, want one error", what, n)
		}
	}
	only("another partner's customer", s.AccountEntriesSeq(ctx, other.ID, l.a.AuthID, partnerd.EntryFilter{}), partnerd.ECAccountNotFound)
	only("an unknown customer", s.AccountEntriesSeq(ctx, l.p.ID, "MA_00000000", partnerd.EntryFilter{}), partnerd.ECAccountNotFound)
	only("a partner type on a customer log", s.CustomerEntriesSeq(ctx, l.p.ID, partnerd.EntryFilter{Type: partnerd.TxFund}), partnerd.ECValidation)
	only("a customer type on the partner log", s.PartnerEntriesSeq(ctx, l.p.ID, partnerd.EntryFilter{Type: partnerd.TxRecharge}), partnerd.ECValidation)
	to := time.Date(2026, 3, 24, 0, 0, 0, 0, time.UTC)
	only("to before from", s.AccountEntriesSeq(ctx, l.p.ID, l.a.AuthID, partnerd.EntryFilter{From: to.AddDate(0, 0, 1), To: to}), partnerd.ECValidation)
	if n := len(mustCollect(t, "another partner's customers", s.CustomerEntriesSeq(ctx, other.ID, partnerd.EntryFilter{}))); n != 0 {
		t.Errorf("another partner's customers log: %d entries, want none", n)
	}
	_, _, err := s.PartnerEntries(ctx, l.p.ID, partnerd.EntryFilter{})
	wantCode(t, "a page without a page number", err, partnerd.ECValidation)
}
