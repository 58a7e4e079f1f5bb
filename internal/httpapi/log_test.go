package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestLogs checks the access log: one JSON line per request with what an
// operator needs, and never a password or a token; through the logger, and
// through the batched access log.
func TestLogs(t *testing.T) {
	t.Parallel()
	for _, accessLog := range []bool{false, true} {
		t.Run(map[bool]string{false: "logger", true: "access log"}[accessLog], func(t *testing.T) {
			t.Parallel()
			e, closeEnv, err := openEnvWith(t.TempDir(), envOptions{accessLog: accessLog})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(closeEnv)
			testLogs(t, e)
		})
	}
}

func testLogs(t *testing.T, e *testEnv) {
	p := e.mustPartner(t, "Acme Telecom")
	const weakPassword = "OnlyLetters!Secret"
	const wrongToken = "sk_live_WrongTokenWrongTokenWrongToken00"

	type sent struct {
		r         reply
		partnerID string // "" when the request is not authenticated
	}
	var reqs []sent
	created := e.post(t, base+"/accounts", p, seedCreateBody)
	if created.status != http.StatusCreated {
		t.Fatalf("POST /accounts = %d; body: %s", created.status, created.raw)
	}
	reqs = append(reqs, sent{created, p.ID})
	id, customerToken := str(created.body["auth_id"]), str(created.body["auth_token"])
	profile := e.get(t, base+"/accounts/"+id, p)
	if got := str(profile.body["auth_token"]); got != customerToken {
		t.Fatalf("profile auth_token = %q, want %q", got, customerToken)
	}
	reqs = append(reqs, sent{profile, p.ID})
	reqs = append(reqs, sent{e.get(t, base+"/accounts/"+id+"/balance", p), p.ID})
	reqs = append(reqs, sent{e.get(t, base+"/accounts?search=cred", p), p.ID})
	weak := seedAccount(t, "weak@example.com")
	weak["password"] = weakPassword
	reqs = append(reqs, sent{e.post(t, base+"/accounts", p, weak), p.ID})
	reqs = append(reqs, sent{e.get(t, base+"/me", creds{p.ID, wrongToken}), ""})
	reqs = append(reqs, sent{e.get(t, base+"/me", creds{Token: p.Token}), ""})
	reqs = append(reqs, sent{e.get(t, "/healthz", noCreds), ""})
	reqs = append(reqs, sent{e.get(t, "/no/such/route", p), ""})
	odd := e.get(t, "/no/such/%22route%22%5C%0A%E2%80%A8%FF", p)
	reqs = append(reqs, sent{odd, ""})
	// A console setup link's path is its one-time token.
	const setupToken = "dbbgpMtwEezBYwYNMAkpwFQnXmWzZsYPAHUebFFlA7k"
	setup := e.get(t, "/console/setup/"+setupToken, noCreds)
	reqs = append(reqs, sent{setup, ""})
	for _, p := range []string{"/console//setup/", "/console/./setup/", "//console/setup/"} {
		reqs = append(reqs, sent{e.get(t, p+setupToken, noCreds), ""})
	}

	// The access line is written after the response, so wait for all.
	var lines []map[string]any
	deadline := time.Now().Add(5 * time.Second)
	for {
		lines = requestLines(t, e.logs.String())
		if len(lines) >= len(reqs) || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(lines) != len(reqs) {
		t.Fatalf("%d access log lines for %d requests; log:\n%s", len(lines), len(reqs), e.logs.String())
	}
	byID := map[string]map[string]any{}
	for _, l := range lines {
		byID[str(l["request_id"])] = l
	}
	for i, s := range reqs {
		rid := s.r.header.Get("X-Request-ID")
		l, ok := byID[rid]
		if !ok {
			t.Errorf("request %d (%d): no log line with request_id %q", i, s.r.status, rid)
			continue
		}
		for _, k := range []string{"method", "route", "status", "duration_ms", "request_id"} {
			if _, ok := l[k]; !ok {
				t.Errorf("request %d: log line lacks %q: %v", i, k, l)
			}
		}
		if got := num(l["status"]); got != strconv.Itoa(s.r.status) {
			t.Errorf("request %d: logged status %s, want %d", i, got, s.r.status)
		}
		if d, err := json.Number(num(l["duration_ms"])).Float64(); err != nil || d < 0 {
			t.Errorf("request %d: duration_ms = %v, want a non-negative number", i, l["duration_ms"])
		}
		if got := str(l["method"]); got == "" {
			t.Errorf("request %d: empty method", i)
		}
		if got := str(l["partner_id"]); got != s.partnerID {
			t.Errorf("request %d: partner_id = %q, want %q", i, got, s.partnerID)
		}
	}
	// A path with characters JSON must escape arrives whole (invalid UTF-8
	// as U+FFFD).
	if got, want := str(byID[odd.header.Get("X-Request-ID")]["path"]), "/no/such/\"route\"\\\n\u2028\ufffd"; got != want {
		t.Errorf("logged path = %q, want %q", got, want)
	}
	if got := str(byID[setup.header.Get("X-Request-ID")]["path"]); got != "/console/setup/…" {
		t.Errorf("logged setup path = %q, want the token left out", got)
	}
	// The route is the pattern, not the path: it does not carry the id.
	if route := str(byID[profile.header.Get("X-Request-ID")]["route"]); route == "" || strings.Contains(route, id) {
		t.Errorf("profile route = %q, want the route pattern", route)
	}

	all := e.logs.String()
	secrets := map[string]string{
		"password":          seedPassword,
		"rejected password": weakPassword,
		"partner token":     p.Token,
		"customer token":    customerToken,
		"wrong token":       wrongToken,
		"setup token":       setupToken,
	}
	for what, s := range secrets {
		if strings.Contains(all, s) {
			t.Errorf("the log contains the %s %q:\n%s", what, s, all)
		}
	}
	if strings.Contains(all, "argon2id$") {
		t.Errorf("the log contains a password hash:\n%s", all)
	}
}

// requestLines parses the log and returns its access lines, failing on any
// line that is not JSON.
func requestLines(t *testing.T, log string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.SplitSeq(strings.TrimSpace(log), "\n") {
		if line == "" {
			continue
		}
		dec := json.NewDecoder(strings.NewReader(line))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		if m["msg"] == "request" {
			out = append(out, m)
		}
	}
	return out
}
