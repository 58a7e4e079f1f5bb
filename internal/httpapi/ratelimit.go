package httpapi

import (
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/partnerd/partnerd"
)

// Rate limits (API.md §7) are token buckets held in this instance's
// memory: N instances allow N times the rate. A partner's requests take
// from its partner's bucket, a switch's from its token's, so partner
// traffic never slows the switch API. Failed authentications take from a
// bucket per client address and kind of caller (partner, customer,
// switch), which, once empty, refuses every authentication of that kind
// from that address until it refills: nobody can try tokens at line rate,
// and nobody can lock a switch out by failing partner or customer sign-ins
// from the address it shares (a NAT, a proxy, the same host).

// RateLimits configures the buckets. A rate of 0 turns its limit off.
type RateLimits struct {
	// Partner is each partner's rate, in requests per second, with a
	// burst of twice that.
	Partner int
	// PartnerRate, if set, returns a partner's own rate (0: Partner).
	PartnerRate func(*partnerd.Partner) int
	// Switch is each switch token's rate, in requests per second, with a
	// burst of twice that.
	Switch int
	// AuthFailures is how many failed authentications of one kind of
	// caller a client address may make per minute (also its burst).
	AuthFailures int
}

// bucket is one token bucket. Tokens are requests, not money: float64
// is exact enough for them.
type bucket struct {
	mu     sync.Mutex
	rate   float64 // tokens per second
	burst  float64
	tokens float64
	last   time.Time
}

// refill adds the tokens earned since the last call.
func (b *bucket) refill(now time.Time) {
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = math.Min(b.burst, b.tokens+el*b.rate)
	}
	b.last = now
}

// take takes one token if there is one. It returns the whole tokens left,
// the time until the bucket is full, and, when refused, the time until a
// token is there.
func (b *bucket) take(now time.Time) (ok bool, remaining int, reset, wait time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill(now)
	if b.tokens >= 1 {
		b.tokens--
		ok = true
	} else {
		wait = seconds((1 - b.tokens) / b.rate)
	}
	return ok, int(b.tokens), seconds((b.burst - b.tokens) / b.rate), wait
}

// empty reports whether the bucket holds less than one token.
func (b *bucket) empty(now time.Time) (bool, time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill(now)
	return b.tokens < 1, seconds((1 - b.tokens) / b.rate)
}

// full reports whether the bucket has refilled: it can be dropped.
func (b *bucket) full(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill(now)
	return b.tokens >= b.burst
}

// setRate changes the bucket's rate and burst when they differ (a
// partner's own rate changed).
func (b *bucket) setRate(rate, burst float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.rate != rate || b.burst != burst {
		b.rate, b.burst, b.tokens = rate, burst, math.Min(b.tokens, burst)
	}
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// maxBuckets bounds each set of buckets (a bucket is about 100 bytes):
// past it, the full ones, which hold no state worth keeping, are dropped.
const maxBuckets = 100_000

// buckets is one set of buckets by key.
type buckets struct {
	mu sync.RWMutex
	m  map[string]*bucket
}

// peek returns key's bucket, or nil if it has none.
func (bs *buckets) peek(key string) *bucket {
	bs.mu.RLock()
	defer bs.mu.RUnlock()
	return bs.m[key]
}

// get returns key's bucket, created full with rate and burst.
func (bs *buckets) get(key string, rate, burst float64, now time.Time) *bucket {
	bs.mu.RLock()
	b, ok := bs.m[key]
	bs.mu.RUnlock()
	if ok {
		return b
	}
	bs.mu.Lock()
	defer bs.mu.Unlock()
	if b, ok := bs.m[key]; ok {
		return b
	}
	if bs.m == nil {
		bs.m = make(map[string]*bucket)
	}
	if len(bs.m) >= maxBuckets {
		for k, b := range bs.m {
			if b.full(now) {
				delete(bs.m, k)
			}
		}
	}
	b = &bucket{rate: rate, burst: burst, tokens: burst, last: now}
	bs.m[key] = b
	return b
}

// limiter holds the server's buckets.
type limiter struct {
	cfg      RateLimits
	partners buckets
	switches buckets
	// failures holds each kind of caller's buckets by client address,
	// indexed by partnerd.PrincipalKind (PrincipalCustomer is the last).
	failures [partnerd.PrincipalCustomer + 1]buckets
}

// admit authenticates the request with authenticate, for callers of
// kind, within the rate limits: an address whose failures as kind used
// its bucket up is refused before anything is checked, a failure takes
// from that bucket, and an authenticated caller takes from its own. A partner's answer, 429 or
// not, carries X-RateLimit-Limit, -Remaining and -Reset.
func (s *Server) admit(w http.ResponseWriter, r *http.Request, kind partnerd.PrincipalKind, authenticate func(*http.Request) (*partnerd.Principal, error)) (*partnerd.Principal, error) {
	l := &s.limits
	now := s.credentials.now()
	var addr string
	if n := l.cfg.AuthFailures; n > 0 {
		// Only an address that failed has a bucket.
		addr = clientAddr(r)
		if b := l.failures[kind].peek(addr); b != nil {
			if empty, wait := b.empty(now); empty {
				return nil, s.rateLimited(wait, "Too many failed authentications from your address; retry after the time in Retry-After.")
			}
		}
	}
	p, err := authenticate(r)
	if err != nil {
		if addr != "" && partnerd.ErrorCode(err) == partnerd.ECInvalidCredentials {
			n := float64(l.cfg.AuthFailures)
			l.failures[kind].get(addr, n/60, n, now).take(now)
		}
		return nil, err
	}
	if p.Kind == partnerd.PrincipalSwitch {
		if l.cfg.Switch <= 0 {
			return p, nil
		}
		rate := float64(l.cfg.Switch)
		if ok, _, _, wait := l.switches.get(p.SwitchTokenID, rate, 2*rate, now).take(now); !ok {
			return nil, s.rateLimited(wait, "This switch token is over its rate limit; retry after the time in Retry-After.")
		}
		return p, nil
	}
	rps := l.cfg.Partner
	if l.cfg.PartnerRate != nil && p.Partner != nil {
		if own := l.cfg.PartnerRate(p.Partner); own > 0 {
			rps = own
		}
	}
	if rps <= 0 {
		return p, nil
	}
	rate := float64(rps)
	b := l.partners.get(p.PartnerID, rate, 2*rate, now)
	b.setRate(rate, 2*rate)
	ok, remaining, reset, wait := b.take(now)
	h := w.Header()
	h["X-Ratelimit-Limit"] = []string{strconv.Itoa(rps)}
	h["X-Ratelimit-Remaining"] = []string{strconv.Itoa(remaining)}
	h["X-Ratelimit-Reset"] = []string{strconv.Itoa(int(math.Ceil(reset.Seconds())))}
	if !ok {
		return nil, s.rateLimited(wait, "Partner "+p.PartnerID+" is over its rate limit of "+strconv.Itoa(rps)+
			" requests per second; retry after the time in Retry-After.")
	}
	return p, nil
}

// rateLimited is the 429 answer, counted; Retry-After is at least 1 s.
func (s *Server) rateLimited(wait time.Duration, msg string) error {
	if s.metrics != nil {
		s.metrics.rateLimited.Inc()
	}
	return &partnerd.Error{Code: partnerd.ECRateLimited, Message: msg, RetryAfter: max(wait, time.Second)}
}

// clientAddr is the address the request came from (the TCP peer: a
// proxy's clients share the proxy's).
func clientAddr(r *http.Request) string {
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		return ap.Addr().Unmap().String()
	}
	return r.RemoteAddr
}
