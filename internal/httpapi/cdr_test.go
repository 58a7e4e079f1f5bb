package httpapi_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
)

// cdrFixture is a customer with a mix of charged calls, and the calls as
// the test made them.
type cdrFixture struct {
	p      creds
	authID string
	calls  []partnerd.CDRInput
}

// mustCDRFixture gives a new customer n calls spread over the last 40
// days (some outside the default 30-day window), both directions, every
// status, a few numbers and hangup causes, charged through the store.
func mustCDRFixture(t *testing.T, e *testEnv, name string, n int, seed uint64) cdrFixture {
	t.Helper()
	ctx := context.Background()
	p, authID := e.mustCustomer(t, name)
	if _, err := e.db.FundPartner(ctx, p.ID, 10_000_000, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: authID, Amount: 5_000_000}); err != nil {
		t.Fatal(err)
	}
	if err := e.db.ReplaceRateDeck(ctx, p.ID, []partnerd.Rate{
		{Direction: partnerd.DirectionOutbound, Prefix: "1", PerMinute: 4500, InitialIncrement: 1, SubsequentIncrement: 1},
		{Direction: partnerd.DirectionInbound, Prefix: "91", PerMinute: 500, InitialIncrement: 60, SubsequentIncrement: 60},
	}); err != nil {
		t.Fatal(err)
	}
	did := fmt.Sprintf("+91227126%04d", partnerSeq.Add(1)%10000)
	if _, err := e.db.AddNumber(ctx, p.ID, partnerd.NumberInput{Number: did, Type: "local"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.AssignNumber(ctx, p.ID, authID, did); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, seed))
	causes := []string{"NORMAL_CLEARING", "NO_ANSWER", "USER_BUSY", "CALL_REJECTED"}
	dialled := []string{"+14155550100", "+14155550101", "+12125550199"}
	now := time.Now().UTC().Truncate(time.Second)
	f := cdrFixture{p: p, authID: authID}
	for i := range n {
		start := now.Add(-time.Duration(rng.IntN(40*24*3600)) * time.Second)
		cause := causes[rng.IntN(len(causes))]
		billsec := 0
		if cause == "NORMAL_CLEARING" && rng.IntN(4) > 0 {
			billsec = rng.IntN(600)
		}
		in := partnerd.CDRInput{
			CallUUID: fmt.Sprintf("%s-%03d", name, i), Direction: partnerd.DirectionOutbound, AccountAuthID: &authID,
			FromNumber: "+919876543210", ToNumber: dialled[rng.IntN(len(dialled))], StartTime: start,
			EndTime: start.Add(time.Duration(billsec+5) * time.Second), DurationSeconds: billsec + 5, Billsec: billsec,
			HangupCause: &cause,
		}
		if rng.IntN(3) == 0 {
			in.Direction, in.AccountAuthID, in.FromNumber, in.ToNumber = partnerd.DirectionInbound, nil, dialled[rng.IntN(len(dialled))], did
		}
		if billsec > 0 {
			answer := start.Add(5 * time.Second)
			in.AnswerTime = &answer
		}
		f.calls = append(f.calls, in)
	}
	res, err := e.db.PostCDRs(ctx, f.calls, make([]*partnerd.Error, n))
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Status != partnerd.CDRCharged {
			t.Fatalf("CDR %d: %+v (%v)", i, r, r.Err)
		}
	}
	return f
}

// allPages reads every page of a list, size 7 so that several are needed,
// and returns the call_uuids in order; the total every page states must
// be their number.
func allPages(t *testing.T, e *testEnv, c creds, path string, q url.Values) []string {
	t.Helper()
	var ids []string
	totals := map[string]bool{}
	defer func() {
		if want := fmt.Sprint(len(ids)); len(totals) != 1 || !totals[want] {
			t.Errorf("GET %s?%s: meta.total %v, want %s on every page", path, q.Encode(), totals, want)
		}
	}()
	for page := 1; ; page++ {
		q.Set("page", fmt.Sprint(page))
		q.Set("size", "7")
		r := e.get(t, path+"?"+q.Encode(), c)
		if r.status != http.StatusOK {
			t.Fatalf("GET %s?%s = %d %s", path, q.Encode(), r.status, r.raw)
		}
		rows := data(t, r)
		for _, row := range rows {
			ids = append(ids, str(row["call_uuid"]))
		}
		totals[num(r.body["meta"].(map[string]any)["total"])] = true
		if len(rows) < 7 {
			return ids
		}
	}
}

func TestCDRListFilters(t *testing.T) {
	t.Parallel()
	// Both engines: their plans for these lists differ (cdrlist.go).
	onEngines(t, testCDRListFilters)
}

func testCDRListFilters(t *testing.T, e *testEnv) {
	f := mustCDRFixture(t, e, "cdrfilters", 120, 9)
	// Another partner's calls, recorded between this one's, are never
	// listed.
	mustCDRFixture(t, e, "cdrothers", 40, 9)
	today := time.Now().UTC()
	day := func(d int) string { return today.AddDate(0, 0, d).Format(time.DateOnly) }
	midnight := func(d int) time.Time {
		y, m, dd := today.AddDate(0, 0, d).Date()
		return time.Date(y, m, dd, 0, 0, 0, 0, time.UTC)
	}
	inDays := func(from, to int) func(c partnerd.CDRInput) bool { // inclusive days
		return func(c partnerd.CDRInput) bool {
			return !c.StartTime.Before(midnight(from)) && c.StartTime.Before(midnight(to+1))
		}
	}
	defaultWindow := inDays(-29, 0)
	status := func(c partnerd.CDRInput) string { return partnerd.CallStatus(c.Billsec, c.HangupCause) }
	tests := []struct {
		query string
		match func(c partnerd.CDRInput) bool
	}{
		{"", defaultWindow},
		{"start_date=" + day(-39), inDays(-39, 0)},
		{"start_date=" + day(-10) + "&end_date=" + day(-3), inDays(-10, -3)},
		{"end_date=" + day(-5), inDays(-34, -5)},
		{"call_direction=inbound", func(c partnerd.CDRInput) bool { return defaultWindow(c) && c.Direction == "inbound" }},
		{"status=answered", func(c partnerd.CDRInput) bool { return defaultWindow(c) && status(c) == "answered" }},
		{"status=no-answer", func(c partnerd.CDRInput) bool { return defaultWindow(c) && status(c) == "no-answer" }},
		{"status=busy", func(c partnerd.CDRInput) bool { return defaultWindow(c) && status(c) == "busy" }},
		{"status=failed", func(c partnerd.CDRInput) bool { return defaultWindow(c) && status(c) == "failed" }},
		{"to_number=%2B14155550100", func(c partnerd.CDRInput) bool { return defaultWindow(c) && c.ToNumber == "+14155550100" }},
		{"from_number=%2B919876543210", func(c partnerd.CDRInput) bool { return defaultWindow(c) && c.FromNumber == "+919876543210" }},
		{"hangup_cause=USER_BUSY", func(c partnerd.CDRInput) bool { return defaultWindow(c) && *c.HangupCause == "USER_BUSY" }},
		{"min_duration=100&max_duration=300", func(c partnerd.CDRInput) bool {
			return defaultWindow(c) && c.Billsec >= 100 && c.Billsec <= 300
		}},
		{"search=5550101", func(c partnerd.CDRInput) bool {
			return defaultWindow(c) && (strings.Contains(c.ToNumber, "5550101") || strings.Contains(c.FromNumber, "5550101"))
		}},
		{"search=filters-01", func(c partnerd.CDRInput) bool {
			return defaultWindow(c) && strings.Contains(c.CallUUID, "filters-01")
		}},
		{"call_direction=outbound&status=answered&to_number=%2B12125550199&start_date=" + day(-39), func(c partnerd.CDRInput) bool {
			return inDays(-39, 0)(c) && c.Direction == "outbound" && status(c) == "answered" && c.ToNumber == "+12125550199"
		}},
	}
	for _, tt := range tests {
		var want []string
		for i := len(f.calls) - 1; i >= 0; i-- { // newest first: the order they were recorded, reversed
			if tt.match(f.calls[i]) {
				want = append(want, f.calls[i].CallUUID)
			}
		}
		q, _ := url.ParseQuery(tt.query)
		got := allPages(t, e, f.p, base+"/accounts/"+f.authID+"/cdrs", q)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("GET cdrs?%s (-want +got):\n%s", tt.query, diff)
		}
		// The partner-wide list holds the same rows: the partner has only
		// this customer.
		q, _ = url.ParseQuery(tt.query)
		if diff := cmp.Diff(want, allPages(t, e, f.p, base+"/cdrs", q)); diff != "" {
			t.Errorf("GET /cdrs?%s (-want +got):\n%s", tt.query, diff)
		}
	}
}

func TestCDRGetAndTenancy(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	f := mustCDRFixture(t, e, "cdrget", 5, 11)
	other := mustCDRFixture(t, e, "cdrother", 5, 12)
	in := f.calls[0]
	r := e.get(t, base+"/accounts/"+f.authID+"/cdrs/"+in.CallUUID, f.p)
	if r.status != http.StatusOK {
		t.Fatalf("GET cdr = %d %s", r.status, r.raw)
	}
	wantKeys := []string{"account_auth_id", "answer_time", "billsec", "call_uuid", "context", "cost", "currency",
		"direction", "duration_seconds", "end_time", "from_number", "hangup_cause", "rate_per_minute",
		"sip_response_code", "start_time", "status", "to_number", "trunk_id", "unbilled_amount"}
	if diff := cmp.Diff(wantKeys, keys(r.body)); diff != "" {
		t.Errorf("CDR keys (-want +got):\n%s", diff)
	}
	if str(r.body["status"]) != partnerd.CallStatus(in.Billsec, in.HangupCause) || str(r.body["start_time"]) != in.StartTime.Format(time.RFC3339) {
		t.Errorf("CDR = %v, want the call %+v", r.body, in)
	}
	// Another partner's call, and another partner's customer: not found,
	// exactly like unknown ones.
	wantError(t, e.get(t, base+"/accounts/"+f.authID+"/cdrs/"+other.calls[0].CallUUID, f.p), http.StatusNotFound, partnerd.ECNotFound)
	wantError(t, e.get(t, base+"/accounts/"+other.authID+"/cdrs/"+other.calls[0].CallUUID, f.p), http.StatusNotFound, partnerd.ECAccountNotFound)
	wantError(t, e.get(t, base+"/accounts/"+other.authID+"/cdrs", f.p), http.StatusNotFound, partnerd.ECAccountNotFound)
	q := url.Values{"start_date": {time.Now().UTC().AddDate(0, 0, -60).Format(time.DateOnly)}}
	for _, id := range allPages(t, e, f.p, base+"/cdrs", q) {
		if !slices.ContainsFunc(f.calls, func(c partnerd.CDRInput) bool { return c.CallUUID == id }) {
			t.Errorf("GET /cdrs shows %s, a call of another partner", id)
		}
	}
}

func TestCDRListBadFilters(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	p, authID := e.mustCustomer(t, "cdrbad")
	for query, field := range map[string]string{
		"start_date=2024-01-01&end_date=2025-01-02": "end_date",
		"start_date=2025-02-01&end_date=2025-01-02": "end_date",
		"start_date=25-01-01":                       "start_date",
		"start_date=2024-01-01":                     "start_date", // up to today: the date given is named
		"call_direction=sideways":                   "call_direction",
		"status=ringing":                            "status",
		"to_number=12%2034":                         "to_number",
		"min_duration=-1":                           "min_duration",
		"min_duration=10&max_duration=5":            "max_duration",
		"colour=blue":                               "colour",
	} {
		r := e.get(t, base+"/accounts/"+authID+"/cdrs?"+query, p)
		wantError(t, r, http.StatusBadRequest, partnerd.ECValidation)
		if fc := fieldCodes(t, r); len(fc) != 1 || fc[0].Field != field {
			t.Errorf("GET cdrs?%s: fields %v, want only %s", query, fc, field)
		}
	}
	// A span of exactly 366 days is allowed.
	if r := e.get(t, base+"/accounts/"+authID+"/cdrs?start_date=2024-01-01&end_date=2024-12-31", p); r.status != http.StatusOK {
		t.Errorf("366-day span = %d %s, want 200", r.status, r.raw)
	}
	// A start still to come, without an end, is that day alone (the
	// partner's days are UTC's here).
	for _, days := range []int{0, 1, 2} {
		day := time.Now().UTC().AddDate(0, 0, days).Format(time.DateOnly)
		if r := e.get(t, base+"/cdrs?start_date="+day, p); r.status != http.StatusOK {
			t.Errorf("GET /cdrs?start_date=%s (today + %d) = %d %s, want 200", day, days, r.status, r.raw)
		}
	}
}

// TestCDRNumberFiltersAsReported filters on numbers as switches report
// them: a SIP username as the caller, digits without "+" as a phone
// dialled them, and an E.164 number libphonenumber does not know (a
// drama range): each is found as written, on both lists and engines.
func TestCDRNumberFiltersAsReported(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e *testEnv) {
		ctx := context.Background()
		p, authID := e.mustCustomer(t, "cdrasreported")
		if _, err := e.db.FundPartner(ctx, p.ID, 1_000_000, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := e.db.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: authID, Amount: 500_000}); err != nil {
			t.Fatal(err)
		}
		if err := e.db.ReplaceRateDeck(ctx, p.ID, []partnerd.Rate{
			{Direction: partnerd.DirectionOutbound, Prefix: "9", PerMinute: 100, InitialIncrement: 1, SubsequentIncrement: 1},
			{Direction: partnerd.DirectionOutbound, Prefix: "4", PerMinute: 100, InitialIncrement: 1, SubsequentIncrement: 1},
		}); err != nil {
			t.Fatal(err)
		}
		start := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
		calls := []struct{ uuid, from, to string }{
			{"asrep-1", "desk100", "919876543210"},
			{"asrep-2", "desk100", "+447700900001"},
			{"asrep-3", "+912271260000", "+919876543210"},
		}
		var ins []partnerd.CDRInput
		answer := start.Add(10 * time.Second)
		for _, c := range calls {
			ins = append(ins, partnerd.CDRInput{CallUUID: c.uuid, Direction: partnerd.DirectionOutbound, AccountAuthID: &authID,
				FromNumber: c.from, ToNumber: c.to, StartTime: start, AnswerTime: &answer, EndTime: start.Add(30 * time.Second), DurationSeconds: 30, Billsec: 20})
		}
		res, err := e.db.PostCDRs(ctx, ins, make([]*partnerd.Error, len(ins)))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if r.Status != partnerd.CDRCharged {
				t.Fatalf("CDR %s: %s %v", r.CallUUID, r.Status, r.Err)
			}
		}
		for query, want := range map[string][]string{
			"from_number=desk100":         {"asrep-2", "asrep-1"},
			"to_number=919876543210":      {"asrep-1"},
			"to_number=%2B919876543210":   {"asrep-3"},
			"to_number=+919876543210":     {"asrep-3"}, // the "+" arrives as a space
			"to_number=%2B91-98765-43210": {"asrep-3"},
			"to_number=%2B447700900001":   {"asrep-2"},
			"from_number=%2B912271260000": {"asrep-3"},
			"from_number=desk101":         nil,
		} {
			for _, path := range []string{base + "/accounts/" + authID + "/cdrs", base + "/cdrs"} {
				q, err := url.ParseQuery(query)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, allPages(t, e, p, path, q)); diff != "" {
					t.Errorf("GET %s?%s (-want +got):\n%s", path, query, diff)
				}
			}
		}
	})
}
