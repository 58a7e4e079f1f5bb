package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"

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

// idempotent gives a POST handler the Idempotency-Key semantics of API.md
// §1: a completed request's stored response is replayed for an identical
// retry, a different request under the same key is refused, and a key
// whose request failed stays unused.
//
// The response is stored by the store itself, in the transaction of the
// request's write, rendered from the write's result by the claim's Respond
// (set by commit). A write under a claim without Respond is refused by the
// store, so it can never take effect without its replayable response; a
// 2xx that stored nothing is logged as an error here.
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
		body, err := readOptionalBody(r)
		if err != nil {
			return err
		}
		// The handler reads the body again, as it arrived; a POST that
		// may have none (readOptionalBody) is fingerprinted as empty.
		r.Body = io.NopCloser(bytes.NewReader(body))
		fp := sha256.New()
		io.WriteString(fp, r.Method+"\x00"+r.URL.Path+"\x00")
		fp.Write(body)
		req := partnerd.IdempotencyRequest{PartnerID: partnerFrom(r.Context()).ID, Key: key, Fingerprint: fp.Sum(nil)}
		stored, claim, err := s.idempotency.ClaimIdempotencyKey(r.Context(), req)
		if err != nil {
			return err
		}
		if stored != nil {
			replay(w, stored)
			return nil
		}
		// Released even on panic: a request that stored no response
		// deletes its in-flight marker, leaving the key unused.
		defer s.idempotency.ReleaseIdempotencyKey(context.WithoutCancel(r.Context()), claim)
		rw := &recorder{ResponseWriter: w}
		err = h(rw, r.WithContext(partnerd.WithIdempotencyClaim(r.Context(), claim)))
		if err == nil && rw.status >= 200 && rw.status < 300 && !claim.Completed() {
			s.log.LogAttrs(r.Context(), slog.LevelError, "idempotent request answered 2xx without storing its response",
				slog.String("request_id", requestID(r.Context())), slog.String("route", r.Pattern))
		}
		if err == nil || rw.status != 0 {
			return err
		}
		// Another instance may have run the same key meanwhile (after this
		// request's marker outlived its lease) and completed it, which can
		// be why this request failed (its balance check saw the other's
		// withdrawal; its response could not be stored beside the
		// other's). A retry now would replay that response, so this
		// request answers it too, instead of a failure that would tell the
		// client nothing moved.
		switch stored, serr := s.idempotency.StoredIdempotencyResponse(context.WithoutCancel(r.Context()), req); {
		case stored != nil:
			replay(w, stored)
			return nil
		case isCode(serr, partnerd.ECIdempotencyReused):
			return serr
		}
		return err
	}
}

// isCode reports whether err is the API error with code.
func isCode(err error, code string) bool {
	var pe *partnerd.Error
	return errors.As(err, &pe) && pe.Code == code
}

// replay answers a stored response.
func replay(w http.ResponseWriter, stored *partnerd.StoredResponse) {
	w.Header().Set("Idempotent-Replayed", "true")
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(stored.Status)
	w.Write(append(stored.Body, '\n'))
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
