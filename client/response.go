package client

import (
	"context"
	"net/http"
)

// Response describes the HTTP answer to one call, beyond what the call
// returns: the request id to quote to the operator, whether the answer is
// the replay of an earlier call with the same Idempotency-Key, and the
// status and headers as received.
type Response struct {
	// Status is the HTTP status code; 0 if no answer arrived.
	Status int
	// RequestID is the X-Request-ID the server answered under; its log
	// line has the same id.
	RequestID string
	// Replayed reports Idempotent-Replayed: true: the stored answer of an
	// earlier request with the same key, which acted only once.
	Replayed bool
	// Header holds every response header.
	Header http.Header
	// Attempts is how many requests the call sent: more than 1 when it
	// retried. A Replayed answer with Attempts > 1 may be the stored
	// answer of the call's own earlier attempt, whose answer was lost.
	Attempts int
}

type responseCtx struct{}

// WithResponse returns a context whose calls describe their HTTP answer in
// *r, for a 2xx as for an error. A call that sends more than one request
// (a transfer's first GET /me, see WithCurrency; a retry) describes the
// last answer.
// r is written by the calling goroutine; give each concurrent call its own.
//
//	var res client.Response
//	t, err := c.Transfer(client.WithResponse(ctx, &res), "", in)
//	log.Printf("transfer %s: request %s, replayed %v", t.TransactionID, res.RequestID, res.Replayed)
func WithResponse(ctx context.Context, r *Response) context.Context {
	return context.WithValue(ctx, responseCtx{}, r)
}

func (r *Response) fill(resp *http.Response) {
	*r = Response{
		Status:    resp.StatusCode,
		RequestID: resp.Header.Get("X-Request-ID"),
		Replayed:  resp.Header.Get("Idempotent-Replayed") == "true",
		Header:    resp.Header,
	}
}
