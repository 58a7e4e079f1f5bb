package sqlstore_test

import (
	stdcmp "cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

// The dashboard and analytics read aggregates maintained as calls and rent
// are charged; these tests recompute them by brute force from the CDR and
// ledger rows after a random mix of calls, duplicates, overruns,
// transfers and renewals around a month boundary in a time zone whose
// midnight is not UTC's.

func TestOverviewSQLite(t *testing.T) {
	t.Parallel()
	checkOverview(t, mustOpen(t, filepath.Join(t.TempDir(), "p.db"), testKey(t)))
}

func TestOverviewPostgres(t *testing.T) {
	t.Parallel()
	checkOverview(t, mustOpenPostgres(t))
}

// row is what the brute force reads of one CDR.
type overviewCDR struct {
	authID, direction string
	from, to, uuid    string
	start, charged    time.Time
	billsec, duration int
	cause             *string
	cost, unbilled    int64
}

func checkOverview(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	kolkata, _ := time.LoadLocation("Asia/Kolkata")
	// 2026-03-01 02:00 in Kolkata: 2026-02-28 20:30 UTC. The local month
	// has begun; the UTC one has not.
	var clock atomic.Pointer[time.Time]
	set := func(t time.Time) { clock.Store(&t) }
	set(time.Date(2026, 1, 20, 12, 0, 0, 0, time.UTC))
	db.Now = func() time.Time { return *clock.Load() }

	tz := "Asia/Kolkata"
	p, _, err := db.CreatePartner(ctx, partnerd.PartnerInput{Name: "Overview", Email: fmt.Sprintf("ops-%d@overview.example", rand.Int())})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SetPartner(ctx, p.ID, partnerd.PartnerSettings{Timezone: &tz}); err != nil {
		t.Fatal(err)
	}
	other, _, err := db.CreatePartner(ctx, partnerd.PartnerInput{Name: "Other", Email: fmt.Sprintf("ops-%d@other.example", rand.Int())})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.FundPartner(ctx, p.ID, 100_000_00, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := db.FundPartner(ctx, other.ID, 100_000_00, nil); err != nil {
		t.Fatal(err)
	}
	deck := []partnerd.Rate{
		{Direction: partnerd.DirectionOutbound, Prefix: "1", PerMinute: 4500, InitialIncrement: 1, SubsequentIncrement: 1},
		{Direction: partnerd.DirectionOutbound, Prefix: "44", PerMinute: 12000, InitialIncrement: 60, SubsequentIncrement: 60},
		{Direction: partnerd.DirectionInbound, Prefix: "91", PerMinute: 500, InitialIncrement: 30, SubsequentIncrement: 6},
	}
	for _, pid := range []string{p.ID, other.ID} {
		if err := db.ReplaceRateDeck(ctx, pid, deck); err != nil {
			t.Fatal(err)
		}
	}
	type customer struct {
		authID, did string
		partner     string
	}
	var customers []customer
	for i := range 6 {
		pid := p.ID
		if i == 5 {
			pid = other.ID // its calls must never count
		}
		a, err := db.CreateAccount(ctx, pid, partnerd.AccountInput{Name: fmt.Sprintf("Customer %d", i),
			Email: fmt.Sprintf("c%d-%d@overview.example", i, rand.Int()), Password: "SecurePass@123", Phone: "9431538535", Country: "IN"})
		if err != nil {
			t.Fatal(err)
		}
		// Customer 0 gets little, to run out and leave calls unbilled.
		amount := int64(2_000_00)
		if i == 0 {
			amount = 3_00
		}
		if _, err := db.Transfer(ctx, pid, partnerd.TransferInput{AuthID: a.AuthID, Amount: amount}); err != nil {
			t.Fatal(err)
		}
		did := fmt.Sprintf("+9122712642%02d", i)
		if _, err := db.AddNumber(ctx, pid, partnerd.NumberInput{Number: did, Type: "local", MonthlyCost: 1_50}); err != nil {
			t.Fatal(err)
		}
		if i != 0 {
			if _, err := db.AssignNumber(ctx, pid, a.AuthID, did); err != nil {
				t.Fatal(err)
			}
		}
		customers = append(customers, customer{a.AuthID, did, pid})
	}

	rng := rand.New(rand.NewPCG(1, 2))
	causes := []string{"NORMAL_CLEARING", "NO_ANSWER", "USER_BUSY", "CALL_REJECTED"}
	var posted []partnerd.CDRInput
	for step := range 40 {
		// The clock walks from Jan 20 to Mar 1, 02:00 Kolkata.
		now := time.Date(2026, 1, 20, 12, 0, 0, 0, time.UTC).Add(time.Duration(step) * 25 * time.Hour)
		if step == 39 {
			now = time.Date(2026, 2, 28, 20, 30, 0, 0, time.UTC)
		}
		set(now)
		var batch []partnerd.CDRInput
		for range 1 + rng.IntN(6) {
			c := customers[rng.IntN(len(customers))]
			cause := causes[rng.IntN(len(causes))]
			billsec := 0
			if cause == "NORMAL_CLEARING" && rng.IntN(5) > 0 || rng.IntN(8) == 0 {
				// Now and then a busy or unanswered call with billed
				// seconds too, which makes it answered.
				billsec = 1 + rng.IntN(900)
			}
			start := now.Add(-time.Duration(rng.IntN(6*3600)) * time.Second)
			in := partnerd.CDRInput{CallUUID: fmt.Sprintf("ov-%d-%d", step, len(posted)), Direction: partnerd.DirectionOutbound,
				AccountAuthID: &c.authID, FromNumber: "+919876543210", ToNumber: []string{"+14155550100", "+442071234567"}[rng.IntN(2)],
				StartTime: start, EndTime: start.Add(time.Duration(billsec+3) * time.Second), DurationSeconds: billsec + 3,
				Billsec: billsec, HangupCause: &cause}
			if c.authID != customers[0].authID && rng.IntN(3) == 0 {
				in.Direction, in.AccountAuthID, in.FromNumber, in.ToNumber = partnerd.DirectionInbound, nil, "+14155550100", c.did
			}
			if billsec > 0 {
				answer := start.Add(3 * time.Second)
				in.AnswerTime = &answer
			}
			batch = append(batch, in)
			posted = append(posted, in)
		}
		if step == 39 {
			// Calls that started on the last local day of February and
			// are charged on the first of March: counted in February,
			// their money spent in March.
			for k := range 3 {
				start := now.Add(-3 * time.Hour)
				answer := start.Add(2 * time.Second)
				cause := "NORMAL_CLEARING"
				in := partnerd.CDRInput{CallUUID: fmt.Sprintf("ov-eve-%d", k), Direction: partnerd.DirectionOutbound,
					AccountAuthID: &customers[1].authID, FromNumber: "+919876543210", ToNumber: "+14155550100",
					StartTime: start, AnswerTime: &answer, EndTime: start.Add(122 * time.Second), DurationSeconds: 122,
					Billsec: 120, HangupCause: &cause}
				batch = append(batch, in)
				posted = append(posted, in)
			}
		}
		if step == 39 {
			// A call whose caller and callee both hold a term ("555"),
			// and one whose call_uuid alone holds it: a search's total
			// counts each once (searchCount).
			start := now.Add(-2 * time.Hour)
			cause := "NO_ANSWER"
			for k, n := range [][2]string{{"+14155550123", "+14155550100"}, {"+919876543210", "+442071234567"}} {
				batch = append(batch, partnerd.CDRInput{CallUUID: fmt.Sprintf("ov-x555-%d", k), Direction: partnerd.DirectionOutbound,
					AccountAuthID: &customers[1].authID, FromNumber: n[0], ToNumber: n[1], StartTime: start, EndTime: start.Add(9 * time.Second),
					DurationSeconds: 9, HangupCause: &cause})
				posted = append(posted, batch[len(batch)-1])
			}
		}
		if step%6 == 5 {
			// A CDR days late: its day is in the usage snapshots already.
			start := now.Add(-time.Duration(2+rng.IntN(4)) * 24 * time.Hour)
			answer := start.Add(2 * time.Second)
			cause := "NORMAL_CLEARING"
			in := partnerd.CDRInput{CallUUID: fmt.Sprintf("ov-late-%d", step), Direction: partnerd.DirectionOutbound,
				AccountAuthID: &customers[2+rng.IntN(3)].authID, FromNumber: "+919876543210", ToNumber: "+14155550100",
				StartTime: start, AnswerTime: &answer, EndTime: start.Add(62 * time.Second), DurationSeconds: 62,
				Billsec: 60, HangupCause: &cause}
			batch = append(batch, in)
			posted = append(posted, in)
		}
		if len(posted) > 3 && rng.IntN(3) == 0 {
			batch = append(batch, posted[rng.IntN(len(posted)-1)]) // a duplicate changes nothing
		}
		res, err := db.PostCDRs(ctx, batch, make([]*partnerd.Error, len(batch)))
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range res {
			if r.Status == partnerd.CDRRejected {
				t.Fatalf("CDR %s rejected: %v", batch[i].CallUUID, r.Err)
			}
		}
		if step%7 == 0 {
			c := customers[1+rng.IntN(4)]
			if _, err := db.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: c.authID, Amount: 5_00}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.RenewNumbers(ctx, now); err != nil {
			t.Fatal(err)
		}
		if step%4 == 0 {
			if _, err := db.SnapshotUsage(ctx, now); err != nil {
				t.Fatal(err)
			}
		}
	}
	now := *clock.Load()
	// The dashboard's customer figures by status: a suspended customer
	// under the low-balance threshold (not counted low: only active ones
	// are), and a closed one.
	for i, status := range []string{partnerd.StatusSuspended, partnerd.StatusClosed} {
		a, err := db.CreateAccount(ctx, p.ID, partnerd.AccountInput{Name: "Customer " + status,
			Email: fmt.Sprintf("%s-%d@overview.example", status, rand.Int()), Password: "SecurePass@123", Phone: "9431538535", Country: "IN"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: int64(50_00 + i)}); err != nil {
			t.Fatal(err)
		}
		if status == partnerd.StatusSuspended {
			_, err = db.SuspendAccount(ctx, p.ID, a.AuthID, partnerd.SuspendInput{})
		} else {
			_, err = db.CloseAccount(ctx, p.ID, a.AuthID)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, zone := range []string{"Asia/Kolkata", "UTC"} {
		if zone == "UTC" {
			// A new zone recounts every day.
			if _, err := db.SetPartner(ctx, p.ID, partnerd.PartnerSettings{Timezone: &zone}); err != nil {
				t.Fatal(err)
			}
		}
		loc := kolkata
		if zone == "UTC" {
			loc = time.UTC
		}
		cdrs, rent := bruteForceRows(t, db, p.ID)
		want := bruteDashboard(t, db, p.ID, cdrs, rent, now, loc)
		got, err := db.Dashboard(ctx, p.ID, now)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: dashboard (-brute force +aggregates):\n%s", zone, diff)
		}
		if got.CallsThisMonth == 0 || got.SpendThisMonth == 0 || got.AccountsSuspended == 0 || got.AccountsLowBalance == 0 {
			t.Errorf("%s: nothing this month, or no suspended or low customer: %+v (the test must cover them)", zone, got)
		}
		checkCDRCounts(t, db, p.ID, cdrs, now, loc)
		// Analytics sums the days of a span, or subtracts two usage
		// snapshots: before the sweep has snapshotted the days in this
		// zone, and after it.
		for _, snapshots := range []string{"as left", "after the sweep"} {
			if snapshots == "after the sweep" {
				if n, err := db.SnapshotUsage(ctx, now); err != nil || (zone == "UTC" && n == 0) {
					t.Fatalf("SnapshotUsage: %d, %v (the new zone has none yet)", n, err)
				}
			}
			for _, span := range [][2]int{{-29, 0}, {-40, -1}, {0, 0}, {-3, -3}, {-12, -2}} {
				today := partnerd.DayIn(now.In(loc), loc)
				from, to := today.AddDate(0, 0, span[0]), today.AddDate(0, 0, span[1])
				want := bruteAnalytics(t, db, p.ID, cdrs, from, to, loc)
				got, err := db.Analytics(ctx, p.ID, from, to)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s, snapshots %s: analytics %s..%s (-brute force +aggregates):\n%s", zone, snapshots,
						from.Format(time.DateOnly), to.Format(time.DateOnly), diff)
				}
			}
		}
	}
}

// bruteForceRows reads the partner's CDRs and its customers' rent
// charges (the time and amount of each) straight from their tables.
func bruteForceRows(t *testing.T, db *sqlstore.DB, partnerID string) ([]overviewCDR, map[time.Time]int64) {
	t.Helper()
	rows, err := db.ReadDB().Query(db.Rebind(`SELECT account_auth_id, direction, from_number, to_number, call_uuid, start_time, created_at,
		billsec, duration_seconds, hangup_cause, cost, unbilled_amount FROM cdrs WHERE partner_id = ?`), partnerID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []overviewCDR
	for rows.Next() {
		var c overviewCDR
		var start, charged int64
		if err := rows.Scan(&c.authID, &c.direction, &c.from, &c.to, &c.uuid, &start, &charged, &c.billsec, &c.duration, &c.cause,
			&c.cost, &c.unbilled); err != nil {
			t.Fatal(err)
		}
		c.start, c.charged = time.Unix(start, 0), time.Unix(charged, 0)
		out = append(out, c)
	}
	rent := map[time.Time]int64{}
	rrows, err := db.ReadDB().Query(db.Rebind(`SELECT e.created_at, -e.amount FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.transaction_id
		WHERE e.partner_id = ? AND e.wallet_kind = 'customer' AND t.kind = 'number_rental'`), partnerID)
	if err != nil {
		t.Fatal(err)
	}
	defer rrows.Close()
	for rrows.Next() {
		var at, amount int64
		if err := rrows.Scan(&at, &amount); err != nil {
			t.Fatal(err)
		}
		rent[time.Unix(at, 0)] += amount
	}
	return out, rent
}

func sameDay(a, b time.Time, loc *time.Location) bool {
	return partnerd.LocalDay(a, loc) == partnerd.LocalDay(b, loc)
}

func sameMonth(a, b time.Time, loc *time.Location) bool {
	ay, am, _ := a.In(loc).Date()
	by, bm, _ := b.In(loc).Date()
	return ay == by && am == bm
}

func bruteDashboard(t *testing.T, db *sqlstore.DB, partnerID string, cdrs []overviewCDR, rent map[time.Time]int64, now time.Time, loc *time.Location) *partnerd.Dashboard {
	t.Helper()
	p, err := db.Partner(context.Background(), partnerID)
	if err != nil {
		t.Fatal(err)
	}
	today := partnerd.DayIn(now.In(loc), loc)
	d := &partnerd.Dashboard{Currency: p.Currency, Today: today, MonthStarted: time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, loc)}
	accounts, _, err := db.ListAccounts(context.Background(), partnerID, partnerd.AccountFilter{Page: partnerd.Page{Page: 1, Size: 100}})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range accounts {
		d.TotalBalance += a.Balance
		switch a.Status {
		case partnerd.StatusActive:
			d.ActiveAccounts++
			if a.Balance < p.LowBalance {
				d.AccountsLowBalance++
			}
		case partnerd.StatusSuspended:
			d.AccountsSuspended++
		}
	}
	for _, c := range cdrs {
		if sameDay(c.start, now, loc) {
			d.CallsToday++
		}
		if sameMonth(c.start, now, loc) {
			d.CallsThisMonth++
		}
		if sameMonth(c.charged, now, loc) {
			d.SpendThisMonth += c.cost - c.unbilled
		}
	}
	for at, amount := range rent {
		if sameMonth(at, now, loc) {
			d.SpendThisMonth += amount
		}
	}
	return d
}

func bruteAnalytics(t *testing.T, db *sqlstore.DB, partnerID string, cdrs []overviewCDR, from, to time.Time, loc *time.Location) *partnerd.Analytics {
	t.Helper()
	a := &partnerd.Analytics{From: from, To: to, Currency: "INR", ByDirection: map[string]partnerd.CallTotals{}, TopCustomers: []partnerd.TopCustomer{}}
	first, last := partnerd.LocalDay(from, loc), partnerd.LocalDay(to, loc)
	per := map[string]*partnerd.TopCustomer{}
	for _, c := range cdrs {
		day := partnerd.LocalDay(c.start, loc)
		if day < first || day > last {
			continue
		}
		d := a.ByDirection[c.direction]
		for _, tot := range []*partnerd.CallTotals{&a.Totals, &d} {
			tot.Calls++
			switch partnerd.CallStatus(c.billsec, c.cause) {
			case partnerd.CallAnswered:
				tot.Answered++
			case partnerd.CallFailed:
				tot.Failed++
			}
			tot.DurationSeconds += int64(c.duration)
			tot.Cost += c.cost
		}
		a.ByDirection[c.direction] = d
		if per[c.authID] == nil {
			acct, err := db.Account(context.Background(), partnerID, c.authID)
			name := ""
			if err == nil {
				name = acct.Name
			}
			per[c.authID] = &partnerd.TopCustomer{AuthID: c.authID, Name: name}
		}
		per[c.authID].Calls++
		per[c.authID].Cost += c.cost
	}
	for _, c := range per {
		a.TopCustomers = append(a.TopCustomers, *c)
	}
	slices.SortFunc(a.TopCustomers, func(x, y partnerd.TopCustomer) int {
		switch {
		case x.Cost != y.Cost:
			return -stdcmp.Compare(x.Cost, y.Cost)
		case x.Calls != y.Calls:
			return -stdcmp.Compare(x.Calls, y.Calls)
		}
		return stdcmp.Compare(x.AuthID, y.AuthID)
	})
	if len(a.TopCustomers) > partnerd.MaxTopCustomers {
		a.TopCustomers = a.TopCustomers[:partnerd.MaxTopCustomers]
	}
	return a
}

// checkCDRCounts compares the totals of the partner's CDR lists, which
// sum usage counts for whole days (cdrcount.go), and the rows they list
// (searches use a trigram index), with a count over the CDR rows, for
// every filter the counts answer, combinations they do not, and spans
// across the day and month boundaries of the partner's zone.
func checkCDRCounts(t *testing.T, db *sqlstore.DB, partnerID string, cdrs []overviewCDR, now time.Time, loc *time.Location) {
	t.Helper()
	ctx := context.Background()
	day := func(d int) *string {
		s := partnerd.DayIn(now.In(loc), loc).AddDate(0, 0, d).Format(time.DateOnly)
		return &s
	}
	str := func(s string) *string { return &s }
	spans := [][2]*string{{nil, nil}, {day(-40), day(0)}, {day(-1), day(0)}, {day(0), day(0)}, {day(-3), day(-3)}, {day(-12), day(-2)}}
	filters := []partnerd.CDRParams{
		{},
		{Direction: str("outbound")}, {Direction: str("inbound")},
		{Status: str("answered")}, {Status: str("busy")}, {Status: str("no-answer")}, {Status: str("failed")},
		{HangupCause: str("NORMAL_CLEARING")}, {HangupCause: str("USER_BUSY")}, {HangupCause: str("NO_SUCH_CAUSE")},
		{HangupCause: str("NO_ANSWER"), Direction: str("outbound")},
		{MinDuration: str("0")}, {MinDuration: str("1")}, {MinDuration: str("60")}, {MinDuration: str("300")},
		{MaxDuration: str("0")}, {MaxDuration: str("120")}, {MinDuration: str("60"), MaxDuration: str("120")},
		{MinDuration: str("60"), Direction: str("inbound")}, {MaxDuration: str("60"), Status: str("answered")},
		// A cause with a status (00021), and a status that is not
		// answered with billed seconds.
		{HangupCause: str("NORMAL_CLEARING"), Status: str("failed")}, {HangupCause: str("NORMAL_CLEARING"), Status: str("answered")},
		{HangupCause: str("NO_ANSWER"), Status: str("no-answer")}, {HangupCause: str("NO_ANSWER"), Status: str("answered")},
		{HangupCause: str("NO_ANSWER"), Status: str("busy")}, {HangupCause: str("USER_BUSY"), Status: str("busy"), Direction: str("inbound")},
		{HangupCause: str("CALL_REJECTED"), Status: str("failed"), Direction: str("outbound")},
		{HangupCause: str("CALL_REJECTED"), Status: str("no-answer")},
		{MaxDuration: str("0"), Status: str("busy")}, {MinDuration: str("0"), Status: str("failed"), Direction: str("outbound")},
		{MinDuration: str("1"), Status: str("no-answer")}, {MinDuration: str("30"), MaxDuration: str("600"), Status: str("busy")},
		{MinDuration: str("30"), Status: str("answered"), Direction: str("outbound")},
		{HangupCause: str("NO_ANSWER"), Status: str("no-answer"), MaxDuration: str("0")},
		{HangupCause: str("USER_BUSY"), Status: str("busy"), MinDuration: str("5")},
		// Combinations the counts cannot answer: the rows are counted.
		{HangupCause: str("NORMAL_CLEARING"), MinDuration: str("100")},
		{HangupCause: str("NO_ANSWER"), Status: str("answered"), MinDuration: str("10")},
		{Search: str("555")}, {Search: str("50100")}, {Search: str("ov-late")}, {Search: str("ov-1")}, {Search: str("20712")},
		{Search: str("e-1")}, {Search: str("0")}, {Search: str("zz9")},
		// Letters match in either case on both engines.
		{Search: str("OV-Late")}, {Search: str("E-1")},
		// LIKE's wildcards and FTS5's quote are plain characters.
		{Search: str("ov_1")}, {Search: str("5%5")}, {Search: str(`ov"1`)}, {Search: str(`\\`)},
		{Search: str("555"), Status: str("answered"), Direction: str("outbound")},
		// A search with a direction, and the numbers alone, from the
		// number counts (00026); with more, the rows are counted.
		{Search: str("555"), Direction: str("outbound")}, {Search: str("+91"), Direction: str("inbound")}, {Search: str("415")},
		{FromNumber: str("+919876543210")}, {FromNumber: str("+14155550100"), Direction: str("inbound")},
		{ToNumber: str("+14155550100")}, {ToNumber: str("+442071234567"), Direction: str("outbound")},
		{ToNumber: str("+912271264201")}, {FromNumber: str("+10000000000")}, {ToNumber: str("+14155550100"), Direction: str("inbound")},
		{FromNumber: str("+919876543210"), ToNumber: str("+14155550100")}, {FromNumber: str("+919876543210"), Status: str("busy")},
		{ToNumber: str("+14155550100"), Search: str("555")},
	}
	// A partner-wide search reads its candidates through indexes, or, with
	// more than the limit (here any), the calls in recording order.
	defer db.SetSearchHitsLimit(0)
	for _, limit := range []int{0, 1} {
		db.SetSearchHitsLimit(limit)
		for _, span := range spans {
			for _, q := range filters {
				if limit > 0 && q.Search == nil {
					continue
				}
				q.StartDate, q.EndDate = span[0], span[1]
				name := fmt.Sprintf("%s..%s %s (hits limit %d)", deref(q.StartDate), deref(q.EndDate), describeParams(q), limit)
				f, err := q.Filter(now, loc)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				var want []string
				for _, c := range cdrs {
					if cdrMatches(c, f) {
						want = append(want, c.uuid)
					}
				}
				var got []string
				total := -1
				for page := 1; ; page++ {
					f.Page = partnerd.Page{Page: page, Size: 100}
					rows, n, err := db.ListCDRs(ctx, partnerID, f)
					if err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					if total >= 0 && n != total {
						t.Fatalf("%s: total %d on page %d, %d on page 1", name, n, page, total)
					}
					total = n
					if len(rows) == 0 {
						break
					}
					for _, r := range rows {
						got = append(got, r.CallUUID)
					}
				}
				if total != len(want) {
					t.Errorf("%s: total %d, want %d", name, total, len(want))
				}
				slices.Sort(got)
				slices.Sort(want)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s: rows (-brute force +listed):\n%s", name, diff)
				}
			}
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return "-"
	}
	return *s
}

func describeParams(q partnerd.CDRParams) string {
	var out string
	for _, p := range []struct {
		name string
		v    *string
	}{{"call_direction", q.Direction}, {"status", q.Status}, {"hangup_cause", q.HangupCause},
		{"min_duration", q.MinDuration}, {"max_duration", q.MaxDuration}, {"search", q.Search},
		{"from_number", q.FromNumber}, {"to_number", q.ToNumber}} {
		if p.v != nil {
			out += p.name + "=" + *p.v + " "
		}
	}
	return out
}

// cdrMatches is API.md §5's definition of a CDR list's filter, applied
// to one row; search ignores the case of the ASCII letters the tests use.
func cdrMatches(c overviewCDR, f partnerd.CDRFilter) bool {
	cause := ""
	if c.cause != nil {
		cause = *c.cause
	}
	term := strings.ToLower(f.Search)
	switch {
	case c.start.Before(f.From) || !c.start.Before(f.To),
		f.Direction != "" && c.direction != f.Direction,
		f.Status != "" && partnerd.CallStatus(c.billsec, c.cause) != f.Status,
		f.HangupCause != "" && cause != f.HangupCause,
		f.MinBillsec != nil && c.billsec < *f.MinBillsec,
		f.MaxBillsec != nil && c.billsec > *f.MaxBillsec,
		f.FromNumber != "" && c.from != f.FromNumber,
		f.ToNumber != "" && c.to != f.ToNumber,
		term != "" && !strings.Contains(strings.ToLower(c.from), term) && !strings.Contains(strings.ToLower(c.to), term) &&
			!strings.Contains(strings.ToLower(c.uuid), term):
		return false
	}
	return true
}
