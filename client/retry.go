package client

import (
	"context"
	crand "crypto/rand"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/partnerd/partnerd"
)

// Retries. A call is sent again when no answer arrived (a refused or
// reset connection, a timeout of the HTTP client), and when the server
// answered 429 rate_limited, 503 unavailable, or 409
// idempotency_key_in_use (an earlier attempt of the same POST is still
// running). A POST of the partner API carries one Idempotency-Key over
// all its attempts: the server acts on it once, and an attempt after one
// whose answer was lost gets the stored answer (Idempotent-Replayed).
// Switch API POSTs are safe to repeat by their call_uuid.
//
// A 502, 503 or 504 without a partnerd error body comes from a proxy in
// front of the server, and the request may have reached the server: it is
// sent again only when that is safe (GET, PUT, DELETE, and the POSTs
// above; never a PATCH), and when the attempts are spent the call returns
// *NoAnswerError, as when no answer arrived at all.
//
// A DELETE whose answer was lost may have acted: when an earlier attempt
// may have reached the server and a retry answers 404 (not_found,
// number_not_found: what it deletes is gone), the call succeeds. A DELETE
// whose first attempt is answered 404 still fails.

// DefaultRetries is how many times a call is retried unless WithRetries
// says otherwise.
const DefaultRetries = 3

// Waits between attempts: exponential from retryBase with jitter, capped
// at retryMax; a Retry-After header is honoured up to maxRetryAfter, and
// one asking for longer (or past the context's deadline) ends the call
// with its error instead of sleeping.
const (
	retryBase     = 100 * time.Millisecond
	retryMax      = 2 * time.Second
	maxRetryAfter = 60 * time.Second
)

// WithRetries sets how many times a call is retried after a lost answer,
// a 429, a 503 or a 409 idempotency_key_in_use (default DefaultRetries;
// 0 sends every request once).
func WithRetries(n int) Option {
	return func(c *Client) { c.retries = max(n, 0) }
}

// idempotencyKey is the Idempotency-Key of a logical request: for a POST
// of the partner API, the context's (WithIdempotencyKey) or a new random
// one; none otherwise.
func (c *Client) idempotencyKey(ctx context.Context, method string) string {
	if method != http.MethodPost || c.bearer != "" {
		return ""
	}
	if key, ok := ctx.Value(idempotencyKeyCtx{}).(string); ok {
		return key
	}
	return "pdc_" + crand.Text()
}

// safeToRepeat reports whether a request may be sent again after one that
// may have reached the server.
func (c *Client) safeToRepeat(method, key string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete:
		return true
	case http.MethodPost:
		return key != "" || c.bearer != ""
	}
	return false
}

// gatewayStatus reports the statuses a proxy answers for a server it
// could not get an answer from.
func gatewayStatus(status int) bool {
	return status == http.StatusBadGateway || status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout
}

// goneAfterLostAnswer reports whether the answer to a DELETE's retry says
// that what it deletes is gone (not that its account or route is).
func goneAfterLostAnswer(status int, e *partnerd.Error) bool {
	return status == http.StatusNotFound && e.Code != partnerd.ECAccountNotFound && e.Code != partnerd.ECRouteNotFound
}

// retryable reports whether an error answer may succeed if sent again.
func retryable(status int, e *partnerd.Error) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		return true
	case http.StatusConflict:
		return e.Code == partnerd.ECIdempotencyInUse
	}
	return false
}

// wait sleeps before attempt+1 and reports whether to make it: not when
// the attempts are spent, the context ends first, or the server asks for
// a longer wait than is worth it.
func (c *Client) wait(ctx context.Context, attempt int, retryAfter time.Duration) bool {
	if attempt > c.retries {
		return false
	}
	d := retryAfter
	if d <= 0 {
		backoff := min(retryBase<<(attempt-1), retryMax)
		d = backoff/2 + rand.N(backoff/2+1)
	}
	if d > maxRetryAfter {
		return false
	}
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < d {
		return false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an HTTP
// date. Zero when absent or unreadable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// RequestID returns the request id of an error the server answered (its
// request_id, which its log line carries too), or "" for any other error.
func RequestID(err error) string {
	var e *partnerd.Error
	if !errors.As(err, &e) {
		return ""
	}
	id, _ := e.Details["request_id"].(string)
	return id
}
