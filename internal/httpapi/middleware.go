package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/partnerd/partnerd"
)

type ctxKey int

const (
	requestIDKey ctxKey = iota
	partnerKey
	logInfoKey
)

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// partnerFrom returns the authenticated partner of the request.
func partnerFrom(ctx context.Context) *partnerd.Partner {
	p, _ := ctx.Value(partnerKey).(*partnerd.Partner)
	return p
}

// logInfo collects what the access log line reports beyond the basics.
type logInfo struct {
	partnerID string
	route     string
}

// saneRequestID accepts a client's X-Request-ID of at most 128 characters
// of A-Za-z0-9._-.
func saneRequestID(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [12]byte
	rand.Read(b[:])
	return "req_" + hex.EncodeToString(b[:])
}

// observe assigns the request id, recovers panics, and writes one JSON log
// line per request. It logs no header and no body, so no secret can leak.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-ID")
		if !saneRequestID(id) {
			id = newRequestID()
		}
		info := &logInfo{}
		ctx := context.WithValue(r.Context(), requestIDKey, id)
		ctx = context.WithValue(ctx, logInfoKey, info)
		r = r.WithContext(ctx)
		w.Header().Set("X-Request-ID", id)
		rw := &recorder{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				err := fmt.Errorf("panic: %v", p)
				if rw.status == 0 {
					s.writeError(rw, r, err)
				} else {
					s.log.LogAttrs(ctx, slog.LevelError, "panic after response started", slog.String("request_id", id), slog.String("error", err.Error()))
				}
			}
			attrs := []slog.Attr{
				slog.String("method", r.Method),
				slog.String("route", info.route),
				slog.String("path", r.URL.Path),
				slog.Int("status", rw.status),
				slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
				slog.Int("bytes", rw.bytes),
				slog.String("request_id", id),
			}
			if info.partnerID != "" {
				attrs = append(attrs, slog.String("partner_id", info.partnerID))
			}
			s.log.LogAttrs(ctx, slog.LevelInfo, "request", attrs...)
		}()
		next.ServeHTTP(rw, r)
	})
}

// recorder remembers the status and size of a response for the log.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (rw *recorder) WriteHeader(status int) {
	if rw.status == 0 {
		rw.status = status
	}
	rw.ResponseWriter.WriteHeader(status)
}

func (rw *recorder) Write(b []byte) (int, error) {
	if rw.status == 0 {
		rw.status = http.StatusOK
	}
	n, err := rw.ResponseWriter.Write(b)
	rw.bytes += n
	return n, err
}

func (rw *recorder) Unwrap() http.ResponseWriter { return rw.ResponseWriter }

// partner authenticates the partner credentials of X-Auth-ID and
// X-Auth-Token before running h.
func (s *Server) partner(h handlerFunc) http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		id, token := r.Header.Get("X-Auth-ID"), r.Header.Get("X-Auth-Token")
		if id == "" || token == "" {
			return partnerd.Errorf(partnerd.ECMissingCredentials, "Send your partner id in X-Auth-ID and your token in X-Auth-Token.")
		}
		p, err := s.partners.Authenticate(r.Context(), id, token)
		if err != nil {
			return err
		}
		if info, ok := r.Context().Value(logInfoKey).(*logInfo); ok {
			info.partnerID = p.ID
		}
		return h(w, r.WithContext(context.WithValue(r.Context(), partnerKey, p)))
	})
}
