package client_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/client"
	"github.com/partnerd/partnerd/internal/httpapi"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

// switchEnv is a real server on a real SQLite store with one partner, one
// funded customer holding a DID and a SIP endpoint, a rate deck, and a
// switch token.
type switchEnv struct {
	db      *sqlstore.DB
	url     string
	partner *client.Client
	sw      *client.Switch
	token   string // the switch token
	authID  string // the customer
	epID    string // its SIP endpoint
}

const (
	switchDID  = "+912271264217"
	switchUser = "desk100"
	switchPass = "SecurePass@123"
	// outboundRate is 0.45 INR a minute, per second (1/1): 61 s cost
	// 0.4575 → 0.46.
	outboundRate = 4500
)

func mustSwitchEnv(t *testing.T) *switchEnv {
	t.Helper()
	ctx := context.Background()
	db := mustOpenSQLite(t)
	api := httpapi.NewServer(httpapi.Config{Accounts: db, Partners: db, Ledger: db, Numbers: db, Rates: db,
		Idempotency: db, Switches: db, SIP: db, Calls: db, CDRs: db, Overview: db})
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)

	p, ptoken, err := db.CreatePartner(ctx, partnerd.PartnerInput{Name: "Calls", Email: "calls@partner.example"})
	if err != nil {
		t.Fatal(err)
	}
	e := &switchEnv{db: db, url: srv.URL, partner: client.New(srv.URL, p.ID, ptoken)}
	a, err := e.partner.CreateAccount(ctx, "", partnerd.AccountInput{Name: "Caller", Email: "caller@calls.example",
		Password: "Str0ng!pass", Phone: "9431538535", Country: "IN"})
	if err != nil {
		t.Fatal(err)
	}
	e.authID = a.AuthID
	if _, err := db.FundPartner(ctx, p.ID, 100000, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: 10000}); err != nil {
		t.Fatal(err)
	}
	if err := db.ReplaceRateDeck(ctx, p.ID, []partnerd.Rate{
		{Direction: partnerd.DirectionOutbound, Prefix: "91", PerMinute: outboundRate, InitialIncrement: 1, SubsequentIncrement: 1},
		{Direction: partnerd.DirectionInbound, Prefix: "91", PerMinute: 0, InitialIncrement: 60, SubsequentIncrement: 60},
	}); err != nil {
		t.Fatal(err)
	}
	// The DID's first month (25.50) leaves the customer 74.50.
	if _, err := db.AddNumber(ctx, p.ID, partnerd.NumberInput{Number: switchDID, MonthlyCost: 2550}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.partner.AssignNumber(ctx, "", a.AuthID, switchDID); err != nil {
		t.Fatal(err)
	}
	ep, err := e.partner.CreateSIPEndpoint(ctx, a.AuthID, partnerd.SIPEndpointInput{Username: switchUser, Password: switchPass})
	if err != nil {
		t.Fatal(err)
	}
	e.epID = ep.ID
	_, e.token, err = db.CreateSwitchToken(ctx, partnerd.SwitchTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	e.sw = client.NewSwitch(srv.URL, e.token)
	return e
}

// mustBalance returns the customer's balance and reserved amount, as the
// partner reads them.
func (e *switchEnv) mustBalance(t *testing.T) (balance, reserved int64) {
	t.Helper()
	a, err := e.partner.Balance(context.Background(), e.authID)
	if err != nil {
		t.Fatalf("Balance: %v", err)
	}
	return a.Balance, a.Reserved
}

// cdr is an answered call of billsec seconds that started at start.
func cdr(uuid, direction string, authID *string, from, to string, start time.Time, billsec int) partnerd.CDRInput {
	answer := start.Add(5 * time.Second)
	cause := "NORMAL_CLEARING"
	code := 200
	return partnerd.CDRInput{CallUUID: uuid, Direction: direction, AccountAuthID: authID, FromNumber: from, ToNumber: to,
		StartTime: start, AnswerTime: &answer, EndTime: answer.Add(time.Duration(billsec) * time.Second),
		DurationSeconds: billsec + 5, Billsec: billsec, HangupCause: &cause, SIPResponseCode: &code}
}

func TestSwitchSIPCredential(t *testing.T) {
	ctx := context.Background()
	e := mustSwitchEnv(t)
	got, err := e.sw.SIPCredential(ctx, switchUser)
	if err != nil {
		t.Fatalf("SIPCredential: %v", err)
	}
	ha1 := md5.Sum([]byte(switchUser + ":" + partnerd.DefaultSIPRealm + ":" + switchPass))
	if got.Username != switchUser || got.Realm != partnerd.DefaultSIPRealm || got.HA1 != hex.EncodeToString(ha1[:]) ||
		len(got.HA1SHA256) != 64 || got.AccountAuthID != e.authID || got.EndpointID != e.epID {
		t.Errorf("SIPCredential = %+v", got)
	}
	for _, name := range []string{"nobody-here", "UPPER", "..", "a/b", ""} {
		if _, err := e.sw.SIPCredential(ctx, name); partnerd.ErrorCode(err) != partnerd.ECNotFound {
			t.Errorf("SIPCredential(%q) = %v, want %s", name, err, partnerd.ECNotFound)
		}
	}
	// The base URL may carry the API's path, and the partner's credentials
	// are not a switch's.
	if _, err := client.NewSwitch(e.url+"/api/v1/switch/", e.token).SIPCredential(ctx, switchUser); err != nil {
		t.Errorf("SIPCredential via …/api/v1/switch/: %v", err)
	}
	if _, err := client.NewSwitch(e.url, "sk_live_not-a-switch-token").SIPCredential(ctx, switchUser); partnerd.ErrorCode(err) != partnerd.ECInvalidCredentials {
		t.Errorf("SIPCredential with a wrong token = %v, want %s", err, partnerd.ECInvalidCredentials)
	}
}

// TestSwitchCallFlow authorizes a call, reports it, and checks that the
// balance drops by exactly its rated cost and the reservation is gone.
func TestSwitchCallFlow(t *testing.T) {
	ctx := context.Background()
	e := mustSwitchEnv(t)
	if balance, reserved := e.mustBalance(t); balance != 7450 || reserved != 0 {
		t.Fatalf("before the call: balance %d reserved %d, want 7450 and 0", balance, reserved)
	}

	q := partnerd.AuthorizeInput{CallUUID: "call-1@switch", Direction: partnerd.DirectionOutbound,
		From: "+912271264217", To: "+919876543210", AccountAuthID: &e.authID}
	a, err := e.sw.Authorize(ctx, q)
	if err != nil {
		t.Fatalf("Authorize: %v", err)
	}
	// 74.50 at 0.45/min per second: 9933 s cost 74.4975 → 74.50; 9934 s
	// would cost 74.51.
	rate := partnerd.Rate{PerMinute: outboundRate, InitialIncrement: 1, SubsequentIncrement: 1}
	if rate.Cost(9933, "INR") != 7450 || rate.Cost(9934, "INR") != 7451 {
		t.Fatalf("the test's arithmetic is wrong: %d %d", rate.Cost(9933, "INR"), rate.Cost(9934, "INR"))
	}
	want := &partnerd.Authorization{CallUUID: q.CallUUID, Direction: partnerd.DirectionOutbound, Authorized: true,
		AccountAuthID: e.authID, MaxDuration: 9933, Rate: &partnerd.Rate{PerMinute: outboundRate}, Currency: "INR"}
	if diff := cmp.Diff(want, a); diff != "" {
		t.Errorf("Authorize (-want +got):\n%s", diff)
	}
	if balance, reserved := e.mustBalance(t); balance != 7450 || reserved != 7450 {
		t.Errorf("during the call: balance %d reserved %d, want 7450 and 7450", balance, reserved)
	}

	// The same question gets the same answer, reserving nothing more.
	again, err := e.sw.Authorize(ctx, q)
	if diff := cmp.Diff(want, again); err != nil || diff != "" {
		t.Errorf("Authorize(again) = %v (-want +got):\n%s", err, diff)
	}
	// Another call finds nothing available: a refusal, not an error.
	q2 := q
	q2.CallUUID = "call-2@switch"
	refused, err := e.sw.Authorize(ctx, q2)
	if err != nil {
		t.Fatalf("Authorize(call-2): %v", err)
	}
	wantRefused := &partnerd.Authorization{CallUUID: q2.CallUUID, Direction: partnerd.DirectionOutbound,
		Reason: partnerd.ReasonInsufficientBalance}
	if diff := cmp.Diff(wantRefused, refused); diff != "" {
		t.Errorf("Authorize(call-2) (-want +got):\n%s", diff)
	}

	// The call lasted 61 s: 0.4575 → 0.46 is charged, and the reservation
	// released.
	start := time.Date(2026, 3, 25, 10, 0, 0, 0, time.UTC)
	rec := cdr(q.CallUUID, partnerd.DirectionOutbound, &e.authID, q.From, q.To, start, 61)
	results, err := e.sw.PostCDRs(ctx, []partnerd.CDRInput{rec})
	if err != nil {
		t.Fatalf("PostCDRs: %v", err)
	}
	wantCharged := partnerd.CDRResult{CallUUID: q.CallUUID, Status: partnerd.CDRCharged, Cost: 46, Currency: "INR"}
	if diff := cmp.Diff([]partnerd.CDRResult{wantCharged}, results); diff != "" {
		t.Errorf("PostCDRs (-want +got):\n%s", diff)
	}
	if balance, reserved := e.mustBalance(t); balance != 7450-46 || reserved != 0 {
		t.Errorf("after the CDR: balance %d reserved %d, want %d and 0", balance, reserved, 7450-46)
	}

	// Reported again beside a bad record: the duplicate changes nothing
	// and the bad record is rejected alone, naming its field.
	bad := cdr("call-3@switch", partnerd.DirectionOutbound, &e.authID, q.From, q.To, start, 61)
	bad.Billsec = bad.DurationSeconds + 1
	results, err = e.sw.PostCDRs(ctx, []partnerd.CDRInput{rec, bad})
	if err != nil {
		t.Fatalf("PostCDRs(again): %v", err)
	}
	if len(results) != 2 {
		t.Fatalf("PostCDRs(again) = %+v, want 2 results", results)
	}
	wantDup := partnerd.CDRResult{CallUUID: q.CallUUID, Status: partnerd.CDRDuplicate, Cost: 46, Currency: "INR"}
	if diff := cmp.Diff(wantDup, results[0]); diff != "" {
		t.Errorf("PostCDRs(again)[0] (-want +got):\n%s", diff)
	}
	if r := results[1]; r.CallUUID != bad.CallUUID || r.Status != partnerd.CDRRejected || r.Currency != "" ||
		r.Err == nil || r.Err.Code != partnerd.ECValidation || r.Err.Message != "billsec must not exceed duration_seconds." {
		t.Errorf("PostCDRs(again)[1] = %+v (error %+v), want rejected naming billsec", r, r.Err)
	}
	if balance, reserved := e.mustBalance(t); balance != 7450-46 || reserved != 0 {
		t.Errorf("after the duplicate: balance %d reserved %d, want %d and 0", balance, reserved, 7450-46)
	}
}

func TestSwitchInbound(t *testing.T) {
	ctx := context.Background()
	e := mustSwitchEnv(t)
	q := partnerd.AuthorizeInput{CallUUID: "in-1@carrier", Direction: partnerd.DirectionInbound,
		From: "+919812345678", To: switchDID}
	a, err := e.sw.Authorize(ctx, q)
	if err != nil {
		t.Fatalf("Authorize(inbound): %v", err)
	}
	// A free rate: the longest call there is.
	want := &partnerd.Authorization{CallUUID: q.CallUUID, Direction: partnerd.DirectionInbound, Authorized: true,
		AccountAuthID: e.authID, MaxDuration: 14400, Rate: &partnerd.Rate{}, Currency: "INR",
		SIPUsernames: []string{switchUser}}
	if diff := cmp.Diff(want, a); diff != "" {
		t.Errorf("Authorize(inbound) (-want +got):\n%s", diff)
	}
	q.CallUUID, q.To = "in-2@carrier", "+912271269999"
	refused, err := e.sw.Authorize(ctx, q)
	if err != nil || refused.Authorized || refused.Reason != partnerd.ReasonNumberNotAssigned {
		t.Errorf("Authorize(unassigned DID) = %+v, %v, want refused %s", refused, err, partnerd.ReasonNumberNotAssigned)
	}

	start := time.Date(2026, 3, 25, 11, 0, 0, 0, time.UTC)
	results, err := e.sw.PostCDRs(ctx, []partnerd.CDRInput{cdr("in-1@carrier", partnerd.DirectionInbound, nil, "+919812345678", switchDID, start, 30)})
	wantResults := []partnerd.CDRResult{{CallUUID: "in-1@carrier", Status: partnerd.CDRCharged, Cost: 0, Currency: "INR"}}
	if diff := cmp.Diff(wantResults, results); err != nil || diff != "" {
		t.Errorf("PostCDRs(inbound) = %v (-want +got):\n%s", err, diff)
	}

	// A question the server cannot answer is an error, naming the field.
	_, err = e.sw.Authorize(ctx, partnerd.AuthorizeInput{CallUUID: "out-x", Direction: partnerd.DirectionOutbound, From: "1", To: "2"})
	var pe *partnerd.Error
	if partnerd.ErrorCode(err) != partnerd.ECValidation || !errors.As(err, &pe) || len(pe.Fields) != 1 || pe.Fields[0].Field != "account_auth_id" {
		t.Errorf("Authorize(outbound without account) = %v, want validation_error naming account_auth_id", err)
	}
	// A batch must hold 1 to MaxCDRBatch records; the client says so
	// without asking.
	if _, err := e.sw.PostCDRs(ctx, nil); partnerd.ErrorCode(err) != partnerd.ECValidation {
		t.Errorf("PostCDRs(none) = %v, want %s", err, partnerd.ECValidation)
	}
	if _, err := e.sw.PostCDRs(ctx, make([]partnerd.CDRInput, partnerd.MaxCDRBatch+1)); partnerd.ErrorCode(err) != partnerd.ECValidation {
		t.Errorf("PostCDRs(too many) = %v, want %s", err, partnerd.ECValidation)
	}
}

// TestSwitchRequests checks what the switch client sends: the bearer token
// and no partner headers, and always the batch form of /cdrs.
func TestSwitchRequests(t *testing.T) {
	var gotHeader http.Header
	var gotPath string
	var gotBody map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotHeader, gotPath = r.Header, r.Method+" "+r.URL.Path
		if err := json.NewDecoder(r.Body).Decode(&gotBody); err != nil {
			t.Errorf("decoding request body: %v", err)
		}
		answer(w, http.StatusOK, `{"results":[{"call_uuid":"c1","status":"rejected","cost":null,"currency":null,
			"error":{"code":"account_not_found","message":"account_auth_id MA_zzzzzzzz is not a customer account."}}]}`)
	}))
	t.Cleanup(srv.Close)
	sw := client.NewSwitch(srv.URL, "sk_live_switch")
	start := time.Date(2026, 3, 25, 10, 0, 0, 0, time.UTC)
	in := partnerd.CDRInput{CallUUID: "c1", Direction: partnerd.DirectionOutbound, AccountAuthID: ptr("MA_zzzzzzzz"),
		FromNumber: "+912271264217", ToNumber: "+919876543210", StartTime: start, EndTime: start.Add(20 * time.Second),
		DurationSeconds: 20}
	got, err := sw.PostCDRs(context.Background(), []partnerd.CDRInput{in})
	if err != nil {
		t.Fatalf("PostCDRs: %v", err)
	}
	if want := "POST /api/v1/switch/cdrs"; gotPath != want {
		t.Errorf("request = %q, want %q", gotPath, want)
	}
	if a, id, tok := gotHeader.Get("Authorization"), gotHeader.Get("X-Auth-ID"), gotHeader.Get("X-Auth-Token"); a != "Bearer sk_live_switch" || id != "" || tok != "" {
		t.Errorf("headers Authorization %q X-Auth-ID %q X-Auth-Token %q, want only the bearer token", a, id, tok)
	}
	wantBody := map[string]any{"cdrs": []any{map[string]any{
		"call_uuid": "c1", "direction": "outbound", "account_auth_id": "MA_zzzzzzzz", "from_number": "+912271264217",
		"to_number": "+919876543210", "start_time": "2026-03-25T10:00:00Z", "answer_time": nil,
		"end_time": "2026-03-25T10:00:20Z", "duration_seconds": 20.0, "billsec": 0.0,
	}}}
	if diff := cmp.Diff(wantBody, gotBody); diff != "" {
		t.Errorf("request body (-want +got):\n%s", diff)
	}
	want := []partnerd.CDRResult{{CallUUID: "c1", Status: partnerd.CDRRejected, Err: &partnerd.Error{Code: partnerd.ECAccountNotFound,
		Message: "account_auth_id MA_zzzzzzzz is not a customer account."}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("PostCDRs (-want +got):\n%s", diff)
	}
}
