package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
)

// patch is doJSON for a PATCH of body.
func (e *testEnv) patch(t *testing.T, path string, c creds, body any) reply {
	t.Helper()
	return e.doJSON(t, http.MethodPatch, path, c, body, nil)
}

func TestAccountUpdate(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	p := e.mustPartner(t, "Patcher")
	email := fmt.Sprintf("patched-%d@update.example", partnerSeq.Add(1))
	a := e.mustCreateAccount(t, p, seedAccount(t, email))
	id := str(a["auth_id"])
	before := e.get(t, base+"/accounts/"+id, p).body

	newEmail := fmt.Sprintf("NEW-%d@Update.example", partnerSeq.Add(1))
	r := e.patch(t, base+"/accounts/"+id, p, map[string]any{
		"name": "Credresolve Renamed", "email": newEmail, "description": nil, "company": "New Co",
		"timezone": nil, "gst_status": "inactive", "account_type": "enterprise", "password": "An0ther-secret",
	})
	if r.status != http.StatusOK {
		t.Fatalf("PATCH = %d, want 200; body: %s", r.status, r.raw)
	}
	want := withoutKeys(before, "updated_at")
	want["name"], want["email"], want["description"], want["company"] = "Credresolve Renamed", strings.ToLower(newEmail), nil, "New Co"
	want["timezone"], want["gst_status"], want["account_type"] = "UTC", "inactive", "enterprise"
	if diff := cmp.Diff(want, withoutKeys(r.body, "updated_at")); diff != "" {
		t.Errorf("PATCH answer (-want +got):\n%s", diff)
	}
	if strings.Contains(r.raw, "An0ther-secret") {
		t.Errorf("PATCH answer shows the password: %s", r.raw)
	}
	if g := e.get(t, base+"/accounts/"+id, p); !cmp.Equal(r.body, g.body) {
		t.Errorf("GET after PATCH differs from its answer (-patch +get):\n%s", cmp.Diff(r.body, g.body))
	}
	// The old email is free, the new one taken.
	e.mustCreateAccount(t, p, validAccount("Reuse", email))
	wantError(t, e.post(t, base+"/accounts", p, validAccount("Copy", newEmail)), http.StatusConflict, partnerd.ECEmailTaken)
	// An empty object changes nothing.
	if r := e.patch(t, base+"/accounts/"+id, p, map[string]any{}); r.status != http.StatusOK || str(r.body["name"]) != "Credresolve Renamed" {
		t.Errorf("PATCH {} = %d %s", r.status, r.raw)
	}
}

func TestAccountUpdateRefusals(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	p := e.mustPartner(t, "Patch Refuser")
	id := str(e.mustCreateAccount(t, p, validAccount("Refused", fmt.Sprintf("refused-%d@update.example", partnerSeq.Add(1))))["auth_id"])
	takenEmail := fmt.Sprintf("taken-%d@update.example", partnerSeq.Add(1))
	e.mustCreateAccount(t, p, validAccount("Taken", takenEmail))
	path := base + "/accounts/" + id

	for _, tc := range []struct {
		name string
		body any
		want []fieldCode
	}{
		{"every field bad", map[string]any{
			"name": nil, "email": "nope", "password": "weak", "phone": "12", "zip_code": strings.Repeat("9", 21),
			"timezone": "Mars/Olympus", "gstin": "bad", "account_type": "gold", "city": 7, "country": "US", "colour": "red",
		}, sortedFields(
			fieldCode{"name", partnerd.FCRequired}, fieldCode{"email", partnerd.FCInvalidFormat},
			fieldCode{"password", partnerd.FCTooWeak}, fieldCode{"phone", partnerd.FCInvalidFormat},
			fieldCode{"zip_code", partnerd.FCTooLong}, fieldCode{"timezone", partnerd.FCInvalidValue},
			fieldCode{"gstin", partnerd.FCInvalidFormat}, fieldCode{"account_type", partnerd.FCInvalidValue},
			fieldCode{"city", partnerd.FCInvalidType}, fieldCode{"country", partnerd.FCNotAllowed},
			fieldCode{"colour", partnerd.FCUnknownField},
		)},
		{"gst_status without gstin", map[string]any{"gst_status": "active"}, []fieldCode{{"gst_status", partnerd.FCNotAllowed}}},
		{"required field null", map[string]any{"email": nil, "phone": nil}, sortedFields(
			fieldCode{"email", partnerd.FCRequired}, fieldCode{"phone", partnerd.FCRequired})},
	} {
		r := e.patch(t, path, p, tc.body)
		wantError(t, r, http.StatusBadRequest, partnerd.ECValidation)
		if diff := cmp.Diff(tc.want, fieldCodes(t, r)); diff != "" {
			t.Errorf("%s: fields (-want +got):\n%s", tc.name, diff)
		}
	}
	wantError(t, e.patch(t, path, p, map[string]any{"email": strings.ToUpper(takenEmail)}), http.StatusConflict, partnerd.ECEmailTaken)
	wantError(t, e.patch(t, path, p, "[1]"), http.StatusBadRequest, partnerd.ECInvalidJSON)
	wantError(t, e.doJSON(t, http.MethodPatch, path, p, "name=x", map[string]string{"Content-Type": "text/plain"}), http.StatusUnsupportedMediaType, partnerd.ECUnsupportedMedia)
	other := e.mustPartner(t, "Patch Rival")
	wantError(t, e.patch(t, path, other, map[string]any{"name": "Mine"}), http.StatusNotFound, partnerd.ECAccountNotFound)
	wantError(t, e.patch(t, base+"/accounts/MA_0000dead", p, map[string]any{"name": "Ghost"}), http.StatusNotFound, partnerd.ECAccountNotFound)
	if g := e.get(t, path, p); str(g.body["name"]) != "Refused" {
		t.Errorf("name after refused PATCHes = %q, want Refused", g.body["name"])
	}
}

// TestAccountUpdateEmailRace sends, at once, PATCHes of two accounts and a
// create, all for one email: one gets it, the others 409.
func TestAccountUpdateEmailRace(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e *testEnv) {
		p := e.mustPartner(t, "Email Racer")
		ids := e.mustCreateAccounts(t, p, 2, func(i int) string { return "Racer" },
			func(i int) string { return fmt.Sprintf("racer%d-%d@race.example", i, partnerSeq.Add(1)) })
		for round := range 3 {
			email := fmt.Sprintf("prize%d-%d@race.example", round, partnerSeq.Add(1))
			statuses := make([]int, 3)
			var wg sync.WaitGroup
			for i := range statuses {
				wg.Go(func() {
					var r reply
					var err error
					if i < 2 {
						r, err = e.request(http.MethodPatch, base+"/accounts/"+ids[i], p, map[string]any{"email": email}, nil)
					} else {
						r, err = e.request(http.MethodPost, base+"/accounts", p, validAccount("Creator", email), nil)
					}
					if err != nil {
						t.Error(err)
						return
					}
					if r.status >= 300 && str(r.body["error"]) != partnerd.ECEmailTaken {
						t.Errorf("request %d: %d %s, want success or email_taken", i, r.status, r.raw)
					}
					statuses[i] = r.status
				})
			}
			wg.Wait()
			won := 0
			for _, st := range statuses {
				if st < 300 {
					won++
				}
			}
			if won != 1 {
				t.Errorf("round %d: %d requests got the email (%v), want 1", round, won, statuses)
			}
		}
	})
}

func TestAccountRotateToken(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e *testEnv) {
		c := e.mustLifecycleCustomer(t, "Rotor", 0)
		own := "/api/v1/Account/" + c.authID
		if r := e.get(t, own, creds{c.authID, c.token}); r.status != http.StatusOK {
			t.Fatalf("customer GET with the first token = %d; body: %s", r.status, r.raw)
		}
		r := e.post(t, accountPath(c.authID, "rotate-token"), c.partner, map[string]any{})
		if r.status != http.StatusOK {
			t.Fatalf("POST rotate-token = %d; body: %s", r.status, r.raw)
		}
		if diff := cmp.Diff([]string{"auth_id", "auth_token"}, keys(r.body)); diff != "" {
			t.Errorf("rotate-token keys (-want +got):\n%s", diff)
		}
		token := str(r.body["auth_token"])
		if !reToken.MatchString(token) || token == c.token || str(r.body["auth_id"]) != c.authID {
			t.Fatalf("rotate-token answered %s, want a new token", r.raw)
		}
		// At once on this instance: the old token is refused, the new one works.
		wantError(t, e.get(t, own, creds{c.authID, c.token}), http.StatusUnauthorized, partnerd.ECInvalidCredentials)
		if r := e.get(t, own, creds{c.authID, token}); r.status != http.StatusOK {
			t.Errorf("customer GET with the new token = %d; body: %s", r.status, r.raw)
		}
		if g := e.get(t, base+"/accounts/"+c.authID, c.partner); str(g.body["auth_token"]) != token {
			t.Errorf("profile shows token %q after rotation, want the new one", g.body["auth_token"])
		}
		if strings.Contains(e.logs.String(), token) {
			t.Error("the new token appears in the log")
		}
		// An idempotent retry answers the same token; the rotation ran once.
		key := map[string]string{"Idempotency-Key": "rotate-" + c.authID}
		first := e.doJSON(t, http.MethodPost, accountPath(c.authID, "rotate-token"), c.partner, nil, key)
		again := e.doJSON(t, http.MethodPost, accountPath(c.authID, "rotate-token"), c.partner, nil, key)
		if first.status != http.StatusOK || again.raw != first.raw || again.header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("retried rotate-token = %s (replayed %q), want %s", again.raw, again.header.Get("Idempotent-Replayed"), first.raw)
		}
		var body struct {
			AuthToken string `json:"auth_token"`
		}
		json.Unmarshal([]byte(first.raw), &body)
		if r := e.get(t, own, creds{c.authID, body.AuthToken}); r.status != http.StatusOK {
			t.Errorf("customer GET with the replayed token = %d", r.status)
		}
	})
}
