package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/pgtest"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

// onEngines runs f against a server on SQLite and against one on
// PostgreSQL (skipped without PARTNERD_TEST_POSTGRES, failed under
// CI=true).
func onEngines(t *testing.T, f func(t *testing.T, e *testEnv)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		f(t, sharedEnv(t))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		f(t, postgresEnv(t))
	})
}

// postgresEnv serves the API on a fresh PostgreSQL database.
func postgresEnv(t *testing.T) *testEnv {
	t.Helper()
	src := sqlstore.Source{Driver: "postgres", DSN: pgtest.FreshDSN(t)}
	e, closeEnv, err := openEnvWith(t.TempDir(), envOptions{src: &src})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeEnv)
	return e
}

// lifecycleCustomer is a customer set up to call: funded, on a rated
// deck, with one SIP endpoint.
type lifecycleCustomer struct {
	partner  creds
	authID   string
	token    string // the customer's auth_token
	username string // its SIP endpoint's
	sw       string // a switch token
}

// mustLifecycleCustomer creates a partner with an outbound deck, a
// customer holding balance (minor units) with one SIP endpoint, and a
// switch token.
func (e *testEnv) mustLifecycleCustomer(t *testing.T, name string, balance int64) lifecycleCustomer {
	t.Helper()
	ctx := context.Background()
	p := e.mustPartner(t, name)
	email := fmt.Sprintf("%s-%d@lifecycle.example", strings.ToLower(name), partnerSeq.Add(1))
	a := e.mustCreateAccount(t, p, validAccount(name, email))
	c := lifecycleCustomer{partner: p, authID: str(a["auth_id"]), token: str(a["auth_token"]), username: sipUsername(strings.ToLower(name))}
	if balance > 0 {
		e.mustFund(t, p, balance, nil)
		if _, err := e.db.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: c.authID, Amount: balance}); err != nil {
			t.Fatal(err)
		}
	}
	deck := []partnerd.Rate{{Direction: partnerd.DirectionOutbound, Prefix: "1", PerMinute: 100, InitialIncrement: 60, SubsequentIncrement: 60}}
	if err := e.db.ReplaceRateDeck(ctx, p.ID, deck); err != nil {
		t.Fatalf("ReplaceRateDeck: %v", err)
	}
	e.mustEndpoint(t, p, c.authID, map[string]any{"username": c.username, "password": "SecurePass@123"})
	_, c.sw = e.mustSwitchToken(t)
	return c
}

// authorizeReason asks the switch API about an outbound call of c and
// returns "" when it is authorized, else the reason.
func (e *testEnv) authorizeReason(t *testing.T, c lifecycleCustomer, uuid string) string {
	t.Helper()
	r := e.switchPost(t, "/authorize", c.sw, map[string]any{
		"call_uuid": uuid, "direction": "outbound", "from": "+912271260000", "to": "+15551234567", "account_auth_id": c.authID,
	})
	if r.status != http.StatusOK {
		t.Fatalf("POST /authorize = %d, want 200; body: %s", r.status, r.raw)
	}
	if r.body["authorized"] == true {
		return ""
	}
	return str(r.body["reason"])
}

// sipStatus is the status of the switch's credential lookup of c's endpoint.
func (e *testEnv) sipStatus(t *testing.T, c lifecycleCustomer) int {
	t.Helper()
	return e.switchGet(t, "/sip-credentials/"+c.username, bearer(c.sw)).status
}

func accountPath(authID, action string) string {
	return base + "/accounts/" + authID + "/" + action
}

func TestAccountSuspendAndActivate(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e *testEnv) {
		c := e.mustLifecycleCustomer(t, "Suspendee", 10_000)
		if got := e.authorizeReason(t, c, "before-"+c.authID); got != "" {
			t.Fatalf("authorize before the suspension: refused %q", got)
		}

		r := e.post(t, accountPath(c.authID, "suspend"), c.partner, map[string]any{"reason": "Invoice 42 unpaid"})
		if r.status != http.StatusOK {
			t.Fatalf("POST suspend = %d, want 200; body: %s", r.status, r.raw)
		}
		if str(r.body["status"]) != "suspended" || str(r.body["status_reason"]) != "Invoice 42 unpaid" ||
			str(r.body["auth_token"]) != c.token || str(r.body["auth_id"]) != c.authID || num(r.body["balance"]) != "100.00" {
			t.Errorf("POST suspend answered %s, want the full profile, suspended with its reason", r.raw)
		}
		if g := e.get(t, base+"/accounts/"+c.authID, c.partner); str(g.body["status"]) != "suspended" {
			t.Errorf("GET profile after suspend: status %q, want suspended", g.body["status"])
		}
		if got := e.authorizeReason(t, c, "during-"+c.authID); got != partnerd.ReasonAccountSuspended {
			t.Errorf("authorize while suspended: reason %q, want %s", got, partnerd.ReasonAccountSuspended)
		}
		if got := e.sipStatus(t, c); got != http.StatusNotFound {
			t.Errorf("sip-credentials while suspended = %d, want 404", got)
		}
		// The partner may still fund it.
		e.mustFund(t, c.partner, 5000, nil)
		if m := e.post(t, moveURL(c.authID, "transfer"), c.partner, map[string]any{"amount": "50.00"}); m.status != http.StatusOK {
			t.Errorf("transfer to a suspended customer = %d, want 200; body: %s", m.status, m.raw)
		}

		// Activate takes no body at all, or an empty object.
		r = e.doJSON(t, http.MethodPost, accountPath(c.authID, "activate"), c.partner, nil, nil)
		if r.status != http.StatusOK || str(r.body["status"]) != "active" || r.body["status_reason"] != nil || num(r.body["balance"]) != "150.00" {
			t.Fatalf("POST activate = %d %s, want 200, active, no reason, balance 150.00", r.status, r.raw)
		}
		if got := e.authorizeReason(t, c, "after-"+c.authID); got != "" {
			t.Errorf("authorize after activation: refused %q", got)
		}
		if got := e.sipStatus(t, c); got != http.StatusOK {
			t.Errorf("sip-credentials after activation = %d, want 200", got)
		}
		if r := e.post(t, accountPath(c.authID, "activate"), c.partner, map[string]any{}); r.status != http.StatusOK {
			t.Errorf("POST activate {} of an active account = %d, want 200; body: %s", r.status, r.raw)
		}
		// A suspension without a reason.
		if r := e.doJSON(t, http.MethodPost, accountPath(c.authID, "suspend"), c.partner, nil, nil); r.status != http.StatusOK ||
			str(r.body["status"]) != "suspended" || r.body["status_reason"] != nil {
			t.Errorf("POST suspend without a body = %d %s, want 200, suspended, no reason", r.status, r.raw)
		}
		// No body under the JSON type a client sends with every POST is
		// still no body.
		if r := e.send(t, http.MethodPost, accountPath(c.authID, "activate"), c.partner, "", nil); r.status != http.StatusOK {
			t.Errorf("POST activate with Content-Type: application/json and no body = %d %s, want 200", r.status, r.raw)
		}
	})
}

func TestAccountLifecycleRefusals(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	p, id := e.mustCustomer(t, "Refuser")
	other := e.mustPartner(t, "Refuser Rival")
	for _, action := range []string{"suspend", "activate"} {
		t.Run(action, func(t *testing.T) {
			wantError(t, e.post(t, accountPath(id, action), other, map[string]any{}), http.StatusNotFound, partnerd.ECAccountNotFound)
			wantError(t, e.post(t, accountPath("MA_0000dead", action), p, map[string]any{}), http.StatusNotFound, partnerd.ECAccountNotFound)
			wantError(t, e.post(t, accountPath("nonsense", action), p, map[string]any{}), http.StatusNotFound, partnerd.ECAccountNotFound)
			r := e.post(t, accountPath(id, action), p, map[string]any{"status": "x"})
			wantError(t, r, http.StatusBadRequest, partnerd.ECValidation)
			if diff := fieldCodes(t, r); len(diff) != 1 || diff[0] != (fieldCode{"status", partnerd.FCUnknownField}) {
				t.Errorf("fields = %v, want status unknown_field", diff)
			}
			wantError(t, e.doJSON(t, http.MethodPost, accountPath(id, action)+"?x=1", p, map[string]any{}, nil), http.StatusBadRequest, partnerd.ECValidation)
			wantError(t, e.doJSON(t, http.MethodPost, accountPath(id, action), p, "reason=x", map[string]string{"Content-Type": "text/plain"}),
				http.StatusUnsupportedMediaType, partnerd.ECUnsupportedMedia)
			wantError(t, e.doJSON(t, http.MethodPost, accountPath(id, action), p, "{", nil), http.StatusBadRequest, partnerd.ECInvalidJSON)
		})
	}
	r := e.post(t, accountPath(id, "suspend"), p, map[string]any{"reason": 42})
	wantError(t, r, http.StatusBadRequest, partnerd.ECValidation)
	if got := fieldCodes(t, r); len(got) != 1 || got[0] != (fieldCode{"reason", partnerd.FCInvalidType}) {
		t.Errorf("fields = %v, want reason invalid_type", got)
	}
	r = e.post(t, accountPath(id, "suspend"), p, map[string]any{"reason": strings.Repeat("r", 501)})
	wantError(t, r, http.StatusBadRequest, partnerd.ECValidation)
	if got := fieldCodes(t, r); len(got) != 1 || got[0] != (fieldCode{"reason", partnerd.FCTooLong}) {
		t.Errorf("fields = %v, want reason too_long", got)
	}
	// Nothing of it changed the account.
	if g := e.get(t, base+"/accounts/"+id, p); str(g.body["status"]) != "active" {
		t.Errorf("status after refused requests = %q, want active", g.body["status"])
	}
}

func TestAccountLifecycleIdempotent(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	p, id := e.mustCustomer(t, "Replayer")
	key := map[string]string{"Idempotency-Key": "suspend-" + id}
	first := e.doJSON(t, http.MethodPost, accountPath(id, "suspend"), p, `{"reason":"first"}`, key)
	if first.status != http.StatusOK || first.header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("first suspend = %d (replayed %q), want 200 fresh; body: %s", first.status, first.header.Get("Idempotent-Replayed"), first.raw)
	}
	if r := e.doJSON(t, http.MethodPost, accountPath(id, "activate"), p, nil, nil); r.status != http.StatusOK {
		t.Fatalf("activate = %d; body: %s", r.status, r.raw)
	}
	again := e.doJSON(t, http.MethodPost, accountPath(id, "suspend"), p, `{"reason":"first"}`, key)
	if again.status != http.StatusOK || again.header.Get("Idempotent-Replayed") != "true" || again.raw != first.raw {
		t.Errorf("retried suspend = %d (replayed %q) %s, want the first answer replayed", again.status, again.header.Get("Idempotent-Replayed"), again.raw)
	}
	// The replay changed nothing: the account stays active.
	if g := e.get(t, base+"/accounts/"+id, p); str(g.body["status"]) != "active" {
		t.Errorf("status after the replay = %q, want active", g.body["status"])
	}
	wantError(t, e.doJSON(t, http.MethodPost, accountPath(id, "suspend"), p, `{"reason":"other"}`, key),
		http.StatusUnprocessableEntity, partnerd.ECIdempotencyReused)
	// A body-less POST may carry a key too.
	akey := map[string]string{"Idempotency-Key": "activate-" + id}
	if r := e.doJSON(t, http.MethodPost, accountPath(id, "activate"), p, nil, akey); r.status != http.StatusOK {
		t.Errorf("activate with a key and no body = %d; body: %s", r.status, r.raw)
	}
	if r := e.doJSON(t, http.MethodPost, accountPath(id, "activate"), p, nil, akey); r.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("activate retried = %d (replayed %q), want a replay", r.status, r.header.Get("Idempotent-Replayed"))
	}
}
