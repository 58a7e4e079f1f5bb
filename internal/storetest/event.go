package storetest

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
)

// EventStore is what a backend must implement for the events suite
// (API.md §8): the switch suite's store plus the event log.
type EventStore interface {
	SwitchStore
	partnerd.EventService
}

// RunEvents runs the events suite. open returns n stores on one new,
// empty database (n > 1: as many instances of a server share one).
func RunEvents(t *testing.T, open func(t *testing.T, n int) []EventStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open func(n int) []EventStore)
	}{
		{"EachCauseEmitsItsEvent", testEventCauses},
		{"LifecycleEmitsItsEvents", testEventLifecycle},
		{"RefusalsEmitNothing", testEventRefusalsEmitNothing},
		{"SequenceUnderConcurrency", testEventSequenceConcurrent},
		{"FiltersAndPages", testEventFilters},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, func(n int) []EventStore { return open(t, n) })
		})
	}
}

// allEvents returns every event of the partner matching f, oldest first.
func allEvents(t *testing.T, s EventStore, partnerID string, f partnerd.EventFilter) []*partnerd.Event {
	t.Helper()
	var out []*partnerd.Event
	for page := 1; ; page++ {
		f.Page = partnerd.Page{Page: page, Size: partnerd.MaxPageSize}
		es, total, err := s.Events(context.Background(), partnerID, f)
		if err != nil {
			t.Fatalf("Events(%+v): %v", f, err)
		}
		out = append(out, es...)
		if len(es) == 0 || len(out) >= total {
			if len(out) != total {
				t.Fatalf("Events: read %d rows, total says %d", len(out), total)
			}
			break
		}
	}
	slices.Reverse(out)
	return out
}

// eventTypes lists the types of events, in order.
func eventTypes(es []*partnerd.Event) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Type
	}
	return out
}

// wantSequences checks that the events of one account are numbered 1, 2,
// … in the order they were committed.
func wantSequences(t *testing.T, es []*partnerd.Event) {
	t.Helper()
	for i, e := range es {
		if e.Sequence != int64(i+1) {
			t.Errorf("event %d (%s) has sequence %d, want %d", i, e.Type, e.Sequence, i+1)
		}
	}
}

// dataOf decodes an event's data.
func dataOf(t *testing.T, e *partnerd.Event) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(e.Data, &m); err != nil {
		t.Fatalf("event %s data %s: %v", e.ID, e.Data, err)
	}
	return m
}

// testEventCauses makes every change of §8 that exists and checks that
// each writes exactly its event, for its account, numbered in order.
// testEventLifecycle: an update, a suspension, an activation and a close
// each announce themselves; the close announces the balance it returned
// as a withdrawal; a refused change announces nothing.
func testEventLifecycle(t *testing.T, open func(n int) []EventStore) {
	s := open(1)[0]
	lc, ok := s.(partnerd.AccountLifecycleService)
	if !ok {
		t.Fatalf("%T has no account lifecycle", s)
	}
	ctx := context.Background()
	p, a := mustRatedCustomer(t, s, "lifecycle-events", 0, r(partnerd.DirectionOutbound, "1", 10000, 60, 60))
	if _, err := s.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: 1234}); err != nil {
		t.Fatal(err)
	}
	// Each change is announced once: asked again, or asked with nothing
	// to change, it changes nothing and announces nothing.
	name := "Renamed Ltd"
	for _, u := range []partnerd.AccountUpdate{{Name: partnerd.Change{Set: true, Value: &name}}, {Name: partnerd.Change{Set: true, Value: &name}}, {}} {
		if _, err := lc.UpdateAccount(ctx, p.ID, a.AuthID, u); err != nil {
			t.Fatal(err)
		}
	}
	reason := "unpaid invoice"
	for range 2 {
		if _, err := lc.SuspendAccount(ctx, p.ID, a.AuthID, partnerd.SuspendInput{Reason: &reason}); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 {
		if _, err := lc.ActivateAccount(ctx, p.ID, a.AuthID); err != nil {
			t.Fatal(err)
		}
	}
	// The close returns its numbers to the pool: each is released.
	for _, n := range []string{numberB, numberA} {
		mustNumber(t, s, p.ID, n, 0)
		if _, err := s.AssignNumber(ctx, p.ID, a.AuthID, n); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := lc.CloseAccount(ctx, p.ID, a.AuthID); err != nil {
		t.Fatal(err)
	}
	if _, err := lc.SuspendAccount(ctx, p.ID, a.AuthID, partnerd.SuspendInput{}); err == nil {
		t.Fatal("suspending a closed account succeeded")
	}
	es := allEvents(t, s, p.ID, partnerd.EventFilter{Account: a.AuthID})
	want := []string{partnerd.EventAccountCreated, partnerd.EventBalanceTransferred, partnerd.EventAccountUpdated,
		partnerd.EventAccountSuspended, partnerd.EventAccountActivated, partnerd.EventNumberAssigned, partnerd.EventNumberAssigned,
		partnerd.EventNumberReleased, partnerd.EventNumberReleased, partnerd.EventBalanceTransferred, partnerd.EventAccountClosed}
	// The close empties the wallet without a balance.depleted: the
	// account is gone, not short of money.
	if diff := cmp.Diff(want, eventTypes(es)); diff != "" {
		t.Fatalf("lifecycle events (-want +got):\n%s", diff)
	}
	wantSequences(t, es)
	byType := map[string]map[string]any{}
	for _, e := range es {
		byType[e.Type] = dataOf(t, e) // the last of each type
	}
	if d := byType[partnerd.EventAccountUpdated]; d["name"] != name || d["auth_token"] != nil {
		t.Errorf("account.updated data = %v, want the renamed account without its token", d)
	}
	if d := byType[partnerd.EventAccountClosed]; d["status"] != partnerd.StatusClosed {
		t.Errorf("account.closed data = %v", d)
	}
	for i, n := range []string{numberA, numberB} {
		if d := dataOf(t, es[7+i]); d["number"] != n || d["account_auth_id"] != a.AuthID {
			t.Errorf("the close's number.released %d data = %v, want %s of %s", i, d, n, a.AuthID)
		}
	}
	if d := byType[partnerd.EventBalanceTransferred]; d["from_account"] != a.AuthID || d["to_account"] != p.ID ||
		d["amount"] != 12.34 || d["customer_balance_after"] != 0.0 {
		t.Errorf("the close's balance.transferred data = %v, want 12.34 back to %s", d, p.ID)
	}
}

func testEventCauses(t *testing.T, open func(n int) []EventStore) {
	s := open(1)[0]
	ctx := context.Background()
	p, a := mustRatedCustomer(t, s, "causes", 0, r(partnerd.DirectionOutbound, "1", 10000, 60, 60))
	// mustRatedCustomer made the account; nothing else happened to it yet.
	if got := eventTypes(allEvents(t, s, p.ID, partnerd.EventFilter{Account: a.AuthID})); !slices.Equal(got, []string{partnerd.EventAccountCreated}) {
		t.Fatalf("events of a new account = %v, want [account.created]", got)
	}
	tr, err := s.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: 1500})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Withdraw(ctx, p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: 200}); err != nil {
		t.Fatal(err)
	}
	mustNumber(t, s, p.ID, numberA, 1000)
	n, err := s.AssignNumber(ctx, p.ID, a.AuthID, numberA)
	if err != nil {
		t.Fatal(err)
	}
	// The second month: 300 left, the rent is 1000, so the number is
	// suspended; funded, the next sweep renews it.
	mustRenew(t, s, n.AssignedAt.AddDate(0, 1, 0))
	if _, err := s.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: 5000}); err != nil {
		t.Fatal(err)
	}
	mustRenew(t, s, n.AssignedAt.AddDate(0, 1, 0))
	if err := s.ReleaseNumber(ctx, p.ID, a.AuthID, numberA); err != nil {
		t.Fatal(err)
	}
	broke := mustAccount(t, s, p.ID, "broke", "broke@causes.example")
	wantRefused(t, mustAuthorize(t, s, outCall("broke-call", broke.AuthID, "+15551234567")), partnerd.ReasonInsufficientBalance)

	es := allEvents(t, s, p.ID, partnerd.EventFilter{Account: a.AuthID})
	want := []string{partnerd.EventAccountCreated, partnerd.EventBalanceTransferred, partnerd.EventBalanceTransferred,
		partnerd.EventNumberAssigned, partnerd.EventNumberSuspended, partnerd.EventBalanceTransferred,
		partnerd.EventNumberRenewed, partnerd.EventNumberReleased}
	if diff := cmp.Diff(want, eventTypes(es)); diff != "" {
		t.Fatalf("events of the account (-want +got):\n%s", diff)
	}
	wantSequences(t, es)
	for _, e := range es {
		if e.AccountAuthID == nil || *e.AccountAuthID != a.AuthID || e.PartnerID != p.ID {
			t.Errorf("%s: account %v partner %s, want %s of %s", e.Type, e.AccountAuthID, e.PartnerID, a.AuthID, p.ID)
		}
		if !partnerd.IsEventID(e.ID) {
			t.Errorf("%s: id %q is not evt_…", e.Type, e.ID)
		}
		got, err := s.Event(ctx, p.ID, e.ID)
		if err != nil || got.ID != e.ID || got.Sequence != e.Sequence {
			t.Errorf("Event(%s) = %+v, %v", e.ID, got, err)
		}
	}
	// balance.transferred carries the transfer response.
	d := dataOf(t, es[1])
	if d["transaction_id"] != tr.TransactionID || d["amount"] != 15.0 || d["customer_balance_after"] != 15.0 ||
		d["from_account"] != p.ID || d["to_account"] != a.AuthID || d["status"] != "completed" {
		t.Errorf("balance.transferred data = %v, want the transfer %s of 15.00", d, tr.TransactionID)
	}
	if d := dataOf(t, es[2]); d["from_account"] != a.AuthID || d["amount"] != 2.0 {
		t.Errorf("withdrawal's balance.transferred data = %v, want 2.00 from %s", d, a.AuthID)
	}
	if d := dataOf(t, es[0]); d["auth_id"] != a.AuthID || d["auth_token"] != nil {
		t.Errorf("account.created data = %v, want the account without its token", d)
	}
	if d := dataOf(t, es[3]); d["number"] != numberA || d["account_auth_id"] != a.AuthID {
		t.Errorf("number.assigned data = %v", d)
	}
	// The refused call is the broke customer's only event beside its creation.
	bs := allEvents(t, s, p.ID, partnerd.EventFilter{Account: broke.AuthID})
	if diff := cmp.Diff([]string{partnerd.EventAccountCreated, partnerd.EventCallRefused}, eventTypes(bs)); diff != "" {
		t.Fatalf("events of the broke account (-want +got):\n%s", diff)
	}
	wantSequences(t, bs)
	if d := dataOf(t, bs[1]); d["call_uuid"] != "broke-call" || d["reason"] != partnerd.ReasonInsufficientBalance {
		t.Errorf("call.refused data = %v", d)
	}
	// Another partner sees none of them.
	other, _ := mustPartner(t, s, "causes-other")
	if es := allEvents(t, s, other.ID, partnerd.EventFilter{}); len(es) != 0 {
		t.Errorf("another partner sees %d events", len(es))
	}
	if _, err := s.Event(ctx, other.ID, es[0].ID); partnerd.ErrorCode(err) != partnerd.ECNotFound {
		t.Errorf("Event of another partner's event: %v, want not_found", err)
	}
}

// testEventRefusalsEmitNothing checks that a change that is refused (and
// so rolled back) announces nothing, also when it shares its writer batch
// with changes that commit, and that refusals without a balance or status
// reason (no rate, unknown account) emit no call.refused.
func testEventRefusalsEmitNothing(t *testing.T, open func(n int) []EventStore) {
	s := open(1)[0]
	ctx := context.Background()
	p, a := mustRatedCustomer(t, s, "refused", 1000, r(partnerd.DirectionOutbound, "1", 100, 60, 60))
	before := len(allEvents(t, s, p.ID, partnerd.EventFilter{}))
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Half withdraw more than the wallet holds: refused.
			amount := int64(10)
			if i%2 == 1 {
				amount = 1_000_000
			}
			if _, err := s.Withdraw(ctx, p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: amount}); err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			} else if partnerd.ErrorCode(err) != partnerd.ECInsufficientBalance {
				t.Errorf("Withdraw: %v", err)
			}
		}()
	}
	wg.Wait()
	if ok != 20 {
		t.Fatalf("%d withdrawals succeeded, want 20", ok)
	}
	wantRefused(t, mustAuthorize(t, s, outCall("no-rate", a.AuthID, "+33155512345")), partnerd.ReasonNoRate)
	wantRefused(t, mustAuthorize(t, s, outCall("unknown", "MA_0000dead", "+15551234567")), partnerd.ReasonAccountNotFound)
	if _, err := s.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: "MA_0000dead", Amount: 10}); err == nil {
		t.Fatal("transfer to an unknown account succeeded")
	}
	es := allEvents(t, s, p.ID, partnerd.EventFilter{})
	if got := len(es) - before; got != 20 {
		t.Errorf("%d events after 20 withdrawals and 20 refusals, want 20", got)
	}
	for _, e := range es[before:] {
		if e.Type != partnerd.EventBalanceTransferred || dataOf(t, e)["amount"] != 0.1 {
			t.Errorf("event %s %s, want only the committed withdrawals of 0.10", e.Type, e.Data)
		}
	}
	wantSequences(t, allEvents(t, s, p.ID, partnerd.EventFilter{Account: a.AuthID}))
}

// testEventSequenceConcurrent moves money to one account from several
// instances at once: its events are numbered 1, 2, … without a gap or a
// repeat, in commit order (the customer's balance after each transfer
// grows with the sequence).
func testEventSequenceConcurrent(t *testing.T, open func(n int) []EventStore) {
	stores := open(3)
	ctx := context.Background()
	p, a := mustFundedCustomer(t, stores[0], "sequence", 10_000_000)
	b := mustAccount(t, stores[0], p.ID, "second", "second@sequence.example")
	const perStore = 30
	var wg sync.WaitGroup
	for i, s := range stores {
		for j := range perStore {
			wg.Add(1)
			go func() {
				defer wg.Done()
				to := a.AuthID
				if j%3 == 0 {
					to = b.AuthID
				}
				if _, err := s.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: to, Amount: int64(1 + i)}); err != nil {
					t.Errorf("Transfer: %v", err)
				}
			}()
		}
	}
	wg.Wait()
	for _, acct := range []string{a.AuthID, b.AuthID} {
		es := allEvents(t, stores[1], p.ID, partnerd.EventFilter{Account: acct})
		wantSequences(t, es)
		var last float64
		for _, e := range es[1:] {
			after := dataOf(t, e)["customer_balance_after"].(float64)
			if after <= last {
				t.Errorf("%s: sequence %d has balance after %v, not above the previous %v", acct, e.Sequence, after, last)
			}
			last = after
		}
	}
	if got := len(allEvents(t, stores[2], p.ID, partnerd.EventFilter{Type: partnerd.EventBalanceTransferred})); got != 3*perStore {
		t.Errorf("%d balance.transferred events, want %d", got, 3*perStore)
	}
}

// testEventFilters checks GET /events's filters and pages.
func testEventFilters(t *testing.T, open func(n int) []EventStore) {
	s := open(1)[0]
	ctx := context.Background()
	p, a := mustFundedCustomer(t, s, "filters", 1_000_000)
	b := mustAccount(t, s, p.ID, "other", "other@filters.example")
	for i := range 25 {
		to := a.AuthID
		if i%5 == 0 {
			to = b.AuthID
		}
		if _, err := s.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: to, Amount: 100}); err != nil {
			t.Fatal(err)
		}
	}
	all := allEvents(t, s, p.ID, partnerd.EventFilter{})
	if len(all) != 27 {
		t.Fatalf("%d events, want 27 (2 accounts, 25 transfers)", len(all))
	}
	// Newest first, pages neither overlap nor skip.
	es, total, err := s.Events(ctx, p.ID, partnerd.EventFilter{Page: partnerd.Page{Page: 2, Size: 10}})
	if err != nil || total != 27 || len(es) != 10 || es[0].ID != all[26-10].ID {
		t.Errorf("page 2 of 10: %d rows of %d, first %v, err %v; want 10 of 27 from %s", len(es), total, es, err, all[16].ID)
	}
	es, total, err = s.Events(ctx, p.ID, partnerd.EventFilter{Page: partnerd.Page{Page: 9, Size: 10}})
	if err != nil || total != 27 || len(es) != 0 {
		t.Errorf("page past the end: %d rows of %d, %v", len(es), total, err)
	}
	if got := allEvents(t, s, p.ID, partnerd.EventFilter{Account: b.AuthID}); len(got) != 6 {
		t.Errorf("account filter: %d events, want 6", len(got))
	}
	if got := allEvents(t, s, p.ID, partnerd.EventFilter{Type: partnerd.EventAccountCreated}); len(got) != 2 {
		t.Errorf("type filter: %d events, want 2", len(got))
	}
	if got := allEvents(t, s, p.ID, partnerd.EventFilter{Type: partnerd.EventBalanceTransferred, Account: a.AuthID}); len(got) != 20 {
		t.Errorf("type and account: %d events, want 20", len(got))
	}
	today := time.Now().UTC()
	day := func(d time.Time) time.Time { return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC) }
	if got := allEvents(t, s, p.ID, partnerd.EventFilter{From: day(today).AddDate(0, 0, -1), To: day(today).AddDate(0, 0, 1)}); len(got) != 27 {
		t.Errorf("dates around today: %d events, want 27", len(got))
	}
	if got := allEvents(t, s, p.ID, partnerd.EventFilter{From: day(today).AddDate(0, 0, 1)}); len(got) != 0 {
		t.Errorf("from tomorrow: %d events, want 0", len(got))
	}
	if got := allEvents(t, s, p.ID, partnerd.EventFilter{To: day(today).AddDate(0, 0, -1)}); len(got) != 0 {
		t.Errorf("to yesterday: %d events, want 0", len(got))
	}
}
