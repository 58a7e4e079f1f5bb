package httpapi_test

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
)

const switchBase = "/api/v1/switch"

// mustSwitchToken creates a switch token in e's store.
func (e *testEnv) mustSwitchToken(t *testing.T) (id, token string) {
	t.Helper()
	st, token, err := e.db.CreateSwitchToken(context.Background(), partnerd.SwitchTokenInput{})
	if err != nil {
		t.Fatalf("CreateSwitchToken: %v", err)
	}
	return st.ID, token
}

// bearer is the header of a switch token.
func bearer(token string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + token}
}

// switchGet is a GET of the switch API with hdr (its credentials).
func (e *testEnv) switchGet(t *testing.T, path string, hdr map[string]string) reply {
	t.Helper()
	return e.doJSON(t, http.MethodGet, switchBase+path, noCreds, nil, hdr)
}

func TestSIPCredentials(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	_, token := e.mustSwitchToken(t)
	p, authID := e.mustCustomer(t, "SIPLookup")
	user := sipUsername("alice.")
	ep := e.mustEndpoint(t, p, authID, map[string]any{"username": user, "password": "Secret#2026"})

	r := e.switchGet(t, "/sip-credentials/"+user, bearer(token))
	s := user + ":" + partnerd.DefaultSIPRealm + ":Secret#2026"
	m, h := md5.Sum([]byte(s)), sha256.Sum256([]byte(s))
	want := map[string]any{"username": user, "realm": partnerd.DefaultSIPRealm, "ha1": hex.EncodeToString(m[:]),
		"ha1_sha256": hex.EncodeToString(h[:]), "account_auth_id": authID, "endpoint_id": ep["endpoint_id"]}
	if diff := cmp.Diff(want, r.body); r.status != http.StatusOK || diff != "" {
		t.Errorf("GET sip-credentials = %d (-want +got):\n%s", r.status, diff)
	}

	// A new password: the next lookup has the new hashes.
	pwPath := endpointsPath(authID) + "/" + str(ep["endpoint_id"]) + "/password"
	if r := e.post(t, pwPath, p, map[string]any{"password": "N3w-secret!"}); r.status != http.StatusOK {
		t.Fatalf("POST password = %d %s", r.status, r.raw)
	}
	m = md5.Sum([]byte(user + ":" + partnerd.DefaultSIPRealm + ":N3w-secret!"))
	if r := e.switchGet(t, "/sip-credentials/"+user, bearer(token)); str(r.body["ha1"]) != hex.EncodeToString(m[:]) {
		t.Errorf("after the password change ha1 = %v, want the new password's", r.body["ha1"])
	}

	// Every miss is the same 404: unknown, not a username at all, deleted
	// (at once: nothing caches a lookup).
	for _, name := range []string{"nobody-here", "UPPER", "ab", "a%20b"} {
		wantError(t, e.switchGet(t, "/sip-credentials/"+name, bearer(token)), http.StatusNotFound, partnerd.ECNotFound)
	}
	if r := e.send(t, http.MethodDelete, endpointsPath(authID)+"/"+str(ep["endpoint_id"]), p, nil, nil); r.status != http.StatusNoContent || r.raw != "" {
		t.Fatalf("DELETE endpoint = %d %q, want 204 without a body", r.status, r.raw)
	}
	wantError(t, e.switchGet(t, "/sip-credentials/"+user, bearer(token)), http.StatusNotFound, partnerd.ECNotFound)
	wantError(t, e.switchGet(t, "/sip-credentials/"+user+"?x=1", bearer(token)), http.StatusBadRequest, partnerd.ECValidation)
	r = e.doJSON(t, http.MethodPost, switchBase+"/sip-credentials/"+user, noCreds, "{}", bearer(token))
	wantError(t, r, http.StatusMethodNotAllowed, partnerd.ECMethodNotAllowed)
}

// TestSwitchAuthBoundaries checks that the switch API takes only switch
// tokens and the partner API only partner credentials: each gets 401 on
// the other's.
func TestSwitchAuthBoundaries(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	_, token := e.mustSwitchToken(t)
	p := e.mustPartner(t, "SwitchBoundary")
	const path = "/sip-credentials/somebody"
	for _, c := range []struct {
		name string
		hdr  map[string]string
		code string
	}{
		{"no credentials", nil, partnerd.ECMissingCredentials},
		{"partner credentials", map[string]string{"X-Auth-ID": p.ID, "X-Auth-Token": p.Token}, partnerd.ECMissingCredentials},
		{"partner token as bearer", bearer(p.Token), partnerd.ECInvalidCredentials},
		{"basic scheme", map[string]string{"Authorization": "Basic " + token}, partnerd.ECMissingCredentials},
		{"empty bearer", map[string]string{"Authorization": "Bearer "}, partnerd.ECMissingCredentials},
		{"wrong token", bearer(token + "x"), partnerd.ECInvalidCredentials},
	} {
		t.Run(c.name, func(t *testing.T) {
			wantError(t, e.switchGet(t, path, c.hdr), http.StatusUnauthorized, c.code)
		})
	}
	// The scheme is case-insensitive (RFC 9110): this one gets through to a 404.
	wantError(t, e.switchGet(t, path, map[string]string{"Authorization": "bearer " + token}), http.StatusNotFound, partnerd.ECNotFound)

	// The switch token on the partner API: as a bearer it is no partner
	// credential at all; in X-Auth-Token it matches no partner.
	wantError(t, e.doJSON(t, http.MethodGet, base+"/me", noCreds, nil, bearer(token)), http.StatusUnauthorized, partnerd.ECMissingCredentials)
	wantError(t, e.get(t, base+"/me", creds{ID: p.ID, Token: token}), http.StatusUnauthorized, partnerd.ECInvalidCredentials)
	if r := e.get(t, base+"/me", p); r.status != http.StatusOK {
		t.Errorf("the partner's own credentials: %d %s", r.status, r.raw)
	}
}

// TestSwitchTokenRevoke checks the credential cache's bound for switch
// tokens: a token revoked elsewhere (an operator command) works until the
// cache's second ends; ForgetSwitchToken refuses it at once.
func TestSwitchTokenRevoke(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	now := time.Date(2026, 3, 25, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	e, closeEnv, err := openEnvWith(t.TempDir(), envOptions{serverNow: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeEnv)
	ctx := context.Background()
	id, token := e.mustSwitchToken(t)
	otherID, other := e.mustSwitchToken(t)
	const path = "/sip-credentials/somebody"
	ok := func(token string) {
		t.Helper()
		wantError(t, e.switchGet(t, path, bearer(token)), http.StatusNotFound, partnerd.ECNotFound)
	}
	refused := func(token string) {
		t.Helper()
		wantError(t, e.switchGet(t, path, bearer(token)), http.StatusUnauthorized, partnerd.ECInvalidCredentials)
	}
	ok(token)
	ok(other)
	if _, err := e.db.RevokeSwitchToken(ctx, id); err != nil {
		t.Fatal(err)
	}
	ok(token) // remembered for credentialTTL
	mu.Lock()
	now = now.Add(time.Second)
	mu.Unlock()
	refused(token)

	ok(other)
	if _, err := e.db.RevokeSwitchToken(ctx, otherID); err != nil {
		t.Fatal(err)
	}
	e.api.ForgetSwitchToken(otherID)
	refused(other)
}
