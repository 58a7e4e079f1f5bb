package httpapi_test

import (
	"context"
	"database/sql"
	"net/http"
	"testing"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/secret"
)

// newClockEnv returns a server of its own whose credential cache runs on a
// manual clock (manualClock is in transfer_test.go).
func newClockEnv(t *testing.T) (*testEnv, *manualClock) {
	t.Helper()
	clock := &manualClock{now: time.Date(2026, 3, 25, 10, 0, 0, 0, time.UTC)}
	e, closeEnv, err := openEnvWith(t.TempDir(), envOptions{serverNow: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeEnv)
	return e, clock
}

// mustExecSQL changes the database behind the server's back, as an
// operator command or another instance would.
func (e *testEnv) mustExecSQL(t *testing.T, query string, args ...any) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+e.dbPath+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(context.Background(), query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// wantStatus checks a GET's status.
func (e *testEnv) wantStatus(t *testing.T, path string, c creds, want int) {
	t.Helper()
	if r := e.get(t, base+path, c); r.status != want {
		t.Errorf("GET %s = %d, want %d; body: %s", path, r.status, want, r.raw)
	}
}

func TestPartnerInactive(t *testing.T) {
	t.Parallel()
	e, clock := newClockEnv(t)
	p := e.mustPartner(t, "Sleepy Telecom")
	e.wantStatus(t, "/me", p, http.StatusOK)
	// No API or store method suspends a partner yet: do it in SQL, as an
	// operator command would.
	e.mustExecSQL(t, `UPDATE partners SET status = 'inactive' WHERE id = ?`, p.ID)

	// A successful authentication is remembered for a second, so the
	// suspension takes effect within that, and not before (this instance
	// did not make the change, so nothing told it).
	clock.Set(clock.Now().Add(time.Second - time.Nanosecond))
	e.wantStatus(t, "/me", p, http.StatusOK)
	clock.Set(clock.Now().Add(time.Nanosecond))
	for _, path := range []string{"/me", "/accounts", "/accounts/MA_00000000"} {
		r := e.get(t, base+path, p)
		wantError(t, r, http.StatusForbidden, partnerd.ECPartnerInactive)
	}
	r := e.post(t, base+"/accounts", p, validAccount("Nope", "nope@example.com"))
	wantError(t, r, http.StatusForbidden, partnerd.ECPartnerInactive)
	// Wrong credentials still say only that they are wrong.
	r = e.get(t, base+"/me", creds{p.ID, p.Token + "x"})
	wantError(t, r, http.StatusUnauthorized, partnerd.ECInvalidCredentials)

	// Refusals are never remembered: reactivated, the partner is let in
	// on its next request, with the clock standing still.
	e.mustExecSQL(t, `UPDATE partners SET status = 'active' WHERE id = ?`, p.ID)
	e.wantStatus(t, "/me", p, http.StatusOK)
}

func TestForgetCredentials(t *testing.T) {
	t.Parallel()
	e, _ := newClockEnv(t)
	p := e.mustPartner(t, "Rotating Telecom")
	neighbour := e.mustPartner(t, "Neighbour Telecom")
	e.wantStatus(t, "/me", p, http.StatusOK)
	e.wantStatus(t, "/me", neighbour, http.StatusOK)

	// A token rotated behind the server's back: the old one is still
	// remembered, but the new one is checked against the database (the
	// cache is keyed by token too, so it never answers for another one).
	newToken := secret.NewToken()
	e.mustExecSQL(t, `UPDATE partners SET token_hash = ? WHERE id = ?`, secret.HashToken(newToken), p.ID)
	rotated := creds{p.ID, newToken}
	e.wantStatus(t, "/me", p, http.StatusOK)
	e.wantStatus(t, "/me", rotated, http.StatusOK)
	wantError(t, e.get(t, base+"/me", creds{p.ID, secret.NewToken()}), http.StatusUnauthorized, partnerd.ECInvalidCredentials)

	// The instance that rotates a token forgets the partner's credentials:
	// the old token is refused at once, the clock standing still.
	e.api.ForgetCredentials(p.ID)
	wantError(t, e.get(t, base+"/me", p), http.StatusUnauthorized, partnerd.ECInvalidCredentials)
	e.wantStatus(t, "/me", rotated, http.StatusOK)

	// The same for a status change; the neighbour is not affected.
	e.mustExecSQL(t, `UPDATE partners SET status = 'inactive' WHERE id = ?`, p.ID)
	e.wantStatus(t, "/me", rotated, http.StatusOK)
	e.api.ForgetCredentials(p.ID)
	wantError(t, e.get(t, base+"/me", rotated), http.StatusForbidden, partnerd.ECPartnerInactive)
	e.wantStatus(t, "/me", neighbour, http.StatusOK)
}
