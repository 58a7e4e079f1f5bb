package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/partnerd/partnerd"
)

// field returns the value of a table record's row named name.
func field(t *testing.T, out, name string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `\s+(.*)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no %s row in:\n%s", name, out)
	}
	return strings.TrimSpace(m[1])
}

// wantRefused checks a run the server refused: exit 1, nothing on
// stdout, the error code and a request id on stderr.
func wantRefused(t *testing.T, r result, code string) {
	t.Helper()
	if r.code != exitAPI || r.stdout != "" || !regexp.MustCompile(`(?m)^  error: `+code+`, request id: \S+$`).MatchString(r.stderr) {
		t.Errorf("exit %d, stdout %q, stderr %q; want %d, nothing, and error %s with a request id", r.code, r.stdout, r.stderr, exitAPI, code)
	}
}

func TestAccountLifecycleCommands(t *testing.T) {
	s := mustServer(t)
	s.mustFund(t, 1000_00)
	id := s.mustCustomer(t, "Cyclist")
	s.mustOK(t, "transfer", id, "200.00")

	r := s.mustOK(t, "accounts", "update", "--name", "Cyclist Ltd", "--city", "Pune", "--description", "fleet", id)
	if field(t, r.stdout, "name") != "Cyclist Ltd" || field(t, r.stdout, "city") != "Pune" || field(t, r.stdout, "company") != "Cyclist Pvt Ltd" {
		t.Errorf("accounts update table:\n%s", r.stdout)
	}
	r = s.mustOK(t, "accounts", "update", "--output", "json", "--clear", "description,company", id)
	if got := mustJSON(t, r.stdout); got["description"] != nil || got["company"] != nil || got["city"] != "Pune" {
		t.Errorf("accounts update --clear = %v; want description and company null, city kept", got)
	}
	r = s.mustOK(t, "accounts", "create", "--output", "json", "--name", "Thrifty", "--email", "thrifty@customer.example",
		"--password", "SecurePass@123", "--phone", "9431538535", "--country", "IN", "--low-balance-threshold", "42")
	thrifty := mustJSON(t, r.stdout)["auth_id"].(string)
	if got := field(t, s.mustOK(t, "accounts", "get", thrifty).stdout, "low_balance_threshold"); got != "42.00" {
		t.Errorf("accounts create --low-balance-threshold 42, then get: %q, want 42.00", got)
	}
	r = s.mustOK(t, "accounts", "update", "--low-balance-threshold", "250.5", id)
	if got := field(t, r.stdout, "low_balance_threshold"); got != "250.50" {
		t.Errorf("accounts update --low-balance-threshold 250.5: low_balance_threshold %q, want 250.50", got)
	}
	r = s.mustOK(t, "accounts", "update", "--clear", "low-balance-threshold", id)
	if got := field(t, r.stdout, "low_balance_threshold"); got != "100.00" {
		t.Errorf("accounts update --clear low-balance-threshold: %q, want the partner's 100.00", got)
	}
	r = s.ctl(t, "accounts", "update", "--email", "not-an-address", id)
	wantRefused(t, r, partnerd.ECValidation)
	if !strings.Contains(r.stderr, "  email: ") {
		t.Errorf("stderr does not name the field:\n%s", r.stderr)
	}
	for _, args := range [][]string{
		{"accounts", "update", "--clear", "name", id},
		{"accounts", "update", "--city", "Goa", "--clear", "city", id},
		{"accounts", "update", "--low-balance-threshold", "-1", id},
		{"accounts", "update", "--low-balance-threshold", "1", "--clear", "low-balance-threshold", id},
		{"accounts", "close", id},
	} {
		if r := s.ctl(t, args...); r.code != exitUsage {
			t.Errorf("partnerctl %s: exit %d, want %d:\n%s", strings.Join(args, " "), r.code, exitUsage, r.stderr)
		}
	}

	r = s.mustOK(t, "accounts", "suspend", "--reason", "unpaid invoice", id)
	if field(t, r.stdout, "status") != "suspended" || field(t, r.stdout, "status_reason") != "unpaid invoice" {
		t.Errorf("accounts suspend:\n%s", r.stdout)
	}
	r = s.mustOK(t, "accounts", "list", "--status", "suspended", "--output", "json")
	if rows := jsonLines(t, r.stdout); len(rows) != 1 || rows[0]["auth_id"] != id {
		t.Errorf("accounts list --status suspended = %v", rows)
	}
	r = s.mustOK(t, "accounts", "activate", "--output", "json", id)
	if got := mustJSON(t, r.stdout); got["status"] != "active" || got["status_reason"] != nil {
		t.Errorf("accounts activate = %v", got)
	}

	old := mustJSON(t, s.mustOK(t, "accounts", "get", "--output", "json", id).stdout)["auth_token"]
	r = s.mustOK(t, "accounts", "rotate-token", "--output", "json", id)
	rotated := mustJSON(t, r.stdout)
	if rotated["auth_id"] != id || rotated["auth_token"] == old || !strings.HasPrefix(rotated["auth_token"].(string), "sk_live_") || len(rotated) != 2 {
		t.Errorf("accounts rotate-token = %v; want auth_id and a new auth_token only", rotated)
	}
	r = s.mustOK(t, "accounts", "rotate-token", id)
	if tok := field(t, r.stdout, "auth_token"); tok == rotated["auth_token"] || !strings.HasPrefix(tok, "sk_live_") {
		t.Errorf("accounts rotate-token table:\n%s", r.stdout)
	}

	// Running a close again with its key answers the first close.
	for range 2 {
		r = s.mustOK(t, "accounts", "close", "--yes", "--output", "json", "--idempotency-key", "close-cyclist", id)
		if got := mustJSON(t, r.stdout); got["status"] != "closed" || got["balance"] != json.Number("0.00") {
			t.Errorf("accounts close = %v", got)
		}
	}
	if r := s.mustOK(t, "balance"); field(t, r.stdout, "balance") != "1000.00" {
		t.Errorf("partner balance after the close:\n%s", r.stdout)
	}
	wantRefused(t, s.ctl(t, "accounts", "close", "--yes", id), partnerd.ECAccountClosed)
	wantRefused(t, s.ctl(t, "accounts", "suspend", "MA_00000000"), partnerd.ECAccountNotFound)
}

func TestAutoTopupCommands(t *testing.T) {
	s := mustServer(t)
	s.mustFund(t, 1000_00)
	id := s.mustCustomer(t, "Topped")
	set := []string{"auto-topup", "set", "--threshold", "100", "--target-balance", "500.00", "--max-per-day", "2000",
		"--max-per-month", "20000.00", "--max-count-per-day", "5"}

	r := s.mustOK(t, append(set, id)...)
	if field(t, r.stdout, "enabled") != "true" || field(t, r.stdout, "threshold") != "100.00" ||
		field(t, r.stdout, "target_balance") != "500.00" || field(t, r.stdout, "used_today") != "0.00 in 0" {
		t.Errorf("auto-topup set table:\n%s", r.stdout)
	}
	r = s.mustOK(t, "auto-topup", "get", "--output", "json", id)
	got := mustJSON(t, r.stdout)
	if got["auth_id"] != id || got["max_per_month"] != json.Number("20000.00") || got["max_count_per_day"] != json.Number("5") {
		t.Errorf("auto-topup get = %v", got)
	}
	r = s.mustOK(t, "auto-topup", "off", "--output", "json", id)
	if got := mustJSON(t, r.stdout); got["enabled"] != false || got["threshold"] != json.Number("100.00") {
		t.Errorf("auto-topup off = %v; want disabled with its settings", got)
	}

	r = s.ctl(t, "auto-topup", "set", "--threshold", "100", "--target-balance", "1.005", "--max-per-day", "1",
		"--max-per-month", "1", "--max-count-per-day", "1", id)
	if r.code != exitUsage || !strings.Contains(r.stderr, `--target-balance "1.005" must be a positive decimal`) {
		t.Errorf("a malformed amount: exit %d, stderr %q", r.code, r.stderr)
	}
	r = s.ctl(t, "auto-topup", "set", "--threshold", "500", "--target-balance", "100", "--max-per-day", "1",
		"--max-per-month", "1", "--max-count-per-day", "1", id)
	wantRefused(t, r, partnerd.ECValidation)
	if !strings.Contains(r.stderr, "  target_balance: ") {
		t.Errorf("stderr does not name target_balance:\n%s", r.stderr)
	}
}

func TestEventAndWebhookCommands(t *testing.T) {
	s := mustServer(t)
	s.mustFund(t, 1000_00)
	id := s.mustCustomer(t, "Watched")
	s.mustOK(t, "transfer", id, "50.00")

	// Events: a table with a header, JSON lines, one event in full.
	r := s.mustOK(t, "events", "list")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "ID") || !strings.Contains(lines[1], "balance.transferred") ||
		!strings.Contains(lines[2], "account.created") || r.stderr != "page 1 of 1, 2 in all\n" {
		t.Errorf("events list:\n%s%s", r.stdout, r.stderr)
	}
	r = s.mustOK(t, "events", "list", "--all", "--output", "json", "--type", "balance.transferred", "--account", id)
	rows := jsonLines(t, r.stdout)
	if len(rows) != 1 || rows[0]["type"] != "balance.transferred" {
		t.Fatalf("events list --type balance.transferred = %v", rows)
	}
	evt := rows[0]["id"].(string)
	r = s.mustOK(t, "events", "get", "--output", "json", evt)
	if got := mustJSON(t, r.stdout); got["id"] != evt || got["account_auth_id"] != id {
		t.Errorf("events get = %v", got)
	}
	r = s.mustOK(t, "events", "get", evt)
	if !strings.Contains(field(t, r.stdout, "data"), `"amount":50.00`) {
		t.Errorf("events get table:\n%s", r.stdout)
	}
	wantRefused(t, s.ctl(t, "events", "get", "evt_0000000000000000000000000000000a"), partnerd.ECNotFound)
	wantRefused(t, s.ctl(t, "events", "list", "--type", "nope"), partnerd.ECValidation)

	// Webhooks: the secret only where asked for.
	r = s.mustOK(t, "webhooks", "create", "--endpoint-url", "https://hooks.example.com/partnerd", "--event-types",
		"balance.low, balance.depleted", "--description", "alerts")
	we := field(t, r.stdout, "id")
	if !partnerd.IsWebhookEndpointID(we) || field(t, r.stdout, "event_types") != "balance.depleted,balance.low" ||
		strings.Contains(r.stdout, "whsec_") {
		t.Errorf("webhooks create table (no secret unless asked):\n%s", r.stdout)
	}
	r = s.mustOK(t, "webhooks", "create", "--show-secret", "--output", "json", "--endpoint-url", "https://other.example.com/")
	shown := mustJSON(t, r.stdout)
	if !strings.HasPrefix(shown["secret"].(string), "whsec_") || len(shown["event_types"].([]any)) != 0 {
		t.Errorf("webhooks create --show-secret = %v", shown)
	}
	r = s.mustOK(t, "webhooks", "secret", "--output", "json", shown["id"].(string))
	if got := mustJSON(t, r.stdout); got["secret"] != shown["secret"] {
		t.Errorf("webhooks secret = %v, want the creation's secret", got)
	}
	r = s.mustOK(t, "webhooks", "list", "--output", "json")
	if rows := jsonLines(t, r.stdout); len(rows) != 2 || strings.Contains(r.stdout, "whsec_") {
		t.Errorf("webhooks list = %v; want 2 endpoints, no secret", rows)
	}
	r = s.mustOK(t, "webhooks", "list")
	if lines := strings.Split(strings.TrimSpace(r.stdout), "\n"); len(lines) != 3 || !strings.HasPrefix(lines[0], "ID") {
		t.Errorf("webhooks list table:\n%s", r.stdout)
	}

	r = s.mustOK(t, "webhooks", "update", "--status", "disabled", "--clear-description", "--event-types", "all", we)
	if field(t, r.stdout, "status") != "disabled" || field(t, r.stdout, "description") != "-" || field(t, r.stdout, "event_types") != "(all)" {
		t.Errorf("webhooks update table:\n%s", r.stdout)
	}
	r = s.mustOK(t, "webhooks", "get", "--output", "json", we)
	if got := mustJSON(t, r.stdout); got["status"] != "disabled" || got["secret"] != nil {
		t.Errorf("webhooks get = %v", got)
	}
	wantRefused(t, s.ctl(t, "webhooks", "update", "--endpoint-url", "ftp://x", we), partnerd.ECValidation)

	before := mustJSON(t, s.mustOK(t, "webhooks", "secret", "--output", "json", we).stdout)["secret"]
	r = s.mustOK(t, "webhooks", "rotate-secret", "--expire-old-in", "1h", we)
	if strings.Contains(r.stdout, "whsec_") || !strings.Contains(r.stdout, "rotated the secret of "+we) {
		t.Errorf("webhooks rotate-secret (no secret unless asked):\n%s", r.stdout)
	}
	r = s.mustOK(t, "webhooks", "rotate-secret", "--show-secret", "--expire-old-in", "0s", we)
	if sec := field(t, r.stdout, "secret"); sec == before || !strings.HasPrefix(sec, "whsec_") {
		t.Errorf("webhooks rotate-secret --show-secret:\n%s", r.stdout)
	}
	if r := s.ctl(t, "webhooks", "rotate-secret", "--expire-old-in", "200h", we); r.code != exitUsage {
		t.Errorf("--expire-old-in 200h: exit %d, want %d", r.code, exitUsage)
	}

	// A ping, its delivery, and a retry by hand.
	s.mustOK(t, "webhooks", "update", "--status", "enabled", we)
	r = s.mustOK(t, "webhooks", "test", "--output", "json", we)
	if got := mustJSON(t, r.stdout); got["type"] != partnerd.EventPing {
		t.Errorf("webhooks test = %v", got)
	}
	r = s.mustOK(t, "webhooks", "deliveries", we)
	lines = strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "ID") || !strings.Contains(lines[1], "ping") || !strings.Contains(lines[1], "pending") {
		t.Fatalf("webhooks deliveries:\n%s", r.stdout)
	}
	delivery := strings.Fields(lines[1])[0]
	r = s.mustOK(t, "webhooks", "deliveries", "--status", "pending", "--output", "json", we)
	if rows := jsonLines(t, r.stdout); len(rows) != 1 || rows[0]["id"] != delivery {
		t.Errorf("webhooks deliveries --status pending = %v", rows)
	}
	r = s.mustOK(t, "webhooks", "retry", "--output", "json", we, delivery)
	if got := mustJSON(t, r.stdout); got["id"] != delivery || got["status"] != "pending" {
		t.Errorf("webhooks retry = %v", got)
	}
	if r := s.ctl(t, "webhooks", "retry", we, "42"); r.code != exitUsage || !strings.Contains(r.stderr, "must be a delivery id") {
		t.Errorf("webhooks retry with a bad delivery id: exit %d, stderr %q", r.code, r.stderr)
	}
	wantRefused(t, s.ctl(t, "webhooks", "retry", we, "msgd_999999"), partnerd.ECNotFound)

	r = s.mustOK(t, "webhooks", "delete", we)
	if r.stdout != "deleted "+we+"\n" {
		t.Errorf("webhooks delete = %q", r.stdout)
	}
	wantRefused(t, s.ctl(t, "webhooks", "get", we), partnerd.ECNotFound)
}

// TestTransactionsExport writes the three logs as CSV: to a file, on a
// terminal with a progress bar, and to stdout.
func TestTransactionsExport(t *testing.T) {
	s := mustServer(t)
	s.mustFund(t, 1000_00)
	a, b := s.mustCustomer(t, "Ledgered"), s.mustCustomer(t, "Other")
	s.mustOK(t, "transfer", a, "100.00")
	s.mustOK(t, "transfer", b, "50.00")
	s.mustOK(t, "withdraw", a, "10.00")

	file := filepath.Join(t.TempDir(), "tx.csv")
	r := s.mustOK(t, "transactions", "--file", file)
	if r.stdout != "" || r.stderr != "wrote 3 transactions to "+file+"\n" {
		t.Errorf("transactions --file: stdout %q, stderr %q", r.stdout, r.stderr)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(strings.NewReader(string(data))).ReadAll()
	if err != nil || len(records) != 4 || records[0][0] != "id" || !slices.Contains(records[0], "account_auth_id") {
		t.Errorf("every customer's transactions as CSV = %q (%v)", records, err)
	}
	r = s.ctlEnv(t, true, "transactions", "--account", a, "--type", "recharge", "--file", file)
	if r.code != exitOK || !strings.Contains(r.stderr, "(1/1") || !strings.HasSuffix(r.stderr, "wrote 1 transaction to "+file+"\n") {
		t.Errorf("transactions --file on a terminal: exit %d, stderr %q", r.code, r.stderr)
	}
	r = s.mustOK(t, "transactions", "--partner", "--file", "-")
	records, err = csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil || len(records) != 5 || records[4][1] != "fund" {
		t.Errorf("the partner's transactions to stdout = %q (%v); want the header, 3 transfers and the fund", records, err)
	}
	wantRefused(t, s.ctl(t, "transactions", "--account", "MA_00000000", "--file", file), partnerd.ECAccountNotFound)
	if _, err := os.Stat(file); err != nil {
		t.Errorf("a refused export removed the earlier file: %v", err)
	}
}
