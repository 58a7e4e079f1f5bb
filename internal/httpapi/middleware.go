package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/partnerd/partnerd"
)

// ctxKey is the context key of the request's *requestInfo.
type ctxKey struct{}

// requestInfo is what the middleware knows about a request: its id, and
// for the access log its route and its caller. It is set once per request
// (one context value, one request copy), and filled as the request
// proceeds by the goroutine serving it.
type requestInfo struct {
	id        string
	route     string
	principal *partnerd.Principal
	// bodyTimedOut is set when reading the body hit the server's read
	// deadline: the client sent headers and then stalled.
	bodyTimedOut bool
}

// partnerID is the id of the partner the caller acts within, if known.
func (ri *requestInfo) partnerID() string {
	if ri.principal == nil {
		return ""
	}
	return ri.principal.PartnerID
}

// info returns the request's info; outside the middleware, an empty one.
func info(ctx context.Context) *requestInfo {
	if i, ok := ctx.Value(ctxKey{}).(*requestInfo); ok {
		return i
	}
	return &requestInfo{}
}

func requestID(ctx context.Context) string { return info(ctx).id }

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

// noStore is the Cache-Control of every answer. Responses carry customer
// auth_tokens (create, get, their idempotent replays) and every other one
// is one partner's private data, authenticated by headers that caches do
// not know as credentials (X-Auth-Token is not Authorization): so no
// answer may be stored, and one rule here covers every path, errors and
// replays included. (Its cap is 1: a handler's Add copies, never writes.)
var noStore = []string{"no-store"}

// observe assigns the request id, recovers panics, marks every answer not
// to be cached, notes a body that stopped arriving, and writes one JSON
// log line per request. It logs no header and no body, so no secret can
// leak.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-ID")
		if !saneRequestID(id) {
			id = newRequestID()
		}
		// One allocation for what the middleware keeps per request.
		st := &struct {
			info requestInfo
			rw   recorder
			body timedBody
		}{requestInfo{id: id}, recorder{ResponseWriter: w}, timedBody{}}
		ri, rw := &st.info, &st.rw
		ctx := context.WithValue(r.Context(), ctxKey{}, ri)
		r = r.WithContext(ctx)
		if r.Body != nil && r.Body != http.NoBody {
			st.body = timedBody{ReadCloser: r.Body, info: ri}
			r.Body = &st.body
		}
		// X-Request-Id is the canonical form of X-Request-ID: set as is,
		// the header costs no canonicalization per request.
		h := w.Header()
		h["X-Request-Id"] = []string{id}
		h["Cache-Control"] = noStore
		defer func() {
			p := recover()
			if p == http.ErrAbortHandler {
				// A response cut off on purpose (a CSV export that failed
				// half-way): the connection is dropped, and the request
				// still gets its access line.
				defer panic(p)
			} else if p != nil {
				err := fmt.Errorf("panic: %v", p)
				if rw.status == 0 {
					s.writeError(rw, r, err)
				} else {
					s.log.LogAttrs(ctx, slog.LevelError, "panic after response started", slog.String("request_id", id), slog.String("error", err.Error()))
				}
			}
			if s.metrics != nil {
				s.metrics.observeRequest(routeLabel(ri.route), r.Method, rw.status, time.Since(start))
			}
			s.logRequest(ctx, &accessLine{
				time: time.Now(), method: r.Method, route: ri.route, path: loggedPath(r.URL.Path), status: rw.status,
				duration: time.Since(start), bytes: rw.bytes, requestID: id, partnerID: ri.partnerID(),
			})
		}()
		next.ServeHTTP(rw, r)
	})
}

// timedBody is a request body that notes a read which hit the server's
// read deadline (ReadTimeout), so that writeError answers 408 whatever
// error the handler made of it.
type timedBody struct {
	io.ReadCloser
	info *requestInfo
}

func (b *timedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		b.info.bodyTimedOut = true
	}
	return n, err
}

// linePool recycles the buffers access lines are built in.
var linePool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// logRequest writes the access line of one request: to the access log if
// there is one, else through the logger.
func (s *Server) logRequest(ctx context.Context, a *accessLine) {
	if s.access != nil {
		bp := linePool.Get().(*[]byte)
		*bp = a.appendTo((*bp)[:0])
		s.access.write(*bp)
		linePool.Put(bp)
		return
	}
	attrs := []slog.Attr{
		slog.String("method", a.method),
		slog.String("route", a.route),
		slog.String("path", a.path),
		slog.Int("status", a.status),
		slog.Float64("duration_ms", float64(a.duration.Microseconds())/1000),
		slog.Int("bytes", a.bytes),
		slog.String("request_id", a.requestID),
	}
	if a.partnerID != "" {
		attrs = append(attrs, slog.String("partner_id", a.partnerID))
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "request", attrs...)
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

// secretPaths are the paths whose last part is a secret: a console setup
// link is its one-time token (API.md §1: tokens never appear in logs).
var secretPaths = []string{"/console/setup/"}

// loggedPath is the path as the access log writes it: a secret part is
// left out, its place marked.
func loggedPath(p string) string {
	// Cleaned first: /console//setup/… and /console/./setup/… reach the
	// same page (a redirect to it).
	c := path.Clean(p)
	for _, prefix := range secretPaths {
		if len(c) > len(prefix) && strings.HasPrefix(c, prefix) {
			return prefix + "…"
		}
	}
	return p
}
