package banktest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strconv"

	"github.com/partnerd/partnerd"
)

// setup reads the starting balances and list totals. It runs before any
// money moves, so these reads are one consistent picture.
func (r *run) setup(ctx context.Context) error {
	rng := rand.New(rand.NewPCG(r.cfg.Seed, 0))
	var me meBody
	if err := r.c.get(ctx, rng, "/me", &me); err != nil {
		return err
	}
	if me.AuthID != r.cfg.PartnerID {
		return fmt.Errorf("GET /me is partner %q, want %q", me.AuthID, r.cfg.PartnerID)
	}
	cur, ok := partnerd.NormalizeCurrency(me.Currency)
	if !ok || cur != me.Currency {
		return fmt.Errorf("GET /me currency %q is not an upper-case ISO 4217 code partnerd knows", me.Currency)
	}
	r.currency, r.exp = cur, partnerd.CurrencyExponent(cur)
	var err error
	if r.partner0, err = parseMinor(me.Balance, r.exp); err != nil {
		return fmt.Errorf("GET /me balance: %v", err)
	}
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
			r.cfg.PartnerID, formatMinor(r.funded, r.exp), r.currency, formatMinor(r.cfg.Funded, r.exp))
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
	var list accountList
	if err := r.c.get(ctx, rng, "/accounts?size=100", &list); err != nil {
		return nil, err
	}
	if list.Meta.Total != len(list.Data) {
		return nil, fmt.Errorf("GET /accounts?size=100 lists %d accounts of a total of %d; a bank run needs them all on one page",
			len(list.Data), list.Meta.Total)
	}
	out := make(map[string]int64, len(list.Data))
	for _, a := range list.Data {
		b, err := parseMinor(a.Balance, r.exp)
		if err != nil {
			return nil, fmt.Errorf("GET /accounts: %s balance: %v", a.AuthID, err)
		}
		if b < 0 {
			return nil, fmt.Errorf("GET /accounts: %s has negative balance %s", a.AuthID, a.Balance)
		}
		if a.Currency != r.currency {
			return nil, fmt.Errorf("GET /accounts: %s holds %s, the partner %s", a.AuthID, a.Currency, r.currency)
		}
		if _, dup := out[a.AuthID]; dup {
			return nil, fmt.Errorf("GET /accounts lists %s twice", a.AuthID)
		}
		out[a.AuthID] = b
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
	for _, q := range []struct {
		path string
		dst  *int
	}{
		{"/transactions?size=1&transaction_type=" + partnerd.TxRecharge, &n.recharges},
		{"/transactions?size=1&transaction_type=" + partnerd.TxWithdrawal, &n.withdrawals},
		{"/transactions?size=1", &n.customerRows},
		{"/me/transactions?size=1", &n.partnerRows},
	} {
		var l entryList
		if err := r.c.get(ctx, rng, q.path, &l); err != nil {
			return n, err
		}
		*q.dst = l.Meta.Total
	}
	return n, nil
}

// newestEntries reads the newest n rows of a log, newest first.
func (r *run) newestEntries(ctx context.Context, rng *rand.Rand, path string, n int) ([]entryItem, error) {
	var out []entryItem
	for page := 1; len(out) < n; page++ {
		var l entryList
		q := url.Values{"page": {strconv.Itoa(page)}, "size": {"100"}}
		if err := r.c.get(ctx, rng, listPath(path, q), &l); err != nil {
			return nil, err
		}
		if len(l.Data) == 0 {
			return nil, fmt.Errorf("GET %s ends after %d rows, want at least %d", path, len(out), n)
		}
		out = append(out, l.Data...)
	}
	return out[:n], nil
}
