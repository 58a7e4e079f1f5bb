package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
)

func TestMe(t *testing.T) {
	t.Parallel()
	e := frozenEnv(t)
	company := "Acme Telecom Pvt Ltd"
	p := e.mustPartnerWith(t, partnerd.PartnerInput{Name: "Acme Telecom", Email: "Ops@Acme.example", Company: &company})
	bare := e.mustPartner(t, "Bare Partner")
	e.mustCreateAccount(t, p, validAccount("One", "one@example.com"))
	e.mustCreateAccount(t, p, validAccount("Two", "two@example.com"))

	r := e.get(t, base+"/me", p)
	if r.status != http.StatusOK {
		t.Fatalf("GET /me = %d, want 200; body: %s", r.status, r.raw)
	}
	want := map[string]any{
		"auth_id": p.ID, "name": "Acme Telecom", "email": "ops@acme.example", "company": company,
		"status": "active", "balance": json.Number("0.00"), "currency": "INR",
		"account_count": json.Number("2"), "created_at": "2026-03-25T10:00:00Z",
	}
	if diff := cmp.Diff(want, r.body); diff != "" {
		t.Errorf("GET /me mismatch (-want +got):\n%s", diff)
	}
	if !rePartnerID.MatchString(p.ID) {
		t.Errorf("partner id %q, want PA_ and 8 upper-case alphanumerics", p.ID)
	}
	if !strings.Contains(r.raw, `"balance":0.00`) {
		t.Errorf("GET /me %s does not write balance as 0.00", r.raw)
	}
	if strings.Contains(r.raw, p.Token) {
		t.Errorf("GET /me reveals the partner token: %s", r.raw)
	}

	r = e.get(t, base+"/me", bare)
	if v, ok := r.body["company"]; !ok || v != nil {
		t.Errorf("company of a partner without one = %v (present %v), want null", v, ok)
	}
	if got := num(r.body["account_count"]); got != "0" {
		t.Errorf("account_count = %s, want 0", got)
	}
}

// TestTenancy checks that a partner cannot tell another partner's
// customer from one that does not exist.
func TestTenancy(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	a := e.mustPartner(t, "Alpha Telecom")
	b := e.mustPartner(t, "Beta Telecom")
	aAcct := str(e.mustCreateAccount(t, a, validAccount("Alpha Customer", "alpha@example.com"))["auth_id"])
	bAcct := str(e.mustCreateAccount(t, b, validAccount("Beta Customer", "beta@example.com"))["auth_id"])
	const unknown = "MA_00000000"

	for _, suffix := range []string{"", "/balance"} {
		foreign := e.get(t, base+"/accounts/"+aAcct+suffix, b)
		missing := e.get(t, base+"/accounts/"+unknown+suffix, b)
		wantError(t, foreign, http.StatusNotFound, partnerd.ECAccountNotFound)
		wantError(t, missing, http.StatusNotFound, partnerd.ECAccountNotFound)
		// Identical but for the request id and the id the message quotes.
		normalize := func(r reply, id string) map[string]any {
			m := withoutKeys(r.body, "request_id")
			m["message"] = strings.ReplaceAll(str(m["message"]), id, "ID")
			return m
		}
		if diff := cmp.Diff(normalize(missing, unknown), normalize(foreign, aAcct)); diff != "" {
			t.Errorf("GET /accounts/{id}%s: another partner's account answers unlike an unknown one (-unknown +foreign):\n%s", suffix, diff)
		}
		if foreign.header.Get("Content-Type") != missing.header.Get("Content-Type") {
			t.Errorf("Content-Type differs: %q vs %q", foreign.header.Get("Content-Type"), missing.header.Get("Content-Type"))
		}
	}

	lists := []struct {
		p     creds
		query string
		want  []string
	}{
		{a, "", []string{aAcct}},
		{b, "", []string{bAcct}},
		{b, "?search=" + aAcct, []string{}},
		{b, "?search=alpha", []string{}},
		{b, "?search=al", []string{}},
		{b, "?search=customer", []string{bAcct}},
		{b, "?search=c", []string{bAcct}},
		{a, "?search=" + bAcct, []string{}},
		{a, "?search=" + aAcct, []string{aAcct}},
	}
	for _, tt := range lists {
		r := e.get(t, base+"/accounts"+tt.query, tt.p)
		if diff := cmp.Diff(tt.want, authIDs(data(t, r))); diff != "" {
			t.Errorf("partner %s GET /accounts%s mismatch (-want +got):\n%s", tt.p.ID, tt.query, diff)
		}
		if got, want := metaOf(t, r).Total, map[int]string{0: "0", 1: "1"}[len(tt.want)]; got != want {
			t.Errorf("partner %s GET /accounts%s total = %s, want %s", tt.p.ID, tt.query, got, want)
		}
	}

	// Ids of the wrong shape are just as unknown.
	for _, id := range []string{"MA_XYZ", "ma_" + aAcct[3:], strings.ToUpper(aAcct), "MA_" + strings.Repeat("a", 300), "PA_00000000", aAcct + "0", url.PathEscape("MA_ 0000000")} {
		if id == aAcct {
			continue // an id of digits only has no upper-case form
		}
		r := e.get(t, base+"/accounts/"+id, a)
		wantError(t, r, http.StatusNotFound, partnerd.ECAccountNotFound)
		r = e.get(t, base+"/accounts/"+id+"/balance", a)
		wantError(t, r, http.StatusNotFound, partnerd.ECAccountNotFound)
	}
}

func TestCredentials(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	a := e.mustPartner(t, "Alpha Telecom")
	b := e.mustPartner(t, "Beta Telecom")
	cust := e.mustCreateAccount(t, a, validAccount("Customer", "customer@example.com"))
	custID := str(cust["auth_id"])

	endpoints := []struct {
		method, path string
		body         any
	}{
		{http.MethodGet, base + "/me", nil},
		{http.MethodGet, base + "/accounts", nil},
		{http.MethodPost, base + "/accounts", validAccount("New", "new@example.com")},
		{http.MethodGet, base + "/accounts/" + custID, nil},
		{http.MethodGet, base + "/accounts/" + custID + "/balance", nil},
	}
	cases := []struct {
		name string
		c    creds
		code string
	}{
		{"no headers", noCreds, partnerd.ECMissingCredentials},
		{"id only", creds{ID: a.ID}, partnerd.ECMissingCredentials},
		{"token only", creds{Token: a.Token}, partnerd.ECMissingCredentials},
		{"wrong token", creds{a.ID, a.Token + "x"}, partnerd.ECInvalidCredentials},
		{"token of another partner", creds{a.ID, b.Token}, partnerd.ECInvalidCredentials},
		{"token in other case", creds{a.ID, strings.ToUpper(a.Token)}, partnerd.ECInvalidCredentials},
		{"unknown id", creds{"PA_ZZZZZZZZ", a.Token}, partnerd.ECInvalidCredentials},
		{"id in other case", creds{strings.ToLower(a.ID), a.Token}, partnerd.ECInvalidCredentials},
		{"garbage id", creds{"' OR 1=1 --", "x"}, partnerd.ECInvalidCredentials},
		{"customer credentials", creds{custID, str(cust["auth_token"])}, partnerd.ECInvalidCredentials},
	}
	for _, ep := range endpoints {
		bodies := map[string]map[string]any{}
		for _, tt := range cases {
			r := e.doJSON(t, ep.method, ep.path, tt.c, ep.body, nil)
			t.Run(ep.method+" "+ep.path+"/"+tt.name, func(t *testing.T) {
				wantError(t, r, http.StatusUnauthorized, tt.code)
				if strings.Contains(r.raw, a.Token) || strings.Contains(r.raw, b.Token) {
					t.Errorf("401 body reveals a token: %s", r.raw)
				}
			})
			bodies[tt.name] = withoutKeys(r.body, "request_id")
		}
		// Never say which part was wrong.
		for _, name := range []string{"token of another partner", "unknown id", "garbage id", "customer credentials"} {
			if diff := cmp.Diff(bodies["wrong token"], bodies[name]); diff != "" {
				t.Errorf("%s %s: %q answers unlike a wrong token (-wrong token +%s):\n%s", ep.method, ep.path, name, name, diff)
			}
		}
	}
	// Nothing was created by the rejected POSTs.
	if got := metaOf(t, e.get(t, base+"/accounts", a)).Total; got != "1" {
		t.Errorf("partner has %s accounts after rejected creates, want 1", got)
	}
}

// TestCredentialsSentTwice refuses a credential header sent twice, on
// every API, whichever copy is right: a proxy in front that reads the
// other copy would disagree about who is calling.
func TestCredentialsSentTwice(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	a := e.mustPartner(t, "Twice Alpha")
	b := e.mustPartner(t, "Twice Beta")
	cust := e.mustCreateAccount(t, a, validAccount("Twice", fmt.Sprintf("twice-%d@example.com", partnerSeq.Add(1))))
	custID, custToken := str(cust["auth_id"]), str(cust["auth_token"])
	_, sw := e.mustSwitchToken(t)
	send := func(path string, h http.Header) int {
		t.Helper()
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header = h
		rec := httptest.NewRecorder()
		e.api.ServeHTTP(rec, req)
		return rec.Code
	}
	for _, tt := range []struct {
		name, path string
		h          http.Header
	}{
		{"partner id twice, right one first", base + "/me", http.Header{"X-Auth-Id": {a.ID, b.ID}, "X-Auth-Token": {a.Token}}},
		{"partner token twice, right one first", base + "/me", http.Header{"X-Auth-Id": {a.ID}, "X-Auth-Token": {a.Token, b.Token}}},
		{"partner token twice, the same", base + "/me", http.Header{"X-Auth-Id": {a.ID}, "X-Auth-Token": {a.Token, a.Token}}},
		{"customer token twice", "/api/v1/Account/" + custID + "/balance", http.Header{"X-Auth-Id": {custID}, "X-Auth-Token": {custToken, "x"}}},
		{"switch bearer twice", "/api/v1/switch/sip-credentials/nobody", http.Header{"Authorization": {"Bearer " + sw, "Bearer x"}}},
	} {
		if code := send(tt.path, tt.h); code != http.StatusUnauthorized {
			t.Errorf("%s: %d, want 401", tt.name, code)
		}
	}
	// Once each, the same credentials pass.
	if code := send(base+"/me", http.Header{"X-Auth-Id": {a.ID}, "X-Auth-Token": {a.Token}}); code != http.StatusOK {
		t.Errorf("partner once = %d, want 200", code)
	}
	if code := send("/api/v1/switch/sip-credentials/nobody", http.Header{"Authorization": {"Bearer " + sw}}); code != http.StatusNotFound {
		t.Errorf("switch once = %d, want 404 (served)", code)
	}
}
