package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
)

// NumberStore is what a backend must implement for the numbers suite: the
// ledger suite's store plus the number service, the operator's pool
// management and the renewal sweep.
type NumberStore interface {
	LedgerStore
	partnerd.NumberService
	AddNumber(ctx context.Context, partnerID string, in partnerd.NumberInput) (*partnerd.Number, error)
	AddNumbers(ctx context.Context, partnerID string, ins []partnerd.NumberInput) ([]*partnerd.Number, error)
	CheckNewNumbers(ctx context.Context, numbers []string) error
	RenewNumbers(ctx context.Context, now time.Time) (partnerd.RenewalReport, error)
}

// RunNumbers runs the numbers suite. open returns n stores on one new,
// empty database (n > 1: as many instances of a server share one).
func RunNumbers(t *testing.T, open func(t *testing.T, n int) []NumberStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open func(n int) []NumberStore)
	}{
		{"AddAllOrNothing", testNumberAdd},
		{"AssignChargesFirstMonth", testNumberAssign},
		{"AssignRefusals", testNumberAssignRefusals},
		{"ReleaseAndReassign", testNumberRelease},
		{"Lists", testNumberLists},
		{"RenewOncePerPeriod", testNumberRenew},
		{"SuspendAndRestore", testNumberSuspend},
		{"ConcurrentSweeps", testNumberConcurrentSweeps},
		{"ConcurrentAssign", testNumberConcurrentAssign},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, func(n int) []NumberStore { return open(t, n) })
		})
	}
}

const (
	numberA = "+912271264217"
	numberB = "+912271264218"
	numberC = "+912271264219"
)

// mustNumber adds a local number costing cost to the partner's pool.
func mustNumber(t *testing.T, s NumberStore, partnerID, number string, cost int64) *partnerd.Number {
	t.Helper()
	n, err := s.AddNumber(context.Background(), partnerID, partnerd.NumberInput{Number: number, MonthlyCost: cost})
	if err != nil {
		t.Fatalf("AddNumber(%s): %v", number, err)
	}
	return n
}

// mustCustomerWith returns a partner and a customer holding balance.
func mustCustomerWith(t *testing.T, s NumberStore, name string, balance int64) (*partnerd.Partner, *partnerd.Account) {
	t.Helper()
	p, a := mustFundedCustomer(t, s, name, 1_000_000)
	if balance > 0 {
		if _, err := s.Transfer(context.Background(), p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: balance}); err != nil {
			t.Fatalf("Transfer: %v", err)
		}
	}
	return p, a
}

func mustCustomerBalance(t *testing.T, s NumberStore, partnerID, authID string) int64 {
	t.Helper()
	a, err := s.AccountBalance(context.Background(), partnerID, authID)
	if err != nil {
		t.Fatalf("AccountBalance: %v", err)
	}
	return a.Balance
}

// mustPool returns every number of the partner, newest first, by number.
func mustPool(t *testing.T, s NumberStore, partnerID string) map[string]*partnerd.Number {
	t.Helper()
	ns, _, err := s.ListNumbers(context.Background(), partnerID, partnerd.NumberFilter{Page: partnerd.Page{Page: 1, Size: 100}})
	if err != nil {
		t.Fatalf("ListNumbers: %v", err)
	}
	m := map[string]*partnerd.Number{}
	for _, n := range ns {
		m[n.Number] = n
	}
	return m
}

func testNumberAdd(t *testing.T, open func(n int) []NumberStore) {
	s := open(1)[0]
	ctx := context.Background()
	p, _ := mustPartner(t, s, "pool")
	other, _ := mustPartner(t, s, "otherpool")
	region := " Mumbai "
	n, err := s.AddNumber(ctx, p.ID, partnerd.NumberInput{Number: numberA, Type: partnerd.NumberTollFree, Region: &region, MonthlyCost: 2500})
	if err != nil {
		t.Fatalf("AddNumber: %v", err)
	}
	mumbai := "Mumbai"
	want := &partnerd.Number{Number: numberA, PartnerID: p.ID, Type: partnerd.NumberTollFree, Country: "IN", Region: &mumbai,
		MonthlyCost: 2500, Currency: "INR", Status: partnerd.NumberAvailable}
	if diff := cmp.Diff(want, n); diff != "" {
		t.Errorf("AddNumber (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, mustPool(t, s, p.ID)[numberA]); diff != "" {
		t.Errorf("ListNumbers row (-want +got):\n%s", diff)
	}
	// Unique server-wide: another partner cannot add it, and a batch
	// holding it adds nothing.
	_, err = s.AddNumber(ctx, other.ID, partnerd.NumberInput{Number: numberA})
	wantCode(t, "AddNumber(another partner's number)", err, partnerd.ECNumberExists)
	_, err = s.AddNumbers(ctx, other.ID, []partnerd.NumberInput{{Number: numberB}, {Number: numberA}, {Number: numberC}})
	wantCode(t, "AddNumbers(one taken)", err, partnerd.ECNumberExists)
	var pe *partnerd.Error
	if got := mustPool(t, s, other.ID); len(got) != 0 {
		t.Errorf("after a refused batch the pool holds %d numbers, want 0", len(got))
	}
	// The check before an import names, as AddNumbers does, every number
	// in any partner's pool, with one query.
	if err := s.CheckNewNumbers(ctx, []string{numberB, numberC}); err != nil {
		t.Errorf("CheckNewNumbers(new numbers) = %v, want nil", err)
	}
	err = s.CheckNewNumbers(ctx, []string{numberB, numberA, numberC, numberA})
	wantCode(t, "CheckNewNumbers(one taken, twice)", err, partnerd.ECNumberExists)
	if errors.As(err, &pe) {
		want := []partnerd.FieldError{
			{Field: "numbers[1]", Code: partnerd.FCTaken, Message: "number " + numberA + " is already in a pool"},
			{Field: "numbers[3]", Code: partnerd.FCTaken, Message: "number " + numberA + " is already in a pool"},
		}
		if diff := cmp.Diff(want, pe.Fields); diff != "" {
			t.Errorf("CheckNewNumbers(one taken, twice) fields (-want +got):\n%s", diff)
		}
	}
	// Bad input: every bad row is reported, nothing is added.
	_, err = s.AddNumbers(ctx, other.ID, []partnerd.NumberInput{{Number: numberB}, {Number: "12345"}, {Number: numberB}, {Number: numberC, Type: "landline"}})
	wantCode(t, "AddNumbers(bad rows)", err, partnerd.ECValidation)
	if errors.As(err, &pe) {
		var fields []string
		for _, f := range pe.Fields {
			fields = append(fields, f.Field)
		}
		if diff := cmp.Diff([]string{"numbers[1].number", "numbers[2].number", "numbers[3].type"}, fields); diff != "" {
			t.Errorf("AddNumbers(bad rows) fields (-want +got):\n%s", diff)
		}
	}
	if got := mustPool(t, s, other.ID); len(got) != 0 {
		t.Errorf("after refused rows the pool holds %d numbers, want 0", len(got))
	}
	if _, err := s.AddNumbers(ctx, other.ID, []partnerd.NumberInput{{Number: numberB}, {Number: "+91 22 7126 4219"}}); err != nil {
		t.Fatalf("AddNumbers: %v", err)
	}
	if got := mustPool(t, s, other.ID); got[numberB] == nil || got[numberC] == nil {
		t.Errorf("pool = %v, want %s and %s (normalized)", got, numberB, numberC)
	}
	_, err = s.AddNumber(ctx, "PA_NOSUCH00", partnerd.NumberInput{Number: "+912271264299"})
	wantCode(t, "AddNumber(unknown partner)", err, partnerd.ECNotFound)
}

func testNumberAssign(t *testing.T, open func(n int) []NumberStore) {
	s := open(1)[0]
	ctx := context.Background()
	p, a := mustCustomerWith(t, s, "renter", 10000)
	mustNumber(t, s, p.ID, numberA, 2500)
	before := time.Now().UTC().Truncate(time.Second)
	n, err := s.AssignNumber(ctx, p.ID, a.AuthID, numberA)
	if err != nil {
		t.Fatalf("AssignNumber: %v", err)
	}
	if n.Status != partnerd.NumberAssigned || n.AccountAuthID == nil || *n.AccountAuthID != a.AuthID ||
		n.AccountName == nil || *n.AccountName != a.Name || n.AssignedAt == nil || n.AssignedAt.Before(before) ||
		n.PaidUntil == nil || !n.PaidUntil.Equal(n.AssignedAt.AddDate(0, 1, 0)) {
		t.Errorf("AssignNumber = %+v, want assigned to %s from now until a month later", n, a.AuthID)
	}
	if diff := cmp.Diff(n, mustPool(t, s, p.ID)[numberA]); diff != "" {
		t.Errorf("ListNumbers row after assign (-assign +list):\n%s", diff)
	}
	if got := mustCustomerBalance(t, s, p.ID, a.AuthID); got != 7500 {
		t.Errorf("customer balance after assign = %d, want 7500", got)
	}
	entries, _, err := s.AccountEntries(ctx, p.ID, a.AuthID, partnerd.EntryFilter{Page: partnerd.Page{Page: 1, Size: 10}})
	if err != nil {
		t.Fatalf("AccountEntries: %v", err)
	}
	if len(entries) != 2 || entries[0].Type != partnerd.TxDebit || entries[0].Amount != -2500 ||
		entries[0].InitiatedBy != p.ID || entries[0].Reference == nil || *entries[0].Reference != numberA {
		t.Errorf("customer log after assign = %+v, want a debit of 2500 for %s first", entries, numberA)
	}
	// A free number charges nothing and writes no ledger transaction.
	mustNumber(t, s, p.ID, numberB, 0)
	if _, err := s.AssignNumber(ctx, p.ID, a.AuthID, numberB); err != nil {
		t.Fatalf("AssignNumber(free): %v", err)
	}
	if got := mustCustomerBalance(t, s, p.ID, a.AuthID); got != 7500 {
		t.Errorf("customer balance after a free number = %d, want 7500", got)
	}
	mustVerify(t, s)
}

func testNumberAssignRefusals(t *testing.T, open func(n int) []NumberStore) {
	s := open(1)[0]
	ctx := context.Background()
	p, a := mustCustomerWith(t, s, "strict", 1000)
	q, b := mustCustomerWith(t, s, "strange", 100000)
	mustNumber(t, s, p.ID, numberA, 2500)
	mustNumber(t, s, q.ID, numberB, 100)
	mustNumber(t, s, p.ID, numberC, 500)

	_, err := s.AssignNumber(ctx, p.ID, a.AuthID, "+912271264290")
	wantCode(t, "AssignNumber(unknown number)", err, partnerd.ECNumberNotFound)
	_, err = s.AssignNumber(ctx, p.ID, a.AuthID, numberB)
	wantCode(t, "AssignNumber(another partner's number)", err, partnerd.ECNumberNotFound)
	_, err = s.AssignNumber(ctx, p.ID, b.AuthID, numberC)
	wantCode(t, "AssignNumber(another partner's customer)", err, partnerd.ECAccountNotFound)

	// Cannot pay: nothing assigned, nothing charged.
	_, err = s.AssignNumber(ctx, p.ID, a.AuthID, numberA)
	wantCode(t, "AssignNumber(cannot pay)", err, partnerd.ECInsufficientBalance)
	if n := mustPool(t, s, p.ID)[numberA]; n.Status != partnerd.NumberAvailable || n.AccountAuthID != nil {
		t.Errorf("after a refused assign the number is %+v, want available", n)
	}
	if got := mustCustomerBalance(t, s, p.ID, a.AuthID); got != 1000 {
		t.Errorf("balance after a refused assign = %d, want 1000", got)
	}

	if _, err := s.AssignNumber(ctx, p.ID, a.AuthID, numberC); err != nil {
		t.Fatalf("AssignNumber: %v", err)
	}
	_, err = s.AssignNumber(ctx, p.ID, a.AuthID, numberC)
	wantCode(t, "AssignNumber(assigned to the same customer)", err, partnerd.ECNumberAssigned)
	other := mustAccount(t, s, p.ID, "Second", "second@strict.example")
	_, err = s.AssignNumber(ctx, p.ID, other.AuthID, numberC)
	wantCode(t, "AssignNumber(assigned to another customer)", err, partnerd.ECNumberAssigned)
	if got := mustCustomerBalance(t, s, p.ID, a.AuthID); got != 500 {
		t.Errorf("balance = %d, want 500 (one charge)", got)
	}
	mustVerify(t, s)
}

func testNumberRelease(t *testing.T, open func(n int) []NumberStore) {
	s := open(1)[0]
	ctx := context.Background()
	p, a := mustCustomerWith(t, s, "release", 10000)
	b := mustAccount(t, s, p.ID, "Next", "next@release.example")
	if _, err := s.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: b.AuthID, Amount: 10000}); err != nil {
		t.Fatal(err)
	}
	q, c := mustCustomerWith(t, s, "outsider", 0)
	mustNumber(t, s, p.ID, numberA, 3000)
	if _, err := s.AssignNumber(ctx, p.ID, a.AuthID, numberA); err != nil {
		t.Fatalf("AssignNumber: %v", err)
	}
	wantCode(t, "ReleaseNumber(another customer's number)", s.ReleaseNumber(ctx, p.ID, b.AuthID, numberA), partnerd.ECNumberNotFound)
	wantCode(t, "ReleaseNumber(as another partner)", s.ReleaseNumber(ctx, q.ID, c.AuthID, numberA), partnerd.ECNumberNotFound)
	wantCode(t, "ReleaseNumber(another partner's customer)", s.ReleaseNumber(ctx, q.ID, a.AuthID, numberA), partnerd.ECAccountNotFound)
	if err := s.ReleaseNumber(ctx, p.ID, a.AuthID, numberA); err != nil {
		t.Fatalf("ReleaseNumber: %v", err)
	}
	want := &partnerd.Number{Number: numberA, PartnerID: p.ID, Type: partnerd.NumberLocal, Country: "IN", MonthlyCost: 3000,
		Currency: "INR", Status: partnerd.NumberAvailable}
	if diff := cmp.Diff(want, mustPool(t, s, p.ID)[numberA]); diff != "" {
		t.Errorf("released number (-want +got):\n%s", diff)
	}
	if got := mustCustomerBalance(t, s, p.ID, a.AuthID); got != 7000 {
		t.Errorf("balance after release = %d, want 7000 (no refund)", got)
	}
	err := s.ReleaseNumber(ctx, p.ID, a.AuthID, numberA)
	wantCode(t, "ReleaseNumber(again)", err, partnerd.ECNumberNotFound)
	// The number is in the pool: the answer says the customer does not
	// hold it, not that the pool has none.
	var pe *partnerd.Error
	if want := "Customer account " + a.AuthID + " holds no number " + numberA + "."; !errors.As(err, &pe) || pe.Message != want {
		t.Errorf("ReleaseNumber(again) = %v, want %q", err, want)
	}
	// A new rental starts a new period: wait for the next second, as
	// periods are keyed by their start.
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
	if _, err := s.AssignNumber(ctx, p.ID, b.AuthID, numberA); err != nil {
		t.Fatalf("AssignNumber(to the next customer): %v", err)
	}
	if got := mustCustomerBalance(t, s, p.ID, b.AuthID); got != 7000 {
		t.Errorf("next customer's balance = %d, want 7000", got)
	}
	mustVerify(t, s)
}

func testNumberLists(t *testing.T, open func(n int) []NumberStore) {
	s := open(1)[0]
	ctx := context.Background()
	p, a := mustCustomerWith(t, s, "lists", 100000)
	q, _ := mustCustomerWith(t, s, "notmine", 0)
	all := []string{"+912271264201", "+912271264202", "+912271264203", "+912271264204", "+912271264205"}
	for _, n := range all {
		mustNumber(t, s, p.ID, n, 100)
	}
	mustNumber(t, s, q.ID, "+912271264299", 100)
	for _, n := range all[1:3] {
		if _, err := s.AssignNumber(ctx, p.ID, a.AuthID, n); err != nil {
			t.Fatalf("AssignNumber: %v", err)
		}
	}
	list := func(f partnerd.NumberFilter, authID string) ([]string, int) {
		t.Helper()
		var ns []*partnerd.Number
		var total int
		var err error
		if authID == "" {
			ns, total, err = s.ListNumbers(ctx, p.ID, f)
		} else {
			ns, total, err = s.ListAccountNumbers(ctx, p.ID, authID, f)
		}
		if err != nil {
			t.Fatalf("list %+v: %v", f, err)
		}
		if ns == nil {
			t.Errorf("list %+v returned nil, want an empty slice", f)
		}
		out := []string{}
		for _, n := range ns {
			out = append(out, n.Number)
		}
		return out, total
	}
	page := func(n, size int) partnerd.Page { return partnerd.Page{Page: n, Size: size} }
	for _, c := range []struct {
		name      string
		f         partnerd.NumberFilter
		authID    string
		want      []string
		wantTotal int
	}{
		{"pool, newest first", partnerd.NumberFilter{Page: page(1, 10)}, "", []string{all[4], all[3], all[2], all[1], all[0]}, 5},
		{"pool, page 2", partnerd.NumberFilter{Page: page(2, 2)}, "", []string{all[2], all[1]}, 5},
		{"pool, past the end", partnerd.NumberFilter{Page: page(4, 2)}, "", []string{}, 5},
		{"assigned", partnerd.NumberFilter{Status: partnerd.NumberAssigned, Page: page(1, 10)}, "", []string{all[2], all[1]}, 2},
		{"available", partnerd.NumberFilter{Status: partnerd.NumberAvailable, Page: page(1, 10)}, "", []string{all[4], all[3], all[0]}, 3},
		{"search", partnerd.NumberFilter{Search: "64204", Page: page(1, 10)}, "", []string{all[3]}, 1},
		{"search with +", partnerd.NumberFilter{Search: "+9122712642", Page: page(1, 10)}, "", []string{all[4], all[3], all[2], all[1], all[0]}, 5},
		{"search matches no other partner's", partnerd.NumberFilter{Search: "64299", Page: page(1, 10)}, "", []string{}, 0},
		{"search is literal", partnerd.NumberFilter{Search: "2_", Page: page(1, 10)}, "", []string{}, 0},
		{"customer", partnerd.NumberFilter{Page: page(1, 10)}, a.AuthID, []string{all[2], all[1]}, 2},
		{"customer, search", partnerd.NumberFilter{Search: "203", Page: page(1, 10)}, a.AuthID, []string{all[2]}, 1},
	} {
		got, total := list(c.f, c.authID)
		if diff := cmp.Diff(c.want, got); diff != "" || total != c.wantTotal {
			t.Errorf("%s: total %d, want %d; numbers (-want +got):\n%s", c.name, total, c.wantTotal, diff)
		}
	}
	_, _, err := s.ListAccountNumbers(ctx, q.ID, a.AuthID, partnerd.NumberFilter{Page: page(1, 10)})
	wantCode(t, "ListAccountNumbers(another partner's customer)", err, partnerd.ECAccountNotFound)
}

// mustAssigned returns a customer holding balance with numberA (costing
// cost) assigned, and the number.
func mustAssigned(t *testing.T, s NumberStore, name string, balance, cost int64) (*partnerd.Partner, *partnerd.Account, *partnerd.Number) {
	t.Helper()
	p, a := mustCustomerWith(t, s, name, balance)
	mustNumber(t, s, p.ID, numberA, cost)
	n, err := s.AssignNumber(context.Background(), p.ID, a.AuthID, numberA)
	if err != nil {
		t.Fatalf("AssignNumber: %v", err)
	}
	return p, a, n
}

func mustRenew(t *testing.T, s NumberStore, now time.Time) partnerd.RenewalReport {
	t.Helper()
	rep, err := s.RenewNumbers(context.Background(), now)
	if err != nil {
		t.Fatalf("RenewNumbers(%s): %v", now, err)
	}
	return rep
}

func testNumberRenew(t *testing.T, open func(n int) []NumberStore) {
	s := open(1)[0]
	p, a, n := mustAssigned(t, s, "renew", 10000, 1000)
	start := *n.AssignedAt
	if rep := mustRenew(t, s, start.AddDate(0, 1, 0).Add(-time.Second)); rep != (partnerd.RenewalReport{}) {
		t.Errorf("renewal before the period ended = %+v, want nothing", rep)
	}
	if rep := mustRenew(t, s, start.AddDate(0, 1, 0)); rep != (partnerd.RenewalReport{Charged: 1}) {
		t.Errorf("renewal at the period's end = %+v, want one charge", rep)
	}
	if rep := mustRenew(t, s, start.AddDate(0, 1, 0)); rep != (partnerd.RenewalReport{}) {
		t.Errorf("second renewal of the same period = %+v, want nothing", rep)
	}
	// Three months later: the periods starting at months 2 and 3.
	if rep := mustRenew(t, s, start.AddDate(0, 3, 1)); rep != (partnerd.RenewalReport{Charged: 2}) {
		t.Errorf("renewal three months on = %+v, want two charges", rep)
	}
	if got := mustCustomerBalance(t, s, p.ID, a.AuthID); got != 6000 {
		t.Errorf("balance after four months = %d, want 6000", got)
	}
	got := mustPool(t, s, p.ID)[numberA]
	if got.Status != partnerd.NumberAssigned || got.PaidUntil == nil || !got.PaidUntil.Equal(start.AddDate(0, 4, 0)) {
		t.Errorf("number after renewals = %+v, want assigned and paid until %s", got, start.AddDate(0, 4, 0))
	}
	entries, _, err := s.AccountEntries(context.Background(), p.ID, a.AuthID, partnerd.EntryFilter{Type: partnerd.TxDebit, Page: partnerd.Page{Page: 1, Size: 10}})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 4 || entries[0].InitiatedBy != partnerd.InitiatedBySystem {
		t.Errorf("debits = %d (first initiated by %q), want 4, renewals by system", len(entries), entries[0].InitiatedBy)
	}
	mustVerify(t, s)
}

func testNumberSuspend(t *testing.T, open func(n int) []NumberStore) {
	s := open(1)[0]
	ctx := context.Background()
	p, a, n := mustAssigned(t, s, "broke", 1500, 1000)
	due := n.AssignedAt.AddDate(0, 1, 0)
	if rep := mustRenew(t, s, due); rep != (partnerd.RenewalReport{Suspended: 1}) {
		t.Errorf("renewal without the money = %+v, want one suspension", rep)
	}
	if got := mustPool(t, s, p.ID)[numberA]; got.Status != partnerd.NumberSuspended || got.AccountAuthID == nil {
		t.Errorf("number = %+v, want suspended and still the customer's", got)
	}
	if rep := mustRenew(t, s, due); rep != (partnerd.RenewalReport{}) {
		t.Errorf("second renewal without the money = %+v, want nothing new", rep)
	}
	if got := mustCustomerBalance(t, s, p.ID, a.AuthID); got != 500 {
		t.Errorf("balance = %d, want 500 (untouched)", got)
	}
	if _, err := s.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: 500}); err != nil {
		t.Fatal(err)
	}
	if rep := mustRenew(t, s, due.Add(time.Hour)); rep != (partnerd.RenewalReport{Charged: 1, Restored: 1}) {
		t.Errorf("renewal once funded = %+v, want a charge that restores", rep)
	}
	if got := mustPool(t, s, p.ID)[numberA]; got.Status != partnerd.NumberAssigned {
		t.Errorf("number after the restoring renewal = %+v, want assigned", got)
	}
	if got := mustCustomerBalance(t, s, p.ID, a.AuthID); got != 0 {
		t.Errorf("balance = %d, want 0", got)
	}
	mustVerify(t, s)
}

// testNumberConcurrentSweeps runs several sweeps at once on two store
// instances over one database: each period is charged exactly once.
func testNumberConcurrentSweeps(t *testing.T, open func(n int) []NumberStore) {
	stores := open(2)
	s := stores[0]
	ctx := context.Background()
	p, a := mustCustomerWith(t, s, "sweeps", 1_000_000)
	const numbers, cost = 8, 700
	var first time.Time
	for i := range numbers {
		num := fmt.Sprintf("+9122712643%02d", i)
		mustNumber(t, s, p.ID, num, cost)
		n, err := s.AssignNumber(ctx, p.ID, a.AuthID, num)
		if err != nil {
			t.Fatalf("AssignNumber: %v", err)
		}
		if first.IsZero() {
			first = *n.AssignedAt
		}
	}
	// Every number is three periods overdue (plus the first, paid).
	now := first.AddDate(0, 3, 2)
	var wg sync.WaitGroup
	reports := make(chan partnerd.RenewalReport, 8)
	for i := range 8 {
		wg.Go(func() {
			rep, err := stores[i%2].RenewNumbers(ctx, now)
			if err != nil {
				t.Errorf("RenewNumbers: %v", err)
			}
			reports <- rep
		})
	}
	wg.Wait()
	close(reports)
	var charged int
	for rep := range reports {
		charged += rep.Charged
	}
	if charged != numbers*3 {
		t.Errorf("the sweeps charged %d periods in all, want %d", charged, numbers*3)
	}
	if got, want := mustCustomerBalance(t, s, p.ID, a.AuthID), int64(1_000_000-numbers*4*cost); got != want {
		t.Errorf("balance = %d, want %d (each period once)", got, want)
	}
	mustVerify(t, s)
}

// testNumberConcurrentAssign assigns one number to several customers at
// once through two instances: one wins, the others are number_assigned,
// and only the winner pays.
func testNumberConcurrentAssign(t *testing.T, open func(n int) []NumberStore) {
	stores := open(2)
	s := stores[0]
	ctx := context.Background()
	p, first := mustCustomerWith(t, s, "race", 5000)
	customers := []*partnerd.Account{first}
	for i := range 5 {
		a := mustAccount(t, s, p.ID, fmt.Sprintf("Racer %d", i), fmt.Sprintf("racer%d@race.example", i))
		if _, err := s.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: 5000}); err != nil {
			t.Fatal(err)
		}
		customers = append(customers, a)
	}
	mustNumber(t, s, p.ID, numberA, 1200)
	var wg sync.WaitGroup
	codes := make([]string, len(customers))
	for i, a := range customers {
		wg.Go(func() {
			_, err := stores[i%2].AssignNumber(ctx, p.ID, a.AuthID, numberA)
			codes[i] = "ok"
			if err != nil {
				codes[i] = partnerd.ErrorCode(err)
			}
		})
	}
	wg.Wait()
	var winners int
	for i, code := range codes {
		switch code {
		case "ok":
			winners++
			if got := mustCustomerBalance(t, s, p.ID, customers[i].AuthID); got != 3800 {
				t.Errorf("the winner's balance = %d, want 3800", got)
			}
			if n := mustPool(t, s, p.ID)[numberA]; n.AccountAuthID == nil || *n.AccountAuthID != customers[i].AuthID {
				t.Errorf("number = %+v, want assigned to the winner %s", n, customers[i].AuthID)
			}
		case partnerd.ECNumberAssigned:
			if got := mustCustomerBalance(t, s, p.ID, customers[i].AuthID); got != 5000 {
				t.Errorf("a loser's balance = %d, want 5000", got)
			}
		default:
			t.Errorf("AssignNumber by customer %d: %s, want ok or %s", i, code, partnerd.ECNumberAssigned)
		}
	}
	if winners != 1 {
		t.Errorf("%d customers got the number, want 1 (%v)", winners, codes)
	}
	mustVerify(t, s)
}
