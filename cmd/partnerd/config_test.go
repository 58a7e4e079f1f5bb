package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

// configRow is one row of the README's configuration table.
var configRow = regexp.MustCompile("^\\| (`--[a-z-]+`|\\(none\\)) \\| `(PARTNERD_[A-Z_]+)` \\| ([^|]+) \\| [^|]+ \\|$")

// The README's configuration table and serve's flags are the same list:
// each flag has its environment twin and its default in one row, and
// every row without a flag is an environment-only setting.
func TestConfigTable(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n### Configuration\n")
	if !ok {
		t.Fatal("README has no ### Configuration section")
	}
	section, _, _ = strings.Cut(section, "\n### ")
	type row struct{ env, def string }
	inREADME := map[string]row{}
	var envOnlyRows []string
	for _, line := range strings.Split(section, "\n") {
		m := configRow.FindStringSubmatch(line)
		if m == nil {
			if strings.HasPrefix(line, "| `") {
				t.Errorf("README table row not in the form | `--flag` | `PARTNERD_X` | default | meaning |: %s", line)
			}
			continue
		}
		if m[1] == "(none)" {
			envOnlyRows = append(envOnlyRows, m[2])
			continue
		}
		inREADME[strings.Trim(m[1], "`-")] = row{m[2], strings.TrimSpace(m[3])}
	}

	fs := newFlags("serve", "", io.Discard)
	serveFlags(fs, envMap(nil))
	twins := map[string]string{}
	for _, tw := range fs.twins {
		twins[tw.flag] = tw.env
	}
	fromFlags := map[string]row{}
	fs.VisitAll(func(f *flag.Flag) {
		def := "`" + f.DefValue + "`"
		if f.DefValue == "" {
			def = "(none)"
		}
		if twins[f.Name] == "" {
			t.Errorf("--%s has no environment twin", f.Name)
		}
		fromFlags[f.Name] = row{twins[f.Name], def}
	})
	if diff := cmp.Diff(fromFlags, inREADME, cmp.AllowUnexported(row{})); diff != "" {
		t.Errorf("README configuration table differs from serve's flags (-flags +README):\n%s", diff)
	}
	if diff := cmp.Diff(envOnly, envOnlyRows); diff != "" {
		t.Errorf("environment-only settings in the README (-code +README):\n%s", diff)
	}
}

// A variable replaces the default and a flag replaces both; a bad value in
// a variable is a usage error naming it.
func TestServeEnvTwins(t *testing.T) {
	t.Parallel()
	parse := func(env map[string]string, args ...string) (*serveConfig, error) {
		fs := newFlags("serve", "", io.Discard)
		c := serveFlags(fs, envMap(env))
		if err := fs.parse(args); err != nil {
			return nil, err
		}
		return c, c.check(fs)
	}
	c, err := parse(nil)
	if err != nil || *c.rateLimit != 100 || *c.switchLimit != 2000 || *c.shutdownDelay != 5*time.Second {
		t.Errorf("defaults: %v, rate %d, switch %d, delay %v", err, *c.rateLimit, *c.switchLimit, *c.shutdownDelay)
	}
	env := map[string]string{"PARTNERD_RATE_LIMIT": "7", "PARTNERD_METRICS_ALLOW": "10.0.0.0/8, 192.0.2.1", "PARTNERD_ADDR": "127.0.0.1:9"}
	c, err = parse(env, "--addr", "127.0.0.1:10")
	if err != nil || *c.rateLimit != 7 || *c.addr != "127.0.0.1:10" || len(c.allowNets) != 2 || c.allowNets[1].String() != "192.0.2.1/32" {
		t.Errorf("env and flags: %v, rate %d, addr %s, allow %v", err, *c.rateLimit, *c.addr, c.allowNets)
	}
	for _, bad := range []map[string]string{
		{"PARTNERD_RATE_LIMIT": "fast"}, {"PARTNERD_RATE_LIMIT": "-1"}, {"PARTNERD_METRICS_ALLOW": "intranet"}, {"PARTNERD_SHUTDOWN_DELAY": "5"},
	} {
		_, err := parse(bad)
		var u usageError
		if !errors.As(err, &u) {
			t.Errorf("%v: err = %v, want a usage error", bad, err)
		}
	}
}

// The configuration logged at start has every setting, and no secret: not
// the secret key, not a database URL's password.
func TestServeLogsConfiguration(t *testing.T) {
	t.Parallel()
	key := hex.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	env := map[string]string{"PARTNERD_SECRET_KEY": key, "PARTNERD_RATE_LIMIT": "7"}
	s, err := tryServeWith(t, tempDB(t), env, "--shutdown-delay", "0s")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.stop(t); err != nil {
		t.Fatal(err)
	}
	logged := s.stderr.String()
	var cfg map[string]any
	for _, line := range strings.Split(logged, "\n") {
		if strings.Contains(line, `"msg":"configuration"`) {
			if err := json.Unmarshal([]byte(line), &cfg); err != nil {
				t.Fatal(err)
			}
		}
	}
	for k, want := range map[string]any{"rate-limit": "7", "switch-rate-limit": "2000", "addr": s.addr, "PARTNERD_SECRET_KEY": "set (redacted)"} {
		if cfg[k] != want {
			t.Errorf("configuration %s = %v, want %v; line: %v", k, cfg[k], want, cfg)
		}
	}
	if strings.Contains(logged, key) {
		t.Errorf("the secret key is in the log:\n%s", logged)
	}

	// A PostgreSQL URL's password: the configuration is logged before the
	// database is reached (here it cannot be), and neither the log nor the
	// error holds the password.
	var out, errOut syncBuffer
	err = run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0", "--db", "postgres://partnerd:hunter2-pw@127.0.0.1:1/partnerd?sslmode=disable"},
		envMap(env), &out, &errOut)
	if err == nil {
		t.Fatal("serve on an unreachable PostgreSQL returned nil")
	}
	if all := errOut.String() + out.String() + err.Error(); strings.Contains(all, "hunter2") || strings.Contains(all, key) {
		t.Errorf("a secret reached the output:\nerr: %v\n%s", err, all)
	}
	if !strings.Contains(errOut.String(), `"db":"postgres://partnerd:xxxxx@127.0.0.1:1/partnerd?sslmode=disable"`) {
		t.Errorf("configuration line has no redacted db URL:\n%s", errOut.String())
	}
}

func TestRedactDSN(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"./partnerd.db":                        "./partnerd.db",
		"postgres://u:pw@h:5432/db":            "postgres://u:xxxxx@h:5432/db",
		"postgres://u@h/db?password=pw":        "postgres://u@h/db?password=xxxxx",
		"host=h user=u password=pw dbname=d":   "host=h user=u password=xxxxx dbname=d",
		"host=h password = 'pw \\' pw' user=u": "host=h password = xxxxx user=u",
		"password='pw":                         "password=xxxxx",
		"PASSWORD=pw host=h":                   "PASSWORD=xxxxx host=h",
	} {
		if got := sqlstore.Redact(in); got != want || strings.Contains(got, "pw") {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

// After SIGTERM (the context's end) /readyz answers 503 while requests are
// still served, until the delay ends; then run returns nil.
func TestServeDrains(t *testing.T) {
	t.Parallel()
	s, err := tryServeWith(t, tempDB(t), nil, "--shutdown-delay", "10s")
	if err != nil {
		t.Fatal(err)
	}
	partnerID, token := mustCredentials(t, s.stdout.String())
	closes := false // whether the last answer closed its connection
	get := func(path string) int {
		req, _ := http.NewRequest(http.MethodGet, s.url+path, nil)
		req.Header.Set("X-Auth-ID", partnerID)
		req.Header.Set("X-Auth-Token", token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		resp.Body.Close()
		closes = resp.Close
		return resp.StatusCode
	}
	if got := get("/readyz"); got != http.StatusOK || closes {
		t.Fatalf("GET /readyz = %d (connection closed: %v), want 200 on a kept-alive connection", got, closes)
	}
	s.cancel()
	for !strings.Contains(s.stderr.String(), `"msg":"draining"`) {
		select {
		case err := <-s.done:
			t.Fatalf("serve returned before draining: %v", err)
		case <-time.After(5 * time.Millisecond):
		}
	}
	if got := get("/readyz"); got != http.StatusServiceUnavailable {
		t.Errorf("GET /readyz while draining = %d, want 503", got)
	}
	if got := get("/api/v1/partner/me"); got != http.StatusOK || !closes {
		t.Errorf("GET /me while draining = %d (connection closed: %v), want 200 with Connection: close", got, closes)
	}
	if err := s.stop(t); err != nil {
		t.Errorf("run = %v, want nil", err)
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	stdout, _, err := runCmd("version")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "partnerd ") || !strings.HasPrefix(lines[1], "commit ") || !strings.HasPrefix(lines[2], "go1.") {
		t.Errorf("partnerd version printed:\n%s\nwant partnerd VERSION, commit COMMIT, goVERSION", stdout)
	}
}

func TestHealthcheck(t *testing.T) {
	t.Parallel()
	var status atomic.Int32
	status.Store(http.StatusOK)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(int(status.Load()))
	}))
	defer srv.Close()
	if _, _, err := runCmd("healthcheck", srv.URL+"/readyz"); err != nil {
		t.Errorf("healthcheck of a 200 = %v, want nil", err)
	}
	status.Store(http.StatusServiceUnavailable)
	if _, _, err := runCmd("healthcheck", srv.URL+"/readyz"); err == nil || exitCode(err) != 1 {
		t.Errorf("healthcheck of a 503 = %v, want an error (exit 1)", err)
	}
	if _, _, err := runCmd("healthcheck"); exitCode(err) != 2 {
		t.Errorf("healthcheck without a URL = %v, want a usage error", err)
	}
}

// TestServeWarnsOfOtherRealms: endpoints whose passwords were hashed
// before --sip-realm changed are named at start, as their phones fail
// the new realm's challenge until their passwords are set again; a
// server in their realm says nothing of them.
func TestServeWarnsOfOtherRealms(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, store, p, _, a := storeWithCustomer(t, "realms")
	for _, u := range []string{"desk100", "desk101"} {
		if _, err := store.CreateSIPEndpoint(ctx, p.ID, a.AuthID, partnerd.DefaultSIPRealm,
			partnerd.SIPEndpointInput{Username: u, Password: "Str0ng!pass"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	warning := func(flags ...string) string {
		t.Helper()
		s, err := tryServeWith(t, db, nil, append([]string{"--shutdown-delay", "0s"}, flags...)...)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.stop(t); err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(s.stderr.String(), "\n") {
			if strings.Contains(line, "another realm") {
				return line
			}
		}
		return ""
	}
	if w := warning("--sip-realm", "pbx.example.com"); !strings.Contains(w, `"level":"WARN"`) ||
		!strings.Contains(w, `"realm":"partnerd.local","endpoints":2,"sip_realm":"pbx.example.com"`) {
		t.Errorf("serve --sip-realm pbx.example.com over 2 endpoints of partnerd.local: warning %q", w)
	}
	if w := warning(); w != "" {
		t.Errorf("serve in the endpoints' own realm warned: %s", w)
	}
}
