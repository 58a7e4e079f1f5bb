package console_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/partnerd/partnerd"
)

// consolePages are the GET pages a session sees.
var consolePages = []string{"/console/", "/console/customers", "/console/numbers", "/console/calls",
	"/console/transactions", "/console/webhooks", "/console/audit", "/console/settings"}

// TestSignInThroughSetupLink: the one-time link sets a password by the
// accounts' policy (in the API's words), works once, and signing in gives
// a __Host- cookie that is HttpOnly, Secure and SameSite=Lax; signing
// out ends the session on the server.
func TestSignInThroughSetupLink(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite", 1)
	ctx := context.Background()
	p, _, err := e.db.CreatePartner(ctx, partnerd.PartnerInput{Name: "Setup Co", Email: "ops@setup.example"})
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := e.db.CreateConsoleSetupToken(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	b := e.browser(t, 0)
	for _, path := range consolePages {
		if r := b.get(path); r.status != http.StatusSeeOther || r.header.Get("Location") != "/console/login" {
			t.Errorf("GET %s without a session = %d to %q, want 303 to /console/login", path, r.status, r.header.Get("Location"))
		}
	}
	wantIn(t, b.wantStatus(b.get("/console/setup/"+token), http.StatusOK), "Setup Co", "<h1>Set your console password</h1>")
	weak := b.wantStatus(b.post("/console/setup/"+token, url.Values{"password": {"short"}, "password_again": {"short"}}), http.StatusBadRequest)
	wantIn(t, weak, "password must be at least 8 characters and include a number and a special character")
	differ := b.wantStatus(b.post("/console/setup/"+token, url.Values{"password": {partnerPassword}, "password_again": {"Other@Pass1"}}), http.StatusBadRequest)
	wantIn(t, differ, "the two passwords differ")
	done := b.wantStatus(b.post("/console/setup/"+token, url.Values{"password": {partnerPassword}, "password_again": {partnerPassword}}), http.StatusSeeOther)
	if loc := done.header.Get("Location"); loc != "/console/login?done=password" {
		t.Errorf("setup redirects to %q", loc)
	}
	b.wantStatus(b.get("/console/setup/"+token), http.StatusNotFound)
	b.wantStatus(b.post("/console/setup/"+token, url.Values{"password": {partnerPassword}, "password_again": {partnerPassword}}), http.StatusNotFound)

	wrong := b.signIn("ops@setup.example", "Wrong@Pass1", http.StatusUnauthorized)
	wantIn(t, wrong, "The email or password is wrong.")
	unknown := b.signIn("nobody@setup.example", partnerPassword, http.StatusUnauthorized)
	wantIn(t, unknown, "The email or password is wrong.")

	in := b.signIn("OPS@setup.example", partnerPassword, http.StatusSeeOther)
	var cookie string
	for _, c := range in.header.Values("Set-Cookie") {
		if strings.HasPrefix(c, "__Host-partnerd_console=") {
			cookie = c
		}
	}
	for _, attr := range []string{"Path=/", "HttpOnly", "Secure", "SameSite=Lax"} {
		if !strings.Contains(cookie, attr) {
			t.Errorf("session cookie %q lacks %s", cookie, attr)
		}
	}
	if strings.Contains(cookie, "Domain=") || len(b.cookie) < 43 {
		t.Errorf("session cookie %q: want no Domain and a 256-bit id", cookie)
	}
	for _, path := range consolePages {
		b.wantStatus(b.get(path), http.StatusOK)
	}
	old := b.cookie
	out := b.wantStatus(b.post("/console/logout", url.Values{}), http.StatusSeeOther)
	if loc := out.header.Get("Location"); loc != "/console/login?done=out" || b.cookie != "" {
		t.Errorf("sign-out: Location %q, cookie %q; want the login page and the cookie cleared", loc, b.cookie)
	}
	b.cookie = old // a copy of the cookie is worth nothing now
	if r := b.get("/console/"); r.status != http.StatusSeeOther {
		t.Errorf("GET /console/ with a signed-out session id = %d, want 303", r.status)
	}
}

// TestLockoutAfterFiveFailures: five wrong passwords lock that email for
// 15 minutes, even against the right password; another email is not
// locked.
func TestLockoutAfterFiveFailures(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite", 1)
	p, _, b := e.mustPartner(t, "Locked")
	other, _, _ := e.mustPartner(t, "Unlocked")
	b.cookie = ""
	for range partnerd.ConsoleLockFailures {
		b.signIn(p.Email, "Wrong@Pass1", http.StatusUnauthorized)
	}
	locked := b.signIn(p.Email, partnerPassword, http.StatusTooManyRequests)
	wantIn(t, locked, "this email is locked for 15 minutes")
	if ra, err := strconv.Atoi(locked.header.Get("Retry-After")); err != nil || ra < 1 || ra > 15*60 {
		t.Errorf("a locked sign-in's Retry-After = %q, want the seconds until the lock ends", locked.header.Get("Retry-After"))
	}
	if b.cookie != "" {
		t.Errorf("a locked sign-in set a session cookie")
	}
	b.signIn(other.Email, partnerPassword, http.StatusSeeOther)
}

// TestSessionsAcrossInstances: on PostgreSQL (and SQLite) behind two
// instances, a session made on one is known to the other, and signing
// out on one ends it on both; sign out everywhere ends every session.
func TestSessionsAcrossInstances(t *testing.T) {
	t.Parallel()
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, driver, 2)
			_, _, a := e.mustPartner(t, "Roaming")
			b := e.browser(t, 1)
			b.cookie = a.cookie
			wantIn(t, b.wantStatus(b.get("/console/"), http.StatusOK), "<h1>Overview</h1>")
			b.wantStatus(b.post("/console/logout", url.Values{}), http.StatusSeeOther)
			if r := a.get("/console/"); r.status != http.StatusSeeOther {
				t.Errorf("instance A after sign-out on B = %d, want 303", r.status)
			}
			p := e.browser(t, 0)
			p.signIn("roaming@partner.example", partnerPassword, http.StatusSeeOther)
			q := e.browser(t, 1)
			q.signIn("roaming@partner.example", partnerPassword, http.StatusSeeOther)
			q.wantStatus(q.post("/console/logout-everywhere", url.Values{}), http.StatusSeeOther)
			if r := p.get("/console/customers"); r.status != http.StatusSeeOther {
				t.Errorf("the other session after sign-out everywhere = %d, want 303", r.status)
			}
		})
	}
}

// TestCredentialsDoNotCross: the console ignores X-Auth-* headers and the
// API ignores the console's cookie.
func TestCredentialsDoNotCross(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite", 1)
	p, token, b := e.mustPartner(t, "Crossing")
	api := b.get("/api/v1/partner/me")
	if api.status != http.StatusUnauthorized {
		t.Errorf("API with only the console cookie = %d, want 401", api.status)
	}
	c := e.browser(t, 0)
	c.header.Set("X-Auth-ID", p.ID)
	c.header.Set("X-Auth-Token", token)
	if r := c.get("/console/"); r.status != http.StatusSeeOther {
		t.Errorf("console with API headers and no session = %d, want 303", r.status)
	}
	if r := c.get("/api/v1/partner/me"); r.status != http.StatusOK {
		t.Errorf("the same headers on the API = %d, want 200 (the test's credentials work)", r.status)
	}
}

// TestInactivePartnerSignedOut: a partner the operator made inactive
// loses its sessions and cannot sign in.
func TestInactivePartnerSignedOut(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite", 1)
	p, _, b := e.mustPartner(t, "Dormant")
	inactive := partnerd.PartnerInactive
	if _, err := e.db.SetPartner(context.Background(), p.ID, partnerd.PartnerSettings{Status: &inactive}); err != nil {
		t.Fatal(err)
	}
	if r := b.get("/console/"); r.status != http.StatusSeeOther {
		t.Errorf("an inactive partner's session = %d, want 303 to sign in", r.status)
	}
	wantIn(t, b.signIn(p.Email, partnerPassword, http.StatusForbidden), "This partner is not active")
}

// TestLockoutHoldsUnderConcurrency: on both engines behind two
// instances, of many wrong passwords sent at once only five are checked
// (401) and every other is refused as locked (429); the right password
// then finds the email locked too.
func TestLockoutHoldsUnderConcurrency(t *testing.T) {
	t.Parallel()
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, driver, 2)
			p, _, _ := e.mustPartner(t, "Besieged")
			const n = 20
			statuses := make(chan int, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					b := e.browser(t, i%2)
					statuses <- b.post("/console/login", url.Values{"email": {p.Email}, "password": {"Wrong@Pass1"}}).status
				}()
			}
			wg.Wait()
			close(statuses)
			counts := map[int]int{}
			for s := range statuses {
				counts[s]++
			}
			if counts[http.StatusUnauthorized] != partnerd.ConsoleLockFailures || counts[http.StatusTooManyRequests] != n-partnerd.ConsoleLockFailures {
				t.Errorf("%d wrong passwords at once answered %v, want %d × 401 and the rest 429", n, counts, partnerd.ConsoleLockFailures)
			}
			b := e.browser(t, 1)
			b.signIn(p.Email, partnerPassword, http.StatusTooManyRequests)
			if b.cookie != "" {
				t.Errorf("the right password got a session while the email is locked")
			}
		})
	}
}

// TestLockoutMessageTellsNothing: the lock's answer is the same for a
// partner's email (whatever its time zone) and for an unknown one.
func TestLockoutMessageTellsNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite", 1)
	p, _, b := e.mustPartner(t, "ZonedLock")
	tz := "America/Los_Angeles"
	if _, err := e.db.SetPartner(context.Background(), p.ID, partnerd.PartnerSettings{Timezone: &tz}); err != nil {
		t.Fatal(err)
	}
	b.cookie = ""
	message := func(email string) string {
		for range partnerd.ConsoleLockFailures {
			b.signIn(email, "Wrong@Pass1", http.StatusUnauthorized)
		}
		m := regexp.MustCompile(`Too many failed sign-ins[^<]*`).FindString(b.signIn(email, partnerPassword, http.StatusTooManyRequests).body)
		// The minute of the lock's end may differ between the two.
		return regexp.MustCompile(`[0-9]`).ReplaceAllString(m, "0")
	}
	known, unknown := message(p.Email), message("nobody@partner.example")
	if known == "" || known != unknown {
		t.Errorf("lock message for a partner's email %q, for an unknown one %q; want the same", known, unknown)
	}
}

// TestPasswordChangeEndsOtherSessions: a new console password ends every
// other session of the partner but keeps the one that changed it; wrong
// current passwords count toward the sign-in lockout.
func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite", 1)
	p, _, b := e.mustPartner(t, "Changer")
	other := e.browser(t, 0)
	other.signIn(p.Email, partnerPassword, http.StatusSeeOther)
	b.wantStatus(b.post("/console/settings/password", url.Values{"current_password": {partnerPassword},
		"password": {"New@Pass12"}, "password_again": {"New@Pass12"}}), http.StatusSeeOther)
	b.wantStatus(b.get("/console/settings"), http.StatusOK)
	if r := other.get("/console/settings"); r.status != http.StatusSeeOther {
		t.Errorf("another session after the password change = %d, want 303 to sign in", r.status)
	}

	for range partnerd.ConsoleLockFailures {
		wantIn(t, b.wantStatus(b.post("/console/settings/password", url.Values{"current_password": {"Nope@1234"},
			"password": {"Third@Pass3"}, "password_again": {"Third@Pass3"}}), http.StatusBadRequest), "current_password is wrong")
	}
	locked := b.wantStatus(b.post("/console/settings/password", url.Values{"current_password": {"New@Pass12"},
		"password": {"Third@Pass3"}, "password_again": {"Third@Pass3"}}), http.StatusBadRequest)
	wantIn(t, locked, "this email is locked for 15 minutes")
	e.browser(t, 0).signIn(p.Email, "New@Pass12", http.StatusTooManyRequests)
}

// TestCookieFollowsIdleTimeout: every page a session sees gives its
// cookie a new 12 h life, as the server extends the session with each
// use: 12 h is an idle timeout in the browser too, not a hard limit.
func TestCookieFollowsIdleTimeout(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite", 1)
	_, _, b := e.mustPartner(t, "Idler")
	id := b.cookie
	r := b.wantStatus(b.get("/console/customers"), http.StatusOK)
	var refreshed bool
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == "__Host-partnerd_console" && c.Value == id && c.MaxAge == int(partnerd.ConsoleSessionIdle/time.Second) &&
			c.Secure && c.HttpOnly && c.Path == "/" {
			refreshed = true
		}
	}
	if !refreshed {
		t.Errorf("a page of a session set no cookie of a new 12 h life: Set-Cookie %q", r.header.Values("Set-Cookie"))
	}
	out := b.wantStatus(b.post("/console/logout", url.Values{}), http.StatusSeeOther)
	if got := out.header.Values("Set-Cookie"); len(got) != 1 || b.cookie != "" {
		t.Errorf("sign-out sets %q, want only the cookie's removal", got)
	}
}

// TestDeactivationEndsSessions: making a partner inactive ends its
// console sessions on the server, so that reactivating it brings none
// back.
func TestDeactivationEndsSessions(t *testing.T) {
	t.Parallel()
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, driver, 1)
			ctx := context.Background()
			p, _, b := e.mustPartner(t, "Revived")
			old := b.cookie
			for _, status := range []string{partnerd.PartnerInactive, partnerd.StatusActive} {
				if _, err := e.db.SetPartner(ctx, p.ID, partnerd.PartnerSettings{Status: &status}); err != nil {
					t.Fatal(err)
				}
			}
			b.cookie = old
			if r := b.get("/console/"); r.status != http.StatusSeeOther {
				t.Errorf("a session from before the deactivation, after reactivation = %d, want 303 to sign in", r.status)
			}
			b.signIn(p.Email, partnerPassword, http.StatusSeeOther)
		})
	}
}
