package httpapi_test

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
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
	// (at once: the delete forgets what lookups remembered).
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

// switchPost is a POST of the switch API with the switch token.
func (e *testEnv) switchPost(t *testing.T, path, token string, body any) reply {
	t.Helper()
	return e.doJSON(t, http.MethodPost, switchBase+path, noCreds, body, bearer(token))
}

// cdrBody is the JSON of an outbound call of authID answered for billsec
// seconds, as a switch posts it.
func cdrBody(uuid, authID string, billsec int) map[string]any {
	return map[string]any{
		"call_uuid": uuid, "direction": "outbound", "account_auth_id": authID,
		"from_number": "+912271260000", "to_number": "+15551234567",
		"start_time": "2026-03-25T10:00:00Z", "answer_time": "2026-03-25T10:00:05Z",
		"end_time":         fmt.Sprintf("2026-03-25T10:%02d:%02dZ", (5+billsec)/60, (5+billsec)%60),
		"duration_seconds": billsec + 5, "billsec": billsec, "hangup_cause": "NORMAL_CLEARING",
		"sip_response_code": 200, "trunk_id": "carrier-1", "context": "default",
	}
}

// results returns the "results" array of a CDR answer, checking each
// entry's keys.
func results(t *testing.T, r reply) []map[string]any {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("POST cdrs = %d, want 200; body: %s", r.status, r.raw)
	}
	if diff := cmp.Diff([]string{"results"}, keys(r.body)); diff != "" {
		t.Errorf("CDR answer keys (-want +got):\n%s", diff)
	}
	list, ok := r.body["results"].([]any)
	if !ok {
		t.Fatalf("no results array: %s", r.raw)
	}
	out := make([]map[string]any, len(list))
	for i, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			t.Fatalf("result %d is not an object: %s", i, r.raw)
		}
		if diff := cmp.Diff([]string{"call_uuid", "cost", "currency", "error", "status"}, keys(m)); diff != "" {
			t.Errorf("result %d keys (-want +got):\n%s", i, diff)
		}
		out[i] = m
	}
	return out
}

// wantResult checks a charged or duplicate result.
func wantResult(t *testing.T, got map[string]any, uuid, status, cost string) {
	t.Helper()
	want := map[string]any{"call_uuid": uuid, "status": status, "cost": json.Number(cost), "currency": "INR", "error": nil}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("result of %s (-want +got):\n%s", uuid, diff)
	}
}

// wantRejectedResult checks a rejected result: null cost and currency, an
// error with code whose message contains mention.
func wantRejectedResult(t *testing.T, got map[string]any, uuid, code, mention string) {
	t.Helper()
	errObj, _ := got["error"].(map[string]any)
	if got["call_uuid"] != uuid || got["status"] != "rejected" || got["cost"] != nil || got["currency"] != nil ||
		errObj == nil || errObj["code"] != code || !strings.Contains(str(errObj["message"]), mention) {
		t.Errorf("result = %v, want %s rejected with %s mentioning %q", got, uuid, code, mention)
	}
	if errObj != nil {
		if diff := cmp.Diff([]string{"code", "message"}, keys(errObj)); diff != "" {
			t.Errorf("error keys (-want +got):\n%s", diff)
		}
	}
}

// TestSwitchAuthorizeAndCDRs walks a call through the switch API: the
// answers' exact shapes, the reservation GET balance shows while the
// call is live, and the CDR that charges it.
func TestSwitchAuthorizeAndCDRs(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	ctx := context.Background()
	_, token := e.mustSwitchToken(t)
	p := e.mustPartner(t, "SwitchCalls")
	id := e.mustFundedCustomerHTTP(t, p, fmt.Sprintf("caller-%d@switch.example", partnerSeq.Add(1)), 10_050)
	e.mustDeck(t, p, rateRow("outbound", "1", 10000, 60, 60), rateRow("inbound", "9122712655", 3000, 1, 1))
	did := fmt.Sprintf("+9122712655%02d", partnerSeq.Add(1)%100)
	e.mustAddNumber(t, p, did, 0)
	if _, err := e.db.AssignNumber(ctx, p.ID, id, did); err != nil {
		t.Fatal(err)
	}
	user := sipUsername("desk.")
	e.mustEndpoint(t, p, id, map[string]any{"username": user, "password": "Secret#2026"})
	call := p.ID + "-out-1"

	// Outbound: 100.50 at 1.00 a minute pays for 100 minutes.
	r := e.switchPost(t, "/authorize", token, map[string]any{"call_uuid": call, "direction": "outbound",
		"from": "+912271260000", "to": "+15551234567", "account_auth_id": id})
	want := map[string]any{"authorized": true, "call_uuid": call, "account_auth_id": id,
		"max_duration_seconds": json.Number("6000"), "rate_per_minute": json.Number("1.0000"), "currency": "INR"}
	if diff := cmp.Diff(want, r.body); r.status != http.StatusOK || diff != "" {
		t.Errorf("authorize = %d (-want +got):\n%s", r.status, diff)
	}
	// Asked again: the same answer.
	again := e.switchPost(t, "/authorize", token, map[string]any{"call_uuid": call, "direction": "outbound",
		"from": "+912271260000", "to": "+15551234567", "account_auth_id": id})
	if again.raw != r.raw {
		t.Errorf("authorize again = %s, want %s", again.raw, r.raw)
	}
	b := e.get(t, base+"/accounts/"+id+"/balance", p)
	if b.body["balance"] != json.Number("100.50") || b.body["reserved"] != json.Number("100.00") || b.body["available"] != json.Number("0.50") {
		t.Errorf("balance during the call = %s, want balance 100.50, reserved 100.00, available 0.50", b.raw)
	}
	// The reserved money cannot be withdrawn.
	wantError(t, e.post(t, base+"/accounts/"+id+"/withdraw-balance", p, map[string]any{"amount": 1}),
		http.StatusBadRequest, partnerd.ECInsufficientBalance)

	// Inbound: the answer adds the endpoints to ring; the 0.50 left pays
	// for 100 s at 0.30 a minute.
	r = e.switchPost(t, "/authorize", token, map[string]any{"call_uuid": p.ID + "-in-1", "direction": "inbound",
		"from": "+15551234567", "to": did})
	want = map[string]any{"authorized": true, "call_uuid": p.ID + "-in-1", "account_auth_id": id,
		"max_duration_seconds": json.Number("100"), "rate_per_minute": json.Number("0.3000"), "currency": "INR",
		"sip_usernames": []any{user}}
	if diff := cmp.Diff(want, r.body); r.status != http.StatusOK || diff != "" {
		t.Errorf("inbound authorize = %d (-want +got):\n%s", r.status, diff)
	}
	// Refused: {authorized, call_uuid, reason} and nothing else.
	r = e.switchPost(t, "/authorize", token, map[string]any{"call_uuid": p.ID + "-no-rate", "direction": "outbound",
		"from": "+912271260000", "to": "+33155512345", "account_auth_id": id})
	want = map[string]any{"authorized": false, "call_uuid": p.ID + "-no-rate", "reason": "no_rate"}
	if diff := cmp.Diff(want, r.body); r.status != http.StatusOK || diff != "" {
		t.Errorf("refused authorize = %d (-want +got):\n%s", r.status, diff)
	}
	// A bad question is a 400 naming the field.
	r = e.switchPost(t, "/authorize", token, map[string]any{"call_uuid": p.ID + "-bad", "direction": "outbound",
		"from": "+912271260000", "to": "+15551234567"})
	wantError(t, r, http.StatusBadRequest, partnerd.ECValidation)
	if diff := cmp.Diff([]fieldCode{{"account_auth_id", partnerd.FCRequired}}, fieldCodes(t, r)); diff != "" {
		t.Errorf("authorize without account fields (-want +got):\n%s", diff)
	}

	// One CDR: a list of one result. 61 s at 60/60 bills 2 minutes.
	res := results(t, e.switchPost(t, "/cdrs", token, cdrBody(call, id, 61)))
	if len(res) != 1 {
		t.Fatalf("%d results for one CDR, want 1", len(res))
	}
	wantResult(t, res[0], call, "charged", "2.00")
	// A batch: a duplicate, a good one, and bad elements that reject only
	// themselves.
	bad := cdrBody(p.ID+"-bad-billsec", id, 30)
	bad["billsec"] = "x"
	// A key given twice, or half a surrogate pair, is not the JSON the
	// API reads: in one record, that record's rejection.
	twice := strings.Replace(string(mustMarshal(t, cdrBody(p.ID+"-twice", id, 30))), `"billsec":30`, `"billsec":30,"billsec":3000`, 1)
	half := strings.Replace(string(mustMarshal(t, cdrBody(p.ID+"-half", id, 30))), `"call_uuid"`, `"context":"\ud800","call_uuid"`, 1)
	// Brackets after half a pair, inside the string, are text: the
	// record is rejected and its neighbour charged.
	brackets := strings.Replace(string(mustMarshal(t, cdrBody(p.ID+"-brackets", id, 30))), `"call_uuid"`, `"trunk_id":"\udc00}}]]]","call_uuid"`, 1)
	batch := fmt.Sprintf(`{"cdrs": [%s, %s, %s, 42, [1], %s, %s, %s, {"call_uuid":"a","call_uuid":"b"}, %s, %s]}`,
		mustMarshal(t, cdrBody(call, id, 61)), mustMarshal(t, cdrBody(p.ID+"-out-2", id, 30)), mustMarshal(t, bad),
		twice, half, mustMarshal(t, cdrBody(p.ID+"-out-3", id, 120)), brackets, mustMarshal(t, cdrBody(p.ID+"-out-4", id, 1)))
	res = results(t, e.switchPost(t, "/cdrs", token, batch))
	if len(res) != 11 {
		t.Fatalf("%d results for 11 CDRs, want 11", len(res))
	}
	wantResult(t, res[0], call, "duplicate", "2.00")
	wantResult(t, res[1], p.ID+"-out-2", "charged", "1.00")
	wantRejectedResult(t, res[2], p.ID+"-bad-billsec", partnerd.ECValidation, "billsec")
	wantRejectedResult(t, res[3], "", partnerd.ECValidation, "object")
	wantRejectedResult(t, res[4], "", partnerd.ECValidation, "object")
	wantRejectedResult(t, res[5], p.ID+"-twice", partnerd.ECInvalidJSON, "billsec")
	wantRejectedResult(t, res[6], p.ID+"-half", partnerd.ECInvalidJSON, "surrogate")
	wantResult(t, res[7], p.ID+"-out-3", "charged", "2.00")
	// Which of two call_uuids is meant is not guessed.
	wantRejectedResult(t, res[8], "", partnerd.ECInvalidJSON, "call_uuid")
	wantRejectedResult(t, res[9], p.ID+"-brackets", partnerd.ECInvalidJSON, "surrogate")
	wantResult(t, res[10], p.ID+"-out-4", "charged", "1.00")

	// The outbound call's reservation is released; the inbound one is
	// still live (its CDR has not come).
	b = e.get(t, base+"/accounts/"+id+"/balance", p)
	if b.body["balance"] != json.Number("94.50") || b.body["reserved"] != json.Number("0.50") || b.body["available"] != json.Number("94.00") {
		t.Errorf("balance after the CDRs = %s, want balance 94.50, reserved 0.50 (100 s inbound), available 94.00", b.raw)
	}
	// The charge is in the customer's log: a debit by the system,
	// referencing the call.
	es, _, err := e.db.AccountEntries(ctx, p.ID, id, partnerd.EntryFilter{Type: partnerd.TxDebit, Page: partnerd.Page{Page: 1, Size: 10}})
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 4 || es[3].Reference == nil || *es[3].Reference != call || es[3].Amount != -200 || es[3].InitiatedBy != partnerd.InitiatedBySystem {
		t.Errorf("debits = %+v, want 4, the first of 2.00 for %s by system", es, call)
	}
}

// TestSwitchCDRLimits checks the batch's limits: at most 1000 CDRs, a body
// of at most 2 MiB, and the shapes refused whole.
func TestSwitchCDRLimits(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	_, token := e.mustSwitchToken(t)
	p := e.mustPartner(t, "SwitchLimits")
	id := e.mustFundedCustomerHTTP(t, p, fmt.Sprintf("limits-%d@switch.example", partnerSeq.Add(1)), 10_000)
	e.mustDeck(t, p, rateRow("outbound", "1", 10000, 60, 60))

	cdrs := make([]map[string]any, partnerd.MaxCDRBatch+1)
	for i := range cdrs {
		cdrs[i] = cdrBody(fmt.Sprintf("%s-limit-%04d", p.ID, i), id, 0)
	}
	r := e.switchPost(t, "/cdrs", token, map[string]any{"cdrs": cdrs})
	wantError(t, r, http.StatusBadRequest, partnerd.ECValidation)
	if diff := cmp.Diff([]fieldCode{{"cdrs", partnerd.FCTooLarge}}, fieldCodes(t, r)); diff != "" {
		t.Errorf("1001 CDRs fields (-want +got):\n%s", diff)
	}
	// Nothing of the refused batch was stored: its first record is new.
	res := results(t, e.switchPost(t, "/cdrs", token, cdrs[0]))
	wantResult(t, res[0], str(cdrs[0]["call_uuid"]), "charged", "0.00")
	// 1000 is accepted.
	res = results(t, e.switchPost(t, "/cdrs", token, map[string]any{"cdrs": cdrs[1:]}))
	if len(res) != partnerd.MaxCDRBatch {
		t.Fatalf("%d results for %d CDRs", len(res), partnerd.MaxCDRBatch)
	}
	for i, got := range res {
		if got["status"] != "charged" {
			t.Errorf("result %d = %v, want charged", i, got)
			break
		}
	}

	// Over 2 MiB: 413, whatever it holds.
	pad := strings.Repeat(" ", 2<<20)
	wantError(t, e.switchPost(t, "/cdrs", token, `{"cdrs": [`+pad+`]}`), http.StatusRequestEntityTooLarge, partnerd.ECPayloadTooLarge)
	// Just under 2 MiB is read.
	body := `{"cdrs": [` + string(mustMarshal(t, cdrBody(p.ID+"-padded", id, 60))) + `]}`
	body += strings.Repeat(" ", 2<<20-len(body))
	res = results(t, e.switchPost(t, "/cdrs", token, body))
	wantResult(t, res[0], p.ID+"-padded", "charged", "1.00")

	for _, c := range []struct {
		name, body, code string
	}{
		{"empty batch", `{"cdrs": []}`, partnerd.ECValidation},
		{"cdrs not an array", `{"cdrs": {}}`, partnerd.ECValidation},
		{"a field beside cdrs", `{"cdrs": [{}], "extra": 1}`, partnerd.ECValidation},
		{"not JSON", `{"cdrs": [`, partnerd.ECInvalidJSON},
		{"cdrs given twice", `{"cdrs": [{}], "cdrs": [{}]}`, partnerd.ECInvalidJSON},
		{"not UTF-8", "{\"cdrs\": [{\"context\": \"\xff\"}]}", partnerd.ECInvalidJSON},
		{"an array", `[]`, partnerd.ECInvalidJSON},
	} {
		r := e.switchPost(t, "/cdrs", token, c.body)
		if r.status != http.StatusBadRequest || str(r.body["error"]) != c.code {
			t.Errorf("%s: %d %s, want 400 %s", c.name, r.status, r.raw, c.code)
		}
	}
}

// TestSwitchCallsAuth checks that authorize and cdrs take only the switch
// token: partner credentials get 401 there, and the switch token gets 401
// on the partner API.
func TestSwitchCallsAuth(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	_, token := e.mustSwitchToken(t)
	p, id := e.mustCustomer(t, "SwitchCallsAuth")
	e.mustDeck(t, p, rateRow("outbound", "1", 10000, 60, 60))
	body := map[string]any{"call_uuid": p.ID + "-auth", "direction": "outbound", "from": "+912271260000",
		"to": "+15551234567", "account_auth_id": id}
	for _, path := range []string{"/authorize", "/cdrs"} {
		r := e.doJSON(t, http.MethodPost, switchBase+path, p, body, nil)
		wantError(t, r, http.StatusUnauthorized, partnerd.ECMissingCredentials)
		r = e.doJSON(t, http.MethodPost, switchBase+path, noCreds, body, bearer(p.Token))
		wantError(t, r, http.StatusUnauthorized, partnerd.ECInvalidCredentials)
		r = e.doJSON(t, http.MethodPost, switchBase+path, noCreds, body, nil)
		wantError(t, r, http.StatusUnauthorized, partnerd.ECMissingCredentials)
	}
	wantError(t, e.doJSON(t, http.MethodGet, base+"/me", noCreds, nil, bearer(token)), http.StatusUnauthorized, partnerd.ECMissingCredentials)
	wantError(t, e.doJSON(t, http.MethodGet, base+"/accounts/"+id+"/balance", noCreds, nil, bearer(token)),
		http.StatusUnauthorized, partnerd.ECMissingCredentials)
	// Nothing was authorized on the way: the call is new to the switch.
	r := e.switchPost(t, "/authorize", token, body)
	if r.status != http.StatusOK || r.body["authorized"] != false || r.body["reason"] != "insufficient_balance" {
		t.Errorf("authorize with the switch token = %d %s, want a refusal for insufficient_balance", r.status, r.raw)
	}
}
