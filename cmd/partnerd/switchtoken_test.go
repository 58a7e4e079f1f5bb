package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/client"
)

var switchTokenIDShape = regexp.MustCompile(`^ST_[A-Z0-9]{8}$`)

// TestSwitchTokenCommands drives switch-token create, list and revoke
// through the real binary: the token printed once, never listed, revoked
// once; help, usage mistakes and a missing database.
func TestSwitchTokenCommands(t *testing.T) {
	t.Parallel()
	bin := crashBuildBinary(t)
	env := crashEnv()
	dir := t.TempDir()
	db := filepath.Join(dir, "p.db")
	run := func(args ...string) (string, string, int) {
		t.Helper()
		return crashRunEnv(t, bin, env, args...)
	}
	if _, stderr, code := run("migrate", "--db", db); code != 0 {
		t.Fatalf("migrate: exit %d\n%s", code, stderr)
	}

	// A missing database is refused, and nothing is created.
	for _, args := range [][]string{
		{"switch-token", "create", "--db", filepath.Join(dir, "typo.db")},
		{"switch-token", "list", "--db", filepath.Join(dir, "typo.db")},
		{"switch-token", "revoke", "--db", filepath.Join(dir, "typo.db"), "ST_AAAAAAAA"},
	} {
		if _, stderr, code := run(args...); code != 1 || !strings.Contains(stderr, "typo.db does not exist") {
			t.Errorf("%s on a missing database: exit %d, stderr %q; want 1 naming it", args[1], code, stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "typo.db")); err == nil {
		t.Errorf("a command created the missing database")
	}

	// Help: exit 0 on stdout, each with its flags.
	flagLine := regexp.MustCompile(`(?m)^  -([a-z-]+)`)
	for _, h := range []struct {
		args  []string
		flags []string
	}{
		{[]string{"switch-token", "create", "--help"}, []string{"db", "name"}},
		{[]string{"switch-token", "list", "-h"}, []string{"db"}},
		{[]string{"help", "switch-token", "revoke"}, []string{"db"}},
	} {
		stdout, _, code := run(h.args...)
		var flags []string
		for _, m := range flagLine.FindAllStringSubmatch(stdout, -1) {
			flags = append(flags, m[1])
		}
		if code != 0 || !strings.Contains(stdout, "usage: partnerd switch-token") || cmp.Diff(h.flags, flags) != "" {
			t.Errorf("%q: exit %d, flags %v (want %v):\n%s", h.args, code, flags, h.flags, stdout)
		}
	}
	if stdout, _, code := run("switch-token", "--help"); code != 0 || !strings.Contains(stdout, "switch-token revoke") {
		t.Errorf("switch-token --help: exit %d:\n%s", code, stdout)
	}

	// Usage mistakes exit 2.
	for _, args := range [][]string{
		{"switch-token", "revoke", "--db", db},
		{"switch-token", "revoke", "--db", db, "PA_AAAAAAAA"},
		{"switch-token", "create", "--db", db, "extra"},
		{"switch-token", "create", "--db", db, "--name", "two\nlines"},
		{"switch-token", "rotate"},
	} {
		if _, stderr, code := run(args...); code != 2 {
			t.Errorf("%q: exit %d, want 2\n%s", args, code, stderr)
		}
	}

	stdout, stderr, code := run("switch-token", "create", "--db", db, "--name", "kamailio-1")
	if code != 0 {
		t.Fatalf("switch-token create: exit %d\n%s", code, stderr)
	}
	var created map[string]any
	if err := json.Unmarshal([]byte(stdout), &created); err != nil || len(nonEmptyLines(stdout)) != 1 {
		t.Fatalf("switch-token create printed %q, want one JSON object (%v)", stdout, err)
	}
	id, token := str(created["id"]), str(created["token"])
	if !switchTokenIDShape.MatchString(id) || !tokenShape.MatchString(token) || created["name"] != "kamailio-1" || created["revoked_at"] != nil {
		t.Errorf("switch-token create = %v, want id ST_…, token sk_live_…, name kamailio-1, revoked_at null", created)
	}
	if stdout, _, code := run("switch-token", "create", "--db", db); code != 0 || !strings.Contains(stdout, `"name":null`) {
		t.Errorf("switch-token create without --name: exit %d, %s; want name null", code, stdout)
	}

	stdout, _, code = run("switch-token", "list", "--db", db)
	if code != 0 || strings.Contains(stdout, token) || strings.Contains(stdout, "sk_live_") || strings.Contains(stdout, `"token"`) {
		t.Errorf("switch-token list: exit %d, shows a token:\n%s", code, stdout)
	}
	if lines := nonEmptyLines(stdout); len(lines) != 2 || !strings.Contains(lines[0], id) {
		t.Errorf("switch-token list = %q, want 2 lines, oldest first", lines)
	}

	stdout, stderr, code = run("switch-token", "revoke", "--db", db, id)
	var revoked map[string]any
	if code != 0 || json.Unmarshal([]byte(stdout), &revoked) != nil || str(revoked["revoked_at"]) == "" || revoked["id"] != id {
		t.Errorf("switch-token revoke: exit %d, %s%s; want the token with revoked_at", code, stdout, stderr)
	}
	if _, stderr, code := run("switch-token", "revoke", "--db", db, "ST_NOSUCH00"); code != 1 || !strings.Contains(stderr, partnerd.ECNotFound) {
		t.Errorf("revoke an unknown token: exit %d, %s; want 1, not_found", code, stderr)
	}
}

// TestSwitchAPIThroughServe runs serve with --sip-realm and checks the
// switch API end to end: a switch token from the operator command works on
// the switch API and not on the partner API, partner credentials the other
// way round, the customer's SIP credentials come out hashed in the realm,
// and a token revoked by the command is refused within the credential
// cache's second.
func TestSwitchAPIThroughServe(t *testing.T) {
	t.Parallel()
	db := tempDB(t)
	srv := serveWithArgs(t, db, "--sip-realm", "pbx.example.com")
	partnerID, partnerToken := mustCredentials(t, srv.stdout.String())
	stdout, stderr, err := runCmd("switch-token", "create", "--db", db, "--name", "edge")
	if err != nil {
		t.Fatalf("switch-token create: %v\n%s", err, stderr)
	}
	var st struct{ ID, Token string }
	if err := json.Unmarshal([]byte(stdout), &st); err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Timeout: 10 * time.Second}
	defer hc.CloseIdleConnections()
	call := func(method, path string, hdr map[string]string, body any) (int, map[string]any) {
		t.Helper()
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, _ := http.NewRequest(method, srv.url+path, rd)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	partner := map[string]string{"X-Auth-ID": partnerID, "X-Auth-Token": partnerToken}
	bearer := map[string]string{"Authorization": "Bearer " + st.Token}

	code, acct := call("POST", "/api/v1/partner/accounts", partner, map[string]any{
		"name": "Phones", "email": "phones@example.com", "password": "SecurePass@123", "phone": "9431538535", "country": "IN"})
	if code != http.StatusCreated {
		t.Fatalf("POST /accounts = %d %v", code, acct)
	}
	code, ep := call("POST", "/api/v1/partner/accounts/"+str(acct["auth_id"])+"/sip-endpoints", partner,
		map[string]any{"username": "desk100", "password": "SecurePass@123"})
	if code != http.StatusCreated || ep["sip_domain"] != "pbx.example.com" {
		t.Fatalf("POST sip-endpoints = %d %v, want 201 with sip_domain pbx.example.com", code, ep)
	}

	creds := "/api/v1/switch/sip-credentials/desk100"
	code, got := call("GET", creds, bearer, nil)
	sum := md5.Sum([]byte("desk100:pbx.example.com:SecurePass@123"))
	if code != http.StatusOK || got["ha1"] != hex.EncodeToString(sum[:]) || got["realm"] != "pbx.example.com" || got["endpoint_id"] != ep["endpoint_id"] {
		t.Errorf("GET sip-credentials = %d %v, want 200 with the HA1 in realm pbx.example.com", code, got)
	}
	// Each API refuses the other's credentials.
	if code, body := call("GET", creds, partner, nil); code != http.StatusUnauthorized || body["error"] != partnerd.ECMissingCredentials {
		t.Errorf("partner credentials on the switch API = %d %v, want 401 missing_credentials", code, body)
	}
	if code, body := call("GET", "/api/v1/partner/me", bearer, nil); code != http.StatusUnauthorized || body["error"] != partnerd.ECMissingCredentials {
		t.Errorf("switch token on the partner API = %d %v, want 401 missing_credentials", code, body)
	}

	// Revoked by the operator command while the server runs: refused
	// within the credential cache's second.
	if _, stderr, err := runCmd("switch-token", "revoke", "--db", db, st.ID); err != nil {
		t.Fatalf("switch-token revoke: %v\n%s", err, stderr)
	}
	revokedAt := time.Now()
	for {
		code, body := call("GET", creds, bearer, nil)
		if code == http.StatusUnauthorized && body["error"] == partnerd.ECInvalidCredentials {
			break
		}
		if time.Since(revokedAt) > 3*time.Second {
			t.Fatalf("3s after the revoke the token still gets %d %v, want 401 invalid_credentials within about 1s", code, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// serveWithArgs runs serve on db with more flags, like mustServe.
func serveWithArgs(t *testing.T, db string, extra ...string) *testServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &testServer{addr: mustFreeAddr(t), stdout: &syncBuffer{}, stderr: &syncBuffer{}, cancel: cancel, done: make(chan error, 1)}
	s.url = "http://" + s.addr
	args := append([]string{"serve", "--addr", s.addr, "--db", db}, extra...)
	go func() { s.done <- run(ctx, args, envMap(nil), s.stdout, s.stderr) }()
	t.Cleanup(func() {
		cancel()
		<-s.done
	})
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(s.stderr.String(), `"msg":"listening"`) {
		select {
		case err := <-s.done:
			t.Fatalf("serve returned: %v\n%s", err, s.stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not listen within 15s:\n%s", s.stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return s
}

// TestServeRefusesBadSIPRealm checks that a realm that cannot be hashed
// unambiguously is a usage error, before any database is touched.
func TestServeRefusesBadSIPRealm(t *testing.T) {
	t.Parallel()
	db := tempDB(t)
	for _, realm := range []string{"", "pbx:5060", `a"b`, strings.Repeat("a", 254)} {
		_, _, err := runCmd("serve", "--db", db, "--addr", "127.0.0.1:0", "--sip-realm", realm)
		if exitCode(err) != 2 {
			t.Errorf("serve --sip-realm %q: %v (exit %d), want a usage error", realm, err, exitCode(err))
		}
	}
	if _, err := os.Stat(db); err == nil {
		t.Errorf("serve with a bad realm created the database")
	}
}

// str returns v as a string, or "" if it is not one.
func str(v any) string {
	s, _ := v.(string)
	return s
}

// TestSIPClientThroughServe drives the SIP endpoints through the public
// client against serve: what the client sends is what the server reads,
// and back.
func TestSIPClientThroughServe(t *testing.T) {
	t.Parallel()
	srv := mustServe(t, tempDB(t))
	id, token := mustCredentials(t, srv.stdout.String())
	c := client.New(srv.url, id, token)
	ctx := context.Background()
	a, err := c.CreateAccount(ctx, "", partnerd.AccountInput{Name: "Phones", Email: "phones@client.example",
		Password: "SecurePass@123", Phone: "9431538535", Country: "IN"})
	if err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	alias := "Reception"
	e, err := c.CreateSIPEndpoint(ctx, a.AuthID, partnerd.SIPEndpointInput{Username: "reception", Password: "SecurePass@123", Alias: &alias})
	if err != nil {
		t.Fatalf("CreateSIPEndpoint: %v", err)
	}
	want := &partnerd.SIPEndpoint{ID: e.ID, AccountID: a.AuthID, Username: "reception", Alias: &alias,
		Realm: partnerd.DefaultSIPRealm, Status: partnerd.SIPEndpointActive, CreatedAt: e.CreatedAt}
	if diff := cmp.Diff(want, e); diff != "" || e.CreatedAt.IsZero() {
		t.Errorf("CreateSIPEndpoint (-want +got):\n%s", diff)
	}
	list, total, err := c.ListSIPEndpoints(ctx, a.AuthID, partnerd.Page{})
	if err != nil || total != 1 || len(list) != 1 || cmp.Diff(want, list[0]) != "" {
		t.Errorf("ListSIPEndpoints = %v, %d, %v; want the endpoint", list, total, err)
	}
	if got, err := c.SetSIPPassword(ctx, a.AuthID, e.ID, "N3w-secret!"); err != nil || cmp.Diff(want, got) != "" {
		t.Errorf("SetSIPPassword = %+v, %v; want the endpoint", got, err)
	}
	_, err = c.SetSIPPassword(ctx, a.AuthID, e.ID, "weak")
	if partnerd.ErrorCode(err) != partnerd.ECValidation {
		t.Errorf("SetSIPPassword(weak): %v, want validation_error", err)
	}
	_, err = c.CreateSIPEndpoint(ctx, a.AuthID, partnerd.SIPEndpointInput{Username: "reception", Password: "SecurePass@123"})
	if partnerd.ErrorCode(err) != partnerd.ECUsernameTaken {
		t.Errorf("CreateSIPEndpoint(taken): %v, want username_taken", err)
	}
	if err := c.DeleteSIPEndpoint(ctx, a.AuthID, e.ID); err != nil {
		t.Fatalf("DeleteSIPEndpoint: %v", err)
	}
	if _, err := c.SIPEndpoint(ctx, a.AuthID, e.ID); partnerd.ErrorCode(err) != partnerd.ECNotFound {
		t.Errorf("SIPEndpoint after delete: %v, want not_found", err)
	}
	if _, err := c.SIPEndpoint(ctx, "MA_00000000", e.ID); partnerd.ErrorCode(err) != partnerd.ECAccountNotFound {
		t.Errorf("SIPEndpoint of an unknown customer: %v, want account_not_found", err)
	}
}

// TestServeRefusesBadWebhookFlags: a webhook flag that cannot work (no
// attempt in flight, a claim shorter than the attempt it covers) is a
// usage error naming it, not a value raised in silence.
func TestServeRefusesBadWebhookFlags(t *testing.T) {
	t.Parallel()
	db := tempDB(t)
	for _, args := range [][]string{
		{"--webhook-concurrency", "0"}, {"--webhook-concurrency", "-1"},
		{"--webhook-lease", "-5s"}, {"--webhook-lease", "10s"},
	} {
		_, _, err := runCmd(append([]string{"serve", "--db", db, "--addr", "127.0.0.1:0"}, args...)...)
		if exitCode(err) != 2 || !strings.Contains(err.Error(), args[0]) {
			t.Errorf("serve %s %s: %v (exit %d), want a usage error naming it", args[0], args[1], err, exitCode(err))
		}
	}
}
