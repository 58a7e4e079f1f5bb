package client_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/client"
)

// dropFirst serves h, but the first request that match selects is
// handled in full by h and its answer thrown away: the connection closes
// before a byte of it leaves, as when a network or proxy fails after the
// server acted.
func dropFirst(t *testing.T, h http.Handler, match func(*http.Request) bool) http.Handler {
	var dropped atomic.Bool
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !match(r) || !dropped.CompareAndSwap(false, true) {
			h.ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(httptest.NewRecorder(), r)
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijacking the connection: %v", err)
			return
		}
		conn.Close()
	})
}

// keyLog records the Idempotency-Key and Idempotent-Replayed of every
// POST reaching the server behind it.
type keyLog struct {
	mu   sync.Mutex
	keys []string
}

func (l *keyLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			l.mu.Lock()
			l.keys = append(l.keys, r.Header.Get("Idempotency-Key"))
			l.mu.Unlock()
		}
		h.ServeHTTP(w, r)
	})
}

func (l *keyLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.keys...)
}

// TestRetryLostAnswerMovesMoneyOnce loses the answer to a transfer and a
// withdrawal after the server made them: the client sends each again under
// the same Idempotency-Key, gets the stored answer, and the money moves
// once.
func TestRetryLostAnswerMovesMoneyOnce(t *testing.T) {
	t.Parallel()
	for _, withdraw := range []bool{false, true} {
		name := map[bool]string{false: "transfer", true: "withdraw"}[withdraw]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newLedgerEnv(t)
			pid, token := e.partner(t, "Lossy", "INR", 1000_00)
			setup := client.New(e.url, pid, token)
			a := e.customer(t, setup, "Flaky")
			if _, err := setup.Transfer(context.Background(), "", partnerd.TransferInput{AuthID: a, Amount: 300_00}); err != nil {
				t.Fatalf("Transfer(setup): %v", err)
			}

			var log keyLog
			verb := map[bool]string{false: "/transfer-balance", true: "/withdraw-balance"}[withdraw]
			front := httptest.NewServer(log.wrap(dropFirst(t, proxyTo(t, e.url), func(r *http.Request) bool {
				return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, verb)
			})))
			t.Cleanup(front.Close)
			c := client.New(front.URL, pid, token, client.WithCurrency("INR"))
			var res client.Response
			ctx := client.WithResponse(context.Background(), &res)
			move := c.Transfer
			if withdraw {
				move = c.Withdraw
			}
			got, err := move(ctx, "", partnerd.TransferInput{AuthID: a, Amount: 100_00})
			if err != nil {
				t.Fatalf("%s through a lossy network: %v", name, err)
			}
			keys := log.all()
			if len(keys) != 2 || keys[0] == "" || keys[0] != keys[1] {
				t.Errorf("Idempotency-Keys of the attempts = %q, want two equal keys", keys)
			}
			if !res.Replayed {
				t.Errorf("the answer was not a replay (Idempotent-Replayed), so the retry acted again")
			}
			wantPartner, wantCustomer := int64(600_00), int64(400_00)
			if withdraw {
				wantPartner, wantCustomer = 800_00, 200_00
			}
			if got.PartnerBalanceAfter != wantPartner || got.CustomerBalanceAfter != wantCustomer {
				t.Errorf("%s answered balances partner %d customer %d, want %d and %d", name,
					got.PartnerBalanceAfter, got.CustomerBalanceAfter, wantPartner, wantCustomer)
			}
			if p, cu := balances(t, setup, a); p != wantPartner || cu != wantCustomer {
				t.Errorf("balances = partner %d, customer %d; want %d and %d (moved once)", p, cu, wantPartner, wantCustomer)
			}
			entries, total, err := setup.AccountEntries(context.Background(), "", a, partnerd.EntryFilter{})
			if err != nil || total != 2 {
				t.Fatalf("customer log: %d entries (%v), want 2", total, err)
			}
			if entries[0].TransactionID != got.TransactionID {
				t.Errorf("newest entry %s, want the answered %s", entries[0].TransactionID, got.TransactionID)
			}
		})
	}
}

// TestRetryLostAnswerCreatesOnce loses the answer to an account creation:
// the retry returns the same account (with its token), not email_taken.
func TestRetryLostAnswerCreatesOnce(t *testing.T) {
	t.Parallel()
	e := newLedgerEnv(t)
	pid, token := e.partner(t, "Lossy", "INR", 0)
	front := httptest.NewServer(dropFirst(t, proxyTo(t, e.url), func(r *http.Request) bool { return r.Method == http.MethodPost }))
	t.Cleanup(front.Close)
	c := client.New(front.URL, pid, token)
	a, err := c.CreateAccount(context.Background(), "", partnerd.AccountInput{Name: "Once", Email: "once@customer.example",
		Password: "SecurePass@123", Phone: "9431538535", Country: "IN"})
	if err != nil {
		t.Fatalf("CreateAccount through a lossy network: %v", err)
	}
	if a.AuthToken == "" {
		t.Errorf("the replayed creation has no auth_token")
	}
	_, total, err := c.ListAccounts(context.Background(), "", partnerd.AccountFilter{})
	if err != nil || total != 1 {
		t.Errorf("ListAccounts: %d accounts (%v), want 1", total, err)
	}
}

// proxyTo forwards every request to the server at url, as a load
// balancer would.
func proxyTo(t *testing.T, url string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := http.NewRequestWithContext(r.Context(), r.Method, url+r.URL.RequestURI(), r.Body)
		if err != nil {
			t.Errorf("proxy: %v", err)
			return
		}
		req.Header = r.Header.Clone()
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		buf := make([]byte, 32<<10)
		for {
			n, err := resp.Body.Read(buf)
			w.Write(buf[:n])
			if err != nil {
				return
			}
		}
	})
}

// throttle answers the first n requests with status, code and
// Retry-After (none if empty), then passes requests to h; it counts
// every request.
func throttle(h http.Handler, n int32, status int, code, retryAfter string, count *atomic.Int32) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if count.Add(1) > n {
			h.ServeHTTP(w, r)
			return
		}
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.Header().Set("X-Request-ID", "req_throttled")
		answer(w, status, `{"error":"`+code+`","message":"Slow down.","request_id":"req_throttled"}`)
	})
}

func TestRetryThrottled(t *testing.T) {
	t.Parallel()
	e := newLedgerEnv(t)
	pid, token := e.partner(t, "Busy", "INR", 0)
	real := proxyTo(t, e.url)
	tests := []struct {
		name       string
		n          int32
		status     int
		code       string
		retryAfter string
		opts       []client.Option
		ctxTimeout time.Duration
		wantCode   string // "" for success
		wantSent   int32
		wantAfter  time.Duration
	}{
		{name: "429 then success", n: 1, status: 429, code: partnerd.ECRateLimited, retryAfter: "1", wantSent: 2},
		{name: "503 without Retry-After then success", n: 2, status: 503, code: partnerd.ECUnavailable, wantSent: 3},
		{name: "409 in use then success", n: 1, status: 409, code: partnerd.ECIdempotencyInUse, retryAfter: "1", wantSent: 2},
		{name: "409 of another code is final", n: 1, status: 409, code: partnerd.ECEmailTaken,
			wantCode: partnerd.ECEmailTaken, wantSent: 1},
		{name: "400 is final", n: 1, status: 400, code: partnerd.ECValidation, wantCode: partnerd.ECValidation, wantSent: 1},
		{name: "503 until the attempts are spent", n: 100, status: 503, code: partnerd.ECUnavailable,
			opts: []client.Option{client.WithRetries(2)}, wantCode: partnerd.ECUnavailable, wantSent: 3},
		{name: "no retries", n: 1, status: 429, code: partnerd.ECRateLimited, retryAfter: "1",
			opts: []client.Option{client.WithRetries(0)}, wantCode: partnerd.ECRateLimited, wantSent: 1, wantAfter: time.Second},
		{name: "Retry-After too long to wait", n: 1, status: 429, code: partnerd.ECRateLimited, retryAfter: "3600",
			wantCode: partnerd.ECRateLimited, wantSent: 1, wantAfter: time.Hour},
		{name: "Retry-After past the deadline", n: 1, status: 429, code: partnerd.ECRateLimited, retryAfter: "30",
			ctxTimeout: 10 * time.Second, wantCode: partnerd.ECRateLimited, wantSent: 1, wantAfter: 30 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var sent atomic.Int32
			srv := httptest.NewServer(throttle(real, tt.n, tt.status, tt.code, tt.retryAfter, &sent))
			t.Cleanup(srv.Close)
			ctx := context.Background()
			if tt.ctxTimeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.ctxTimeout)
				defer cancel()
			}
			p, err := client.New(srv.URL, pid, token, tt.opts...).Me(ctx)
			if got := sent.Load(); got != tt.wantSent {
				t.Errorf("requests sent = %d, want %d", got, tt.wantSent)
			}
			if tt.wantCode == "" {
				if err != nil || p.ID != pid {
					t.Fatalf("Me = %v, %v; want partner %s", p, err, pid)
				}
				return
			}
			pe := errorOf(t, err)
			if pe.Code != tt.wantCode || pe.RetryAfter != tt.wantAfter || client.RequestID(err) != "req_throttled" {
				t.Errorf("error = %q after %v request %q, want %q after %v request req_throttled",
					pe.Code, pe.RetryAfter, client.RequestID(err), tt.wantCode, tt.wantAfter)
			}
		})
	}
}

// TestRetryNetworkError retries a request that found no server, and gives
// up after the attempts allowed.
func TestRetryNetworkError(t *testing.T) {
	var attempts atomic.Int32
	rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		attempts.Add(1)
		return nil, errOffline
	})
	c := client.New("http://partnerd.invalid", testPartner, testToken, client.WithRetries(2),
		client.WithHTTPClient(&http.Client{Transport: rt}))
	_, err := c.Dashboard(context.Background())
	if err == nil || attempts.Load() != 3 {
		t.Errorf("Dashboard offline: %v after %d attempts, want an error after 3", err, attempts.Load())
	}

	// A context that ends stops the retries.
	attempts.Store(0)
	ctx, cancel := context.WithCancel(context.Background())
	rt2 := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		attempts.Add(1)
		cancel()
		return nil, errOffline
	})
	c = client.New("http://partnerd.invalid", testPartner, testToken, client.WithHTTPClient(&http.Client{Transport: rt2}))
	if _, err := c.Me(ctx); err == nil || attempts.Load() != 1 {
		t.Errorf("Me with a cancelled context: %v after %d attempts, want an error after 1", err, attempts.Load())
	}
}

// TestErrorRequestID: an error the server answers carries its code,
// message and the request id of its X-Request-ID header.
func TestErrorRequestID(t *testing.T) {
	t.Parallel()
	e := newLedgerEnv(t)
	pid, token := e.partner(t, "Ids", "INR", 0)
	c := client.New(e.url, pid, token)
	var res client.Response
	_, err := c.Account(client.WithResponse(context.Background(), &res), "", "MA_00000000")
	pe := errorOf(t, err)
	if pe.Code != partnerd.ECAccountNotFound || pe.Message == "" {
		t.Errorf("error = %+v, want account_not_found with a message", pe)
	}
	if id := client.RequestID(err); id == "" || id != res.RequestID {
		t.Errorf("RequestID = %q, want the X-Request-ID %q", id, res.RequestID)
	}
	if diff := cmp.Diff("", client.RequestID(errOffline)); diff != "" {
		t.Errorf("RequestID of a transport error (-want +got):\n%s", diff)
	}
}
