package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
)

// TestCustomerAPI reads a customer's own data with its own credentials:
// the same answers as the partner's views of it, the profile without the
// token, and nothing of anyone else's.
func TestCustomerAPI(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e *testEnv) {
		c := e.mustLifecycleCustomer(t, "Selfie", 10_000)
		me := creds{c.authID, c.token}
		own := "/api/v1/Account/" + c.authID
		did := lifecycleNumber()
		e.mustAddNumber(t, c.partner, did, 1000)
		if r := e.post(t, accountPath(c.authID, "numbers"), c.partner, map[string]any{"number": did}); r.status != http.StatusCreated {
			t.Fatalf("assign number = %d; body: %s", r.status, r.raw)
		}
		results(t, e.switchPost(t, "/cdrs", c.sw, cdrBody("self-call-"+c.authID, c.authID, 61)))

		// The profile: the partner's, less the token.
		profile := e.get(t, own, me)
		if profile.status != http.StatusOK {
			t.Fatalf("GET own profile = %d; body: %s", profile.status, profile.raw)
		}
		partnerView := e.get(t, base+"/accounts/"+c.authID, c.partner)
		if diff := cmp.Diff(withoutKeys(partnerView.body, "auth_token"), profile.body); diff != "" {
			t.Errorf("own profile (-partner's view without token +own):\n%s", diff)
		}
		if _, ok := profile.body["auth_token"]; ok {
			t.Errorf("own profile shows auth_token: %s", profile.raw)
		}
		// API.md §6 writes it "GET /" under the account's path.
		if slash := e.get(t, own+"/", me); slash.status != http.StatusOK || slash.raw != profile.raw {
			t.Errorf("GET %s/ = %d %s, want the profile", own, slash.status, slash.raw)
		}
		// Every other view: the partner's answer, byte for byte, with the
		// same filters.
		for _, q := range []string{
			"/balance", "/transactions", "/transactions?transaction_type=debit", "/transactions?page=2&size=1",
			"/cdrs?start_date=2026-03-25&end_date=2026-03-25", "/cdrs?call_direction=inbound&start_date=2026-03-25&end_date=2026-03-25",
			"/numbers", "/numbers?search=zzz", "/sip-endpoints", "/sip-endpoints?size=1",
		} {
			mine := e.get(t, own+q, me)
			theirs := e.get(t, base+"/accounts/"+c.authID+q, c.partner)
			if mine.status != http.StatusOK || mine.raw != theirs.raw {
				t.Errorf("GET %s: customer %d %s\npartner %d %s", q, mine.status, mine.raw, theirs.status, theirs.raw)
			}
		}
		if rows := data(t, e.get(t, own+"/cdrs?start_date=2026-03-25&end_date=2026-03-25", me)); len(rows) != 1 {
			t.Errorf("own cdrs = %d rows, want the one call", len(rows))
		}
		if rows := data(t, e.get(t, own+"/numbers", me)); len(rows) != 1 || str(rows[0]["number"]) != did {
			t.Errorf("own numbers = %v, want %s", rows, did)
		}
		// CSV too.
		csv := e.send(t, http.MethodGet, own+"/cdrs?format=csv&start_date=2026-03-25&end_date=2026-03-25", me, nil, nil)
		pcsv := e.send(t, http.MethodGet, base+"/accounts/"+c.authID+"/cdrs?format=csv&start_date=2026-03-25&end_date=2026-03-25", c.partner, nil, nil)
		if csv.status != http.StatusOK || csv.raw != pcsv.raw {
			t.Errorf("own CSV = %d %q, want the partner's %q", csv.status, csv.raw, pcsv.raw)
		}
		// Bad filters are the same 400s.
		wantError(t, e.get(t, own+"/transactions?transaction_type=bogus", me), http.StatusBadRequest, partnerd.ECValidation)
		wantError(t, e.get(t, own+"?x=1", me), http.StatusBadRequest, partnerd.ECValidation)

		// Another customer, of the same partner or not: not found.
		sibling := str(e.mustCreateAccount(t, c.partner, validAccount("Sibling", "sib-"+c.authID+"@customer.example"))["auth_id"])
		for _, other := range []string{sibling, "MA_0000dead", "PA_12345678"} {
			for _, suffix := range []string{"", "/balance", "/transactions", "/cdrs", "/numbers", "/sip-endpoints"} {
				r := e.get(t, "/api/v1/Account/"+other+suffix, me)
				wantError(t, r, http.StatusNotFound, partnerd.ECAccountNotFound)
				// Said to the customer, not in the partner's words.
				if m := str(r.body["message"]); strings.Contains(m, "partner") || !strings.Contains(m, "your own auth_id") {
					t.Errorf("GET %s%s message %q, want the customer told to use its own auth_id", other, suffix, m)
				}
			}
		}
		// Partner credentials here, customer credentials there: 401.
		wantError(t, e.get(t, own, c.partner), http.StatusUnauthorized, partnerd.ECInvalidCredentials)
		wantError(t, e.get(t, base+"/accounts/"+c.authID, me), http.StatusUnauthorized, partnerd.ECInvalidCredentials)
		wantError(t, e.get(t, base+"/me", me), http.StatusUnauthorized, partnerd.ECInvalidCredentials)
		wantError(t, e.get(t, own, creds{c.authID, c.token + "x"}), http.StatusUnauthorized, partnerd.ECInvalidCredentials)
		wantError(t, e.get(t, own, noCreds), http.StatusUnauthorized, partnerd.ECMissingCredentials)
		wantError(t, e.doJSON(t, http.MethodGet, own, noCreds, nil, bearer(c.sw)), http.StatusUnauthorized, partnerd.ECMissingCredentials)
		// Read-only: no write route exists here.
		if r := e.doJSON(t, http.MethodPost, own+"/balance", me, map[string]any{}, nil); r.status != http.StatusMethodNotAllowed {
			t.Errorf("POST own balance = %d, want 405", r.status)
		}

		// Suspended: 403 account_suspended at once; active again: 200.
		if r := e.post(t, accountPath(c.authID, "suspend"), c.partner, map[string]any{"reason": "unpaid"}); r.status != http.StatusOK {
			t.Fatalf("suspend = %d", r.status)
		}
		for _, suffix := range []string{"", "/balance", "/cdrs"} {
			wantError(t, e.get(t, own+suffix, me), http.StatusForbidden, partnerd.ECAccountSuspended)
		}
		if r := e.post(t, accountPath(c.authID, "activate"), c.partner, map[string]any{}); r.status != http.StatusOK {
			t.Fatalf("activate = %d", r.status)
		}
		if r := e.get(t, own+"/balance", me); r.status != http.StatusOK {
			t.Errorf("own balance after activation = %d; body: %s", r.status, r.raw)
		}
	})
}
