package storetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
)

// SwitchStore is what a backend must implement for the switch suite
// (API.md §5, Switch API): the numbers suite's store plus SIP endpoints,
// rate decks and the switch's authorize and CDR calls.
type SwitchStore interface {
	NumberStore
	SIPStore
	partnerd.RateDeckService
	partnerd.SwitchService
}

// RunSwitch runs the authorize and CDR suite. open returns n stores on one
// new, empty database (n > 1: as many instances of a server share one);
// setStatus suspends and closes customers.
func RunSwitch(t *testing.T, open func(t *testing.T, n int) []SwitchStore, setStatus SetStatus) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open func(n int) []SwitchStore, setStatus SetStatus)
	}{
		{"Rating", testSwitchRating},
		{"RatingJPY", testSwitchRatingJPY},
		{"ConcurrentAuthorize", testSwitchConcurrentAuthorize},
		{"DuplicateAndOverrun", testSwitchDuplicateAndOverrun},
		{"ReservedMoneyStays", testSwitchReservedMoneyStays},
		{"Refusals", testSwitchRefusals},
		{"InboundAndReplay", testSwitchInboundAndReplay},
		{"RatedAsRecorded", testSwitchRatedAsRecorded},
		{"BadCDRs", testSwitchBadCDRs},
		{"ConcurrentCDRs", testSwitchConcurrentCDRs},
		{"ConcurrentOverruns", testSwitchConcurrentOverruns},
		{"FreeRate", testSwitchFreeRate},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, func(n int) []SwitchStore { return open(t, n) }, setStatus)
		})
	}
}

// callStart is when the suite's calls start; CDRs carry it, nothing rates
// by it.
var callStart = time.Date(2026, 3, 25, 10, 0, 0, 0, time.UTC)

// callCDR is the record of a call answered after 5 seconds of ringing and
// lasting billsec seconds (unanswered when billsec is 0).
func callCDR(uuid, direction string, authID *string, from, to string, billsec int) partnerd.CDRInput {
	answer := callStart.Add(5 * time.Second)
	in := partnerd.CDRInput{
		CallUUID: uuid, Direction: direction, AccountAuthID: authID, FromNumber: from, ToNumber: to,
		StartTime: callStart, EndTime: answer.Add(time.Duration(billsec) * time.Second),
		DurationSeconds: billsec + 5, Billsec: billsec,
	}
	if billsec > 0 {
		in.AnswerTime = &answer
	}
	return in
}

// outCDR is the record of an outbound call of authID to "to".
func outCDR(uuid, authID, to string, billsec int) partnerd.CDRInput {
	return callCDR(uuid, partnerd.DirectionOutbound, &authID, "+912271260000", to, billsec)
}

// outCall is the question before an outbound call of authID to "to".
func outCall(uuid, authID, to string) partnerd.AuthorizeInput {
	return partnerd.AuthorizeInput{CallUUID: uuid, Direction: partnerd.DirectionOutbound, From: "+912271260000", To: to, AccountAuthID: &authID}
}

func mustAuthorize(t *testing.T, s SwitchStore, in partnerd.AuthorizeInput) *partnerd.Authorization {
	t.Helper()
	a, err := s.Authorize(context.Background(), in)
	if err != nil {
		t.Fatalf("Authorize(%s): %v", in.CallUUID, err)
	}
	if a.CallUUID != in.CallUUID {
		t.Errorf("Authorize(%s) answered for call %q", in.CallUUID, a.CallUUID)
	}
	return a
}

// wantAuthorized checks an authorized answer's duration and reservation.
func wantAuthorized(t *testing.T, a *partnerd.Authorization, authID string, maxDuration int, reserved int64) {
	t.Helper()
	if !a.Authorized || a.Reason != "" || a.AccountAuthID != authID || a.MaxDuration != maxDuration || a.Reserved != reserved || a.Rate == nil {
		t.Errorf("Authorize(%s) = %+v, want authorized for %s, %d s, %d reserved", a.CallUUID, a, authID, maxDuration, reserved)
	}
}

// wantRefused checks a refusal: its reason, and that it holds nothing.
func wantRefused(t *testing.T, a *partnerd.Authorization, reason string) {
	t.Helper()
	if a.Authorized || a.Reason != reason || a.MaxDuration != 0 || a.Reserved != 0 {
		t.Errorf("Authorize(%s) = %+v, want refused with %s, nothing reserved", a.CallUUID, a, reason)
	}
}

// mustPostCDRs posts valid records and returns one result per record.
func mustPostCDRs(t *testing.T, s SwitchStore, ins ...partnerd.CDRInput) []partnerd.CDRResult {
	t.Helper()
	res, err := s.PostCDRs(context.Background(), ins, make([]*partnerd.Error, len(ins)))
	if err != nil {
		t.Fatalf("PostCDRs(%d records): %v", len(ins), err)
	}
	if len(res) != len(ins) {
		t.Fatalf("PostCDRs(%d records) = %d results", len(ins), len(res))
	}
	for i := range res {
		if res[i].CallUUID != ins[i].CallUUID {
			t.Errorf("result %d is for call %q, want %q (the order sent)", i, res[i].CallUUID, ins[i].CallUUID)
		}
	}
	return res
}

// wantCharged checks a charged record's rated cost.
func wantCharged(t *testing.T, r partnerd.CDRResult, cost int64, currency string) {
	t.Helper()
	if r.Status != partnerd.CDRCharged || r.Cost != cost || r.Currency != currency || r.Err != nil {
		t.Errorf("CDR %s = %+v (err %v), want charged %d %s", r.CallUUID, r, r.Err, cost, currency)
	}
}

// wantRejected checks a rejected record's error code and, when field is
// not empty, that the error names it.
func wantRejected(t *testing.T, r partnerd.CDRResult, code, field string) {
	t.Helper()
	if r.Status != partnerd.CDRRejected || r.Err == nil {
		t.Errorf("CDR %q = %+v, want rejected with %s", r.CallUUID, r, code)
		return
	}
	if r.Err.Code != code || r.Err.Message == "" {
		t.Errorf("CDR %q rejected with %q (%q), want %s", r.CallUUID, r.Err.Code, r.Err.Message, code)
	}
	if field != "" && !slices.ContainsFunc(r.Err.Fields, func(f partnerd.FieldError) bool { return f.Field == field }) {
		t.Errorf("CDR %q rejected with fields %+v, want one naming %s", r.CallUUID, r.Err.Fields, field)
	}
}

// mustWallet returns the customer's balance and the part of it reserved.
func mustWallet(t *testing.T, s SwitchStore, partnerID, authID string) (balance, reserved int64) {
	t.Helper()
	a, err := s.AccountBalance(context.Background(), partnerID, authID)
	if err != nil {
		t.Fatalf("AccountBalance: %v", err)
	}
	return a.Balance, a.Reserved
}

func wantWallet(t *testing.T, what string, s SwitchStore, partnerID, authID string, balance, reserved int64) {
	t.Helper()
	if b, r := mustWallet(t, s, partnerID, authID); b != balance || r != reserved {
		t.Errorf("%s: balance %d reserved %d, want %d and %d", what, b, r, balance, reserved)
	}
}

// callDebits returns the customer's ledger entries that charge calls, by
// call_uuid (their reference).
func callDebits(t *testing.T, s SwitchStore, partnerID, authID string) map[string]*partnerd.Entry {
	t.Helper()
	out := map[string]*partnerd.Entry{}
	for page := 1; ; page++ {
		es, total, err := s.AccountEntries(context.Background(), partnerID, authID,
			partnerd.EntryFilter{Type: partnerd.TxDebit, Page: partnerd.Page{Page: page, Size: partnerd.MaxPageSize}})
		if err != nil {
			t.Fatalf("AccountEntries: %v", err)
		}
		for _, e := range es {
			if e.InitiatedBy == partnerd.InitiatedBySystem && e.Reference != nil {
				if out[*e.Reference] != nil {
					t.Errorf("call %s charged twice", *e.Reference)
				}
				out[*e.Reference] = e
			}
		}
		if page*partnerd.MaxPageSize >= total {
			return out
		}
	}
}

// wantCallDebit checks that call uuid was charged amount by the system.
func wantCallDebit(t *testing.T, debits map[string]*partnerd.Entry, uuid string, amount int64, currency string) {
	t.Helper()
	e := debits[uuid]
	switch {
	case amount == 0 && e != nil:
		t.Errorf("call %s: ledger entry %+v, want none", uuid, e)
	case amount == 0:
	case e == nil:
		t.Errorf("call %s: no debit in the customer's log, want %d", uuid, amount)
	case e.Amount != -amount || e.Currency != currency || e.Type != partnerd.TxDebit || e.BalanceAfter != e.BalanceBefore-amount:
		t.Errorf("call %s: entry %+v, want a debit of %d %s", uuid, e, amount, currency)
	}
}

// mustRatedCustomer returns a partner with deck and a customer holding
// balance.
func mustRatedCustomer(t *testing.T, s SwitchStore, name string, balance int64, deck ...partnerd.Rate) (*partnerd.Partner, *partnerd.Account) {
	t.Helper()
	p, a := mustCustomerWith(t, s, name, balance)
	mustReplaceDeck(t, s, p.ID, deck)
	return p, a
}

// testSwitchRating charges calls through CDRs: the worked examples of
// API.md §5 and the edges of increments, prefixes and rounding.
func testSwitchRating(t *testing.T, open func(n int) []SwitchStore, _ SetStatus) {
	s := open(1)[0]
	ctx := context.Background()
	p, a := mustFundedCustomer(t, s, "rating", 10_000_000)
	const start = 5_000_000
	if _, err := s.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: start}); err != nil {
		t.Fatal(err)
	}
	mustReplaceDeck(t, s, p.ID, []partnerd.Rate{
		r(partnerd.DirectionOutbound, "1", 10000, 60, 60),  // 1.00 a minute
		r(partnerd.DirectionOutbound, "441", 4500, 1, 1),   // 0.45
		r(partnerd.DirectionOutbound, "442", 6000, 30, 6),  // 0.60
		r(partnerd.DirectionOutbound, "4420", 600, 1, 1),   // 0.06: longer than 442
		r(partnerd.DirectionOutbound, "44", 12000, 60, 60), // 1.20
		r(partnerd.DirectionOutbound, "7", 1, 1, 1),        // 0.0001: sub-paisa
		r(partnerd.DirectionOutbound, "91", 20000, 60, 60), // 2.00 out…
		r(partnerd.DirectionInbound, "91", 3000, 1, 1),     // …0.30 in
	})
	mustNumber(t, s, p.ID, numberA, 0)
	if _, err := s.AssignNumber(ctx, p.ID, a.AuthID, numberA); err != nil {
		t.Fatalf("AssignNumber: %v", err)
	}
	cases := []struct {
		uuid      string
		direction string
		to        string
		billsec   int
		want      int64
		authorize bool
	}{
		{"r-60-60", "outbound", "+15551234567", 61, 200, false},       // bills 120 s
		{"r-1-1", "outbound", "+4415550001", 61, 46, true},            // 0.4575 → 0.46
		{"r-30-6", "outbound", "+4425550001", 31, 36, true},           // bills 36 s
		{"r-30-6-exact", "outbound", "+4425550002", 30, 30, false},    // the first increment exactly
		{"r-30-6-37", "outbound", "+4425550003", 37, 42, false},       // one second over 36: 42 s
		{"r-60-60-exact", "outbound", "+15551234568", 60, 100, false}, // exactly one increment
		{"r-60-60-1s", "outbound", "+15551234569", 1, 100, false},     // one second bills the first increment
		{"r-zero", "outbound", "+15551234570", 0, 0, false},           // unanswered: nothing
		{"r-zero-auth", "outbound", "+15551234571", 0, 0, true},       // unanswered after authorize: nothing
		{"r-4h", "outbound", "+15551234572", 14_400, 24_000, true},    // the longest authorize grants
		{"r-10h", "outbound", "+15551234573", 36_001, 60_100, false},  // 601 minutes
		{"r-longest", "outbound", "+44205550001", 61, 7, false},       // 4420 wins: 0.061 → 0.07
		{"r-44", "outbound", "+4435550001", 61, 240, false},           // only 44 matches
		{"r-subpaisa", "outbound", "+75550001", 1, 1, false},          // 0.0000016 → 0.01
		{"r-subpaisa-min", "outbound", "+75550002", 60, 1, false},     // 0.0001 → 0.01
		{"r-in", "inbound", numberA, 61, 31, true},                    // 0.305 → 0.31
		{"r-in-unauth", "inbound", numberA, 61, 31, false},            // the deck's inbound rate, without authorize
		{"r-out-91", "outbound", numberA, 61, 400, false},             // the same number dialled: outbound rate
	}
	var ins []partnerd.CDRInput
	var total int64
	for _, c := range cases {
		var in partnerd.CDRInput
		if c.direction == partnerd.DirectionInbound {
			in = callCDR(c.uuid, c.direction, nil, "+15551234567", c.to, c.billsec)
		} else {
			in = outCDR(c.uuid, a.AuthID, c.to, c.billsec)
		}
		if c.authorize {
			q := partnerd.AuthorizeInput{CallUUID: c.uuid, Direction: c.direction, From: in.FromNumber, To: c.to, AccountAuthID: in.AccountAuthID}
			if au := mustAuthorize(t, s, q); !au.Authorized || au.Reserved <= 0 {
				t.Errorf("Authorize(%s) = %+v, want authorized with a reservation", c.uuid, au)
			}
		}
		ins = append(ins, in)
		total += c.want
	}
	if _, reserved := mustWallet(t, s, p.ID, a.AuthID); reserved == 0 {
		t.Errorf("reserved = 0 after authorizing calls")
	}
	res := mustPostCDRs(t, s, ins...)
	debits := callDebits(t, s, p.ID, a.AuthID)
	for i, c := range cases {
		wantCharged(t, res[i], c.want, "INR")
		wantCallDebit(t, debits, c.uuid, c.want, "INR")
	}
	if len(debits) != len(cases)-2 {
		t.Errorf("%d call debits in the log, want %d (none for the calls of 0 s)", len(debits), len(cases)-2)
	}
	// Every reservation is released by its CDR.
	wantWallet(t, "after the CDRs", s, p.ID, a.AuthID, start-total, 0)
	mustVerify(t, s)
}

// testSwitchRatingJPY rates in a currency without decimals: costs round
// up to whole yen.
func testSwitchRatingJPY(t *testing.T, open func(n int) []SwitchStore, _ SetStatus) {
	s := open(1)[0]
	ctx := context.Background()
	p, _, err := s.CreatePartner(ctx, partnerd.PartnerInput{Name: "yen", Email: "ops@yen.example", Currency: "JPY"})
	if err != nil {
		t.Fatalf("CreatePartner(JPY): %v", err)
	}
	if _, err := s.FundPartner(ctx, p.ID, 100_000, nil); err != nil {
		t.Fatal(err)
	}
	a := mustAccount(t, s, p.ID, "Yen customer", "c@yen.example")
	if _, err := s.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: 10_000}); err != nil {
		t.Fatal(err)
	}
	// 1.5 yen a minute, per second, and 0.0001 yen a minute.
	mustReplaceDeck(t, s, p.ID, []partnerd.Rate{
		r(partnerd.DirectionOutbound, "81", 15000, 1, 1),
		r(partnerd.DirectionOutbound, "8190", 1, 1, 1),
	})
	au := mustAuthorize(t, s, outCall("jpy-1", a.AuthID, "+81312345678"))
	// Four hours cost 360 yen: capped at 14,400 s.
	wantAuthorized(t, au, a.AuthID, partnerd.MaxCallSeconds, 360)
	if au.Currency != "JPY" {
		t.Errorf("authorize currency = %q, want JPY", au.Currency)
	}
	wantWallet(t, "during the call", s, p.ID, a.AuthID, 10_000, 360)
	res := mustPostCDRs(t, s,
		outCDR("jpy-1", a.AuthID, "+81312345678", 61), // 1.525 → 2
		outCDR("jpy-2", a.AuthID, "+81901234567", 61), // 0.0001… → 1
		outCDR("jpy-3", a.AuthID, "+81312345679", 40), // exactly 1
	)
	wantCharged(t, res[0], 2, "JPY")
	wantCharged(t, res[1], 1, "JPY")
	wantCharged(t, res[2], 1, "JPY")
	debits := callDebits(t, s, p.ID, a.AuthID)
	wantCallDebit(t, debits, "jpy-1", 2, "JPY")
	wantCallDebit(t, debits, "jpy-2", 1, "JPY")
	wantWallet(t, "after the CDRs", s, p.ID, a.AuthID, 10_000-4, 0)
	mustVerify(t, s)
}

// testSwitchConcurrentAuthorize asks for 20 calls at once, spread over the
// instances, for a customer whose balance pays for exactly three of the
// longest: three are authorized, and the reservations never exceed the
// balance.
func testSwitchConcurrentAuthorize(t *testing.T, open func(n int) []SwitchStore, _ SetStatus) {
	stores := open(2)
	s := stores[0]
	ctx := context.Background()
	const maxCallCost = 24_000 // 240 minutes at 1.00
	p, a := mustRatedCustomer(t, s, "prepaid", 3*maxCallCost, r(partnerd.DirectionOutbound, "1", 10000, 60, 60))
	// More customers of the partner race at the same time, so that the
	// instances' transactions overlap.
	customers := []*partnerd.Account{a}
	for i := range 3 {
		c := mustAccount(t, s, p.ID, fmt.Sprintf("Racer %d", i), fmt.Sprintf("racer%d@prepaid.example", i))
		if _, err := s.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: c.AuthID, Amount: 3 * maxCallCost}); err != nil {
			t.Fatal(err)
		}
		customers = append(customers, c)
	}

	var watching atomic.Bool
	watching.Store(true)
	var watcher sync.WaitGroup
	watcher.Go(func() {
		for watching.Load() {
			for _, c := range customers {
				w, err := stores[1].AccountBalance(ctx, p.ID, c.AuthID)
				if err != nil {
					t.Errorf("AccountBalance: %v", err)
					return
				}
				if w.Reserved < 0 || w.Reserved > w.Balance {
					t.Errorf("%s: reserved %d of a balance of %d", c.AuthID, w.Reserved, w.Balance)
				}
			}
		}
	})
	const calls = 20
	answers := make([][]*partnerd.Authorization, len(customers))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for k, c := range customers {
		answers[k] = make([]*partnerd.Authorization, calls)
		for i := range calls {
			wg.Go(func() {
				<-start
				au, err := stores[(i+k)%len(stores)].Authorize(ctx, outCall(fmt.Sprintf("race-%d-%02d", k, i), c.AuthID, "+15551234567"))
				if err != nil {
					t.Errorf("Authorize %d of customer %d: %v", i, k, err)
					return
				}
				answers[k][i] = au
			})
		}
	}
	close(start)
	wg.Wait()
	watching.Store(false)
	watcher.Wait()
	var authorized []string
	for k, c := range customers {
		var granted []string
		for i, au := range answers[k] {
			switch {
			case au == nil:
			case au.Authorized:
				wantAuthorized(t, au, c.AuthID, partnerd.MaxCallSeconds, maxCallCost)
				granted = append(granted, au.CallUUID)
			default:
				if au.Reason != partnerd.ReasonInsufficientBalance || au.Reserved != 0 {
					t.Errorf("answer %d of customer %d = %+v, want authorized or insufficient_balance", i, k, au)
				}
			}
		}
		if len(granted) != 3 {
			t.Errorf("customer %d: %d calls authorized (%v), want 3", k, len(granted), granted)
		}
		if k == 0 {
			authorized = granted
		} else {
			wantWallet(t, "another racer", s, p.ID, c.AuthID, 3*maxCallCost, int64(len(granted))*maxCallCost)
		}
	}
	if len(authorized) != 3 {
		t.FailNow()
	}
	wantWallet(t, "with three live calls", s, p.ID, a.AuthID, 3*maxCallCost, 3*maxCallCost)
	// Nothing is available: no withdrawal takes reserved money.
	_, err := s.Withdraw(ctx, p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: 1})
	wantCode(t, "Withdraw(all reserved)", err, partnerd.ECInsufficientBalance)
	// No reservation has expired yet.
	if rep, err := s.ExpireReservations(ctx, time.Now()); err != nil || rep != (partnerd.ExpiryReport{}) {
		t.Errorf("ExpireReservations(now) = %+v, %v; want nothing released", rep, err)
	}

	// Two calls end; their CDRs arrive on the other instance.
	res := mustPostCDRs(t, stores[1],
		outCDR(authorized[0], a.AuthID, "+15551234567", 600), // 10 minutes: 10.00
		outCDR(authorized[1], a.AuthID, "+15551234567", 61),  // 2 minutes: 2.00
	)
	wantCharged(t, res[0], 1000, "INR")
	wantCharged(t, res[1], 200, "INR")
	wantWallet(t, "after two CDRs", s, p.ID, a.AuthID, 3*maxCallCost-1200, maxCallCost)

	// The third call's CDR never comes (nor the other racers'): sweeps on both instances at once
	// release its reservation once.
	later := time.Now().Add(partnerd.MaxCallSeconds*time.Second + partnerd.ReservationGrace + time.Minute)
	reports := make([]partnerd.ExpiryReport, 4)
	for i := range reports {
		wg.Go(func() {
			rep, err := stores[i%len(stores)].ExpireReservations(ctx, later)
			if err != nil {
				t.Errorf("ExpireReservations: %v", err)
			}
			reports[i] = rep
		})
	}
	wg.Wait()
	var sum partnerd.ExpiryReport
	for _, rep := range reports {
		sum.Released += rep.Released
		sum.Amount += rep.Amount
	}
	// The third call of the first customer and the three of each other.
	if want := (partnerd.ExpiryReport{Released: 10, Amount: 10 * maxCallCost}); sum != want {
		t.Errorf("concurrent sweeps released %+v in all, want %+v (each reservation once)", sum, want)
	}
	for _, c := range customers[1:] {
		wantWallet(t, "another racer after the sweep", s, p.ID, c.AuthID, 3*maxCallCost, 0)
	}
	if rep, err := s.ExpireReservations(ctx, later); err != nil || rep != (partnerd.ExpiryReport{}) {
		t.Errorf("a second sweep = %+v, %v; want nothing released", rep, err)
	}
	wantWallet(t, "after the sweep", s, p.ID, a.AuthID, 3*maxCallCost-1200, 0)
	debits := callDebits(t, s, p.ID, a.AuthID)
	wantCallDebit(t, debits, authorized[0], 1000, "INR")
	wantCallDebit(t, debits, authorized[1], 200, "INR")
	if len(debits) != 2 {
		t.Errorf("%d call debits, want 2", len(debits))
	}
	// The third call's CDR comes late, while another call is live: it is
	// charged, and releases nothing more (its reservation is gone, the
	// live call's stays).
	live := mustAuthorize(t, s, outCall("after-sweep", a.AuthID, "+15551234567"))
	wantAuthorized(t, live, a.AuthID, partnerd.MaxCallSeconds, maxCallCost)
	wantCharged(t, mustPostCDRs(t, stores[1], outCDR(authorized[2], a.AuthID, "+15551234567", 60))[0], 100, "INR")
	wantWallet(t, "after the late CDR", s, p.ID, a.AuthID, 3*maxCallCost-1300, maxCallCost)
	if rep, err := s.ExpireReservations(ctx, time.Now().Add(partnerd.MaxCallSeconds*time.Second)); err != nil || rep != (partnerd.ExpiryReport{}) {
		t.Errorf("a sweep before the live call's expiry = %+v, %v; want nothing released", rep, err)
	}
	wantCharged(t, mustPostCDRs(t, s, outCDR("after-sweep", a.AuthID, "+15551234567", 0))[0], 0, "INR")
	// The money is available again.
	if _, err := s.Withdraw(ctx, p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: 3*maxCallCost - 1300}); err != nil {
		t.Errorf("Withdraw(everything after the sweep): %v", err)
	}
	wantWallet(t, "after the withdrawal", s, p.ID, a.AuthID, 0, 0)
	mustVerify(t, s)
}

// testSwitchDuplicateAndOverrun charges each call once, and a call that
// outran its reservation takes the balance to zero, never below.
func testSwitchDuplicateAndOverrun(t *testing.T, open func(n int) []SwitchStore, _ SetStatus) {
	s := open(1)[0]
	ctx := context.Background()
	p, a := mustRatedCustomer(t, s, "overrun", 500, r(partnerd.DirectionOutbound, "1", 10000, 60, 60))
	au := mustAuthorize(t, s, outCall("over-1", a.AuthID, "+15551234567"))
	wantAuthorized(t, au, a.AuthID, 300, 500)
	// The switch did not cut the call off at 300 s: it lasted 600 s.
	res := mustPostCDRs(t, s, outCDR("over-1", a.AuthID, "+15551234567", 600))
	wantCharged(t, res[0], 1000, "INR")
	wantWallet(t, "after the overrun", s, p.ID, a.AuthID, 0, 0)
	wantCallDebit(t, callDebits(t, s, p.ID, a.AuthID), "over-1", 500, "INR")

	// The same record again, alone and twice in a batch: nothing changes.
	res = mustPostCDRs(t, s, outCDR("over-1", a.AuthID, "+15551234567", 600))
	if res[0].Status != partnerd.CDRDuplicate || res[0].Err != nil {
		t.Errorf("the same CDR again = %+v, want duplicate", res[0])
	}
	if _, err := s.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: 1000}); err != nil {
		t.Fatal(err)
	}
	res = mustPostCDRs(t, s, outCDR("over-1", a.AuthID, "+15551234567", 600),
		outCDR("twice", a.AuthID, "+15551234567", 60), outCDR("twice", a.AuthID, "+15551234567", 60))
	if res[0].Status != partnerd.CDRDuplicate {
		t.Errorf("the same CDR once funded = %+v, want duplicate", res[0])
	}
	wantCharged(t, res[1], 100, "INR")
	if res[2].Status != partnerd.CDRDuplicate || res[2].Err != nil {
		t.Errorf("a record repeated in its batch = %+v, want duplicate", res[2])
	}
	wantWallet(t, "after the duplicates", s, p.ID, a.AuthID, 900, 0)
	debits := callDebits(t, s, p.ID, a.AuthID)
	if len(debits) != 2 {
		t.Errorf("%d call debits, want 2 (each call once)", len(debits))
	}
	wantCallDebit(t, debits, "twice", 100, "INR")

	// A record of an unauthorized call to an empty wallet: rated, nothing
	// charged, no ledger transaction, the balance stays zero.
	b := mustAccount(t, s, p.ID, "Empty", "empty@overrun.example")
	res = mustPostCDRs(t, s, outCDR("empty-1", b.AuthID, "+15551234567", 60))
	wantCharged(t, res[0], 100, "INR")
	wantWallet(t, "an empty wallet after a call", s, p.ID, b.AuthID, 0, 0)
	if d := callDebits(t, s, p.ID, b.AuthID); len(d) != 0 {
		t.Errorf("call debits of an empty wallet = %v, want none", d)
	}
	mustVerify(t, s)
}

// testSwitchReservedMoneyStays checks that money reserved for a live call
// cannot leave the wallet another way: withdrawals and number charges take
// at most the available balance.
func testSwitchReservedMoneyStays(t *testing.T, open func(n int) []SwitchStore, _ SetStatus) {
	s := open(1)[0]
	ctx := context.Background()
	p, a := mustRatedCustomer(t, s, "reserved", 10_050, r(partnerd.DirectionOutbound, "1", 10000, 60, 60))
	au := mustAuthorize(t, s, outCall("live-1", a.AuthID, "+15551234567"))
	wantAuthorized(t, au, a.AuthID, 6000, 10_000)
	wantWallet(t, "during the call", s, p.ID, a.AuthID, 10_050, 10_000)
	if w, err := s.AccountBalance(ctx, p.ID, a.AuthID); err != nil || w.Balance-w.Reserved != 50 {
		t.Errorf("AccountBalance = %+v, %v; want 50 available", w, err)
	}
	// Another call gets only what is left: 50 pays for no minute.
	wantRefused(t, mustAuthorize(t, s, outCall("live-2", a.AuthID, "+15551234567")), partnerd.ReasonInsufficientBalance)

	_, err := s.Withdraw(ctx, p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: 51})
	wantCode(t, "Withdraw(reserved money)", err, partnerd.ECInsufficientBalance)
	mustNumber(t, s, p.ID, numberA, 100)
	mustNumber(t, s, p.ID, numberB, 50)
	_, err = s.AssignNumber(ctx, p.ID, a.AuthID, numberA)
	wantCode(t, "AssignNumber(paid with reserved money)", err, partnerd.ECInsufficientBalance)
	if n := mustPool(t, s, p.ID)[numberA]; n.Status != partnerd.NumberAvailable {
		t.Errorf("number after a refused assign = %+v, want available", n)
	}
	n, err := s.AssignNumber(ctx, p.ID, a.AuthID, numberB)
	if err != nil {
		t.Fatalf("AssignNumber(the available 50): %v", err)
	}
	wantWallet(t, "after the number", s, p.ID, a.AuthID, 10_000, 10_000)
	// Its renewal cannot take reserved money either: the number is
	// suspended.
	if rep := mustRenew(t, s, n.AssignedAt.AddDate(0, 1, 0)); rep != (partnerd.RenewalReport{Suspended: 1}) {
		t.Errorf("renewal with everything reserved = %+v, want one suspension", rep)
	}
	wantWallet(t, "after the renewal", s, p.ID, a.AuthID, 10_000, 10_000)

	// The call ends: its reservation is released, the rest is available.
	wantCharged(t, mustPostCDRs(t, s, outCDR("live-1", a.AuthID, "+15551234567", 60))[0], 100, "INR")
	wantWallet(t, "after the CDR", s, p.ID, a.AuthID, 9900, 0)
	if _, err := s.Withdraw(ctx, p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: 9900}); err != nil {
		t.Errorf("Withdraw after the CDR: %v", err)
	}
	wantWallet(t, "after the withdrawal", s, p.ID, a.AuthID, 0, 0)
	mustVerify(t, s)
}

// testSwitchRefusals checks each reason authorize refuses a call for.
func testSwitchRefusals(t *testing.T, open func(n int) []SwitchStore, setStatus SetStatus) {
	s := open(1)[0]
	ctx := context.Background()
	p, a := mustRatedCustomer(t, s, "refusals", 10_000,
		r(partnerd.DirectionOutbound, "1", 10000, 60, 60), r(partnerd.DirectionInbound, "9122712642", 3000, 1, 1))
	customer := func(name string, balance int64) *partnerd.Account {
		t.Helper()
		c := mustAccount(t, s, p.ID, name, name+"@refusals.example")
		if balance > 0 {
			if _, err := s.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: c.AuthID, Amount: balance}); err != nil {
				t.Fatal(err)
			}
		}
		return c
	}
	broke := customer("broke", 0)
	suspended := customer("suspended", 10_000)
	closed := customer("closed", 10_000)
	setStatus(t, s, suspended.AuthID, partnerd.StatusSuspended)
	setStatus(t, s, closed.AuthID, partnerd.StatusClosed)

	wantRefused(t, mustAuthorize(t, s, outCall("no-money", broke.AuthID, "+15551234567")), partnerd.ReasonInsufficientBalance)
	wantRefused(t, mustAuthorize(t, s, outCall("suspended", suspended.AuthID, "+15551234567")), partnerd.ReasonAccountSuspended)
	wantRefused(t, mustAuthorize(t, s, outCall("closed", closed.AuthID, "+15551234567")), partnerd.ReasonAccountClosed)
	wantRefused(t, mustAuthorize(t, s, outCall("unknown", "MA_0000dead", "+15551234567")), partnerd.ReasonAccountNotFound)
	wantRefused(t, mustAuthorize(t, s, outCall("no-rate", a.AuthID, "+33155512345")), partnerd.ReasonNoRate)
	// A number the deck has no inbound rate for is no_rate too; an
	// outbound rate does not rate an inbound call.
	inbound := func(uuid, did string) partnerd.AuthorizeInput {
		return partnerd.AuthorizeInput{CallUUID: uuid, Direction: partnerd.DirectionInbound, From: "+15551234567", To: did}
	}
	mustNumber(t, s, p.ID, numberC, 0) // in the pool, not assigned
	wantRefused(t, mustAuthorize(t, s, inbound("did-free", numberC)), partnerd.ReasonNumberNotAssigned)
	wantRefused(t, mustAuthorize(t, s, inbound("did-unknown", "+912271269999")), partnerd.ReasonNumberNotAssigned)
	// A DID whose renewal could not be paid is suspended: its calls are
	// refused even once the customer can pay again.
	renter := customer("renter", 1000)
	mustNumber(t, s, p.ID, numberB, 1000)
	n, err := s.AssignNumber(ctx, p.ID, renter.AuthID, numberB)
	if err != nil {
		t.Fatalf("AssignNumber: %v", err)
	}
	if rep := mustRenew(t, s, n.AssignedAt.AddDate(0, 1, 0)); rep != (partnerd.RenewalReport{Suspended: 1}) {
		t.Fatalf("renewal of an empty wallet = %+v, want one suspension", rep)
	}
	if _, err := s.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: renter.AuthID, Amount: 5000}); err != nil {
		t.Fatal(err)
	}
	wantRefused(t, mustAuthorize(t, s, inbound("did-suspended", numberB)), partnerd.ReasonNumberSuspended)
	// A DID of a customer without a rate for it.
	const unrated = "+912271264399" // outside the inbound prefix
	mustNumber(t, s, p.ID, unrated, 0)
	if _, err := s.AssignNumber(ctx, p.ID, a.AuthID, unrated); err != nil {
		t.Fatalf("AssignNumber: %v", err)
	}
	wantRefused(t, mustAuthorize(t, s, inbound("did-no-rate", unrated)), partnerd.ReasonNoRate)

	// None of the refusals reserved anything.
	for _, c := range []*partnerd.Account{a, broke, suspended, closed, renter} {
		if _, reserved := mustWallet(t, s, p.ID, c.AuthID); reserved != 0 {
			t.Errorf("%s: reserved %d after refusals, want 0", c.Name, reserved)
		}
	}
	// A refusal is the first answer too: the same call, asked again once
	// the customer can pay, is still refused.
	if _, err := s.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: broke.AuthID, Amount: 10_000}); err != nil {
		t.Fatal(err)
	}
	wantRefused(t, mustAuthorize(t, s, outCall("no-money", broke.AuthID, "+15551234567")), partnerd.ReasonInsufficientBalance)
	wantAuthorized(t, mustAuthorize(t, s, outCall("money-now", broke.AuthID, "+15551234567")), broke.AuthID, 6000, 10_000)
	mustVerify(t, s)
}

// testSwitchInboundAndReplay checks an inbound answer (the endpoints to
// ring) and that the same call asked again gets the first answer.
func testSwitchInboundAndReplay(t *testing.T, open func(n int) []SwitchStore, _ SetStatus) {
	s := open(1)[0]
	ctx := context.Background()
	p, a := mustRatedCustomer(t, s, "inbound", 10_000,
		r(partnerd.DirectionOutbound, "1", 10000, 60, 60), r(partnerd.DirectionInbound, "91", 3000, 1, 1))
	mustNumber(t, s, p.ID, numberA, 0)
	if _, err := s.AssignNumber(ctx, p.ID, a.AuthID, numberA); err != nil {
		t.Fatal(err)
	}
	mustSIPEndpoint(t, s, p.ID, a.AuthID, "ring-one")
	gone := mustSIPEndpoint(t, s, p.ID, a.AuthID, "ring-gone")
	mustSIPEndpoint(t, s, p.ID, a.AuthID, "ring-two")
	if err := s.DeleteSIPEndpoint(ctx, p.ID, a.AuthID, gone.ID); err != nil {
		t.Fatalf("DeleteSIPEndpoint: %v", err)
	}
	// Another customer's endpoint is not rung.
	other := mustAccount(t, s, p.ID, "Other", "other@inbound.example")
	mustSIPEndpoint(t, s, p.ID, other.AuthID, "not-mine")

	in := partnerd.AuthorizeInput{CallUUID: "in-1", Direction: partnerd.DirectionInbound, From: "+15551234567", To: numberA}
	au := mustAuthorize(t, s, in)
	// 10,000 at 0.30 a minute pays for more than four hours.
	wantAuthorized(t, au, a.AuthID, partnerd.MaxCallSeconds, 7200)
	got := slices.Sorted(slices.Values(au.SIPUsernames))
	if diff := cmp.Diff([]string{"ring-one", "ring-two"}, got); diff != "" {
		t.Errorf("inbound SIP usernames (-want +got):\n%s", diff)
	}
	// The DID without its "+" (as some switches send it) is the same DID;
	// it gets what is left: 28.00 at 0.30 a minute is 5,600 s.
	noPlus := in
	noPlus.CallUUID, noPlus.To = "in-2", numberA[1:]
	wantAuthorized(t, mustAuthorize(t, s, noPlus), a.AuthID, 5600, 2800)
	wantWallet(t, "with two live calls", s, p.ID, a.AuthID, 10_000, 10_000)
	wantRefused(t, mustAuthorize(t, s, outCall("out-1", a.AuthID, "+15551234567")), partnerd.ReasonInsufficientBalance)

	// The balance changes; the same calls asked again get their first
	// answers, and nothing more is reserved.
	if _, err := s.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: 10_000}); err != nil {
		t.Fatal(err)
	}
	again := mustAuthorize(t, s, in)
	if diff := cmp.Diff(au, again); diff != "" {
		t.Errorf("the same inbound call asked again (-first +again):\n%s", diff)
	}
	wantRefused(t, mustAuthorize(t, s, outCall("out-1", a.AuthID, "+15551234567")), partnerd.ReasonInsufficientBalance)
	wantWallet(t, "after the replays", s, p.ID, a.AuthID, 20_000, 10_000)
	// A new call gets what the new money pays for.
	out := mustAuthorize(t, s, outCall("out-2", a.AuthID, "+15551234567"))
	wantAuthorized(t, out, a.AuthID, 6000, 10_000)
	if out.SIPUsernames != nil {
		t.Errorf("outbound answer SIP usernames = %v, want none", out.SIPUsernames)
	}
	if again := mustAuthorize(t, s, outCall("out-2", a.AuthID, "+15551234567")); !cmp.Equal(out, again) {
		t.Errorf("the same outbound call asked again = %+v, want %+v", again, out)
	}
	wantWallet(t, "with three live calls", s, p.ID, a.AuthID, 20_000, 20_000)
	// Another question under a known call_uuid is not asked again: it
	// gets no answer of another call (a phone that reused a Call-ID).
	_, err := s.Authorize(ctx, outCall("out-2", other.AuthID, "+15551234567"))
	wantCode(t, "Authorize(out-2 for another account)", err, partnerd.ECIdempotencyReused)
	_, err = s.Authorize(ctx, partnerd.AuthorizeInput{CallUUID: "out-2", Direction: partnerd.DirectionInbound, From: "+15551234567", To: numberA})
	wantCode(t, "Authorize(out-2 inbound)", err, partnerd.ECIdempotencyReused)
	wantWallet(t, "after the other questions", s, p.ID, a.AuthID, 20_000, 20_000)
	mustVerify(t, s)
}

// testSwitchRatedAsRecorded charges authorized calls at their authorized
// rate only when the record describes the call that rate priced; a record
// of another destination or direction is rated by the deck.
func testSwitchRatedAsRecorded(t *testing.T, open func(n int) []SwitchStore, _ SetStatus) {
	s := open(1)[0]
	ctx := context.Background()
	const start = 100_000
	p, a := mustRatedCustomer(t, s, "asrecorded", start,
		r(partnerd.DirectionOutbound, "44", 1000, 60, 60), // 0.10 a minute
		r(partnerd.DirectionOutbound, "1", 50000, 60, 60), // 5.00
		r(partnerd.DirectionInbound, "91", 600, 60, 60))   // 0.06
	mustNumber(t, s, p.ID, numberA, 0)
	if _, err := s.AssignNumber(ctx, p.ID, a.AuthID, numberA); err != nil {
		t.Fatal(err)
	}
	for _, q := range []partnerd.AuthorizeInput{
		outCall("dest", a.AuthID, "+447700900123"),
		outCall("locked", a.AuthID, "+447700900124"),
		outCall("same-prefix", a.AuthID, "+447700900125"),
		{CallUUID: "dir", Direction: partnerd.DirectionInbound, From: "+15551234567", To: numberA},
	} {
		if au := mustAuthorize(t, s, q); !au.Authorized {
			t.Fatalf("Authorize(%s) = %+v, want authorized", q.CallUUID, au)
		}
	}
	// The deck changes after the calls were authorized.
	mustReplaceDeck(t, s, p.ID, []partnerd.Rate{
		r(partnerd.DirectionOutbound, "44", 20000, 60, 60), // 2.00 a minute now
		r(partnerd.DirectionOutbound, "1", 50000, 60, 60),
		r(partnerd.DirectionInbound, "91", 600, 60, 60),
	})
	res := mustPostCDRs(t, s,
		// Authorized to the UK at 0.10, recorded to the US: 10 minutes at 5.00.
		outCDR("dest", a.AuthID, "+14155550199", 600),
		// The authorized call: its rate holds though the deck changed.
		outCDR("locked", a.AuthID, "+447700900124", 600),
		// Another number under the authorized rate's prefix: that rate.
		outCDR("same-prefix", a.AuthID, "+447700999999", 60),
		// Authorized inbound to the DID, recorded outbound to the US.
		outCDR("dir", a.AuthID, "+14155550198", 60),
	)
	wantCharged(t, res[0], 5000, "INR")
	wantCharged(t, res[1], 100, "INR")
	wantCharged(t, res[2], 10, "INR")
	wantCharged(t, res[3], 500, "INR")
	// Every reservation is released, whatever the rate charged.
	wantWallet(t, "after the CDRs", s, p.ID, a.AuthID, start-5000-100-10-500, 0)
	mustVerify(t, s)
}

// testSwitchBadCDRs posts a batch of good and bad records: each bad one is
// rejected alone with its reason, its neighbours are charged.
func testSwitchBadCDRs(t *testing.T, open func(n int) []SwitchStore, _ SetStatus) {
	s := open(1)[0]
	ctx := context.Background()
	p, a := mustRatedCustomer(t, s, "badcdrs", 100_000, r(partnerd.DirectionOutbound, "1", 10000, 60, 60))
	b := mustAccount(t, s, p.ID, "Bystander", "bystander@badcdrs.example")
	if _, err := s.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: b.AuthID, Amount: 50_000}); err != nil {
		t.Fatal(err)
	}
	mustNumber(t, s, p.ID, numberC, 0) // in the pool, not assigned
	au := mustAuthorize(t, s, outCall("authorized-a", a.AuthID, "+15551234567"))
	if !au.Authorized {
		t.Fatalf("Authorize = %+v, want authorized", au)
	}
	const to = "+15551234567"
	noUUID := outCDR("", a.AuthID, to, 60)
	endFirst := outCDR("end-first", a.AuthID, to, 0)
	endFirst.EndTime = endFirst.StartTime.Add(-time.Second)
	negDuration := outCDR("neg-duration", a.AuthID, to, 0)
	negDuration.DurationSeconds = -5
	negBillsec := outCDR("neg-billsec", a.AuthID, to, 0)
	negBillsec.Billsec = -1
	long := outCDR("billsec-long", a.AuthID, to, 60)
	long.DurationSeconds = 30
	wrongAccount := outCDR("authorized-a", b.AuthID, to, 60)
	inboundFree := callCDR("did-free", partnerd.DirectionInbound, nil, to, numberC, 60)
	sideways := outCDR("sideways", a.AuthID, to, 60)
	sideways.Direction = "sideways"
	ins := []partnerd.CDRInput{
		outCDR("good-1", a.AuthID, to, 61),
		noUUID, endFirst, negDuration, negBillsec, long,
		outCDR("unknown-account", "MA_0000dead", to, 60),
		wrongAccount, inboundFree, sideways,
		outCDR("good-2", a.AuthID, to, 120),
		// A destination the deck does not price: an answered call cannot
		// be rated; an unanswered attempt bills nothing and is recorded.
		outCDR("unpriced-answered", a.AuthID, "+33155512345", 60),
		outCDR("unpriced-failed", a.AuthID, "+33155512345", 0),
	}
	res, err := s.PostCDRs(ctx, ins, make([]*partnerd.Error, len(ins)))
	if err != nil {
		t.Fatalf("PostCDRs: %v", err)
	}
	if len(res) != len(ins) {
		t.Fatalf("%d results for %d records", len(res), len(ins))
	}
	wantCharged(t, res[0], 200, "INR")
	wantRejected(t, res[1], partnerd.ECValidation, "call_uuid")
	wantRejected(t, res[2], partnerd.ECValidation, "end_time")
	wantRejected(t, res[3], partnerd.ECValidation, "duration_seconds")
	wantRejected(t, res[4], partnerd.ECValidation, "billsec")
	wantRejected(t, res[5], partnerd.ECValidation, "billsec")
	wantRejected(t, res[6], partnerd.ECAccountNotFound, "")
	wantRejected(t, res[7], partnerd.ECValidation, "account_auth_id")
	wantRejected(t, res[8], partnerd.ReasonNumberNotAssigned, "")
	wantRejected(t, res[9], partnerd.ECValidation, "direction")
	wantCharged(t, res[10], 200, "INR")
	wantRejected(t, res[11], partnerd.ECNoRate, "")
	wantCharged(t, res[12], 0, "INR")
	for i, r := range res {
		if r.CallUUID != ins[i].CallUUID {
			t.Errorf("result %d is for %q, want %q", i, r.CallUUID, ins[i].CallUUID)
		}
	}
	// Only the good records were charged; the authorized call's
	// reservation waits for its right record; the bystander paid nothing.
	wantWallet(t, "after the batch", s, p.ID, a.AuthID, 100_000-400, au.Reserved)
	wantWallet(t, "the bystander", s, p.ID, b.AuthID, 50_000, 0)
	if d := callDebits(t, s, p.ID, a.AuthID); len(d) != 2 || d["good-1"] == nil || d["good-2"] == nil {
		t.Errorf("call debits = %v, want good-1 and good-2", d)
	}
	// A rejected record was not stored: sent again, right, it is charged.
	res = mustPostCDRs(t, s, outCDR("authorized-a", a.AuthID, to, 60), outCDR("end-first", a.AuthID, to, 60),
		outCDR("good-1", a.AuthID, to, 61))
	wantCharged(t, res[0], 100, "INR")
	wantCharged(t, res[1], 100, "INR")
	if res[2].Status != partnerd.CDRDuplicate {
		t.Errorf("good-1 again = %+v, want duplicate", res[2])
	}
	wantWallet(t, "after the corrected records", s, p.ID, a.AuthID, 100_000-600, 0)
	// A batch of nothing but bad records changes nothing.
	bad := make([]*partnerd.Error, 2)
	bad[1] = &partnerd.Error{Code: partnerd.ECValidation, Message: "A CDR must be a JSON object."}
	res, err = s.PostCDRs(ctx, []partnerd.CDRInput{noUUID, {}}, bad)
	if err != nil || len(res) != 2 {
		t.Fatalf("PostCDRs(all bad) = %v, %v", res, err)
	}
	wantRejected(t, res[0], partnerd.ECValidation, "call_uuid")
	if res[1].Status != partnerd.CDRRejected || res[1].Err != bad[1] {
		t.Errorf("a record that failed to decode = %+v, want rejected with its decoding error", res[1])
	}
	wantWallet(t, "after a bad batch", s, p.ID, a.AuthID, 100_000-600, 0)

	// A bad record and its corrected version in one batch: the bad one
	// does not reject its neighbour, which is charged once.
	if au := mustAuthorize(t, s, outCall("fixed-in-batch", a.AuthID, to)); !au.Authorized {
		t.Fatalf("Authorize = %+v, want authorized", au)
	}
	res = mustPostCDRs(t, s, outCDR("fixed-in-batch", b.AuthID, to, 60), outCDR("fixed-in-batch", a.AuthID, to, 60),
		outCDR("fixed-in-batch", a.AuthID, to, 60))
	wantRejected(t, res[0], partnerd.ECValidation, "account_auth_id")
	wantCharged(t, res[1], 100, "INR")
	if res[2].Status != partnerd.CDRDuplicate || res[2].Cost != 100 {
		t.Errorf("the corrected record again in its batch = %+v, want duplicate of 100", res[2])
	}
	wantWallet(t, "after the corrected batch", s, p.ID, a.AuthID, 100_000-700, 0)
	wantWallet(t, "the bystander at the end", s, p.ID, b.AuthID, 50_000, 0)
	mustVerify(t, s)
}

// testSwitchConcurrentCDRs posts the same records at once on both
// instances (a switch retrying a post that timed out, on another
// instance): each call is charged once, every other post of it is a
// duplicate, and none fails.
func testSwitchConcurrentCDRs(t *testing.T, open func(n int) []SwitchStore, _ SetStatus) {
	stores := open(2)
	s := stores[0]
	ctx := context.Background()
	p, a := mustRatedCustomer(t, s, "retries", 100_000, r(partnerd.DirectionOutbound, "1", 10000, 60, 60))
	const to = "+15551234567"
	if au := mustAuthorize(t, s, outCall("retry-1", a.AuthID, to)); !au.Authorized {
		t.Fatalf("Authorize = %+v, want authorized", au)
	}
	batch := []partnerd.CDRInput{outCDR("retry-1", a.AuthID, to, 60), outCDR("retry-2", a.AuthID, to, 120), outCDR("retry-3", a.AuthID, to, 180)}
	const posts = 8
	results := make([][]partnerd.CDRResult, posts)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range posts {
		wg.Go(func() {
			<-start
			// Each post in its own order, so that the instances' writes
			// cross.
			ins := slices.Clone(batch)
			if i%2 == 1 {
				slices.Reverse(ins)
			}
			res, err := stores[i%len(stores)].PostCDRs(ctx, ins, make([]*partnerd.Error, len(ins)))
			if err != nil {
				t.Errorf("PostCDRs %d: %v", i, err)
				return
			}
			if i%2 == 1 {
				slices.Reverse(res)
			}
			results[i] = res
		})
	}
	close(start)
	wg.Wait()
	for k, in := range batch {
		charged := 0
		want := int64(100 * (k + 1))
		for i := range results {
			if results[i] == nil {
				continue
			}
			r := results[i][k]
			switch {
			case r.CallUUID != in.CallUUID || r.Cost != want || r.Currency != "INR":
				t.Errorf("post %d: result %+v, want %s costing %d", i, r, in.CallUUID, want)
			case r.Status == partnerd.CDRCharged:
				charged++
			case r.Status != partnerd.CDRDuplicate:
				t.Errorf("post %d: result %+v, want charged or duplicate", i, r)
			}
		}
		if charged != 1 {
			t.Errorf("%s charged by %d posts, want 1", in.CallUUID, charged)
		}
	}
	wantWallet(t, "after the retries", s, p.ID, a.AuthID, 100_000-600, 0)
	if d := callDebits(t, s, p.ID, a.AuthID); len(d) != 3 {
		t.Errorf("%d call debits, want 3", len(d))
	}
	mustVerify(t, s)
}

// testSwitchConcurrentOverruns posts, at once on both instances, records
// of calls that each cost more than the wallet holds (calls the switch
// never asked about, so no reservation orders them): the first takes the
// balance to zero, the others find nothing to take, and none fails.
func testSwitchConcurrentOverruns(t *testing.T, open func(n int) []SwitchStore, _ SetStatus) {
	stores := open(2)
	s := stores[0]
	ctx := context.Background()
	p, a := mustRatedCustomer(t, s, "overruns", 1000, r(partnerd.DirectionOutbound, "1", 10000, 60, 60))
	const posts = 16
	start := make(chan struct{})
	var wg sync.WaitGroup
	results := make([]partnerd.CDRResult, posts)
	for i := range posts {
		wg.Go(func() {
			<-start
			in := outCDR(fmt.Sprintf("overrun-%d", i), a.AuthID, "+15551234567", 1200) // 20 minutes: 20.00
			res, err := stores[i%len(stores)].PostCDRs(ctx, []partnerd.CDRInput{in}, make([]*partnerd.Error, 1))
			if err != nil {
				t.Errorf("PostCDRs %d: %v", i, err)
				return
			}
			results[i] = res[0]
		})
	}
	close(start)
	wg.Wait()
	for i, r := range results {
		if r.Status != partnerd.CDRCharged || r.Cost != 2000 {
			t.Errorf("post %d: %+v, want charged 2000", i, r)
		}
	}
	wantWallet(t, "after the overruns", s, p.ID, a.AuthID, 0, 0)
	var total int64
	for _, e := range callDebits(t, s, p.ID, a.AuthID) {
		total -= e.Amount
	}
	if total != 1000 {
		t.Errorf("the calls were charged %d in all, want the 1000 the wallet held", total)
	}
	mustVerify(t, s)
}

// testSwitchFreeRate checks a free destination: the longest call is
// granted with nothing reserved and its record charges nothing, but a
// customer with an empty wallet is still refused (API.md §5: a zero
// balance gets its calls refused).
func testSwitchFreeRate(t *testing.T, open func(n int) []SwitchStore, _ SetStatus) {
	s := open(1)[0]
	p, a := mustRatedCustomer(t, s, "freecalls", 1, r(partnerd.DirectionOutbound, "1800", 0, 1, 1))
	au := mustAuthorize(t, s, outCall("free-1", a.AuthID, "+18005550100"))
	wantAuthorized(t, au, a.AuthID, partnerd.MaxCallSeconds, 0)
	wantWallet(t, "during a free call", s, p.ID, a.AuthID, 1, 0)
	wantCharged(t, mustPostCDRs(t, s, outCDR("free-1", a.AuthID, "+18005550100", 3600))[0], 0, "INR")
	wantWallet(t, "after a free call", s, p.ID, a.AuthID, 1, 0)
	if d := callDebits(t, s, p.ID, a.AuthID); len(d) != 0 {
		t.Errorf("call debits after a free call = %v, want none", d)
	}
	broke := mustAccount(t, s, p.ID, "Broke", "broke@freecalls.example")
	wantRefused(t, mustAuthorize(t, s, outCall("free-2", broke.AuthID, "+18005550100")), partnerd.ReasonInsufficientBalance)
	mustVerify(t, s)
}
