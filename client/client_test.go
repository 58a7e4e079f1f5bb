package client_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/client"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

const (
	testPartner = "PA_7QX2M9KD"
	testToken   = "sk_live_0123456789abcdefghijABCDEFGHIJ0123456789"
)

// mustFake starts a server answering with h and returns a client of it.
func mustFake(t *testing.T, h http.HandlerFunc) *client.Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return client.New(srv.URL, testPartner, testToken)
}

// answer writes a JSON body the way partnerd does.
func answer(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

func ptr(s string) *string { return &s }

// mustOpenSQLite opens a real SQLite store in the test's directory.
func mustOpenSQLite(t *testing.T) *sqlstore.DB {
	t.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	db, err := sqlstore.Open(context.Background(), sqlstore.Source{Driver: "sqlite", Path: filepath.Join(t.TempDir(), "p.db")},
		sqlstore.Options{SecretKey: key})
	if err != nil {
		t.Fatalf("sqlstore.Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestCreateAccount(t *testing.T) {
	var gotHeader http.Header
	var gotBody map[string]any
	var gotPath string
	c := mustFake(t, func(w http.ResponseWriter, r *http.Request) {
		gotHeader, gotPath = r.Header, r.Method+" "+r.URL.Path
		if err := json.NewDecoder(r.Body).Decode(&gotBody); err != nil {
			t.Errorf("decoding request body: %v", err)
		}
		answer(w, http.StatusCreated, `{"auth_id":"MA_48149cf4","auth_token":"sk_live_customer","name":"Credresolve",
			"email":"admin@credresolve.com","status":"active","balance":0.00,"currency":"INR","country":"IN",
			"timezone":"Asia/Kolkata","created_at":"2026-03-25T10:00:00Z"}`)
	})
	ctx := client.WithIdempotencyKey(context.Background(), "create-credresolve-1")
	got, err := c.CreateAccount(ctx, "", partnerd.AccountInput{
		Name: "Credresolve", Email: "admin@credresolve.com", Password: "SecurePass@123", Phone: "9431538535",
		Country: "IN", Timezone: ptr("Asia/Kolkata"), GSTIN: ptr("29AAPFU0939F1ZV"),
	})
	if err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}

	if want := "POST /api/v1/partner/accounts"; gotPath != want {
		t.Errorf("request = %q, want %q", gotPath, want)
	}
	for name, want := range map[string]string{
		"X-Auth-ID": testPartner, "X-Auth-Token": testToken, "Content-Type": "application/json",
		"Accept": "application/json", "Idempotency-Key": "create-credresolve-1",
	} {
		if got := gotHeader.Get(name); got != want {
			t.Errorf("header %s = %q, want %q", name, got, want)
		}
	}
	// Absent optional fields are left out, never sent as null.
	wantBody := map[string]any{
		"name": "Credresolve", "email": "admin@credresolve.com", "password": "SecurePass@123",
		"phone": "9431538535", "country": "IN", "timezone": "Asia/Kolkata", "gstin": "29AAPFU0939F1ZV",
	}
	if diff := cmp.Diff(wantBody, gotBody); diff != "" {
		t.Errorf("request body (-want +got):\n%s", diff)
	}
	want := &partnerd.Account{
		AuthID: "MA_48149cf4", PartnerID: testPartner, Name: "Credresolve", Email: "admin@credresolve.com",
		Country: "IN", Timezone: "Asia/Kolkata", Status: "active", Currency: "INR",
		AuthToken: "sk_live_customer", CreatedAt: time.Date(2026, 3, 25, 10, 0, 0, 0, time.UTC),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("account (-want +got):\n%s", diff)
	}
}

func TestIdempotencyKeyOnlyOnPOST(t *testing.T) {
	var got atomic.Value
	c := mustFake(t, func(w http.ResponseWriter, r *http.Request) {
		got.Store(r.Header.Values("Idempotency-Key"))
		answer(w, http.StatusOK, `{"auth_id":"PA_7QX2M9KD","name":"P","email":"p@example.com","company":null,
			"status":"active","balance":0.00,"currency":"INR","account_count":0,"created_at":"2026-03-25T10:00:00Z"}`)
	})
	if _, err := c.Me(client.WithIdempotencyKey(context.Background(), "k1")); err != nil {
		t.Fatalf("Me: %v", err)
	}
	if keys := got.Load().([]string); len(keys) != 0 {
		t.Errorf("GET sent Idempotency-Key %q, want none", keys)
	}
}

func TestListAccounts(t *testing.T) {
	var gotQuery string
	c := mustFake(t, func(w http.ResponseWriter, r *http.Request) {
		gotQuery = r.URL.RawQuery
		answer(w, http.StatusOK, `{"data":[{"auth_id":"MA_48149cf4","name":"Credresolve","email":"admin@credresolve.com",
			"status":"active","balance":2450.00,"currency":"INR","created_at":"2026-03-01T10:00:00Z"}],
			"meta":{"total":47,"page":2,"size":20,"per_page":20,"total_pages":3}}`)
	})
	got, total, err := c.ListAccounts(context.Background(), testPartner,
		partnerd.AccountFilter{Search: "Cred resolve&x", Page: partnerd.Page{Page: 2, Size: 20}})
	if err != nil {
		t.Fatalf("ListAccounts: %v", err)
	}
	if want := "page=2&search=Cred+resolve%26x&size=20"; gotQuery != want {
		t.Errorf("query = %q, want %q", gotQuery, want)
	}
	if total != 47 {
		t.Errorf("total = %d, want 47", total)
	}
	want := []*partnerd.Account{{
		AuthID: "MA_48149cf4", PartnerID: testPartner, Name: "Credresolve", Email: "admin@credresolve.com",
		Status: "active", Balance: 245000, Currency: "INR", CreatedAt: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC),
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("accounts (-want +got):\n%s", diff)
	}
}

func TestBalanceAmounts(t *testing.T) {
	tests := []struct {
		balance, currency string
		want              int64
	}{
		{"2450.00", "INR", 245000},
		{"0.00", "INR", 0},
		{"0.07", "USD", 7},
		{"-12.45", "EUR", -1245},
		{"1500", "JPY", 1500},
		{"1.234", "KWD", 1234},
		// Above the 1,000,000,000 cap on input amounts: a balance may be larger.
		{"12345678901.23", "INR", 1234567890123},
		{"92233720368547758.07", "INR", 9223372036854775807},
	}
	for _, tt := range tests {
		t.Run(tt.balance+tt.currency, func(t *testing.T) {
			c := mustFake(t, func(w http.ResponseWriter, r *http.Request) {
				if want := "/api/v1/partner/accounts/MA_48149cf4/balance"; r.URL.Path != want {
					t.Errorf("path = %q, want %q", r.URL.Path, want)
				}
				answer(w, http.StatusOK, `{"auth_id":"MA_48149cf4","name":"Credresolve","balance":`+tt.balance+
					`,"currency":"`+tt.currency+`","last_updated":"2026-03-25T09:55:32Z"}`)
			})
			got, err := c.Balance(context.Background(), "MA_48149cf4")
			if err != nil {
				t.Fatalf("Balance: %v", err)
			}
			want := &partnerd.Account{
				AuthID: "MA_48149cf4", PartnerID: testPartner, Name: "Credresolve", Balance: tt.want,
				Currency: tt.currency, BalanceUpdatedAt: time.Date(2026, 3, 25, 9, 55, 32, 0, time.UTC),
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("balance (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBadAmountsAreErrors(t *testing.T) {
	for _, balance := range []string{"2450.001", "92233720368547758.08", `"2450.00"`, "null", "true"} {
		t.Run(balance, func(t *testing.T) {
			c := mustFake(t, func(w http.ResponseWriter, r *http.Request) {
				answer(w, http.StatusOK, `{"auth_id":"MA_48149cf4","balance":`+balance+`,"currency":"INR"}`)
			})
			if a, err := c.Balance(context.Background(), "MA_48149cf4"); err == nil {
				t.Errorf("Balance = %d, want an error", a.Balance)
			}
		})
	}
}

func TestServerErrors(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   *partnerd.Error
	}{
		{
			name:   "details",
			status: http.StatusBadRequest,
			body: `{"error":"insufficient_balance","message":"Partner balance 200.00 INR is insufficient.",
				"request_id":"req_1","current_balance":200.00,"requested_amount":500.00,"currency":"INR"}`,
			want: &partnerd.Error{
				Code: partnerd.ECInsufficientBalance, Message: "Partner balance 200.00 INR is insufficient.",
				Details: map[string]any{"request_id": "req_1", "current_balance": json.Number("200.00"),
					"requested_amount": json.Number("500.00"), "currency": "INR"},
			},
		},
		{
			name:   "fields",
			status: http.StatusBadRequest,
			body: `{"error":"validation_error","message":"2 fields are invalid.","request_id":"req_2",
				"fields":[{"field":"email","code":"invalid_format","message":"email must be a valid address"},
				{"field":"password","code":"too_weak","message":"password is too weak"}]}`,
			want: &partnerd.Error{
				Code: partnerd.ECValidation, Message: "2 fields are invalid.",
				Fields: []partnerd.FieldError{
					{Field: "email", Code: "invalid_format", Message: "email must be a valid address"},
					{Field: "password", Code: "too_weak", Message: "password is too weak"},
				},
				Details: map[string]any{"request_id": "req_2"},
			},
		},
		{
			name:   "proxy page",
			status: http.StatusBadGateway,
			body:   `<html>Bad Gateway</html>`,
			want: &partnerd.Error{Code: partnerd.ECUnavailable, Message: "The server answered 502 Bad Gateway without a partnerd error body.",
				Details: map[string]any{"status": 502}},
		},
		{
			name:   "json without code",
			status: http.StatusInternalServerError,
			body:   `{"message":"oops"}`,
			want: &partnerd.Error{Code: partnerd.ECInternal, Message: "The server answered 500 Internal Server Error without a partnerd error body.",
				Details: map[string]any{"status": 500}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustFake(t, func(w http.ResponseWriter, r *http.Request) { answer(w, tt.status, tt.body) })
			_, err := c.Me(context.Background())
			var got *partnerd.Error
			if !errors.As(err, &got) {
				t.Fatalf("Me error = %#v, want a *partnerd.Error", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if code := partnerd.ErrorCode(err); code != tt.want.Code {
				t.Errorf("ErrorCode = %q, want %q", code, tt.want.Code)
			}
		})
	}
}

func TestRefusedWithoutRequest(t *testing.T) {
	var requests atomic.Int32
	c := mustFake(t, func(w http.ResponseWriter, r *http.Request) { requests.Add(1) })
	ctx := context.Background()
	_, err := c.CreateAccount(ctx, "PA_OTHER000", partnerd.AccountInput{})
	if got := partnerd.ErrorCode(err); got != partnerd.ECForbidden {
		t.Errorf("CreateAccount for another partner: code %q, want %q", got, partnerd.ECForbidden)
	}
	_, _, err = c.ListAccounts(ctx, "PA_OTHER000", partnerd.AccountFilter{})
	if got := partnerd.ErrorCode(err); got != partnerd.ECForbidden {
		t.Errorf("ListAccounts for another partner: code %q, want %q", got, partnerd.ECForbidden)
	}
	for _, id := range []string{"", "..", "MA_48149CF4", "MA_1/../x"} {
		if _, err := c.Account(ctx, "", id); partnerd.ErrorCode(err) != partnerd.ECAccountNotFound {
			t.Errorf("Account(%q): code %q, want %q", id, partnerd.ErrorCode(err), partnerd.ECAccountNotFound)
		}
		if _, err := c.Balance(ctx, id); partnerd.ErrorCode(err) != partnerd.ECAccountNotFound {
			t.Errorf("Balance(%q): code %q, want %q", id, partnerd.ErrorCode(err), partnerd.ECAccountNotFound)
		}
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("server saw %d requests, want 0", n)
	}
}

func TestBaseURL(t *testing.T) {
	var gotPath atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPath.Store(r.URL.Path)
		answer(w, http.StatusOK, `{"auth_id":"PA_7QX2M9KD","balance":0.00,"currency":"INR"}`)
	}))
	defer srv.Close()
	for _, base := range []string{srv.URL, srv.URL + "/", srv.URL + "/api/v1/partner", srv.URL + "/api/v1/partner/"} {
		if _, err := client.New(base, testPartner, testToken).Me(context.Background()); err != nil {
			t.Errorf("New(%q).Me: %v", base, err)
			continue
		}
		if got, want := gotPath.Load(), "/api/v1/partner/me"; got != want {
			t.Errorf("New(%q).Me requested %q, want %q", base, got, want)
		}
	}
}

var errOffline = errors.New("offline")

func TestWithHTTPClient(t *testing.T) {
	rt := roundTripFunc(func(r *http.Request) (*http.Response, error) { return nil, errOffline })
	c := client.New("http://partnerd.invalid", testPartner, testToken, client.WithRetries(0),
		client.WithHTTPClient(&http.Client{Transport: rt}))
	if _, err := c.Me(context.Background()); !errors.Is(err, errOffline) {
		t.Errorf("Me error = %v, want the transport's error", err)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
