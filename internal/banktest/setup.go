package banktest

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/client"
)

// setup reads the starting balances and list totals. It runs before any
// money moves, so these reads are one consistent picture.
func (r *run) setup(ctx context.Context) error {
	rng := rand.New(rand.NewPCG(r.cfg.Seed, 0))
	me, err := r.c.me(ctx, rng)
	if err != nil {
		return err
	}
	if me.ID != r.cfg.PartnerID {
		return fmt.Errorf("GET /me is partner %q, want %q", me.ID, r.cfg.PartnerID)
	}
	cur, ok := partnerd.NormalizeCurrency(me.Currency)
	if !ok || cur != me.Currency {
		return fmt.Errorf("GET /me currency %q is not an upper-case ISO 4217 code partnerd knows", me.Currency)
	}
	r.currency = cur
	// Every amount is sent in the partner's currency, known from now on.
	r.c = newInstances(r.cfg, r.hc, client.WithCurrency(cur))
	r.partner0 = me.Balance
	balances, err := r.customerBalances(ctx, rng)
	if err != nil {
		return err
	}
	r.customer0 = balances
	r.funded = r.partner0
	for _, b := range balances {
		r.funded += b
	}
	if r.cfg.Funded != 0 && r.funded != r.cfg.Funded {
		return fmt.Errorf("partner %s and its customers hold %s %s, want the funded %s",
			r.cfg.PartnerID, formatMinor(r.funded, cur), cur, formatMinor(r.cfg.Funded, cur))
	}
	if r.funded <= 0 {
		return fmt.Errorf("partner %s holds no money: fund it first", r.cfg.PartnerID)
	}
	if r.base, err = r.ledgerCounts(ctx, rng); err != nil {
		return err
	}
	// The reader check on a quiet ledger must be conclusive and pass; if
	// it cannot, no later check means anything.
	conclusive, err := r.check(ctx, rng)
	if err != nil {
		return fmt.Errorf("reader check before the run: %v", err)
	}
	if !conclusive {
		return fmt.Errorf("reader check before the run was inconclusive")
	}
	return nil
}

// customerBalances reads every customer balance of the partner from one
// page of GET /accounts: one query on the server, so one snapshot.
func (r *run) customerBalances(ctx context.Context, rng *rand.Rand) (map[string]int64, error) {
	var accounts []*partnerd.Account
	var total int
	err := r.c.read(ctx, rng, "GET /accounts", func(ctx context.Context, c *client.Client) (err error) {
		accounts, total, err = c.ListAccounts(ctx, "", partnerd.AccountFilter{Page: partnerd.Page{Page: 1, Size: 100}})
		return err
	})
	if err != nil {
		return nil, err
	}
	if total != len(accounts) {
		return nil, fmt.Errorf("GET /accounts?size=100 lists %d accounts of a total of %d; a bank run needs them all on one page",
			len(accounts), total)
	}
	out := make(map[string]int64, len(accounts))
	for _, a := range accounts {
		if a.Balance < 0 {
			return nil, fmt.Errorf("GET /accounts: %s has negative balance %s", a.AuthID, formatMinor(a.Balance, a.Currency))
		}
		if a.Currency != r.currency {
			return nil, fmt.Errorf("GET /accounts: %s holds %s, the partner %s", a.AuthID, a.Currency, r.currency)
		}
		if _, dup := out[a.AuthID]; dup {
			return nil, fmt.Errorf("GET /accounts lists %s twice", a.AuthID)
		}
		out[a.AuthID] = a.Balance
	}
	for _, id := range r.cfg.Customers {
		if _, ok := out[id]; !ok {
			return nil, fmt.Errorf("GET /accounts does not list customer %s", id)
		}
	}
	return out, nil
}

// ledgerCounts reads the totals of the partner's logs.
func (r *run) ledgerCounts(ctx context.Context, rng *rand.Rand) (ledgerCounts, error) {
	var n ledgerCounts
	one := partnerd.Page{Page: 1, Size: 1}
	for _, q := range []struct {
		partner bool
		f       partnerd.EntryFilter
		dst     *int
	}{
		{false, partnerd.EntryFilter{Page: one, Type: partnerd.TxRecharge}, &n.recharges},
		{false, partnerd.EntryFilter{Page: one, Type: partnerd.TxWithdrawal}, &n.withdrawals},
		{false, partnerd.EntryFilter{Page: one}, &n.customerRows},
		{true, partnerd.EntryFilter{Page: one}, &n.partnerRows},
	} {
		_, total, err := r.c.entries(ctx, rng, q.partner, q.f)
		if err != nil {
			return n, err
		}
		*q.dst = total
	}
	return n, nil
}

// newestEntries reads the newest n rows of the partner's log (partner) or
// of its customers' logs, newest first.
func (r *run) newestEntries(ctx context.Context, rng *rand.Rand, partner bool, n int) ([]*partnerd.Entry, error) {
	var out []*partnerd.Entry
	for page := 1; len(out) < n; page++ {
		rows, _, err := r.c.entries(ctx, rng, partner, partnerd.EntryFilter{Page: partnerd.Page{Page: page, Size: 100}})
		if err != nil {
			return nil, err
		}
		if len(rows) == 0 {
			return nil, fmt.Errorf("the log (partner %v) ends after %d rows, want at least %d", partner, len(out), n)
		}
		out = append(out, rows...)
	}
	return out[:n], nil
}
