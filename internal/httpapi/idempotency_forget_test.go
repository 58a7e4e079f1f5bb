package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

// TestIdempotencyCannotBeForgotten registers throwaway write routes that
// skip the completion step (they call the store without commit, so no
// response renderer is set) and checks that a retry under the same
// Idempotency-Key can never apply the write twice: the store refuses a
// write under a claim it cannot complete, and a write that escaped its
// claim is reported as an error in the log.
func TestIdempotencyCannotBeForgotten(t *testing.T) {
	ctx := context.Background()
	key := make([]byte, 32)
	rand.Read(key)
	logs := &syncLog{}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	db, err := sqlstore.Open(ctx, sqlstore.Source{Driver: "sqlite", Path: filepath.Join(t.TempDir(), "f.db")},
		sqlstore.Options{SecretKey: key, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := NewServer(Config{Accounts: db, Partners: db, Ledger: db, Idempotency: db, Logger: log})
	p, token, err := db.CreatePartner(ctx, partnerd.PartnerInput{Name: "Forgetful", Email: "ops@forgetful.example"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.FundPartner(ctx, p.ID, 1000_00, nil); err != nil {
		t.Fatal(err)
	}
	a, err := db.CreateAccount(ctx, p.ID, partnerd.AccountInput{Name: "Target", Email: "target@forgetful.example",
		Password: "SecurePass@123", Phone: "9431538535", Country: "IN"})
	if err != nil {
		t.Fatal(err)
	}
	move := func(ctx context.Context) (*partnerd.Transfer, error) {
		return db.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: 1_00})
	}
	const prefix = "/api/v1/partner/throwaway/"
	// forgets the completion step: it writes its own response.
	s.mux.Handle("POST "+prefix+"forgets", s.partner(s.idempotent(func(w http.ResponseWriter, r *http.Request) error {
		tr, err := move(r.Context())
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, renderTransfer(tr))
		return nil
	})))
	// escapes runs its write outside the request's context, so the claim
	// never reaches the store.
	s.mux.Handle("POST "+prefix+"escapes", s.partner(s.idempotent(func(w http.ResponseWriter, r *http.Request) error {
		tr, err := move(context.Background())
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, renderTransfer(tr))
		return nil
	})))
	// commits is the way every write is written: the control case.
	s.mux.Handle("POST "+prefix+"commits", s.partner(s.idempotent(func(w http.ResponseWriter, r *http.Request) error {
		return commit(w, r, http.StatusOK, renderTransfer, move)
	})))
	srv := httptest.NewServer(s)
	defer srv.Close()

	post := func(route, key string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, srv.URL+prefix+route, strings.NewReader(`{}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Auth-ID", p.ID)
		req.Header.Set("X-Auth-Token", token)
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body struct {
			Error string `json:"error"`
		}
		json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body.Error
	}
	balance := func() int64 {
		t.Helper()
		b, err := db.Account(ctx, p.ID, a.AuthID)
		if err != nil {
			t.Fatal(err)
		}
		return b.Balance
	}

	for i := range 3 {
		if status, code := post("forgets", "forgotten-key"); status != http.StatusInternalServerError || code != partnerd.ECInternal {
			t.Errorf("try %d of a write that forgot its completion = %d %s, want 500 internal_error", i+1, status, code)
		}
	}
	if got := balance(); got != 0 {
		t.Fatalf("balance %d after writes that could not store their response, want 0: the write applied", got)
	}
	if status, _ := post("forgets", ""); status != http.StatusOK {
		t.Errorf("the same route without a key = %d, want 200", status)
	}
	if got := balance(); got != 1_00 {
		t.Fatalf("balance %d, want 100 after one unkeyed write", got)
	}

	if status, _ := post("escapes", "escaped-key"); status != http.StatusOK {
		t.Errorf("a write that escaped its claim = %d, want 200", status)
	}
	if !strings.Contains(logs.String(), "without storing its response") {
		t.Errorf("a 2xx that stored no idempotent response was not logged as an error; log:\n%s", logs.String())
	}

	before := balance()
	for i := range 3 {
		if status, _ := post("commits", "committed-key"); status != http.StatusOK {
			t.Errorf("try %d of the control write = %d, want 200", i+1, status)
		}
	}
	if got := balance() - before; got != 1_00 {
		t.Errorf("the control write under one key moved %d, want 100 once", got)
	}
}
