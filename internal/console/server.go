package console

import (
	"crypto/rand"
	"embed"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/partnerd/partnerd"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config wires the services the console drives: the same the API uses.
type Config struct {
	Accounts    partnerd.AccountService
	Lifecycle   partnerd.AccountLifecycleService
	Partners    partnerd.PartnerService
	Ledger      partnerd.LedgerService
	Numbers     partnerd.NumberService
	SIP         partnerd.SIPService
	CDRs        partnerd.CDRService
	Overview    partnerd.OverviewService
	Webhooks    partnerd.WebhookService
	AutoTopups  partnerd.AutoTopupService
	Idempotency partnerd.IdempotencyService
	Console     partnerd.ConsoleService
	Audit       partnerd.AuditService
	// SIPRealm is the digest realm of new SIP passwords
	// (partnerd.DefaultSIPRealm if empty).
	SIPRealm string
	Logger   *slog.Logger
	// Now is the clock of charts and filters; time.Now if nil.
	Now func() time.Time
	// Unavailable, if set, reports a store error that means the database
	// is out of reach, busy or full (sqlstore.Unavailable): a 503 page to
	// retry, not a 500.
	Unavailable func(error) bool
	// ForgetCredentials, if set, is told the partner whose credentials
	// (its token, or its customers' tokens and statuses) a console action
	// changed, so that the API on this instance refuses old ones at once
	// (httpapi.Server.ForgetCredentials), as when the API changes them.
	ForgetCredentials func(partnerID string)
}

// Server serves /console/.
type Server struct {
	c       Config
	log     *slog.Logger
	pages   *pages
	handler http.Handler
}

// New returns the console's handler.
func New(c Config) *Server {
	if c.SIPRealm == "" {
		c.SIPRealm = partnerd.DefaultSIPRealm
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	s := &Server{c: c, log: c.Logger, pages: mustParsePages()}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	s.routes(mux)
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.renderError(w, r, http.StatusForbidden, "This form was sent from another site, so it was refused.")
	}))
	s.handler = cop.Handler(mux)
	return s
}

// securityHeaders are on every console answer (API.md §9).
var securityHeaders = map[string]string{
	"Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"form-action 'self'; frame-ancestors 'none'",
	"X-Content-Type-Options": "nosniff",
	"Referrer-Policy":        "same-origin",
	"X-Frame-Options":        "DENY",
}

// ServeHTTP sets the security headers, gives the request an id when the
// API's middleware did not, and serves it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	for k, v := range securityHeaders {
		h.Set(k, v)
	}
	// Pages hold a partner's data and are never stored; the embedded
	// assets change only with the binary.
	if strings.HasPrefix(r.URL.Path, "/console/static/") {
		h.Set("Cache-Control", "public, max-age=3600")
	} else {
		h.Set("Cache-Control", "no-store")
	}
	if h.Get("X-Request-Id") == "" {
		var b [12]byte
		rand.Read(b[:])
		h.Set("X-Request-Id", "req_"+hex.EncodeToString(b[:]))
	}
	// The console ignores API credentials: a page is a session's or
	// nobody's.
	r.Header.Del("X-Auth-ID")
	r.Header.Del("X-Auth-Token")
	s.handler.ServeHTTP(w, r)
}

// handlerFunc is the shape of every page: it writes a page or returns an
// error for handle to render.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle adapts a handlerFunc: not-found errors are the 404 page, any
// other error a 500 page that reveals nothing (the log has the cause).
func (s *Server) handle(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		switch partnerd.ErrorCode(err) {
		case partnerd.ECAccountNotFound, partnerd.ECNotFound, partnerd.ECNumberNotFound:
			s.renderError(w, r, http.StatusNotFound, "There is nothing here, or it belongs to someone else.")
			return
		}
		var pe *partnerd.Error
		if errors.As(err, &pe) && pe.Code != partnerd.ECInternal && pe.Code != partnerd.ECUnavailable {
			s.renderError(w, r, http.StatusBadRequest, errorText(pe))
			return
		}
		// The route's pattern, not the path: a setup link's path is its
		// one-time token, which no log may hold.
		attrs := []slog.Attr{slog.String("request_id", w.Header().Get("X-Request-Id")),
			slog.String("route", r.Pattern), slog.String("error", err.Error())}
		if partnerd.ErrorCode(err) == partnerd.ECUnavailable || (s.c.Unavailable != nil && s.c.Unavailable(err)) {
			s.log.LogAttrs(r.Context(), slog.LevelWarn, "console", attrs...)
			retry := time.Second
			if pe != nil && pe.RetryAfter > retry {
				retry = pe.RetryAfter
			}
			w.Header().Set("Retry-After", strconv.Itoa(int(retry/time.Second)))
			s.renderError(w, r, http.StatusServiceUnavailable, "The database is busy, out of reach or full, so nothing was changed. Try again in a moment.")
			return
		}
		s.log.LogAttrs(r.Context(), slog.LevelError, "console", attrs...)
		s.renderError(w, r, http.StatusInternalServerError, "Something went wrong on our side. Request id: "+w.Header().Get("X-Request-Id"))
	})
}

// forget tells the API a partner's credentials changed.
func (s *Server) forget(partnerID string) {
	if s.c.ForgetCredentials != nil {
		s.c.ForgetCredentials(partnerID)
	}
}
