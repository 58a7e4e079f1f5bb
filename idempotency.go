package partnerd

import (
	"context"
	"time"
)

// Idempotency keys live at least this long after their request completed.
const IdempotencyRetention = 24 * time.Hour

// IdempotencyLease is how long an in-flight marker holds a key; a key whose
// first request died can be used again after it.
const IdempotencyLease = 60 * time.Second

// IdempotencyRequest identifies one use of an Idempotency-Key.
type IdempotencyRequest struct {
	PartnerID   string
	Key         string
	Fingerprint []byte // hash of method, path and body
}

// StoredResponse is a completed request's response, replayed on retries.
type StoredResponse struct {
	Status int
	Body   []byte
}

// IdempotencyClaim is an in-flight use of a key. A write method that finds
// it in its context stores Respond(result) in the same database transaction
// as its effect, so the effect and the replayable response commit together.
type IdempotencyClaim struct {
	IdempotencyRequest
	Token   string
	Respond func(result any) (status int, body []byte, err error)
}

type claimKey struct{}

// WithIdempotencyClaim returns ctx carrying c.
func WithIdempotencyClaim(ctx context.Context, c *IdempotencyClaim) context.Context {
	return context.WithValue(ctx, claimKey{}, c)
}

// IdempotencyClaimFrom returns the claim in ctx, or nil.
func IdempotencyClaimFrom(ctx context.Context) *IdempotencyClaim {
	c, _ := ctx.Value(claimKey{}).(*IdempotencyClaim)
	return c
}

// IdempotencyService stores keys and their responses.
type IdempotencyService interface {
	// ClaimIdempotencyKey returns the stored response of a completed use of
	// the key, or a new claim, or idempotency_key_in_use /
	// idempotency_key_reused.
	ClaimIdempotencyKey(ctx context.Context, req IdempotencyRequest) (*StoredResponse, *IdempotencyClaim, error)
	// ReleaseIdempotencyKey forgets a claim whose request did not succeed.
	ReleaseIdempotencyKey(ctx context.Context, c *IdempotencyClaim) error
}
