package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/partnerd/partnerd"
)

// AlertStore is what a backend must implement for the low-balance and
// auto top-up suite (API.md §8).
type AlertStore interface {
	EventStore
	partnerd.AutoTopupService
	RunAutoTopups(ctx context.Context, now time.Time) (int, error)
}

// RunAlerts runs the low-balance and auto top-up suite. open returns n
// stores on one new, empty database.
func RunAlerts(t *testing.T, open func(t *testing.T, n int) []AlertStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open func(n int) []AlertStore)
	}{
		{"LowBalanceHysteresis", testLowBalanceHysteresis},
		{"LowBalanceFromCDRBatch", testLowBalanceFromCDRs},
		{"TopupOncePerCrossing", testTopupOnce},
		{"TopupSettingsOnAnotherInstance", testTopupSettingsElsewhere},
		{"TopupCapsAcrossLocalDay", testTopupCapsLocalDay},
		{"TopupPartnerShort", testTopupPartnerShort},
		{"TopupCapsUnderConcurrency", testTopupCapsConcurrent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, func(n int) []AlertStore { return open(t, n) })
		})
	}
}

// countEvents counts the account's events of each type.
func countEvents(t *testing.T, s AlertStore, partnerID, authID string) map[string]int {
	t.Helper()
	out := map[string]int{}
	es := allEvents(t, s, partnerID, partnerd.EventFilter{Account: authID})
	wantSequences(t, es)
	for _, e := range es {
		out[e.Type]++
	}
	return out
}

func wantCounts(t *testing.T, what string, got map[string]int, want map[string]int) {
	t.Helper()
	for typ, n := range want {
		if got[typ] != n {
			t.Errorf("%s: %d %s events, want %d (all: %v)", what, got[typ], typ, n, got)
		}
	}
}

// move transfers (amount > 0) or withdraws (amount < 0) in major units × 100.
func move(t *testing.T, s AlertStore, partnerID, authID string, amount int64) {
	t.Helper()
	var err error
	if amount > 0 {
		_, err = s.Transfer(context.Background(), partnerID, partnerd.TransferInput{AuthID: authID, Amount: amount})
	} else {
		_, err = s.Withdraw(context.Background(), partnerID, partnerd.TransferInput{AuthID: authID, Amount: -amount})
	}
	if err != nil {
		t.Fatalf("move %d: %v", amount, err)
	}
}

// testLowBalanceHysteresis moves a balance around the default threshold
// (100.00): balance.low fires once per fall below it, re-armed only above
// 110.00; balance.depleted once at zero.
func testLowBalanceHysteresis(t *testing.T, open func(n int) []AlertStore) {
	s := open(1)[0]
	p, a := mustFundedCustomer(t, s, "hysteresis", 1_000_000)
	low := func() int { return countEvents(t, s, p.ID, a.AuthID)[partnerd.EventBalanceLow] }
	for _, step := range []struct {
		amount int64
		low    int
	}{
		{15000, 0},  // 150.00
		{-6000, 1},  // 90.00: below 100.00
		{-500, 1},   // 85.00
		{2000, 1},   // 105.00: above the threshold, not above 110.00
		{-1000, 1},  // 95.00: not re-armed
		{1600, 1},   // 111.00: re-armed
		{-1000, 1},  // 101.00
		{-200, 2},   // 99.00: fires again
		{-9900, 2},  // 0.00: depleted
		{10000, 2},  // 100.00
		{-10000, 2}, // 0.00 again, not re-armed
	} {
		move(t, s, p.ID, a.AuthID, step.amount)
		if got := low(); got != step.low {
			t.Fatalf("after moving %d: %d balance.low events, want %d", step.amount, got, step.low)
		}
	}
	wantCounts(t, "hysteresis", countEvents(t, s, p.ID, a.AuthID), map[string]int{partnerd.EventBalanceDepleted: 1})
	es := allEvents(t, s, p.ID, partnerd.EventFilter{Type: partnerd.EventBalanceLow, Account: a.AuthID})
	if d := dataOf(t, es[0]); d["balance"] != 90.0 || d["threshold"] != 100.0 || d["currency"] != "INR" {
		t.Errorf("balance.low data = %v", d)
	}
	mustVerify(t, s)
}

// testLowBalanceFromCDRs crosses the threshold and zero with one batch of
// call records: one balance.low and one balance.depleted.
func testLowBalanceFromCDRs(t *testing.T, open func(n int) []AlertStore) {
	s := open(1)[0]
	p, a := mustRatedCustomer(t, s, "cdralerts", 15000, r(partnerd.DirectionOutbound, "1", 600000, 60, 60))
	var batch []partnerd.CDRInput
	for i := range 4 {
		batch = append(batch, outCDR(fmt.Sprintf("alert-%d", i), a.AuthID, "+15551234567", 60)) // 60.00 each (rates have 4 decimals)
	}
	mustPostCDRs(t, s, batch...)
	wantCounts(t, "first batch", countEvents(t, s, p.ID, a.AuthID), map[string]int{partnerd.EventBalanceLow: 1, partnerd.EventBalanceDepleted: 1})
	// Funded a little (not above the re-arm level) and spent again: nothing new.
	move(t, s, p.ID, a.AuthID, 5000)
	mustPostCDRs(t, s, outCDR("alert-again", a.AuthID, "+15551234567", 60))
	wantCounts(t, "second batch", countEvents(t, s, p.ID, a.AuthID), map[string]int{partnerd.EventBalanceLow: 1, partnerd.EventBalanceDepleted: 1})
	mustVerify(t, s)
}

// topupSettings are the suite's settings: below 100.00, up to 500.00.
func topupSettings(perDay, perMonth int64, count int) partnerd.AutoTopupInput {
	return partnerd.AutoTopupInput{Enabled: true, Threshold: 10000, TargetBalance: 50000, MaxPerDay: perDay, MaxPerMonth: perMonth, MaxCountPerDay: count}
}

func mustSetTopup(t *testing.T, s AlertStore, partnerID, authID string, in partnerd.AutoTopupInput) {
	t.Helper()
	if _, err := s.SetAutoTopup(context.Background(), partnerID, authID, in); err != nil {
		t.Fatalf("SetAutoTopup: %v", err)
	}
}

func mustRunTopups(t *testing.T, s AlertStore, now time.Time) int {
	t.Helper()
	n, err := s.RunAutoTopups(context.Background(), now)
	if err != nil {
		t.Fatalf("RunAutoTopups: %v", err)
	}
	return n
}

// testTopupOnce crosses the threshold with a batch of call records and
// runs the top-up on three instances at once: one transfer to 500.00.
func testTopupOnce(t *testing.T, open func(n int) []AlertStore) {
	stores := open(3)
	s := stores[0]
	p, a := mustRatedCustomer(t, s, "topuponce", 15000, r(partnerd.DirectionOutbound, "1", 600000, 60, 60))
	mustSetTopup(t, s, p.ID, a.AuthID, topupSettings(1_000_000, 10_000_000, 10))
	mustPostCDRs(t, s, outCDR("once-1", a.AuthID, "+15551234567", 60), outCDR("once-2", a.AuthID, "+15551234567", 60))
	now := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	made := 0
	for _, st := range stores {
		for range 3 {
			wg.Go(func() {
				n, err := st.RunAutoTopups(context.Background(), now)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				made += n
				mu.Unlock()
			})
		}
	}
	wg.Wait()
	if made != 1 {
		t.Fatalf("%d top-ups for one crossing, want 1", made)
	}
	if b := mustCustomerBalance(t, s, p.ID, a.AuthID); b != 50000 {
		t.Errorf("balance after the top-up = %d, want 50000", b)
	}
	entries, _, err := s.AccountEntries(context.Background(), p.ID, a.AuthID, partnerd.EntryFilter{Page: partnerd.Page{Page: 1, Size: 1}})
	if err != nil || len(entries) != 1 || entries[0].Type != partnerd.TxRecharge || entries[0].InitiatedBy != partnerd.InitiatedByAutoTopup ||
		entries[0].Amount != 50000-3000 || entries[0].Reference == nil {
		t.Errorf("newest entry = %+v, %v; want the auto top-up of 470.00", entries, err)
	}
	wantCounts(t, "once", countEvents(t, s, p.ID, a.AuthID), map[string]int{partnerd.EventAutoTopupSucceeded: 1, partnerd.EventAutoTopupFailed: 0})
	if n := mustRunTopups(t, stores[1], now); n != 0 {
		t.Errorf("a later run made %d more top-ups", n)
	}
	got, err := s.AutoTopup(context.Background(), p.ID, a.AuthID)
	if err != nil || got.UsedToday != 47000 || got.CountToday != 1 || got.UsedThisMonth != 47000 {
		t.Errorf("AutoTopup = %+v, %v; want 470.00 used once", got, err)
	}
	mustVerify(t, s)
}

// testTopupSettingsElsewhere turns auto top-up on through one instance
// and, as soon as that is answered, withdraws below its threshold through
// another, which had just read the account's settings (auto top-up off):
// the crossing is recorded and topped up.
func testTopupSettingsElsewhere(t *testing.T, open func(n int) []AlertStore) {
	stores := open(2)
	p, a := mustFundedCustomer(t, stores[0], "topupelsewhere", 1_000_000)
	move(t, stores[1], p.ID, a.AuthID, 50000) // the second instance reads the settings
	mustSetTopup(t, stores[0], p.ID, a.AuthID, topupSettings(1_000_000, 10_000_000, 10))
	move(t, stores[1], p.ID, a.AuthID, -45000) // 50.00: below 100.00
	if n := mustRunTopups(t, stores[0], time.Now()); n != 1 {
		t.Errorf("%d top-ups after the crossing, want 1", n)
	}
	if b := mustCustomerBalance(t, stores[0], p.ID, a.AuthID); b != 50000 {
		t.Errorf("balance = %d, want 50000 (topped up to 500.00)", b)
	}
	mustVerify(t, stores[0])
}

// testTopupCapsLocalDay allows one top-up a day in Asia/Kolkata: the
// second crossing fails (once) until the partner's day rolls over, which
// is at 18:30 UTC.
func testTopupCapsLocalDay(t *testing.T, open func(n int) []AlertStore) {
	s := open(1)[0]
	p, a := mustFundedCustomer(t, s, "topupday", 10_000_000)
	tz := "Asia/Kolkata"
	if _, err := s.SetPartner(context.Background(), p.ID, partnerd.PartnerSettings{Timezone: &tz}); err != nil {
		t.Fatal(err)
	}
	mustSetTopup(t, s, p.ID, a.AuthID, topupSettings(1_000_000, 10_000_000, 1))
	day := time.Date(2026, 3, 25, 0, 0, 0, 0, time.UTC)
	move(t, s, p.ID, a.AuthID, 15000)
	move(t, s, p.ID, a.AuthID, -10000) // 50.00: crossing 1
	if n := mustRunTopups(t, s, day.Add(12*time.Hour)); n != 1 {
		t.Fatalf("first crossing: %d top-ups", n)
	}
	move(t, s, p.ID, a.AuthID, -46000) // 40.00: crossing 2
	for _, at := range []time.Time{day.Add(13 * time.Hour), day.Add(18*time.Hour + 29*time.Minute)} {
		if n := mustRunTopups(t, s, at); n != 0 {
			t.Fatalf("second crossing on the same local day (%s): %d top-ups", at, n)
		}
	}
	fails := allEvents(t, s, p.ID, partnerd.EventFilter{Type: partnerd.EventAutoTopupFailed})
	if len(fails) != 1 || dataOf(t, fails[0])["reason"] != partnerd.TopupDailyCount {
		t.Fatalf("auto_topup.failed events = %d, want 1 with daily_count", len(fails))
	}
	// 18:31 UTC is the next day in Kolkata (UTC+5:30), still the same in UTC.
	if n := mustRunTopups(t, s, day.Add(18*time.Hour+31*time.Minute)); n != 1 {
		t.Fatalf("after the local day rolled over: %d top-ups, want 1", n)
	}
	if b := mustCustomerBalance(t, s, p.ID, a.AuthID); b != 50000 {
		t.Errorf("balance = %d, want 50000", b)
	}
	// A daily amount cap: 600.00 a day, and a third crossing would take
	// 470.00 more on the same local day.
	mustSetTopup(t, s, p.ID, a.AuthID, topupSettings(60000, 10_000_000, 5))
	move(t, s, p.ID, a.AuthID, -47000) // 30.00: crossing 3
	if n := mustRunTopups(t, s, day.Add(20*time.Hour)); n != 0 {
		t.Fatalf("past the daily cap: %d top-ups", n)
	}
	fails = allEvents(t, s, p.ID, partnerd.EventFilter{Type: partnerd.EventAutoTopupFailed})
	if len(fails) != 2 || dataOf(t, fails[1])["reason"] != partnerd.TopupDailyCap {
		t.Fatalf("auto_topup.failed events = %d, want a second with daily_cap", len(fails))
	}
	mustVerify(t, s)
}

// testTopupPartnerShort gets one auto_topup.failed however often it is
// tried while the partner cannot pay, and the top-up once it is funded.
func testTopupPartnerShort(t *testing.T, open func(n int) []AlertStore) {
	s := open(1)[0]
	p, a := mustFundedCustomer(t, s, "topupshort", 20000)
	mustSetTopup(t, s, p.ID, a.AuthID, topupSettings(1_000_000, 10_000_000, 10))
	move(t, s, p.ID, a.AuthID, 15000)  // partner keeps 50.00
	move(t, s, p.ID, a.AuthID, -10000) // 50.00, partner 150.00: short of 450.00
	now := time.Now()
	for range 3 {
		if n := mustRunTopups(t, s, now); n != 0 {
			t.Fatalf("a short partner topped up %d", n)
		}
	}
	fails := allEvents(t, s, p.ID, partnerd.EventFilter{Type: partnerd.EventAutoTopupFailed})
	if len(fails) != 1 || dataOf(t, fails[0])["reason"] != partnerd.TopupPartnerInsufficient {
		t.Fatalf("auto_topup.failed events = %d, want 1 with partner_insufficient_balance", len(fails))
	}
	if _, err := s.FundPartner(context.Background(), p.ID, 1_000_000, nil); err != nil {
		t.Fatal(err)
	}
	if n := mustRunTopups(t, s, now); n != 1 {
		t.Fatalf("funded partner: %d top-ups, want 1", n)
	}
	if b := mustCustomerBalance(t, s, p.ID, a.AuthID); b != 50000 {
		t.Errorf("balance = %d, want 50000", b)
	}
	mustVerify(t, s)
}

// testTopupCapsConcurrent debits a customer across the threshold again
// and again from three instances while all three run top-ups: the day's
// count and amount never pass the caps.
func testTopupCapsConcurrent(t *testing.T, open func(n int) []AlertStore) {
	stores := open(3)
	p, a := mustFundedCustomer(t, stores[0], "topupburst", 100_000_000)
	const perDay, count = 200000, 3
	mustSetTopup(t, stores[0], p.ID, a.AuthID, topupSettings(perDay, 10_000_000, count))
	move(t, stores[0], p.ID, a.AuthID, 50000)
	now := time.Now()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for _, s := range stores {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := s.RunAutoTopups(context.Background(), now); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	var debits sync.WaitGroup
	for i, s := range stores {
		debits.Go(func() {
			for j := range 15 {
				// Withdraw down towards the threshold; refused when too little is left.
				_, err := s.Withdraw(context.Background(), p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: int64(15000 + 10*i + j)})
				if err != nil && partnerd.ErrorCode(err) != partnerd.ECInsufficientBalance {
					t.Error(err)
				}
			}
		})
	}
	debits.Wait()
	close(stop)
	wg.Wait()
	mustRunTopups(t, stores[0], now)
	got, err := stores[1].AutoTopup(context.Background(), p.ID, a.AuthID)
	if err != nil {
		t.Fatal(err)
	}
	if got.CountToday > count || got.UsedToday > perDay || got.CountToday == 0 {
		t.Errorf("today: %d top-ups of %d in all; caps %d and %d", got.CountToday, got.UsedToday, count, perDay)
	}
	succeeded := allEvents(t, stores[2], p.ID, partnerd.EventFilter{Type: partnerd.EventAutoTopupSucceeded})
	if len(succeeded) != got.CountToday {
		t.Errorf("%d auto_topup.succeeded events, %d top-ups", len(succeeded), got.CountToday)
	}
	mustVerify(t, stores[0])
}
