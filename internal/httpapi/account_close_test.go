package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/partnerd/partnerd"
)

// lifecycleNumber returns a DID of its own for a test on a shared server.
func lifecycleNumber() string { return fmt.Sprintf("+91227127%04d", partnerSeq.Add(1)%10000) }

// mustVerifyLedger runs ledger verify on e's database.
func (e *testEnv) mustVerifyLedger(t *testing.T) {
	t.Helper()
	var out bytes.Buffer
	if err := e.db.VerifyLedger(context.Background(), &out); err != nil {
		t.Fatalf("ledger verify: %v\n%s", err, out.String())
	}
}

// partnerBalance is the partner's master balance as GET /me writes it.
func (e *testEnv) partnerBalance(t *testing.T, p creds) string {
	t.Helper()
	r := e.get(t, base+"/me", p)
	if r.status != http.StatusOK {
		t.Fatalf("GET /me = %d; body: %s", r.status, r.raw)
	}
	return num(r.body["balance"])
}

func TestAccountClose(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e *testEnv) {
		c := e.mustLifecycleCustomer(t, "Closer", 10_000)
		did := lifecycleNumber()
		e.mustAddNumber(t, c.partner, did, 1000)
		if r := e.post(t, accountPath(c.authID, "numbers"), c.partner, map[string]any{"number": did}); r.status != http.StatusCreated {
			t.Fatalf("assign number = %d; body: %s", r.status, r.raw)
		}
		live := "live-" + c.authID
		if got := e.authorizeReason(t, c, live); got != "" {
			t.Fatalf("authorize: refused %q", got)
		}
		if b := e.get(t, accountPath(c.authID, "balance"), c.partner); num(b.body["balance"]) != "90.00" || num(b.body["reserved"]) != "2.40" {
			t.Fatalf("balance before the close: %s, want 90.00 with 2.40 reserved", b.raw)
		}
		before := e.partnerBalance(t, c.partner)
		if before != "0.00" {
			t.Fatalf("partner balance before the close = %s, want 0.00 (all of it given to the customer)", before)
		}

		r := e.post(t, accountPath(c.authID, "close"), c.partner, map[string]any{})
		if r.status != http.StatusOK || str(r.body["status"]) != "closed" || num(r.body["balance"]) != "0.00" || str(r.body["auth_id"]) != c.authID {
			t.Fatalf("POST close = %d %s, want 200, the profile, closed with 0.00", r.status, r.raw)
		}
		if got := e.partnerBalance(t, c.partner); got != "90.00" {
			t.Errorf("partner balance after the close = %s, want 90.00", got)
		}
		b := e.get(t, accountPath(c.authID, "balance"), c.partner)
		if num(b.body["balance"]) != "0.00" || num(b.body["reserved"]) != "0.00" {
			t.Errorf("balance after the close: %s, want 0.00, nothing reserved", b.raw)
		}
		rows := data(t, e.get(t, accountPath(c.authID, "transactions")+"?transaction_type=withdrawal", c.partner))
		if len(rows) != 1 || num(rows[0]["amount"]) != "-90.00" || str(rows[0]["initiated_by"]) != c.partner.ID ||
			str(rows[0]["description"]) != partnerd.CloseDescription {
			t.Errorf("withdrawals after the close = %v, want one of -90.00 by the partner", rows)
		}
		pool := data(t, e.get(t, base+"/numbers?status=available", c.partner))
		if len(pool) != 1 || str(pool[0]["number"]) != did || pool[0]["account_auth_id"] != nil {
			t.Errorf("available numbers after the close = %v, want %s back in the pool", pool, did)
		}
		// Calls, phones and the customer's token are dead.
		if got := e.authorizeReason(t, c, "after-"+c.authID); got != partnerd.ReasonAccountClosed {
			t.Errorf("authorize after the close: %q, want %s", got, partnerd.ReasonAccountClosed)
		}
		if got := e.sipStatus(t, c); got != http.StatusNotFound {
			t.Errorf("sip-credentials after the close = %d, want 404", got)
		}
		wantError(t, e.get(t, "/api/v1/Account/"+c.authID, creds{c.authID, c.token}), http.StatusUnauthorized, partnerd.ECInvalidCredentials)
		// The live call's record arrives: recorded, charging nothing.
		res := results(t, e.switchPost(t, "/cdrs", c.sw, cdrBody(live, c.authID, 120)))
		if len(res) != 1 || str(res[0]["status"]) != "charged" {
			t.Errorf("late CDR result = %v, want recorded", res)
		}
		if cdr := e.get(t, accountPath(c.authID, "cdrs/"+live), c.partner); cdr.status != http.StatusOK || num(cdr.body["unbilled_amount"]) != "0.02" {
			t.Errorf("late CDR = %d %s, want it with 0.02 unbilled", cdr.status, cdr.raw)
		}
		// Every change is refused; reads still answer.
		for _, w := range []struct {
			method, path string
			body         any
		}{
			{http.MethodPost, moveURL(c.authID, "transfer"), map[string]any{"amount": "1.00"}},
			{http.MethodPost, moveURL(c.authID, "withdraw"), map[string]any{"amount": "1.00"}},
			{http.MethodPost, accountPath(c.authID, "numbers"), map[string]any{"number": did}},
			{http.MethodPost, accountPath(c.authID, "sip-endpoints"), map[string]any{"username": sipUsername("late"), "password": "SecurePass@123"}},
			{http.MethodPost, accountPath(c.authID, "suspend"), map[string]any{}},
			{http.MethodPost, accountPath(c.authID, "activate"), map[string]any{}},
			{http.MethodPost, accountPath(c.authID, "close"), map[string]any{}},
			{http.MethodPost, accountPath(c.authID, "rotate-token"), map[string]any{}},
			{http.MethodPatch, base + "/accounts/" + c.authID, map[string]any{"name": "Revived"}},
		} {
			wantError(t, e.doJSON(t, w.method, w.path, c.partner, w.body, nil), http.StatusBadRequest, partnerd.ECAccountClosed)
		}
		if g := e.get(t, base+"/accounts/"+c.authID, c.partner); g.status != http.StatusOK || str(g.body["status"]) != "closed" {
			t.Errorf("GET profile of a closed account = %d %s, want 200, closed", g.status, g.raw)
		}
		if ids := authIDs(data(t, e.get(t, base+"/accounts?status=closed", c.partner))); len(ids) != 1 || ids[0] != c.authID {
			t.Errorf("GET /accounts?status=closed = %v, want [%s]", ids, c.authID)
		}
		if ids := authIDs(data(t, e.get(t, base+"/accounts?status=active", c.partner))); len(ids) != 0 {
			t.Errorf("GET /accounts?status=active = %v, want none", ids)
		}
		wantError(t, e.get(t, base+"/accounts?status=gone", c.partner), http.StatusBadRequest, partnerd.ECValidation)
		e.mustVerifyLedger(t)
	})
}

// TestAccountConcurrentCloses closes one customer five times at once: one
// answer is 200, the money moves once.
func TestAccountConcurrentCloses(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e *testEnv) {
		c := e.mustLifecycleCustomer(t, "Fivefold", 7_777)
		statuses := make([]int, 5)
		codes := make([]string, 5)
		var wg sync.WaitGroup
		for i := range statuses {
			wg.Go(func() {
				r, err := e.request(http.MethodPost, accountPath(c.authID, "close"), c.partner, map[string]any{}, nil)
				if err != nil {
					t.Error(err)
					return
				}
				statuses[i], codes[i] = r.status, str(r.body["error"])
			})
		}
		wg.Wait()
		ok := 0
		for i, st := range statuses {
			switch {
			case st == http.StatusOK:
				ok++
			case st != http.StatusBadRequest || codes[i] != partnerd.ECAccountClosed:
				t.Errorf("close %d: %d %s, want 200 or 400 account_closed", i, st, codes[i])
			}
		}
		if ok != 1 {
			t.Errorf("%d of 5 concurrent closes answered 200, want 1", ok)
		}
		if got := e.partnerBalance(t, c.partner); got != "77.77" {
			t.Errorf("partner balance after 5 closes = %s, want 77.77 (returned once)", got)
		}
		if rows := data(t, e.get(t, accountPath(c.authID, "transactions")+"?transaction_type=withdrawal", c.partner)); len(rows) != 1 {
			t.Errorf("%d withdrawals after 5 closes, want 1", len(rows))
		}
		e.mustVerifyLedger(t)
	})
}
