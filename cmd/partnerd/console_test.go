package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestPartnerConsoleLink: serve mounts the console on the API's listener,
// and partner console-link prints a one-time link there that sets the
// partner's console password; the partner then signs in.
func TestPartnerConsoleLink(t *testing.T) {
	t.Parallel()
	db := tempDB(t)
	s := mustServe(t, db)
	id, _ := mustCredentials(t, s.stdout.String())
	stdout, stderr, err := runCmd("partner", "console-link", "--db", db, "--url", s.url+"/", id)
	if err != nil {
		t.Fatalf("partner console-link: %v\n%s", err, stderr)
	}
	var out struct {
		AuthID    string `json:"auth_id"`
		URL       string `json:"url"`
		ExpiresAt string `json:"expires_at"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil || out.AuthID != id || !strings.HasPrefix(out.URL, s.url+"/console/setup/") || out.ExpiresAt == "" {
		t.Fatalf("partner console-link printed %q (%v)", stdout, err)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	post := func(u string, form url.Values) *http.Response {
		t.Helper()
		resp, err := noRedirect.PostForm(u, form)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	pw := "Console@Pass1"
	if r := post(out.URL, url.Values{"password": {pw}, "password_again": {pw}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST the setup link = %d, want 303", r.StatusCode)
	}
	if r := post(out.URL, url.Values{"password": {pw}, "password_again": {pw}}); r.StatusCode != http.StatusNotFound {
		t.Errorf("the setup link used twice = %d, want 404", r.StatusCode)
	}
	r := post(s.url+"/console/login", url.Values{"email": {"partner@example.com"}, "password": {pw}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/console/" || r.Header.Get("X-Request-Id") == "" {
		t.Errorf("sign-in = %d to %q, want 303 to /console/ with a request id", r.StatusCode, r.Header.Get("Location"))
	}
	for _, args := range [][]string{{}, {"not-a-partner"}} {
		if _, _, err := runCmd(append([]string{"partner", "console-link", "--db", db}, args...)...); exitCode(err) != 2 {
			t.Errorf("partner console-link %q: exit %d (%v), want 2", args, exitCode(err), err)
		}
	}
	if _, _, err := runCmd("partner", "console-link", "--db", db, "PA_UNKNOWN0"); exitCode(err) != 1 {
		t.Errorf("partner console-link of an unknown partner: %v, want exit 1", err)
	}
	if strings.Contains(s.stderr.String(), pw) {
		t.Error("the console password appears in the server's log")
	}
}
