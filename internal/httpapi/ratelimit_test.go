package httpapi_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/httpapi"
)

// One partner at ten times its limit gets 429 rate_limited with
// Retry-After and X-RateLimit-* headers, while a second partner's requests
// and the switch's all succeed. The clock stands still, so the buckets
// hold exactly their bursts.
func TestRateLimitPartners(t *testing.T) {
	t.Parallel()
	clock := &settableClock{t: time.Date(2026, 4, 1, 10, 0, 0, 0, time.UTC)}
	e, _ := newOpsEnv(t, func(c *httpapi.Config) {
		c.Now = clock.now
		c.RateLimits = httpapi.RateLimits{Partner: 10, Switch: 10}
	})
	noisy, quiet := e.mustPartner(t, "Noisy"), e.mustPartner(t, "Quiet")
	_, token := e.mustSwitchToken(t)

	type outcome struct {
		who string
		r   reply
		err error
	}
	out := make(chan outcome, 300)
	var wg sync.WaitGroup
	// Noisy: 200 requests at once, ten times its 10/s (burst 20); quiet: 20,
	// its burst, interleaved; the switch: 20 authorizations.
	for i := range 200 {
		wg.Go(func() {
			r, err := e.request(http.MethodGet, base+"/me", noisy, nil, nil)
			out <- outcome{"noisy", r, err}
			if i%10 == 0 {
				r, err := e.request(http.MethodGet, base+"/me", quiet, nil, nil)
				out <- outcome{"quiet", r, err}
				r, err = e.request(http.MethodPost, "/api/v1/switch/authorize", noCreds, map[string]any{"call_uuid": fmt.Sprintf("rl-%d", i),
					"direction": "outbound", "from": "+912271260000", "to": "+15551234567", "account_auth_id": "MA_00000000"}, bearer(token))
				out <- outcome{"switch", r, err}
			}
		})
	}
	wg.Wait()
	close(out)
	counts := map[string]int{}
	for o := range out {
		if o.err != nil {
			t.Fatal(o.err)
		}
		counts[o.who+" "+strconv.Itoa(o.r.status)]++
		if o.who == "switch" {
			continue
		}
		h := o.r.header
		if h.Get("X-RateLimit-Limit") != "10" {
			t.Errorf("%s: X-RateLimit-Limit = %q, want 10", o.who, h.Get("X-RateLimit-Limit"))
		}
		remaining, err1 := strconv.Atoi(h.Get("X-RateLimit-Remaining"))
		reset, err2 := strconv.Atoi(h.Get("X-RateLimit-Reset"))
		if err1 != nil || err2 != nil || remaining < 0 || remaining > 20 || reset < 0 || reset > 2 {
			t.Errorf("%s: X-RateLimit-Remaining %q, -Reset %q, want 0-20 and 0-2 s", o.who, h.Get("X-RateLimit-Remaining"), h.Get("X-RateLimit-Reset"))
		}
		if o.r.status == http.StatusTooManyRequests {
			wantError(t, o.r, http.StatusTooManyRequests, partnerd.ECRateLimited)
			if h.Get("Retry-After") != "1" || remaining != 0 || reset != 2 {
				t.Errorf("429: Retry-After %q, Remaining %d, Reset %d; want 1, 0 and 2 (an empty bucket of 20 at 10/s)", h.Get("Retry-After"), remaining, reset)
			}
		}
	}
	want := map[string]int{"noisy 200": 20, "noisy 429": 180, "quiet 200": 20, "switch 200": 20}
	for k, v := range want {
		if counts[k] != v {
			t.Errorf("%s: %d answers, want %d (all: %v)", k, counts[k], v, counts)
		}
	}

	// A second later the bucket holds 10 more tokens.
	clock.advance(time.Second)
	var ok int
	for range 12 {
		if r := e.get(t, base+"/me", noisy); r.status == http.StatusOK {
			ok++
		}
	}
	if ok != 10 {
		t.Errorf("after 1 s: %d of 12 requests served, want 10", ok)
	}
}

// A partner's own rate (the per-partner override) replaces the default.
func TestRateLimitPartnerOverride(t *testing.T) {
	t.Parallel()
	clock := &settableClock{t: time.Date(2026, 4, 1, 10, 0, 0, 0, time.UTC)}
	var own = map[string]int{}
	e, _ := newOpsEnv(t, func(c *httpapi.Config) {
		c.Now = clock.now
		c.RateLimits = httpapi.RateLimits{Partner: 100, PartnerRate: func(p *partnerd.Partner) int { return own[p.ID] }}
	})
	slow, unlimited := e.mustPartner(t, "Slow"), e.mustPartner(t, "Default")
	own[slow.ID] = 2
	var served int
	for range 6 {
		r := e.get(t, base+"/me", slow)
		if r.status == http.StatusOK {
			served++
		}
		if r.header.Get("X-RateLimit-Limit") != "2" {
			t.Errorf("X-RateLimit-Limit = %q, want the partner's own 2", r.header.Get("X-RateLimit-Limit"))
		}
	}
	if served != 4 {
		t.Errorf("a partner at 2/s (burst 4) was served %d of 6, want 4", served)
	}
	if r := e.get(t, base+"/me", unlimited); r.header.Get("X-RateLimit-Limit") != "100" || r.status != http.StatusOK {
		t.Errorf("another partner: %d with X-RateLimit-Limit %q, want 200 with 100", r.status, r.header.Get("X-RateLimit-Limit"))
	}
}

// Failed authentications are limited per client address: once its
// bucket is empty, that address is refused (even with the right token)
// until it refills, while other addresses are not.
func TestRateLimitAuthFailures(t *testing.T) {
	t.Parallel()
	clock := &settableClock{t: time.Date(2026, 4, 1, 10, 0, 0, 0, time.UTC)}
	e, _ := newOpsEnv(t, func(c *httpapi.Config) {
		c.Now = clock.now
		c.RateLimits = httpapi.RateLimits{AuthFailures: 5}
	})
	p := e.mustPartner(t, "Guessed")
	wrong := creds{ID: p.ID, Token: "sk_live_guess0000000000000000000000000000"}
	from := func(addr string, c creds) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, base+"/me", nil)
		req.RemoteAddr = addr
		req.Header.Set("X-Auth-ID", c.ID)
		req.Header.Set("X-Auth-Token", c.Token)
		rec := httptest.NewRecorder()
		e.api.ServeHTTP(rec, req)
		return rec
	}
	for i := range 5 {
		if rec := from("198.51.100.9:5000", wrong); rec.Code != http.StatusUnauthorized {
			t.Fatalf("guess %d = %d, want 401", i+1, rec.Code)
		}
	}
	for _, c := range []creds{wrong, p} {
		rec := from("198.51.100.9:5001", c)
		if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "12" {
			t.Errorf("after 5 failures: %d with Retry-After %q, want 429 with 12 (5 a minute)", rec.Code, rec.Header().Get("Retry-After"))
		}
	}
	if rec := from("198.51.100.10:5000", p); rec.Code != http.StatusOK {
		t.Errorf("another address = %d, want 200", rec.Code)
	}
	clock.advance(12 * time.Second)
	if rec := from("198.51.100.9:5002", p); rec.Code != http.StatusOK {
		t.Errorf("12 s later, the right token = %d, want 200", rec.Code)
	}
	// Each kind of caller has its own bucket at an address: the partner
	// guesses above leave a switch sharing the address (a NAT, a proxy)
	// its API, and a switch's guesses do not lock out the partner.
	_, swToken := e.mustSwitchToken(t)
	sw := func(addr, token string) int {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/switch/sip-credentials/nobody", nil)
		req.RemoteAddr = addr
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		e.api.ServeHTTP(rec, req)
		return rec.Code
	}
	for i := range 5 {
		if rec := from("198.51.100.11:5000", wrong); rec.Code != http.StatusUnauthorized {
			t.Fatalf("guess %d from .11 = %d, want 401", i+1, rec.Code)
		}
	}
	if code := sw("198.51.100.11:5001", swToken); code != http.StatusNotFound {
		t.Errorf("the switch at an address whose partner guesses used their bucket = %d, want 404 (served)", code)
	}
	for i := range 5 {
		if code := sw("198.51.100.12:5000", "nope"); code != http.StatusUnauthorized {
			t.Fatalf("switch guess %d = %d, want 401", i+1, code)
		}
	}
	if code := sw("198.51.100.12:5001", swToken); code != http.StatusTooManyRequests {
		t.Errorf("the right switch token after 5 switch guesses = %d, want 429", code)
	}
	if rec := from("198.51.100.12:5002", p); rec.Code != http.StatusOK {
		t.Errorf("the partner at an address whose switch guesses used their bucket = %d, want 200", rec.Code)
	}
}
