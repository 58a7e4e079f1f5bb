package httpapi_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
)

var reEndpointID = regexp.MustCompile(`^EP_[A-Z0-9]{8}$`)

// sipSeq keeps the usernames of tests on a shared server apart: they are
// unique server-wide.
var sipSeq atomic.Int64

func sipUsername(prefix string) string { return fmt.Sprintf("%s-%d", prefix, sipSeq.Add(1)) }

// mustCustomer creates a partner and one customer, and returns the
// partner's credentials and the customer's auth_id.
func (e *testEnv) mustCustomer(t *testing.T, name string) (creds, string) {
	t.Helper()
	p := e.mustPartner(t, name)
	a := e.mustCreateAccount(t, p, validAccount(name, fmt.Sprintf("%s-%d@customer.example", strings.ToLower(name), partnerSeq.Add(1))))
	return p, str(a["auth_id"])
}

// endpointsPath is the SIP endpoints collection of a customer.
func endpointsPath(authID string) string { return base + "/accounts/" + authID + "/sip-endpoints" }

// mustEndpoint creates a SIP endpoint and returns the 201 body.
func (e *testEnv) mustEndpoint(t *testing.T, p creds, authID string, body map[string]any) map[string]any {
	t.Helper()
	r := e.post(t, endpointsPath(authID), p, body)
	if r.status != http.StatusCreated {
		t.Fatalf("POST sip-endpoints = %d, want 201; body: %s", r.status, r.raw)
	}
	return r.body
}

func TestSIPEndpointCreate(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	p, authID := e.mustCustomer(t, "SIPCreate")
	user := sipUsername("desk.")
	got := e.mustEndpoint(t, p, authID, map[string]any{"username": user, "password": "Secret#2026", "alias": "Front desk"})
	if diff := cmp.Diff([]string{"alias", "created_at", "endpoint_id", "sip_domain", "status", "username"}, keys(got)); diff != "" {
		t.Errorf("201 body keys (-want +got):\n%s", diff)
	}
	if !reEndpointID.MatchString(str(got["endpoint_id"])) || !reTime.MatchString(str(got["created_at"])) {
		t.Errorf("endpoint_id %v, created_at %v: want EP_… and an RFC 3339 time", got["endpoint_id"], got["created_at"])
	}
	want := map[string]any{"username": user, "alias": "Front desk", "sip_domain": partnerd.DefaultSIPRealm, "status": "active"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	// Read back: the same body, alone and in the list.
	r := e.get(t, endpointsPath(authID)+"/"+str(got["endpoint_id"]), p)
	if diff := cmp.Diff(got, r.body); r.status != http.StatusOK || diff != "" {
		t.Errorf("GET endpoint = %d (-created +got):\n%s", r.status, diff)
	}
	r = e.get(t, endpointsPath(authID), p)
	if rows := data(t, r); r.status != http.StatusOK || len(rows) != 1 || cmp.Diff(got, rows[0]) != "" {
		t.Errorf("GET sip-endpoints = %d %s, want the one endpoint", r.status, r.raw)
	}
	// No answer or log line ever holds the password or its hashes.
	if strings.Contains(e.logs.String(), "Secret#2026") {
		t.Errorf("the log holds the password")
	}
	for _, raw := range []string{r.raw} {
		if strings.Contains(raw, "Secret#2026") || strings.Contains(raw, "ha1") {
			t.Errorf("a partner answer holds the password or a hash: %s", raw)
		}
	}
	// Without alias: null.
	got = e.mustEndpoint(t, p, authID, map[string]any{"username": sipUsername("bare-"), "password": "Secret#2026"})
	if v, ok := got["alias"]; !ok || v != nil {
		t.Errorf("alias = %v (present %v), want null", v, ok)
	}
}

func TestSIPEndpointCreateRefuses(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	p, authID := e.mustCustomer(t, "SIPRefuse")
	taken := sipUsername("taken")
	e.mustEndpoint(t, p, authID, map[string]any{"username": taken, "password": "Secret#2026"})

	r := e.post(t, endpointsPath(authID), p, map[string]any{"username": "UP", "password": "weak", "alias": 7, "realm": "x"})
	wantError(t, r, http.StatusBadRequest, partnerd.ECValidation)
	if diff := cmp.Diff(sortedFields(
		fieldCode{"alias", partnerd.FCInvalidType}, fieldCode{"password", partnerd.FCTooWeak},
		fieldCode{"realm", partnerd.FCUnknownField}, fieldCode{"username", partnerd.FCInvalidFormat},
	), fieldCodes(t, r)); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	r = e.post(t, endpointsPath(authID), p, map[string]any{"username": taken, "password": "Secret#2026"})
	wantError(t, r, http.StatusConflict, partnerd.ECUsernameTaken)
	// Taken server-wide: another partner's customer cannot have it either.
	q, other := e.mustCustomer(t, "SIPRefuseOther")
	r = e.post(t, endpointsPath(other), q, map[string]any{"username": taken, "password": "Secret#2026"})
	wantError(t, r, http.StatusConflict, partnerd.ECUsernameTaken)

	r = e.doJSON(t, http.MethodPost, endpointsPath(authID), p, `{"username":"abc","password":"Secret#2026"}`, map[string]string{"Content-Type": "text/plain"})
	wantError(t, r, http.StatusUnsupportedMediaType, partnerd.ECUnsupportedMedia)
	r = e.doJSON(t, http.MethodPost, endpointsPath(authID), p, `{"username":`, nil)
	wantError(t, r, http.StatusBadRequest, partnerd.ECInvalidJSON)
	r = e.post(t, endpointsPath(authID)+"?x=1", p, map[string]any{"username": sipUsername("query"), "password": "Secret#2026"})
	wantError(t, r, http.StatusBadRequest, partnerd.ECValidation)
	if r := e.get(t, endpointsPath(authID), p); len(data(t, r)) != 1 {
		t.Errorf("after refused creations the customer has %s, want the one endpoint", r.raw)
	}
}

// TestSIPEndpointTenancy checks that another partner's customer is
// account_not_found on every route, and another customer's endpoint
// not_found.
func TestSIPEndpointTenancy(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	p, authID := e.mustCustomer(t, "SIPOwner")
	ep := str(e.mustEndpoint(t, p, authID, map[string]any{"username": sipUsername("own"), "password": "Secret#2026"})["endpoint_id"])
	intruder, _ := e.mustCustomer(t, "SIPIntruder")
	sibling := str(e.mustCreateAccount(t, p, validAccount("Sibling", fmt.Sprintf("sibling-%d@customer.example", partnerSeq.Add(1))))["auth_id"])
	pw := map[string]any{"password": "N3w-secret!"}
	for _, c := range []struct {
		who    creds
		authID string
		code   string
	}{
		{intruder, authID, partnerd.ECAccountNotFound},
		{p, "MA_00000000", partnerd.ECAccountNotFound},
		{p, "not-an-id", partnerd.ECAccountNotFound},
		{p, sibling, partnerd.ECNotFound},
	} {
		path := endpointsPath(c.authID) + "/" + ep
		for _, r := range []reply{
			e.get(t, path, c.who),
			e.doJSON(t, http.MethodDelete, path, c.who, nil, nil),
			e.post(t, path+"/password", c.who, pw),
		} {
			wantError(t, r, http.StatusNotFound, c.code)
		}
		if c.code == partnerd.ECAccountNotFound {
			wantError(t, e.get(t, endpointsPath(c.authID), c.who), http.StatusNotFound, c.code)
			wantError(t, e.post(t, endpointsPath(c.authID), c.who, map[string]any{"username": sipUsername("intruder"), "password": "Secret#2026"}),
				http.StatusNotFound, c.code)
		}
	}
	wantError(t, e.get(t, endpointsPath(authID)+"/EP_NOSUCH00", p), http.StatusNotFound, partnerd.ECNotFound)
	if r := e.get(t, endpointsPath(authID)+"/"+ep, p); r.status != http.StatusOK {
		t.Errorf("the endpoint after refused changes: %d %s", r.status, r.raw)
	}
}

func TestSIPEndpointListPages(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	p, authID := e.mustCustomer(t, "SIPPages")
	var ids []string
	for range 3 {
		ids = append(ids, str(e.mustEndpoint(t, p, authID, map[string]any{"username": sipUsername("pg"), "password": "Secret#2026"})["endpoint_id"]))
	}
	r := e.get(t, endpointsPath(authID)+"?page=1&per_page=2", p)
	var got []string
	for _, row := range data(t, r) {
		got = append(got, str(row["endpoint_id"]))
	}
	if diff := cmp.Diff([]string{ids[2], ids[1]}, got); diff != "" {
		t.Errorf("page 1 newest first (-want +got):\n%s", diff)
	}
	meta, _ := r.body["meta"].(map[string]any)
	if num(meta["total"]) != "3" || num(meta["total_pages"]) != "2" || num(meta["size"]) != "2" {
		t.Errorf("meta = %v, want total 3, total_pages 2, size 2", meta)
	}
	if rows := data(t, e.get(t, endpointsPath(authID)+"?page=3&size=2", p)); len(rows) != 0 {
		t.Errorf("a page past the end has %d rows", len(rows))
	}
	for _, q := range []string{"?size=0", "?page=x", "?search=a", "?size=2&per_page=3"} {
		wantError(t, e.get(t, endpointsPath(authID)+q, p), http.StatusBadRequest, partnerd.ECValidation)
	}
}

// TestSIPEndpointIdempotency replays a creation and a password change
// under their Idempotency-Keys.
func TestSIPEndpointIdempotency(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	p, authID := e.mustCustomer(t, "SIPIdem")
	body := mustMarshal(t, map[string]any{"username": sipUsername("idem"), "password": "Secret#2026"})
	hdr := map[string]string{"Idempotency-Key": "create-" + authID}
	first := e.doJSON(t, http.MethodPost, endpointsPath(authID), p, body, hdr)
	again := e.doJSON(t, http.MethodPost, endpointsPath(authID), p, body, hdr)
	if first.status != http.StatusCreated || again.status != http.StatusCreated || first.raw != again.raw || again.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("replay: %d %s then %d %s (replayed %q); want the same 201 replayed",
			first.status, first.raw, again.status, again.raw, again.header.Get("Idempotent-Replayed"))
	}
	if rows := data(t, e.get(t, endpointsPath(authID), p)); len(rows) != 1 {
		t.Errorf("after a replayed creation the customer has %d endpoints, want 1", len(rows))
	}
	pwPath := endpointsPath(authID) + "/" + str(first.body["endpoint_id"]) + "/password"
	pwBody := mustMarshal(t, map[string]any{"password": "N3w-secret!"})
	hdr = map[string]string{"Idempotency-Key": "password-" + authID}
	first = e.doJSON(t, http.MethodPost, pwPath, p, pwBody, hdr)
	again = e.doJSON(t, http.MethodPost, pwPath, p, pwBody, hdr)
	if first.status != http.StatusOK || again.raw != first.raw || again.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("password replay: %d %s then %d %s; want the same 200 replayed", first.status, first.raw, again.status, again.raw)
	}
	r := e.doJSON(t, http.MethodPost, pwPath, p, mustMarshal(t, map[string]any{"password": "Other-secret1!"}), hdr)
	wantError(t, r, http.StatusUnprocessableEntity, partnerd.ECIdempotencyReused)
}
