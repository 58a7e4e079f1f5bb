package banktest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/partnerd/partnerd"
)

// The reader check: "partner + customers = funded" while money moves.
//
// The API has no read of every balance in one snapshot. GET /accounts
// reads all customer balances in one query (one snapshot), but GET /me is
// another request: transfers commit between the two, so adding them up
// would flake on a correct server, and loosening the check by "the amounts
// in flight" would let small bugs through.
//
// The partner's ledger log closes the gap. Its rows are chained
// (balance_before of each is balance_after of the one before) and the
// log is append-only, so the balances the partner wallet held over any
// interval are exactly the balance_after values of the rows written in it.
// A reader therefore takes, in this order, each request answered before the
// next is sent:
//
//	L1 = GET /me/transactions?size=1    the newest row: the balance at T1
//	M  = GET /me                        the partner balance at some T2 > T1
//	A  = GET /accounts?size=100         every customer balance at one T3 > T2
//	L2 = GET /me/transactions?size=100  all rows up to T4 > T3
//
// If L2 still contains L1's newest row, the rows from there to L2's newest
// are every balance the partner held in [T1, T4], in order. Then M must be
// one of them, and funded − sum(A), the partner balance that the customers'
// snapshot implies, must be one of them too, at or after M's. A transfer
// that moves money on one side only, a torn or non-atomic commit, a wallet
// that disagrees with its ledger, or a ledger row that is not chained fails
// the check; a correct server passes it whatever the interleaving. When
// more than 99 partner rows were written between L1 and L2 the check is
// skipped, never guessed (counted as inconclusive).
//
// The rows or balances each of these reads returns come from a single SQL
// statement on the server, hence one snapshot, and a later request sees
// every commit an earlier one saw (one primary database). A read cut short
// by a dead instance or the end of the run only makes a check inconclusive.

// read runs reader checks until ctx ends.
func (r *run) read(ctx context.Context, rng *rand.Rand) {
	for ctx.Err() == nil {
		conclusive, err := r.check(ctx, rng)
		if err != nil {
			r.fail("reader: %v", err)
			return
		}
		if ctx.Err() != nil {
			return // a read cut short by the end of the run proves nothing
		}
		r.countRead(conclusive)
		// A short pause leaves the CPU to the workers: readers only need
		// to look often, not to saturate the server.
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(rng.IntN(10)) * time.Millisecond):
		}
	}
}

// check runs one reader check. It reports whether the check could be
// decided, and an error when the server broke an invariant.
func (r *run) check(ctx context.Context, rng *rand.Rand) (bool, error) {
	l1, _, err := r.c.entries(ctx, rng, true, partnerd.EntryFilter{Page: partnerd.Page{Page: 1, Size: 1}})
	if err != nil {
		return unreachable(err)
	}
	me, err := r.c.me(ctx, rng)
	if err != nil {
		return unreachable(err)
	}
	balances, err := r.customerBalances(ctx, rng)
	if err != nil {
		return unreachable(err)
	}
	l2, _, err := r.c.entries(ctx, rng, true, partnerd.EntryFilter{Page: partnerd.Page{Page: 1, Size: 100}})
	if err != nil {
		return unreachable(err)
	}

	afters, err := r.chain(l2)
	if err != nil {
		return false, err
	}
	// held lists the partner's balances from T1 to T4, oldest first.
	var held []int64
	if len(l1) == 0 {
		if len(l2) == 100 {
			return false, nil // there may be older rows than L2 shows
		}
		held = append(held, 0) // the balance before the first row
		for k := len(l2) - 1; k >= 0; k-- {
			held = append(held, afters[k])
		}
	} else {
		newest := l1[0]
		k := slices.IndexFunc(l2, func(e *partnerd.Entry) bool { return e.TransactionID == newest.TransactionID })
		if k < 0 {
			return false, nil
		}
		if l2[k].BalanceAfter != newest.BalanceAfter || l2[k].Amount != newest.Amount {
			return false, fmt.Errorf("partner log row %s changed between two reads: %d %d, then %d %d (minor units)",
				newest.TransactionID, newest.Amount, newest.BalanceAfter, l2[k].Amount, l2[k].BalanceAfter)
		}
		for ; k >= 0; k-- {
			held = append(held, afters[k])
		}
	}

	cur := r.currency
	i := slices.Index(held, me.Balance)
	if i < 0 {
		return false, fmt.Errorf("GET /me says the partner holds %s, but its ledger shows only %v (minor units) between the reads around it",
			formatMinor(me.Balance, cur), held)
	}
	var sum int64
	for _, b := range balances {
		sum += b
	}
	implied := r.funded - sum
	if !slices.Contains(held[i:], implied) {
		return false, fmt.Errorf("the customers hold %s in one listing, so the partner should hold %s − %s = %s, "+
			"but its ledger shows only %v (minor units) from GET /me (%d) to the listing: money was created or lost",
			formatMinor(sum, cur), formatMinor(r.funded, cur), formatMinor(sum, cur), formatMinor(implied, cur), held, me.Balance)
	}
	return true, nil
}

// chain checks that the partner log rows (newest first) are internally
// consistent and chained, and returns their balance_after values.
func (r *run) chain(rows []*partnerd.Entry) ([]int64, error) {
	afters := make([]int64, len(rows))
	var prevBefore int64
	for k, e := range rows {
		if !slices.Contains(partnerd.PartnerTransactionTypes, e.Type) {
			return nil, fmt.Errorf("partner log row %s has type %q", e.TransactionID, e.Type)
		}
		if e.Currency != r.currency {
			return nil, fmt.Errorf("partner log row %s is in %s, the partner %s", e.TransactionID, e.Currency, r.currency)
		}
		if e.BalanceAfter-e.BalanceBefore != e.Amount || e.BalanceAfter < 0 {
			return nil, fmt.Errorf("partner log row %s: balance %d + %d ≠ %d (minor units)", e.TransactionID, e.BalanceBefore, e.Amount, e.BalanceAfter)
		}
		if k > 0 && e.BalanceAfter != prevBefore {
			return nil, fmt.Errorf("partner log rows %s and %s are not chained: %d is followed by a row starting at %d (minor units)",
				e.TransactionID, rows[k-1].TransactionID, e.BalanceAfter, rows[k-1].BalanceBefore)
		}
		afters[k], prevBefore = e.BalanceAfter, e.BalanceBefore
	}
	return afters, nil
}

// unreachable turns a read that no instance answered into an inconclusive
// check, and passes any other error on.
func unreachable(err error) (bool, error) {
	var u *unreachableError
	if errors.As(err, &u) {
		return false, nil
	}
	return false, err
}
