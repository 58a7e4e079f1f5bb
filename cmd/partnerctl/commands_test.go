package main

import (
	"net/http"
	"strings"
	"testing"
)

// TestTokenOnlyWhereAskedFor: update, suspend, activate and close print
// the profile without the customer's auth_token, in both formats.
func TestTokenOnlyWhereAskedFor(t *testing.T) {
	s := mustServer(t)
	id := s.mustCustomer(t, "Secretive")
	token := mustJSON(t, s.mustOK(t, "accounts", "get", "--output", "json", id).stdout)["auth_token"].(string)
	for _, args := range [][]string{
		{"accounts", "update", "--city", "Pune", id},
		{"accounts", "suspend", "--reason", "unpaid", id},
		{"accounts", "activate", id},
		{"accounts", "close", "--yes", id},
	} {
		for _, format := range []string{"table", "json"} {
			if format == "json" && args[1] == "close" {
				continue // closed already
			}
			if format == "json" && args[1] == "activate" {
				s.mustOK(t, "accounts", "suspend", id)
			}
			r := s.mustOK(t, append(append(args[:2:2], "--output", format), args[2:]...)...)
			if strings.Contains(r.stdout, token) || strings.Contains(r.stdout, "auth_token") {
				t.Errorf("partnerctl %s --output %s prints the token:\n%s", strings.Join(args, " "), format, r.stdout)
			}
			if format == "json" && mustJSON(t, r.stdout)["auth_id"] != id {
				t.Errorf("partnerctl %s --output json:\n%s", strings.Join(args, " "), r.stdout)
			}
		}
	}
}

// TestPagingFlags: a page or size the API would refuse is a usage error
// naming the flag, never a crash; json says on stderr when more pages follow.
func TestPagingFlags(t *testing.T) {
	s := mustServer(t)
	for _, tt := range []struct{ flag, value string }{{"--size", "0"}, {"--size", "101"}, {"--size", "-1"}, {"--page", "0"}, {"--page", "-3"}} {
		for _, cmd := range [][]string{{"accounts", "list"}, {"cdrs", "list"}, {"transactions"}} {
			args := append(cmd[:len(cmd):len(cmd)], tt.flag, tt.value)
			if r := s.ctl(t, args...); r.code != exitUsage || !strings.Contains(r.stderr, tt.flag+" "+tt.value+" must be") {
				t.Errorf("partnerctl %s: exit %d, stderr %q; want a usage error naming %s", strings.Join(args, " "), r.code, r.stderr, tt.flag)
			}
		}
	}
	for _, name := range []string{"Ana", "Bo", "Cy"} {
		s.mustCustomer(t, name)
	}
	r := s.mustOK(t, "accounts", "list", "--output", "json", "--size", "2")
	if len(jsonLines(t, r.stdout)) != 2 || !strings.HasPrefix(r.stderr, "page 1 of 2, 3 in all") {
		t.Errorf("accounts list --output json --size 2: stdout\n%s\nstderr %q; want 2 rows and the paging footer", r.stdout, r.stderr)
	}
	if r := s.mustOK(t, "accounts", "list", "--output", "json", "--size", "2", "--page", "2"); len(jsonLines(t, r.stdout)) != 1 || r.stderr != "" {
		t.Errorf("the last page: stdout\n%s\nstderr %q; want 1 row and nothing on stderr", r.stdout, r.stderr)
	}
}

// TestEveryPostTakesIdempotencyKey: each command that POSTs takes
// --idempotency-key, and running one again with its key acts once.
func TestEveryPostTakesIdempotencyKey(t *testing.T) {
	var none *server
	for _, cmd := range []string{"accounts create", "accounts suspend", "accounts activate", "accounts close",
		"accounts rotate-token", "transfer", "withdraw", "numbers assign", "sip-endpoints create", "sip-endpoints password",
		"webhooks create", "webhooks rotate-secret", "webhooks test", "webhooks retry"} {
		if r := none.ctl(t, append(strings.Fields(cmd), "--help")...); !strings.Contains(r.stdout, "-idempotency-key") {
			t.Errorf("partnerctl %s has no --idempotency-key", cmd)
		}
	}
	s := mustServer(t)
	create := []string{"accounts", "create", "--output", "json", "--idempotency-key", "create-once", "--name", "Once",
		"--email", "once@customer.example", "--password", "SecurePass@123", "--phone", "9431538535", "--country", "IN"}
	a, b := mustJSON(t, s.mustOK(t, create...).stdout), mustJSON(t, s.mustOK(t, create...).stdout)
	if a["auth_id"] != b["auth_id"] {
		t.Errorf("accounts create twice under one key made %v and %v", a["auth_id"], b["auth_id"])
	}
	if r := s.mustOK(t, "accounts", "list"); r.stderr != "page 1 of 1, 1 in all\n" {
		t.Errorf("accounts list after creating twice under one key: %q", r.stderr)
	}
}

// TestPasswordFromStdin: --password - reads the password from standard
// input, out of argv.
func TestPasswordFromStdin(t *testing.T) {
	s := mustServer(t)
	in := *s
	in.stdin = "SecurePass@123\n"
	r := in.mustOK(t, "accounts", "create", "--output", "json", "--name", "Stdin", "--email", "stdin@customer.example",
		"--password", "-", "--phone", "9431538535", "--country", "IN")
	id := mustJSON(t, r.stdout)["auth_id"].(string)
	in.stdin = "Another@Pass99\n"
	in.mustOK(t, "accounts", "update", "--password", "-", id)
	in.stdin = "SipSecret@123\n"
	ep := mustJSON(t, in.mustOK(t, "sip-endpoints", "create", "--output", "json", "--username", "desk100", "--password", "-", id).stdout)
	epID := ep["endpoint_id"].(string)
	in.stdin = "SipSecret@456"
	in.mustOK(t, "sip-endpoints", "password", "--password", "-", id, epID)
	in.stdin = ""
	if r := in.ctl(t, "accounts", "update", "--password", "-", id); r.code != exitUsage || !strings.Contains(r.stderr, "--password -") {
		t.Errorf("--password - with nothing on stdin: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := s.mustOK(t, "sip-endpoints", "get", "--output", "json", id, epID); mustJSON(t, r.stdout)["username"] != "desk100" {
		t.Errorf("sip-endpoints get:\n%s", r.stdout)
	}
}

// TestBalanceShowsReserved: the balance table has reserved and available.
func TestBalanceShowsReserved(t *testing.T) {
	s := mustServer(t)
	s.mustFund(t, 100_00)
	id := s.mustCustomer(t, "Reserving")
	s.mustOK(t, "transfer", id, "40.00")
	r := s.mustOK(t, "balance", id)
	for _, want := range []string{"reserved      0.00", "available     40.00"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("balance table has no %q:\n%s", want, r.stdout)
		}
	}
}

// TestDeleteAfterLostAnswer: a delete whose answer was lost succeeded,
// though its retry answers not_found; a delete of what is not there fails.
func TestDeleteAfterLostAnswer(t *testing.T) {
	s := mustServer(t)
	w := mustJSON(t, s.mustOK(t, "webhooks", "create", "--output", "json", "--endpoint-url", "https://hooks.example.com/x").stdout)
	front := s.via(afterForwarding(t, s, 1, func(r *http.Request) bool { return r.Method == http.MethodDelete }, hangUp(t)))
	r := front.ctl(t, "webhooks", "delete", "--output", "json", w["id"].(string))
	if r.code != exitOK || r.stdout != "" {
		t.Errorf("webhooks delete with its answer lost: exit %d, stdout %q, stderr %q; want success and no JSON", r.code, r.stdout, r.stderr)
	}
	if r := s.ctl(t, "webhooks", "delete", w["id"].(string)); r.code != exitAPI {
		t.Errorf("webhooks delete of a deleted endpoint: exit %d, want 1", r.code)
	}
}

// TestNewCommandsAndLocalChecks: rates list, audit-events list; a bad
// event id and a missing required flag are usage errors.
func TestNewCommandsAndLocalChecks(t *testing.T) {
	s := mustServer(t)
	id := s.mustCustomer(t, "Audited")
	if r := s.mustOK(t, "rates", "list"); r.stderr != "0 in all\n" || !strings.HasPrefix(r.stdout, "DIRECTION") {
		t.Errorf("rates list on an empty deck: stdout %q stderr %q", r.stdout, r.stderr)
	}
	r := s.mustOK(t, "audit-events", "list", "--output", "json", "--account", id)
	rows := jsonLines(t, r.stdout)
	if len(rows) == 0 || rows[0]["account_auth_id"] != id {
		t.Errorf("audit-events list --account %s:\n%s", id, r.stdout)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"events", "get", "nope"}, `EVENT_ID "nope" must be an event id`},
		{[]string{"accounts", "create", "--name", "X"}, "--email is required"},
		{[]string{"accounts", "create", "--name", "X", "--email", "x@y.example", "--password", "SecurePass@123", "--phone", "1"}, "--country is required"},
		{[]string{"sip-endpoints", "create", "--username", "desk", id}, "--password is required"},
		{[]string{"webhooks", "create"}, "--endpoint-url is required"},
	} {
		if r := s.ctl(t, tt.args...); r.code != exitUsage || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("partnerctl %s: exit %d, stderr %q; want exit 2 and %q", strings.Join(tt.args, " "), r.code, r.stderr, tt.want)
		}
	}
}
