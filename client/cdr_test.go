package client_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
)

// mustCalls reports n answered outbound calls of the switch env's
// customer, one a minute from start, of 10 s more each (10, 20, …): at
// 0.45/min per second, call i costs (i+1)*0.075 rounded.
func mustCalls(t *testing.T, e *switchEnv, start time.Time, n int) []string {
	t.Helper()
	var uuids []string
	var ins []partnerd.CDRInput
	for i := range n {
		uuid := "call-" + string(rune('a'+i)) + "@switch"
		uuids = append(uuids, uuid)
		ins = append(ins, cdr(uuid, partnerd.DirectionOutbound, &e.authID, switchDID, "+919876543210",
			start.Add(time.Duration(i)*time.Minute), 10*(i+1)))
	}
	results, err := e.sw.PostCDRs(context.Background(), ins)
	if err != nil {
		t.Fatalf("PostCDRs: %v", err)
	}
	for _, r := range results {
		if r.Status != partnerd.CDRCharged {
			t.Fatalf("PostCDRs: %+v, want every call charged", r)
		}
	}
	return uuids
}

func TestCDRs(t *testing.T) {
	ctx := context.Background()
	e := mustSwitchEnv(t)
	start := time.Now().UTC().Add(-2 * time.Hour).Truncate(time.Second)
	uuids := mustCalls(t, e, start, 3)
	c := e.partner

	rows, total, err := c.ListAccountCDRs(ctx, "", e.authID, partnerd.CDRFilter{Page: partnerd.Page{Size: 2}})
	if err != nil || total != 3 || len(rows) != 2 {
		t.Fatalf("ListAccountCDRs = %d rows of %d (%v), want 2 of 3", len(rows), total, err)
	}
	// Newest first; 30 s at 0.45/min per second cost 0.225 → 0.23.
	answer := start.Add(2*time.Minute + 5*time.Second)
	cause := "NORMAL_CLEARING"
	want := &partnerd.CDR{CallUUID: uuids[2], PartnerID: rows[0].PartnerID, AccountAuthID: e.authID,
		Direction: partnerd.DirectionOutbound, FromNumber: switchDID, ToNumber: "+919876543210",
		StartTime: start.Add(2 * time.Minute), AnswerTime: &answer, EndTime: answer.Add(30 * time.Second),
		DurationSeconds: 35, Billsec: 30, HangupCause: &cause, Cost: 23, Currency: "INR"}
	if diff := cmp.Diff(want, rows[0]); diff != "" {
		t.Errorf("newest CDR (-want +got):\n%s", diff)
	}

	one, err := c.AccountCDR(ctx, "", e.authID, uuids[2])
	if err != nil {
		t.Fatalf("AccountCDR: %v", err)
	}
	code := 200
	wantOne := *want
	wantOne.SIPResponseCode, wantOne.RatePerMinute = &code, outboundRate
	if diff := cmp.Diff(&wantOne, one); diff != "" {
		t.Errorf("AccountCDR (-want +got):\n%s", diff)
	}
	if _, err := c.AccountCDR(ctx, "", e.authID, "no-such-call"); partnerd.ErrorCode(err) != partnerd.ECNotFound {
		t.Errorf("AccountCDR(unknown) = %v, want %s", err, partnerd.ECNotFound)
	}

	// Filters travel: only the 10 s call is at most 15 s.
	maxSec := 15
	rows, total, err = c.ListCDRs(ctx, "", partnerd.CDRFilter{MaxBillsec: &maxSec, Status: partnerd.CallAnswered})
	if err != nil || total != 1 || rows[0].CallUUID != uuids[0] || rows[0].AccountAuthID != e.authID {
		t.Errorf("ListCDRs(max 15 s) = %d rows (%v), want only %s of %s", total, err, uuids[0], e.authID)
	}
	// A day long past has none.
	old := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, total, err := c.ListCDRs(ctx, "", partnerd.CDRFilter{From: old, To: old.AddDate(0, 0, 1)}); err != nil || total != 0 {
		t.Errorf("ListCDRs(2025-01-01) = %d (%v), want 0", total, err)
	}

	var seq []string
	for cdr, err := range c.AccountCDRsSeq(ctx, "", e.authID, partnerd.CDRFilter{}) {
		if err != nil {
			t.Fatalf("AccountCDRsSeq: %v", err)
		}
		seq = append(seq, cdr.CallUUID)
	}
	if diff := cmp.Diff([]string{uuids[2], uuids[1], uuids[0]}, seq); diff != "" {
		t.Errorf("AccountCDRsSeq (-want +got):\n%s", diff)
	}

	body, err := c.CDRsCSV(ctx, partnerd.CDRFilter{})
	if err != nil {
		t.Fatalf("CDRsCSV: %v", err)
	}
	records, err := csv.NewReader(body).ReadAll()
	body.Close()
	if err != nil {
		t.Fatalf("reading the CSV: %v", err)
	}
	if len(records) != 4 || records[0][0] != "call_uuid" || records[1][0] != uuids[2] {
		t.Errorf("CSV = %q, want a header and 3 calls, newest first", records)
	}
	body, err = c.AccountCDRsCSV(ctx, e.authID, partnerd.CDRFilter{Direction: partnerd.DirectionInbound})
	if err != nil {
		t.Fatalf("AccountCDRsCSV: %v", err)
	}
	b, _ := io.ReadAll(body)
	body.Close()
	if records, err := csv.NewReader(bytes.NewReader(b)).ReadAll(); err != nil || len(records) != 1 {
		t.Errorf("inbound CSV = %q (%v), want only the header", b, err)
	}
	if _, err := c.AccountCDRsCSV(ctx, "MA_00000000", partnerd.CDRFilter{}); partnerd.ErrorCode(err) != partnerd.ECAccountNotFound {
		t.Errorf("AccountCDRsCSV(unknown) = %v, want %s", err, partnerd.ECAccountNotFound)
	}
}

func TestDashboardAndAnalytics(t *testing.T) {
	ctx := context.Background()
	e := mustSwitchEnv(t)
	now := time.Now().UTC()
	start := now.Add(-time.Hour).Truncate(time.Second)
	if start.Day() != now.Day() {
		start = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 1, 0, time.UTC)
	}
	mustCalls(t, e, start, 2) // 10 s: 0.075 → 0.08; 20 s: 0.15
	c := e.partner

	d, err := c.Dashboard(ctx)
	if err != nil {
		t.Fatalf("Dashboard: %v", err)
	}
	// The customer holds 100.00 - 25.50 (the DID) - 0.08 - 0.15.
	want := &partnerd.Dashboard{ActiveAccounts: 1, TotalBalance: 10000 - 2550 - 8 - 15, Currency: "INR",
		CallsToday: 2, CallsThisMonth: 2, SpendThisMonth: 2550 + 8 + 15, AccountsLowBalance: 1}
	if diff := cmp.Diff(want, d); diff != "" {
		t.Errorf("Dashboard (-want +got):\n%s", diff)
	}

	a, err := c.Analytics(ctx, now, now)
	if err != nil {
		t.Fatalf("Analytics: %v", err)
	}
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	wantA := &partnerd.Analytics{From: day, To: day, Currency: "INR",
		Totals: partnerd.CallTotals{Calls: 2, Answered: 2, DurationSeconds: 40, Cost: 23},
		ByDirection: map[string]partnerd.CallTotals{
			partnerd.DirectionInbound:  {},
			partnerd.DirectionOutbound: {Calls: 2, Cost: 23},
		},
		TopCustomers: []partnerd.TopCustomer{{AuthID: e.authID, Name: "Caller", Calls: 2, Cost: 23}},
	}
	if diff := cmp.Diff(wantA, a); diff != "" {
		t.Errorf("Analytics (-want +got):\n%s", diff)
	}
	if _, err := c.Analytics(ctx, now, now.AddDate(-2, 0, 0)); partnerd.ErrorCode(err) != partnerd.ECValidation {
		t.Errorf("Analytics(to before from) = %v, want %s", err, partnerd.ECValidation)
	}
}
