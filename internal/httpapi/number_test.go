package httpapi_test

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/httpapi"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

// numbersEnv serves the API, numbers included, on a fresh SQLite store.
func numbersEnv(t *testing.T) *testEnv {
	t.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	path := filepath.Join(t.TempDir(), "p.db")
	db, err := sqlstore.Open(context.Background(), sqlstore.Source{Driver: "sqlite", Path: path}, sqlstore.Options{SecretKey: key, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	api := httpapi.NewServer(httpapi.Config{
		Accounts: db, Partners: db, Ledger: db, Numbers: db, Idempotency: db, Logger: log, Ping: db.Ping,
	})
	srv := httptest.NewServer(contractCheck(api))
	t.Cleanup(func() {
		srv.Close()
		api.Close()
		db.Close()
	})
	return &testEnv{db: db, dbPath: path, api: api, srv: srv, logs: logs}
}

// mustFundedCustomerHTTP creates a customer of c holding balance (minor units).
func (e *testEnv) mustFundedCustomerHTTP(t *testing.T, c creds, email string, balance int64) string {
	t.Helper()
	id := str(e.mustCreateAccount(t, c, validAccount("Renter", email))["auth_id"])
	if _, err := e.db.FundPartner(context.Background(), c.ID, balance, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Transfer(context.Background(), c.ID, partnerd.TransferInput{AuthID: id, Amount: balance}); err != nil {
		t.Fatal(err)
	}
	return id
}

func (e *testEnv) mustAddNumber(t *testing.T, c creds, number string, cost int64) {
	t.Helper()
	if _, err := e.db.AddNumber(context.Background(), c.ID, partnerd.NumberInput{Number: number, MonthlyCost: cost}); err != nil {
		t.Fatal(err)
	}
}

func TestNumberAssignAndList(t *testing.T) {
	e := numbersEnv(t)
	c := e.mustPartner(t, "Numbers")
	id := e.mustFundedCustomerHTTP(t, c, "renter@numbers.example", 10000)
	e.mustAddNumber(t, c, "+912271264217", 2500)
	e.mustAddNumber(t, c, "+912271264218", 100)

	r := e.doJSON(t, http.MethodPost, base+"/accounts/"+id+"/numbers", c, map[string]any{"number": "+912271264217"},
		map[string]string{"Idempotency-Key": "assign-1"})
	if r.status != http.StatusCreated {
		t.Fatalf("POST numbers = %d, want 201; body %s", r.status, r.raw)
	}
	want := []string{"account_auth_id", "account_name", "application_id", "assigned_at", "country", "currency",
		"expires_at", "monthly_cost", "number", "number_type", "region", "status"}
	if diff := cmp.Diff(want, keys(r.body)); diff != "" {
		t.Errorf("201 keys (-want +got):\n%s", diff)
	}
	if r.body["number"] != "+912271264217" || r.body["status"] != "assigned" || r.body["account_auth_id"] != id ||
		r.body["country"] != "IN" || r.body["number_type"] != "local" || num(r.body["monthly_cost"]) != "25.00" ||
		r.body["currency"] != "INR" || r.body["expires_at"] != nil || !reTime.MatchString(str(r.body["assigned_at"])) {
		t.Errorf("201 body = %s", r.raw)
	}
	// A retry replays; the month is charged once.
	again := e.doJSON(t, http.MethodPost, base+"/accounts/"+id+"/numbers", c, map[string]any{"number": "+912271264217"},
		map[string]string{"Idempotency-Key": "assign-1"})
	if again.status != http.StatusCreated || again.header.Get("Idempotent-Replayed") != "true" || again.raw != r.raw {
		t.Errorf("replay = %d %q, want the stored 201", again.status, again.raw)
	}
	bal := e.get(t, base+"/accounts/"+id+"/balance", c)
	if got := num(bal.body["balance"]); got != "75.00" {
		t.Errorf("balance after assign = %s, want 75.00", got)
	}

	list := e.get(t, base+"/accounts/"+id+"/numbers", c)
	rows := data(t, list)
	if len(rows) != 1 || rows[0]["number"] != "+912271264217" {
		t.Fatalf("customer numbers = %s", list.raw)
	}
	want = []string{"application_id", "assigned_at", "country", "currency", "expires_at", "monthly_cost", "number",
		"number_type", "region", "status"}
	if diff := cmp.Diff(want, keys(rows[0])); diff != "" {
		t.Errorf("customer row keys (-want +got):\n%s", diff)
	}

	pool := e.get(t, base+"/numbers?status=available", c)
	rows = data(t, pool)
	if len(rows) != 1 || rows[0]["number"] != "+912271264218" || rows[0]["account_auth_id"] != nil || rows[0]["account_name"] != nil {
		t.Errorf("available numbers = %s", pool.raw)
	}
	pool = e.get(t, base+"/numbers?search=64217&size=1", c)
	rows = data(t, pool)
	if len(rows) != 1 || rows[0]["account_name"] != "Renter" || num(pool.body["meta"].(map[string]any)["total"]) != "1" {
		t.Errorf("searched numbers = %s", pool.raw)
	}
}

func TestNumberRefusals(t *testing.T) {
	e := numbersEnv(t)
	c := e.mustPartner(t, "Strict numbers")
	other := e.mustPartner(t, "Other numbers")
	id := e.mustFundedCustomerHTTP(t, c, "poor@numbers.example", 1000)
	theirs := e.mustFundedCustomerHTTP(t, other, "theirs@numbers.example", 1000)
	e.mustAddNumber(t, c, "+912271264217", 2500)
	e.mustAddNumber(t, c, "+912271264218", 500)
	e.mustAddNumber(t, other, "+912271264219", 500)
	assign := func(authID string, body any) reply {
		return e.post(t, base+"/accounts/"+authID+"/numbers", c, body)
	}

	wantError(t, assign(id, map[string]any{"number": "+912271264217"}), http.StatusBadRequest, partnerd.ECInsufficientBalance)
	wantError(t, assign(id, map[string]any{"number": "+912271264219"}), http.StatusNotFound, partnerd.ECNumberNotFound)
	wantError(t, assign(id, map[string]any{"number": "+912271264290"}), http.StatusNotFound, partnerd.ECNumberNotFound)
	wantError(t, assign(theirs, map[string]any{"number": "+912271264218"}), http.StatusNotFound, partnerd.ECAccountNotFound)
	wantError(t, assign("MA_nothex!", map[string]any{"number": "+912271264218"}), http.StatusNotFound, partnerd.ECAccountNotFound)
	r := assign(id, map[string]any{"number": "12345", "extra": 1})
	wantError(t, r, http.StatusBadRequest, partnerd.ECValidation)
	if diff := cmp.Diff(sortedFields(fieldCode{"extra", partnerd.FCUnknownField}, fieldCode{"number", partnerd.FCInvalidFormat}), sortedFields(fieldCodes(t, r)...)); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	wantError(t, assign(id, map[string]any{"number": 912271264218}), http.StatusBadRequest, partnerd.ECValidation)
	wantError(t, assign(id, map[string]any{}), http.StatusBadRequest, partnerd.ECValidation)

	if r := assign(id, map[string]any{"number": "+912271264218"}); r.status != http.StatusCreated {
		t.Fatalf("assign = %d %s", r.status, r.raw)
	}
	wantError(t, assign(id, map[string]any{"number": "+912271264218"}), http.StatusConflict, partnerd.ECNumberAssigned)

	// Release: another partner, another customer, a bad number.
	del := func(cr creds, authID, number string) reply {
		return e.send(t, http.MethodDelete, base+"/accounts/"+authID+"/numbers/"+number, cr, nil, nil)
	}
	wantError(t, e.doJSON(t, http.MethodDelete, base+"/accounts/"+id+"/numbers/%2B912271264218", other, nil, nil), http.StatusNotFound, partnerd.ECAccountNotFound)
	wantError(t, e.doJSON(t, http.MethodDelete, base+"/accounts/"+theirs+"/numbers/%2B912271264219", c, nil, nil), http.StatusNotFound, partnerd.ECAccountNotFound)
	wantError(t, e.doJSON(t, http.MethodDelete, base+"/accounts/"+id+"/numbers/%2B912271264217", c, nil, nil), http.StatusNotFound, partnerd.ECNumberNotFound)
	wantError(t, e.doJSON(t, http.MethodDelete, base+"/accounts/"+id+"/numbers/not-a-number", c, nil, nil), http.StatusNotFound, partnerd.ECNumberNotFound)
	if r := del(c, id, "%2B912271264218"); r.status != http.StatusNoContent || r.raw != "" {
		t.Errorf("DELETE = %d %q, want 204 and no body", r.status, r.raw)
	}
	wantError(t, e.doJSON(t, http.MethodDelete, base+"/accounts/"+id+"/numbers/%2B912271264218", c, nil, nil), http.StatusNotFound, partnerd.ECNumberNotFound)
	if rows := data(t, e.get(t, base+"/accounts/"+id+"/numbers", c)); len(rows) != 0 {
		t.Errorf("numbers after release = %v, want none", rows)
	}
	if got := num(e.get(t, base+"/accounts/"+id+"/balance", c).body["balance"]); got != "5.00" {
		t.Errorf("balance after release = %s, want 5.00 (no refund)", got)
	}

	// Lists: tenancy and strict parameters.
	wantError(t, e.get(t, base+"/accounts/"+theirs+"/numbers", c), http.StatusNotFound, partnerd.ECAccountNotFound)
	wantError(t, e.get(t, base+"/numbers?status=gone", c), http.StatusBadRequest, partnerd.ECValidation)
	wantError(t, e.get(t, base+"/accounts/"+id+"/numbers?status=assigned", c), http.StatusBadRequest, partnerd.ECValidation)
	wantError(t, e.get(t, base+"/numbers?size=0", c), http.StatusBadRequest, partnerd.ECValidation)
	for _, row := range data(t, e.get(t, base+"/numbers", c)) {
		if row["number"] == "+912271264219" {
			t.Errorf("GET /numbers lists another partner's number")
		}
	}
}
