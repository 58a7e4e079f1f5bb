package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/partnerd/partnerd"
)

// validIdempotencyKey accepts 1–255 printable ASCII characters.
func validIdempotencyKey(k string) bool {
	if len(k) == 0 || len(k) > 255 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// idempotent gives a POST handler the Idempotency-Key semantics of API.md:
// a completed request's stored response is replayed for an identical retry,
// a different request under the same key is refused, and a key whose
// request failed stays unused.
func (s *Server) idempotent(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		values, present := r.Header["Idempotency-Key"]
		if !present || s.idempotency == nil {
			return h(w, r)
		}
		key := values[0]
		if len(values) > 1 || !validIdempotencyKey(key) {
			return partnerd.FieldErrors{{Field: "Idempotency-Key", Code: partnerd.FCInvalidFormat,
				Message: "Idempotency-Key must be 1 to 255 printable ASCII characters"}}.Err()
		}
		body, err := readBody(r)
		if err != nil {
			return err
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		fp := sha256.New()
		io.WriteString(fp, r.Method+"\x00"+r.URL.Path+"\x00")
		fp.Write(body)
		stored, claim, err := s.idempotency.ClaimIdempotencyKey(r.Context(), partnerd.IdempotencyRequest{
			PartnerID: partnerFrom(r.Context()).ID, Key: key, Fingerprint: fp.Sum(nil),
		})
		if err != nil {
			return err
		}
		if stored != nil {
			w.Header().Set("Idempotent-Replayed", "true")
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(stored.Status)
			w.Write(append(stored.Body, '\n'))
			return nil
		}
		completed := false
		defer func() {
			if !completed {
				// Released even on panic; a request that died with the
				// process is freed by the lease instead.
				ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 5*time.Second)
				defer cancel()
				if err := s.idempotency.ReleaseIdempotencyKey(ctx, claim); err != nil {
					s.log.Warn("release idempotency key", "request_id", requestID(r.Context()), "error", err.Error())
				}
			}
		}()
		rw := &recorder{ResponseWriter: w}
		err = h(rw, r.WithContext(partnerd.WithIdempotencyClaim(r.Context(), claim)))
		completed = err == nil && rw.status >= 200 && rw.status < 300
		return err
	}
}

// commit runs a write operation and writes its result with status. When the
// request holds an idempotency claim, the store saves the same rendered body
// inside the operation's own database transaction.
func commit[T any](w http.ResponseWriter, r *http.Request, status int, render func(T) any, op func(context.Context) (T, error)) error {
	if c := partnerd.IdempotencyClaimFrom(r.Context()); c != nil {
		c.Respond = func(result any) (int, []byte, error) {
			body, err := json.Marshal(render(result.(T)))
			return status, body, err
		}
	}
	res, err := op(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, status, render(res))
	return nil
}
