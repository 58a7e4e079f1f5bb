package partnerd

import (
	"context"
	"sync/atomic"
	"time"
)

// Idempotency keys live at least this long after their request completed.
const IdempotencyRetention = 24 * time.Hour

// IdempotencyLease is how long a request's in-flight marker holds its key
// (API.md §1): a key whose request died with its process can be used again
// after it.
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

// IdempotencyClaim is a running request's hold on a key. The store
// completes it by construction: every write made with a context that
// carries the claim stores Respond(result), rendered from the write's own
// result, under the key in the same database transaction as its effect. A
// write whose claim has no Respond is refused, so a write cannot take
// effect without its replayable response.
type IdempotencyClaim struct {
	IdempotencyRequest
	Token   string
	Respond func(result any) (status int, body []byte, err error)

	completed atomic.Bool
}

// Completed reports whether a committed write stored the claim's response.
func (c *IdempotencyClaim) Completed() bool { return c.completed.Load() }

// MarkCompleted records that the transaction storing the response committed.
func (c *IdempotencyClaim) MarkCompleted() { c.completed.Store(true) }

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
	// ReleaseIdempotencyKey ends a claim's hold once its request is over.
	// A key whose request stored no response stays unused.
	ReleaseIdempotencyKey(ctx context.Context, c *IdempotencyClaim) error
	// StoredIdempotencyResponse returns the stored response of a completed
	// use of the key, nil if it has none, or idempotency_key_reused when a
	// different request completed it.
	StoredIdempotencyResponse(ctx context.Context, req IdempotencyRequest) (*StoredResponse, error)
}
