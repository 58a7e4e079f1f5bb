package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestPartnerSetRateLimit(t *testing.T) {
	t.Parallel()
	db := mustMigratedDB(t)
	p := mustPartnerCreate(t, "--db", db, "--name", "Limited", "--email", "ops@limited.example")
	id := p["auth_id"].(string)
	if p["rate_limit"] != json.Number("0") {
		t.Errorf("new partner: rate_limit %v, want 0 (the server's default)", p["rate_limit"])
	}
	stdout, stderr, err := runCmd("partner", "set", "--db", db, "--rate-limit", "25", id)
	if err != nil {
		t.Fatalf("partner set --rate-limit: %v\n%s", err, stderr)
	}
	if !strings.Contains(stdout, `"rate_limit":25`) {
		t.Errorf("partner set --rate-limit 25 printed %s", stdout)
	}
	// Another setting leaves it; 0 restores the default.
	if _, _, err := runCmd("partner", "set", "--db", db, "--timezone", "Asia/Kolkata", id); err != nil {
		t.Fatal(err)
	}
	if stdout, _, _ := runCmd("partner", "list", "--db", db); !strings.Contains(stdout, `"rate_limit":25`) {
		t.Errorf("partner list after another set: %s, want rate_limit 25 kept", stdout)
	}
	if stdout, _, err := runCmd("partner", "set", "--db", db, "--rate-limit", "0", id); err != nil || !strings.Contains(stdout, `"rate_limit":0`) {
		t.Errorf("partner set --rate-limit 0: %v, %s", err, stdout)
	}
	for _, v := range []string{"-1", "1.5", "many", "1000001"} {
		if _, _, err := runCmd("partner", "set", "--db", db, "--rate-limit", v, id); exitCode(err) != 2 {
			t.Errorf("partner set --rate-limit %s: exit %d (%v), want 2", v, exitCode(err), err)
		}
	}
	// The message names the flag as it is spelled.
	if _, _, err := runCmd("partner", "set", "--db", db, "--rate-limit", "-1", id); err == nil || !strings.Contains(err.Error(), "--rate-limit:") {
		t.Errorf("partner set --rate-limit -1: %v, want a message naming --rate-limit", err)
	}
}

func TestPartnerRotateToken(t *testing.T) {
	t.Parallel()
	db := tempDB(t)
	s := mustServe(t, db)
	id, old := mustCredentials(t, s.stdout.String())
	me := func(token string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, s.url+"/api/v1/partner/me", nil)
		req.Header.Set("X-Auth-ID", id)
		req.Header.Set("X-Auth-Token", token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := me(old); got != http.StatusOK {
		t.Fatalf("GET /me with the first token = %d, want 200", got)
	}
	stdout, stderr, err := runCmd("partner", "rotate-token", "--db", db, id)
	if err != nil {
		t.Fatalf("partner rotate-token: %v\n%s", err, stderr)
	}
	var out struct {
		AuthID    string `json:"auth_id"`
		AuthToken string `json:"auth_token"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil || out.AuthID != id || !strings.HasPrefix(out.AuthToken, "sk_live_") || out.AuthToken == old {
		t.Fatalf("partner rotate-token printed %q (%v), want the id and a new token", stdout, err)
	}
	// The new token works at once; the server, which did not rotate it,
	// refuses the old one once its cache forgets it (credentialTTL, 1 s).
	if got := me(out.AuthToken); got != http.StatusOK {
		t.Errorf("GET /me with the new token = %d, want 200", got)
	}
	start := time.Now()
	for me(old) != http.StatusUnauthorized {
		if time.Since(start) > 30*time.Second {
			t.Fatal("the old token still works 30 s after its rotation")
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("old partner token refused %v after an operator rotated it", time.Since(start).Round(time.Millisecond))
	if strings.Contains(s.stderr.String(), out.AuthToken) || strings.Contains(stderr, out.AuthToken) {
		t.Error("the new token appears in a log")
	}
	for _, args := range [][]string{{}, {"PA_A", "PA_B"}} {
		if _, _, err := runCmd(append([]string{"partner", "rotate-token", "--db", db}, args...)...); exitCode(err) != 2 {
			t.Errorf("partner rotate-token %q: exit %d (%v), want 2", args, exitCode(err), err)
		}
	}
	if _, _, err := runCmd("partner", "rotate-token", "--db", db, "PA_UNKNOWN0"); exitCode(err) != 1 {
		t.Errorf("partner rotate-token of an unknown partner: %v, want exit 1", err)
	}
	if stdout, _, _ := runCmd("partner", "rotate-token", "--help"); !strings.Contains(stdout, "-db string") {
		t.Errorf("partner rotate-token --help: %q, want its flags", stdout)
	}
}
