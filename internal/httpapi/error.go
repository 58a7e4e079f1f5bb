package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/wire"
)

// statusOf maps each error code to its HTTP status.
var statusOf = map[string]int{
	partnerd.ECNumberNotFound:      http.StatusNotFound,
	partnerd.ECNumberAssigned:      http.StatusConflict,
	partnerd.ECNumberExists:        http.StatusConflict,
	partnerd.ECUsernameTaken:       http.StatusConflict,
	partnerd.ECEndpointDisabled:    http.StatusConflict,
	partnerd.ECValidation:          http.StatusBadRequest,
	partnerd.ECInvalidJSON:         http.StatusBadRequest,
	partnerd.ECInsufficientBalance: http.StatusBadRequest,
	partnerd.ECCurrencyMismatch:    http.StatusBadRequest,
	partnerd.ECAccountClosed:       http.StatusBadRequest,
	partnerd.ECMissingCredentials:  http.StatusUnauthorized,
	partnerd.ECInvalidCredentials:  http.StatusUnauthorized,
	partnerd.ECPartnerInactive:     http.StatusForbidden,
	partnerd.ECAccountSuspended:    http.StatusForbidden,
	partnerd.ECForbidden:           http.StatusForbidden,
	partnerd.ECAccountNotFound:     http.StatusNotFound,
	partnerd.ECNotFound:            http.StatusNotFound,
	partnerd.ECRouteNotFound:       http.StatusNotFound,
	partnerd.ECMethodNotAllowed:    http.StatusMethodNotAllowed,
	partnerd.ECEmailTaken:          http.StatusConflict,
	partnerd.ECIdempotencyInUse:    http.StatusConflict,
	partnerd.ECPayloadTooLarge:     http.StatusRequestEntityTooLarge,
	partnerd.ECUnsupportedMedia:    http.StatusUnsupportedMediaType,
	partnerd.ECIdempotencyReused:   http.StatusUnprocessableEntity,
	partnerd.ECRateLimited:         http.StatusTooManyRequests,
	partnerd.ECInternal:            http.StatusInternalServerError,
	partnerd.ECUnavailable:         http.StatusServiceUnavailable,

	partnerd.ECMalformedRequest:        http.StatusBadRequest,
	partnerd.ECRequestTimeout:          http.StatusRequestTimeout,
	partnerd.ECHeadersTooLarge:         http.StatusRequestHeaderFieldsTooLarge,
	partnerd.ECExpectationFailed:       http.StatusExpectationFailed,
	partnerd.ECNotImplemented:          http.StatusNotImplemented,
	partnerd.ECHTTPVersionNotSupported: http.StatusHTTPVersionNotSupported,
}

// statusClientClosed is the status a request whose client went away is
// logged with.
const statusClientClosed = 499

// writeError writes the flat error body. Errors that are not *partnerd.Error
// are internal: the caller sees a generic message, the log has the cause
// under the same request id. A request whose body stopped arriving is
// answered 408 whatever the handler made of the failed read.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	if info(r.Context()).bodyTimedOut {
		err = partnerd.Errorf(partnerd.ECRequestTimeout, "The request body did not arrive in time; send it without pausing.")
	}
	if r.Context().Err() != nil && errors.Is(err, context.Canceled) && !errors.As(err, new(*partnerd.Error)) {
		// The client went away mid-request: nothing failed here, and no
		// one reads the answer. 499 (nginx's "client closed request")
		// tells the access log so, and nothing is logged as an error.
		w.WriteHeader(statusClientClosed)
		return
	}
	var e *partnerd.Error
	switch {
	case errors.As(err, &e):
	case s.unavailable != nil && s.unavailable(err):
		e = &partnerd.Error{Code: partnerd.ECUnavailable, Message: "The database is unavailable or busy; retry shortly.", Err: err,
			RetryAfter: time.Second}
	default:
		e = &partnerd.Error{Code: partnerd.ECInternal, Message: "An internal error occurred; quote the request_id when reporting it.", Err: err}
	}
	status, ok := statusOf[e.Code]
	if !ok {
		status = http.StatusInternalServerError
	}
	// 501 and 505 are about what the client sent: nothing failed here. A
	// 503 is a state, not a fault of this code: a database out of reach is
	// a warning, and a 503 with no cause (starting, draining: what
	// /readyz says to every probe during a deploy) has its access line.
	if status >= 500 && status != http.StatusNotImplemented && status != http.StatusHTTPVersionNotSupported {
		level := slog.LevelError
		if e.Code == partnerd.ECUnavailable {
			level = slog.LevelWarn
		}
		if e.Code != partnerd.ECUnavailable || e.Err != nil {
			s.log.LogAttrs(r.Context(), level, "request failed",
				slog.String("request_id", requestID(r.Context())), slog.String("error", err.Error()))
		}
	}
	retry := e.RetryAfter
	if e.Code == partnerd.ECUnavailable && retry == 0 {
		retry = time.Second // every 503 says when to come back
	}
	if retry > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((retry+time.Second-1)/time.Second)))
	}
	writeJSON(w, status, wire.ErrorBody(e, requestID(r.Context())))
}
