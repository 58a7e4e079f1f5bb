package banktest

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/partnerd/partnerd"
)

// final checks the quiet end state against the acknowledged operations:
// exact balances, one ledger transaction per acknowledged key and none for
// any other, and the figures each 2xx reported.
func (r *run) final(ctx context.Context, ops []*op) {
	if r.res.Unsettled > 0 {
		r.fail("%d operations never got a definitive answer; the end state cannot be checked exactly", r.res.Unsettled)
		return
	}
	rng := rand.New(rand.NewPCG(r.cfg.Seed, uint64(r.cfg.Workers+r.cfg.Readers)+1))
	conclusive, err := r.check(ctx, rng)
	switch {
	case err != nil:
		r.fail("reader check after the run: %v", err)
	case !conclusive:
		r.fail("reader check after the run was inconclusive on a quiet ledger")
	default:
		r.countRead(true)
	}

	// Balances: the start plus every acknowledged movement, exactly.
	wantPartner := r.partner0
	wantCustomer := make(map[string]int64, len(r.customer0))
	for id, b := range r.customer0 {
		wantCustomer[id] = b
	}
	byTxn := make(map[string]*op)
	for _, o := range ops {
		if o.ok == nil {
			continue
		}
		if prev, dup := byTxn[o.ok.TransactionID]; dup {
			r.fail("keys %s and %s were both answered with transaction %s", prev.key, o.key, o.ok.TransactionID)
		}
		byTxn[o.ok.TransactionID] = o
		if o.withdraw {
			wantPartner += o.amount
			wantCustomer[o.customer] -= o.amount
		} else {
			wantPartner -= o.amount
			wantCustomer[o.customer] += o.amount
		}
	}
	cur := r.currency
	me, err := r.c.me(ctx, rng)
	if err != nil {
		r.fail("GET /me after the run: %v", err)
		return
	}
	partner := me.Balance
	if partner != wantPartner {
		r.fail("partner balance after the run is %s, want %s from the acknowledged operations",
			formatMinor(partner, cur), formatMinor(wantPartner, cur))
	}
	customers, err := r.customerBalances(ctx, rng)
	if err != nil {
		r.fail("GET /accounts after the run: %v", err)
		return
	}
	total := partner
	for id, got := range customers {
		total += got
		if got != wantCustomer[id] {
			r.fail("customer %s balance after the run is %s, want %s from the acknowledged operations",
				id, formatMinor(got, cur), formatMinor(wantCustomer[id], cur))
		}
	}
	if total != r.funded {
		r.fail("partner and customers hold %s after the run, want the funded %s",
			formatMinor(total, cur), formatMinor(r.funded, cur))
	}

	// Ledger counts: one transaction per key that got a 2xx.
	end, err := r.ledgerCounts(ctx, rng)
	if err != nil {
		r.fail("ledger counts after the run: %v", err)
		return
	}
	recharges, withdrawals := end.recharges-r.base.recharges, end.withdrawals-r.base.withdrawals
	if recharges+withdrawals != r.res.Acknowledged || recharges != r.res.Transfers || withdrawals != r.res.Withdrawals {
		r.fail("the ledger gained %d recharge and %d withdrawal transactions, want %d and %d: one per key that got a 2xx",
			recharges, withdrawals, r.res.Transfers, r.res.Withdrawals)
	}
	customerRows, partnerRows := end.customerRows-r.base.customerRows, end.partnerRows-r.base.partnerRows
	if customerRows != r.res.Acknowledged || partnerRows != r.res.Acknowledged {
		r.fail("the customers' log gained %d rows and the partner's %d, want %d each", customerRows, partnerRows, r.res.Acknowledged)
		return
	}

	// Ledger contents: the new rows are exactly the acknowledged
	// transactions, with the amounts and balances their 2xx reported.
	rows, err := r.newestEntries(ctx, rng, false, customerRows)
	if err != nil {
		r.fail("customer log after the run: %v", err)
		return
	}
	r.matchRows("customer", rows, byTxn, func(o *op, e *partnerd.Entry) string {
		typ, sign := partnerd.TxRecharge, int64(1)
		if o.withdraw {
			typ, sign = partnerd.TxWithdrawal, -1
		}
		return r.rowProblem(e, o, o.customer, typ, sign*o.amount, o.customerAfter)
	})
	rows, err = r.newestEntries(ctx, rng, true, partnerRows)
	if err != nil {
		r.fail("partner log after the run: %v", err)
		return
	}
	r.matchRows("partner", rows, byTxn, func(o *op, e *partnerd.Entry) string {
		typ, sign := partnerd.TxTransferOut, int64(-1)
		if o.withdraw {
			typ, sign = partnerd.TxTransferIn, 1
		}
		return r.rowProblem(e, o, r.cfg.PartnerID, typ, sign*o.amount, o.partnerAfter)
	})
}

// matchRows checks that rows hold each acknowledged transaction once.
func (r *run) matchRows(log string, rows []*partnerd.Entry, byTxn map[string]*op, problem func(*op, *partnerd.Entry) string) {
	seen := make(map[string]bool, len(rows))
	for _, e := range rows {
		o, ok := byTxn[e.TransactionID]
		switch {
		case !ok:
			r.fail("%s log row %s (%s %s) belongs to no acknowledged operation", log, e.TransactionID, e.Type, formatMinor(e.Amount, e.Currency))
		case seen[e.TransactionID]:
			r.fail("%s log lists transaction %s twice", log, e.TransactionID)
		default:
			if p := problem(o, e); p != "" {
				r.fail("%s log row %s of key %s: %s", log, e.TransactionID, o.key, p)
			}
		}
		seen[e.TransactionID] = true
	}
	for id, o := range byTxn {
		if !seen[id] {
			r.fail("%s log lacks transaction %s of key %s", log, id, o.key)
		}
	}
}

// rowProblem describes how a log row differs from what its 2xx said.
func (r *run) rowProblem(e *partnerd.Entry, o *op, account, typ string, amount, after int64) string {
	cur := r.currency
	switch {
	case e.Currency != cur:
		return fmt.Sprintf("currency %q, want %q", e.Currency, cur)
	case e.AccountAuthID != account:
		return fmt.Sprintf("account_auth_id %q, want %q", e.AccountAuthID, account)
	case e.Type != typ || e.Amount != amount:
		return fmt.Sprintf("%s %s, want %s %s", e.Type, formatMinor(e.Amount, cur), typ, formatMinor(amount, cur))
	case e.BalanceAfter != after || e.BalanceBefore != after-amount:
		return fmt.Sprintf("balance %s → %s, but the 2xx said the balance after was %s",
			formatMinor(e.BalanceBefore, cur), formatMinor(e.BalanceAfter, cur), formatMinor(after, cur))
	case e.Description == nil || *e.Description != o.desc:
		return fmt.Sprintf("description %v, want %q", e.Description, o.desc)
	}
	return ""
}
