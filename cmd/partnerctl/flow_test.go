package main

import (
	"context"
	"encoding/json"
	"net"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
)

// mustJSON decodes one JSON object of partnerctl's stdout.
func mustJSON(t *testing.T, out string) map[string]any {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(strings.NewReader(out))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("stdout is not a JSON object: %v\n%s", err, out)
	}
	return m
}

// jsonLines decodes stdout as one JSON object per line.
func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var rows []map[string]any
	for line := range strings.Lines(out) {
		rows = append(rows, mustJSON(t, line))
	}
	return rows
}

func (s *server) mustFund(t *testing.T, amount int64) {
	t.Helper()
	if _, err := s.db.FundPartner(context.Background(), s.partnerID, amount, nil); err != nil {
		t.Fatalf("FundPartner: %v", err)
	}
}

// mustCustomer creates a customer with partnerctl and returns its auth_id.
func (s *server) mustCustomer(t *testing.T, name string) string {
	t.Helper()
	r := s.mustOK(t, "accounts", "create", "--output", "json", "--name", name, "--email", strings.ToLower(name)+"@customer.example",
		"--password", "SecurePass@123", "--phone", "9431538535", "--country", "IN", "--company", name+" Pvt Ltd")
	return mustJSON(t, r.stdout)["auth_id"].(string)
}

func TestAccountsAndMoney(t *testing.T) {
	s := mustServer(t)
	s.mustFund(t, 1000_00)

	r := s.mustOK(t, "accounts", "create", "--output", "json", "--name", "Credresolve", "--email", "admin@credresolve.com",
		"--password", "SecurePass@123", "--phone", "9431538535", "--country", "IN", "--timezone", "Asia/Kolkata")
	created := mustJSON(t, r.stdout)
	id, _ := created["auth_id"].(string)
	if !partnerd.IsAccountID(id) || !strings.HasPrefix(created["auth_token"].(string), "sk_live_") ||
		created["balance"] != json.Number("0.00") || created["timezone"] != "Asia/Kolkata" {
		t.Fatalf("accounts create = %v", created)
	}

	// Table output: a header and the row; the position on stderr.
	r = s.mustOK(t, "accounts", "list")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "AUTH_ID") || !strings.Contains(lines[1], id) ||
		!strings.Contains(lines[1], "0.00") {
		t.Errorf("accounts list:\n%s", r.stdout)
	}
	if r.stderr != "page 1 of 1, 1 in all\n" {
		t.Errorf("accounts list stderr = %q", r.stderr)
	}
	r = s.mustOK(t, "accounts", "get", "--output", "json", id)
	if got := mustJSON(t, r.stdout); got["auth_token"] != created["auth_token"] || got["company"] != nil {
		t.Errorf("accounts get = %v", got)
	}

	r = s.mustOK(t, "transfer", "--output", "json", "--description", "April recharge", id, "500.00")
	moved := mustJSON(t, r.stdout)
	want := map[string]any{"from_account": s.partnerID, "to_account": id, "amount": json.Number("500.00"),
		"currency": "INR", "description": "April recharge", "status": "completed",
		"partner_balance_after": json.Number("500.00"), "customer_balance_after": json.Number("500.00")}
	for k, v := range want {
		if moved[k] != v {
			t.Errorf("transfer %s = %v, want %v", k, moved[k], v)
		}
	}
	r = s.mustOK(t, "withdraw", id, "120.5")
	if !regexp.MustCompile(`(?m)^customer_balance_after\s+379\.50$`).MatchString(r.stdout) {
		t.Errorf("withdraw table:\n%s", r.stdout)
	}
	r = s.mustOK(t, "balance", "--output", "json", id)
	if got := mustJSON(t, r.stdout); got["balance"] != json.Number("379.50") {
		t.Errorf("balance = %v, want 379.50", got)
	}
	r = s.mustOK(t, "balance")
	if !regexp.MustCompile(`(?m)^balance\s+620\.50$`).MatchString(r.stdout) {
		t.Errorf("partner balance:\n%s", r.stdout)
	}

	// Retrying a transfer with the same key moves the money once.
	for range 2 {
		s.mustOK(t, "transfer", "--idempotency-key", "may-recharge", id, "10.00")
	}
	r = s.mustOK(t, "balance", "--output", "json", id)
	if got := mustJSON(t, r.stdout); got["balance"] != json.Number("389.50") {
		t.Errorf("after two runs with one key: balance %v, want 389.50", got["balance"])
	}

	r = s.mustOK(t, "transactions", "--output", "json", "--account", id)
	var types []string
	for _, row := range jsonLines(t, r.stdout) {
		types = append(types, row["type"].(string)+" "+string(row["amount"].(json.Number)))
	}
	if diff := cmp.Diff([]string{"recharge 10.00", "withdrawal -120.50", "recharge 500.00"}, types); diff != "" {
		t.Errorf("customer transactions (-want +got):\n%s", diff)
	}
	r = s.mustOK(t, "transactions", "--partner", "--all", "--output", "json", "--type", "fund")
	if rows := jsonLines(t, r.stdout); len(rows) != 1 || rows[0]["amount"] != json.Number("1000.00") {
		t.Errorf("partner fund transactions = %v", rows)
	}
	r = s.mustOK(t, "transactions", "--all")
	if n := strings.Count(r.stdout, "\n"); n != 4 || r.stderr != "3 in all\n" {
		t.Errorf("transactions --all: %d lines, stderr %q:\n%s", n, r.stderr, r.stdout)
	}
	r = s.mustOK(t, "me", "--output", "json")
	if got := mustJSON(t, r.stdout); got["account_count"] != json.Number("1") || got["balance"] != json.Number("610.50") {
		t.Errorf("me = %v", got)
	}
}

func TestAccountsPaging(t *testing.T) {
	s := mustServer(t)
	if r := s.mustOK(t, "accounts", "list"); r.stderr != "0 in all\n" || strings.Count(r.stdout, "\n") != 1 {
		t.Errorf("no accounts: stdout %q, stderr %q; want the header and 0 in all", r.stdout, r.stderr)
	}
	if r := s.mustOK(t, "accounts", "list", "--output", "json"); r.stdout != "" || r.stderr != "" {
		t.Errorf("no accounts as JSON: stdout %q, stderr %q; want nothing", r.stdout, r.stderr)
	}
	var ids []string
	for _, name := range []string{"Alpha", "Bravo", "Charlie"} {
		ids = append(ids, s.mustCustomer(t, name))
	}
	r := s.mustOK(t, "accounts", "list", "--size", "2", "--page", "2", "--output", "json")
	if rows := jsonLines(t, r.stdout); len(rows) != 1 || rows[0]["auth_id"] != ids[0] {
		t.Errorf("page 2 of 2 = %v, want the oldest, %s", rows, ids[0])
	}
	r = s.mustOK(t, "accounts", "list", "--size", "2", "--page", "2")
	if r.stderr != "page 2 of 2, 3 in all\n" {
		t.Errorf("stderr = %q", r.stderr)
	}
	r = s.mustOK(t, "accounts", "list", "--all", "--output", "json", "--search", "a")
	var got []string
	for _, row := range jsonLines(t, r.stdout) {
		got = append(got, row["auth_id"].(string))
	}
	if diff := cmp.Diff([]string{ids[2], ids[1], ids[0]}, got); diff != "" {
		t.Errorf("accounts list --all (-want +got):\n%s", diff)
	}
}

// TestAPIErrors: a refusal prints the API's message, code and request
// id, and exits 1; no answer at all exits 3.
func TestAPIErrors(t *testing.T) {
	s := mustServer(t)
	s.mustFund(t, 100_00)
	id := s.mustCustomer(t, "Broke")

	r := s.ctl(t, "transfer", id, "500.00")
	if r.code != exitAPI || r.stdout != "" {
		t.Errorf("transfer beyond the balance: exit %d, stdout %q; want %d and nothing", r.code, r.stdout, exitAPI)
	}
	want := regexp.MustCompile(`^partnerctl: Partner balance 100\.00 INR is insufficient for a transfer of 500\.00 INR\.\n` +
		`  error: insufficient_balance, request id: \S+\n$`)
	if !want.MatchString(r.stderr) {
		t.Errorf("stderr = %q, want %s", r.stderr, want)
	}

	r = s.ctl(t, "accounts", "get", "MA_00000000")
	if r.code != exitAPI || !strings.Contains(r.stderr, "error: account_not_found, request id: ") {
		t.Errorf("unknown account: exit %d, stderr %q", r.code, r.stderr)
	}
	r = s.ctl(t, "accounts", "create", "--name", "X", "--email", "bad", "--password", "short", "--phone", "1", "--country", "IN")
	if r.code != exitAPI || !strings.Contains(r.stderr, "error: validation_error") ||
		!strings.Contains(r.stderr, "  email: ") || !strings.Contains(r.stderr, "  password: ") {
		t.Errorf("invalid account: exit %d, stderr:\n%s", r.code, r.stderr)
	}
	wrong := *s
	wrong.token += "x"
	r = wrong.ctl(t, "me")
	if r.code != exitAPI || !strings.Contains(r.stderr, "error: invalid_credentials") {
		t.Errorf("wrong token: exit %d, stderr %q", r.code, r.stderr)
	}

	// A port nobody listens on: no answer, after the client's retries.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gone := *s
	gone.url = "http://" + ln.Addr().String()
	ln.Close()
	r = gone.ctl(t, "me")
	if r.code != exitNoAnswer || !strings.HasPrefix(r.stderr, "partnerctl: ") || !strings.Contains(r.stderr, "connection refused") {
		t.Errorf("no server: exit %d, stderr %q; want %d", r.code, r.stderr, exitNoAnswer)
	}
}

// TestFlagsAfterArguments: flags may follow the arguments, as people
// type them; after "--" every word is an argument, and a negative amount
// is an argument (refused as an amount), not an unknown flag.
func TestFlagsAfterArguments(t *testing.T) {
	s := mustServer(t)
	s.mustFund(t, 100_000)
	id := s.mustCustomer(t, "Trailing")
	r := s.mustOK(t, "transfer", id, "12.00", "--description", "typed last", "--output", "json")
	if !strings.Contains(r.stdout, `"description":"typed last"`) || !strings.Contains(r.stdout, `"amount":12.00`) {
		t.Errorf("transfer with trailing flags: %s", r.stdout)
	}
	if r := s.ctl(t, "transfer", id, "-5"); r.code != exitUsage || !strings.Contains(r.stderr, `AMOUNT "-5"`) {
		t.Errorf("transfer %s -5: exit %d, stderr %q; want the amount refused", id, r.code, r.stderr)
	}
	if r := s.ctl(t, "transfer", "--", id, "1.00", "--description"); r.code != exitUsage || !strings.Contains(r.stderr, "got 3") {
		t.Errorf("after --, a flag-like word is an argument: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := s.ctl(t, "transfer", id, "1.00", "--nope"); r.code != exitUsage || !strings.Contains(r.stderr, "-nope") {
		t.Errorf("an unknown trailing flag: exit %d, stderr %q; want it named", r.code, r.stderr)
	}
}
