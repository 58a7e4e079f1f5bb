package httpapi_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
)

// TestAccountCreateIdempotency checks Idempotency-Key on POST /accounts
// (API.md §1).
func TestAccountCreateIdempotency(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	a := e.mustPartner(t, "Idem Alpha")
	b := e.mustPartner(t, "Idem Beta")
	post := func(p creds, key string, body any) reply {
		t.Helper()
		return e.doJSON(t, http.MethodPost, base+"/accounts", p, mustMarshal(t, body), map[string]string{"Idempotency-Key": key})
	}

	body := validAccount("Idem One", "idem1@example.com")
	first := post(a, "key-1", body)
	if first.status != http.StatusCreated {
		t.Fatalf("first POST = %d, want 201; body: %s", first.status, first.raw)
	}
	if got := first.header.Get("Idempotent-Replayed"); got != "" {
		t.Errorf("first POST Idempotent-Replayed = %q, want none", got)
	}
	again := post(a, "key-1", body)
	if again.status != http.StatusCreated {
		t.Fatalf("replayed POST = %d, want the stored 201; body: %s", again.status, again.raw)
	}
	if got := again.header.Get("Idempotent-Replayed"); got != "true" {
		t.Errorf("replayed POST Idempotent-Replayed = %q, want true", got)
	}
	if diff := cmp.Diff(first.body, again.body); diff != "" {
		t.Errorf("replayed body differs (-first +replay):\n%s", diff)
	}
	if got := metaOf(t, e.get(t, base+"/accounts", a)).Total; got != "1" {
		t.Errorf("accounts after a replay = %s, want 1", got)
	}

	// Same key, another body: refused.
	r := post(a, "key-1", validAccount("Idem Two", "idem2@example.com"))
	wantError(t, r, http.StatusUnprocessableEntity, partnerd.ECIdempotencyReused)

	// A failed request leaves its key unused.
	bad := validAccount("Idem Three", "idem3@example.com")
	bad["password"] = "weak"
	r = post(a, "key-3", bad)
	wantError(t, r, http.StatusBadRequest, partnerd.ECValidation)
	if r := post(a, "key-3", validAccount("Idem Three", "idem3@example.com")); r.status != http.StatusCreated {
		t.Errorf("POST with the key of a failed request = %d, want 201; body: %s", r.status, r.raw)
	}

	// Keys are scoped to the partner.
	if r := post(b, "key-1", validAccount("Idem Four", "idem4@example.com")); r.status != http.StatusCreated {
		t.Errorf("another partner's POST with the same key = %d, want 201; body: %s", r.status, r.raw)
	}

	for _, key := range []string{strings.Repeat("k", 256), "ünïcode"} {
		r := post(a, key, validAccount("Idem Bad Key", "idem-bad@example.com"))
		wantError(t, r, http.StatusBadRequest, partnerd.ECValidation)
		if diff := cmp.Diff([]fieldCode{{"Idempotency-Key", partnerd.FCInvalidFormat}}, fieldCodes(t, r)); diff != "" {
			t.Errorf("Idempotency-Key %.20q fields mismatch (-want +got):\n%s", key, diff)
		}
	}
	if r := post(a, strings.Repeat("k", 255), validAccount("Idem Long Key", "idem-long@example.com")); r.status != http.StatusCreated {
		t.Errorf("POST with a 255-character key = %d, want 201; body: %s", r.status, r.raw)
	}

	// The stored response holds the customer's auth_token: like the token
	// itself, it is encrypted at rest, so no database file contains it.
	token := str(first.body["auth_token"])
	files, _ := filepath.Glob(e.dbPath + "*")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if strings.Contains(string(b), token) {
			t.Errorf("database file %s holds the customer auth_token in plain text", filepath.Base(f))
		}
		if strings.Contains(string(b), a.Token) {
			t.Errorf("database file %s holds the partner token in plain text", filepath.Base(f))
		}
	}
}
