package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/client"
)

const did = "+912271264217"

// mustTelephony gives the partner a rate deck (0.45 a minute, per
// second) and a number of 25.50 a month, and a funded customer.
func mustTelephony(t *testing.T, s *server) string {
	t.Helper()
	ctx := context.Background()
	s.mustFund(t, 1000_00)
	if err := s.db.ReplaceRateDeck(ctx, s.partnerID, []partnerd.Rate{
		{Direction: partnerd.DirectionOutbound, Prefix: "91", PerMinute: 4500, InitialIncrement: 1, SubsequentIncrement: 1},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.AddNumber(ctx, s.partnerID, partnerd.NumberInput{Number: did, MonthlyCost: 2550}); err != nil {
		t.Fatal(err)
	}
	id := s.mustCustomer(t, "Caller")
	s.mustOK(t, "transfer", id, "100.00")
	return id
}

// mustCalls reports n answered outbound calls of 10, 20, … seconds, one
// a minute from an hour ago.
func mustCalls(t *testing.T, s *server, authID string, n int) {
	t.Helper()
	ctx := context.Background()
	_, token, err := s.db.CreateSwitchToken(ctx, partnerd.SwitchTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	if start.Day() != time.Now().UTC().Day() {
		start = start.Add(time.Hour).Truncate(24 * time.Hour)
	}
	var ins []partnerd.CDRInput
	for i := range n {
		st := start.Add(time.Duration(i) * time.Minute)
		answer := st.Add(5 * time.Second)
		billsec := 10 * (i + 1)
		cause := "NORMAL_CLEARING"
		ins = append(ins, partnerd.CDRInput{CallUUID: "call-" + string(rune('a'+i)), Direction: partnerd.DirectionOutbound,
			AccountAuthID: &authID, FromNumber: did, ToNumber: "+919876543210", StartTime: st, AnswerTime: &answer,
			EndTime: answer.Add(time.Duration(billsec) * time.Second), DurationSeconds: billsec + 5, Billsec: billsec,
			HangupCause: &cause})
	}
	results, err := client.NewSwitch(s.url, token).PostCDRs(ctx, ins)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if r.Status != partnerd.CDRCharged {
			t.Fatalf("PostCDRs: %+v", r)
		}
	}
}

func TestNumbersAndSIPEndpoints(t *testing.T) {
	s := mustServer(t)
	id := mustTelephony(t, s)

	r := s.mustOK(t, "numbers", "list", "--status", "available")
	if !regexp.MustCompile(`(?m)^\+912271264217\s+local\s+IN\s+available\s+25\.50\s+INR\s+-\s+-$`).MatchString(r.stdout) {
		t.Errorf("numbers list --status available:\n%s", r.stdout)
	}
	r = s.mustOK(t, "numbers", "assign", "--output", "json", id, did)
	if got := mustJSON(t, r.stdout); got["status"] != "assigned" || got["monthly_cost"] != json.Number("25.50") {
		t.Errorf("numbers assign = %v", got)
	}
	r = s.mustOK(t, "numbers", "list", "--account", id, "--output", "json")
	if rows := jsonLines(t, r.stdout); len(rows) != 1 || rows[0]["number"] != did {
		t.Errorf("numbers of %s = %v", id, rows)
	}
	r = s.mustOK(t, "balance", "--output", "json", id)
	if got := mustJSON(t, r.stdout); got["balance"] != json.Number("74.50") {
		t.Errorf("after the first month: balance %v, want 74.50", got["balance"])
	}
	r = s.ctl(t, "numbers", "assign", id, did)
	if r.code != exitAPI || !strings.Contains(r.stderr, "error: number_assigned") {
		t.Errorf("assigning again: exit %d, stderr %q", r.code, r.stderr)
	}
	s.mustOK(t, "numbers", "release", id, did)
	r = s.mustOK(t, "numbers", "list", "--output", "json", "--all")
	if rows := jsonLines(t, r.stdout); len(rows) != 1 || rows[0]["status"] != "available" {
		t.Errorf("after release = %v", rows)
	}

	r = s.mustOK(t, "sip-endpoints", "create", "--output", "json", "--username", "desk100", "--password", "SecurePass@123",
		"--alias", "Front desk", id)
	ep := mustJSON(t, r.stdout)
	epID, _ := ep["endpoint_id"].(string)
	if ep["username"] != "desk100" || ep["alias"] != "Front desk" || epID == "" {
		t.Errorf("sip-endpoints create = %v", ep)
	}
	r = s.mustOK(t, "sip-endpoints", "list", id)
	if !strings.Contains(r.stdout, epID) || !strings.Contains(r.stdout, "Front desk") {
		t.Errorf("sip-endpoints list:\n%s", r.stdout)
	}
	s.mustOK(t, "sip-endpoints", "delete", id, epID)
	r = s.ctl(t, "sip-endpoints", "delete", id, epID)
	if r.code != exitAPI || !strings.Contains(r.stderr, "error: not_found") {
		t.Errorf("deleting again: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestCDRsAndOverview(t *testing.T) {
	s := mustServer(t)
	id := mustTelephony(t, s)
	mustCalls(t, s, id, 3) // 0.075 → 0.08, 0.15, 0.225 → 0.23

	r := s.mustOK(t, "cdrs", "list", "--output", "json")
	rows := jsonLines(t, r.stdout)
	if len(rows) != 3 || rows[0]["call_uuid"] != "call-c" || rows[0]["cost"] != json.Number("0.23") || rows[0]["account_auth_id"] != id {
		t.Errorf("cdrs list = %v", rows)
	}
	r = s.mustOK(t, "cdrs", "list", "--account", id, "--max-duration", "15")
	if lines := strings.Split(strings.TrimSpace(r.stdout), "\n"); len(lines) != 2 || !strings.HasPrefix(lines[1], "call-a ") {
		t.Errorf("cdrs list --max-duration 15:\n%s", r.stdout)
	}
	r = s.mustOK(t, "cdrs", "get", "--output", "json", id, "call-b")
	if got := mustJSON(t, r.stdout); got["billsec"] != json.Number("20") || got["rate_per_minute"] != json.Number("0.4500") {
		t.Errorf("cdrs get = %v", got)
	}

	file := filepath.Join(t.TempDir(), "calls.csv")
	r = s.mustOK(t, "cdrs", "export", "--file", file)
	if r.stderr != "wrote 3 call records to "+file+"\n" || r.stdout != "" {
		t.Errorf("export piped: stdout %q, stderr %q", r.stdout, r.stderr)
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil || len(records) != 4 || records[0][0] != "call_uuid" || records[1][0] != "call-c" {
		t.Errorf("exported CSV = %q (%v)", records, err)
	}
	// On a terminal, a progress bar counts the records.
	r = s.ctlEnv(t, true, "cdrs", "export", "--account", id, "--file", file)
	if r.code != exitOK || !strings.Contains(r.stderr, "call records") || !strings.Contains(r.stderr, "(3/3") ||
		!strings.HasSuffix(r.stderr, "wrote 3 call records to "+file+"\n") {
		t.Errorf("export on a terminal: exit %d, stderr %q", r.code, r.stderr)
	}
	r = s.mustOK(t, "cdrs", "export", "--max-duration", "10", "--file", file)
	if r.stderr != "wrote 1 call record to "+file+"\n" {
		t.Errorf("export of one call record: stderr %q", r.stderr)
	}
	// To stdout.
	r = s.mustOK(t, "cdrs", "export", "--direction", "outbound", "--min-duration", "20", "--file", "-")
	if records, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll(); err != nil || len(records) != 3 {
		t.Errorf("export to stdout = %q (%v)", r.stdout, err)
	}

	r = s.mustOK(t, "dashboard", "--output", "json")
	d := mustJSON(t, r.stdout)
	for k, v := range map[string]any{"active_accounts": json.Number("1"), "calls_today": json.Number("3"),
		"total_balance": json.Number("99.54"), "total_spend_this_month": json.Number("0.46")} {
		if d[k] != v {
			t.Errorf("dashboard %s = %v, want %v", k, d[k], v)
		}
	}
	r = s.mustOK(t, "dashboard")
	if !regexp.MustCompile(`(?m)^total_balance\s+99\.54$`).MatchString(r.stdout) {
		t.Errorf("dashboard table:\n%s", r.stdout)
	}
	today := time.Now().UTC().Format(time.DateOnly)
	r = s.mustOK(t, "analytics", "--from-date", today, "--to-date", today)
	for _, want := range []string{"total_calls  ", "outbound", "3 calls, 0.46 INR", "Top customers:", id} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("analytics table lacks %q:\n%s", want, r.stdout)
		}
	}
	r = s.mustOK(t, "analytics", "--output", "json")
	if got := mustJSON(t, r.stdout); got["totals"].(map[string]any)["total_cost"] != json.Number("0.46") {
		t.Errorf("analytics = %v", got)
	}
}

func TestRowCounter(t *testing.T) {
	var ticks int
	rc := &rowCounter{tick: func() { ticks++ }}
	// A quoted field holds a newline and a doubled quote; the record
	// still counts once.
	for _, chunk := range []string{"call_uuid,context\n", "a,\"line1\nline2 \"\"quoted\"\"\"\n", "b,", "x\n"} {
		rc.Write([]byte(chunk))
	}
	if rc.records != 3 || ticks != 2 {
		t.Errorf("records %d, ticks %d; want 3 and 2", rc.records, ticks)
	}
}

// TestAnalyticsOneCall: a direction of one call reads "1 call", not
// "1 calls".
func TestAnalyticsOneCall(t *testing.T) {
	s := mustServer(t)
	mustCalls(t, s, mustTelephony(t, s), 1) // 0.075 → 0.08
	r := s.mustOK(t, "analytics")
	if !regexp.MustCompile(`(?m)^outbound\s+1 call, 0\.08 INR$`).MatchString(r.stdout) {
		t.Errorf("analytics table of one call:\n%s", r.stdout)
	}
}
