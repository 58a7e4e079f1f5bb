package httpapi_test

import (
	"context"
	"crypto/rand"
	"net/http"
	"testing"
	"time"

	"github.com/partnerd/partnerd/internal/pgtest"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

// credentialBound is the documented bound of the credential cache
// (credentialTTL in auth.go, README "Credentials across instances").
const credentialBound = time.Second

// mustInstances serves the API n times on one fresh PostgreSQL database,
// as n stateless instances of a deployment; clocks, if not nil, are the
// instances' credential-cache clocks.
func mustInstances(t *testing.T, n int, clocks []*manualClock) []*testEnv {
	t.Helper()
	src := sqlstore.Source{Driver: "postgres", DSN: pgtest.FreshDSN(t)}
	key := make([]byte, 32)
	rand.Read(key)
	envs := make([]*testEnv, n)
	for i := range envs {
		o := envOptions{src: &src, key: key}
		if clocks != nil {
			o.serverNow = clocks[i].Now
		}
		e, closeEnv, err := openEnvWith(t.TempDir(), o)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(closeEnv)
		envs[i] = e
	}
	return envs
}

// statusOn is the status of GET path with c on e.
func statusOn(t *testing.T, e *testEnv, path string, c creds) int {
	t.Helper()
	return e.get(t, path, c).status
}

// TestCredentialBoundAcrossInstances proves the bound on a three-instance
// PostgreSQL deployment with the instances' cache clocks held still: a
// change made on one instance (or by an operator command) is refused at
// once by that instance, is still honoured by the others while their
// cache holds it, and is refused by every instance once credentialBound
// has passed on their clocks.
func TestCredentialBoundAcrossInstances(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 25, 10, 0, 0, 0, time.UTC)
	clocks := []*manualClock{{now: t0}, {now: t0}, {now: t0}}
	envs := mustInstances(t, 3, clocks)
	advance := func() {
		for _, c := range clocks {
			c.Set(c.Now().Add(credentialBound))
		}
	}
	// wantOn checks the status of GET path with c on each instance.
	wantOn := func(what, path string, c creds, want ...int) {
		t.Helper()
		for i, e := range envs {
			if got := statusOn(t, e, path, c); got != want[i] {
				t.Errorf("%s: instance %d answered %d, want %d", what, i, got, want[i])
			}
		}
	}
	const ok, unauthorized, forbidden = http.StatusOK, http.StatusUnauthorized, http.StatusForbidden
	c := envs[0].mustLifecycleCustomer(t, "Bounded", 0)
	own := "/api/v1/Account/" + c.authID
	old := creds{c.authID, c.token}

	// Customer token rotated on instance 0.
	wantOn("old customer token, before", own, old, ok, ok, ok)
	r := envs[0].post(t, accountPath(c.authID, "rotate-token"), c.partner, map[string]any{})
	fresh := creds{c.authID, str(r.body["auth_token"])}
	wantOn("old customer token, rotated on 0", own, old, unauthorized, ok, ok)
	wantOn("new customer token, at once", own, fresh, ok, ok, ok)
	advance()
	wantOn("old customer token, one bound later", own, old, unauthorized, unauthorized, unauthorized)

	// Suspended on instance 1, then closed on instance 2.
	wantOn("customer, before the suspension", own, fresh, ok, ok, ok)
	envs[1].post(t, accountPath(c.authID, "suspend"), c.partner, map[string]any{})
	wantOn("customer, suspended on 1", own, fresh, ok, forbidden, ok)
	advance()
	wantOn("customer, suspended, one bound later", own, fresh, forbidden, forbidden, forbidden)
	envs[1].post(t, accountPath(c.authID, "activate"), c.partner, map[string]any{})
	advance()
	wantOn("customer, active again", own, fresh, ok, ok, ok)
	envs[2].post(t, accountPath(c.authID, "close"), c.partner, map[string]any{})
	wantOn("customer, closed on 2", own, fresh, ok, ok, unauthorized)
	advance()
	wantOn("customer, closed, one bound later", own, fresh, unauthorized, unauthorized, unauthorized)

	// The partner's token, rotated by the operator: no instance is told.
	wantOn("old partner token, before", base+"/me", c.partner, ok, ok, ok)
	token, err := envs[0].db.RotatePartnerToken(context.Background(), c.partner.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantOn("old partner token, rotated by the operator", base+"/me", c.partner, ok, ok, ok)
	wantOn("new partner token, at once", base+"/me", creds{c.partner.ID, token}, ok, ok, ok)
	advance()
	wantOn("old partner token, one bound later", base+"/me", c.partner, unauthorized, unauthorized, unauthorized)
}

// TestCredentialBoundMeasured measures, on real clocks, how long the two
// other instances of a three-instance PostgreSQL deployment keep taking a
// customer token rotated on the first. It reports the time; the bound
// itself is proven by TestCredentialBoundAcrossInstances.
func TestCredentialBoundMeasured(t *testing.T) {
	t.Parallel()
	envs := mustInstances(t, 3, nil)
	c := envs[0].mustLifecycleCustomer(t, "Measured", 0)
	own := "/api/v1/Account/" + c.authID
	old := creds{c.authID, c.token}
	for i, e := range envs {
		if got := statusOn(t, e, own, old); got != http.StatusOK {
			t.Fatalf("instance %d: %d before the rotation", i, got)
		}
	}
	rotated := time.Now()
	if r := envs[0].post(t, accountPath(c.authID, "rotate-token"), c.partner, map[string]any{}); r.status != http.StatusOK {
		t.Fatalf("rotate-token = %d", r.status)
	}
	if got := statusOn(t, envs[0], own, old); got != http.StatusUnauthorized {
		t.Errorf("rotating instance answered %d to the old token, want 401 at once", got)
	}
	var worst time.Duration
	for i, e := range envs[1:] {
		for statusOn(t, e, own, old) != http.StatusUnauthorized {
			if time.Since(rotated) > 30*time.Second {
				t.Fatalf("instance %d still takes the old token 30 s after its rotation", i+1)
			}
			time.Sleep(20 * time.Millisecond)
		}
		worst = max(worst, time.Since(rotated))
	}
	t.Logf("three PostgreSQL instances: the old token was refused by all within %v of its rotation (documented bound %v)",
		worst.Round(time.Millisecond), credentialBound)
}
