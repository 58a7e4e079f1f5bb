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
	var me meBody
	if err := r.c.get(ctx, rng, "/me", &me); err != nil {
		r.fail("GET /me after the run: %v", err)
		return
	}
	partner, err := parseMinor(me.Balance, r.exp)
	if err != nil || partner != wantPartner {
		r.fail("partner balance after the run is %s (%v), want %s from the acknowledged operations",
			me.Balance, err, formatMinor(wantPartner, r.exp))
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
				id, formatMinor(got, r.exp), formatMinor(wantCustomer[id], r.exp))
		}
	}
	if total != r.funded {
		r.fail("partner and customers hold %s after the run, want the funded %s",
			formatMinor(total, r.exp), formatMinor(r.funded, r.exp))
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
	rows, err := r.newestEntries(ctx, rng, "/transactions", customerRows)
	if err != nil {
		r.fail("customer log after the run: %v", err)
		return
	}
	r.matchRows("customer", rows, byTxn, func(o *op, e entryItem) string {
		typ, sign := partnerd.TxRecharge, int64(1)
		if o.withdraw {
			typ, sign = partnerd.TxWithdrawal, -1
		}
		return r.rowProblem(e, o, o.customer, typ, sign*o.amount, o.customerAfter)
	})
	rows, err = r.newestEntries(ctx, rng, "/me/transactions", partnerRows)
	if err != nil {
		r.fail("partner log after the run: %v", err)
		return
	}
	r.matchRows("partner", rows, byTxn, func(o *op, e entryItem) string {
		typ, sign := partnerd.TxTransferOut, int64(-1)
		if o.withdraw {
			typ, sign = partnerd.TxTransferIn, 1
		}
		return r.rowProblem(e, o, "", typ, sign*o.amount, o.partnerAfter)
	})
}

// matchRows checks that rows hold each acknowledged transaction once.
func (r *run) matchRows(log string, rows []entryItem, byTxn map[string]*op, problem func(*op, entryItem) string) {
	seen := make(map[string]bool, len(rows))
	for _, e := range rows {
		o, ok := byTxn[e.ID]
		switch {
		case !ok:
			r.fail("%s log row %s (%s %s) belongs to no acknowledged operation", log, e.ID, e.Type, e.Amount)
		case seen[e.ID]:
			r.fail("%s log lists transaction %s twice", log, e.ID)
		default:
			if p := problem(o, e); p != "" {
				r.fail("%s log row %s of key %s: %s", log, e.ID, o.key, p)
			}
		}
		seen[e.ID] = true
	}
	for id, o := range byTxn {
		if !seen[id] {
			r.fail("%s log lacks transaction %s of key %s", log, id, o.key)
		}
	}
}

// rowProblem describes how a log row differs from what its 2xx said.
func (r *run) rowProblem(e entryItem, o *op, account, typ string, amount, after int64) string {
	gotAmount, err1 := parseMinor(e.Amount, r.exp)
	gotAfter, err2 := parseMinor(e.BalanceAfter, r.exp)
	gotBefore, err3 := parseMinor(e.BalanceBefore, r.exp)
	switch {
	case err1 != nil || err2 != nil || err3 != nil:
		return fmt.Sprintf("money fields %s %s %s", e.Amount, e.BalanceBefore, e.BalanceAfter)
	case e.AccountAuthID != account:
		return fmt.Sprintf("account_auth_id %q, want %q", e.AccountAuthID, account)
	case e.Type != typ || gotAmount != amount:
		return fmt.Sprintf("%s %s, want %s %s", e.Type, e.Amount, typ, formatSigned(amount, r.exp))
	case gotAfter != after || gotBefore != after-amount:
		return fmt.Sprintf("balance %s → %s, but the 2xx said the balance after was %s", e.BalanceBefore, e.BalanceAfter, formatMinor(after, r.exp))
	case e.Description == nil || *e.Description != o.desc:
		return fmt.Sprintf("description %v, want %q", e.Description, o.desc)
	}
	return ""
}

func formatSigned(v int64, exp int) string {
	if v < 0 {
		return "-" + formatMinor(-v, exp)
	}
	return formatMinor(v, exp)
}
