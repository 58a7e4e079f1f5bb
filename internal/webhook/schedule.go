package webhook

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// retryDelays are the waits after each failed attempt (API.md §8); after
// the last one the delivery is dead.
var retryDelays = []time.Duration{
	5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour,
	10 * time.Hour, 14 * time.Hour, 20 * time.Hour, 24 * time.Hour,
}

// MaxAttempts is how many times a delivery is tried before it is dead.
var MaxAttempts = len(retryDelays) + 1

// disableAfter is how long an endpoint may fail every attempt before it is disabled.
const disableAfter = 5 * 24 * time.Hour

// maxRetryAfter bounds a receiver's Retry-After: no wait longer than the
// schedule's longest.
const maxRetryAfter = 24 * time.Hour

// nextDelay is the wait after attempt (from 1) failed, with ±20 % jitter
// (r in [0, 1)); false when it was the last.
func nextDelay(attempt int, r float64) (time.Duration, bool) {
	if attempt < 1 || attempt > len(retryDelays) {
		return 0, false
	}
	d := retryDelays[attempt-1]
	return time.Duration(float64(d) * (0.8 + 0.4*r)), true
}

// retryAfter reads a Retry-After header (seconds or an HTTP date) as a
// wait from now, at most maxRetryAfter.
func retryAfter(h string, now time.Time) (time.Duration, bool) {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0, false
	}
	var d time.Duration
	if n, err := strconv.ParseInt(h, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		d = time.Duration(min(n, int64(maxRetryAfter/time.Second))) * time.Second
	} else if t, err := http.ParseTime(h); err == nil {
		d = max(t.Sub(now), 0)
	} else {
		return 0, false
	}
	return min(d, maxRetryAfter), true
}

// jitter is the default source of r for nextDelay.
func jitter() float64 { return rand.Float64() }
