package httpapi

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"path"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/partnerd/partnerd"
)

// Server is the HTTP face of partnerd.
type Server struct {
	mux *http.ServeMux
	// patterns are the routes registered, in order (Routes).
	patterns []string
	accounts partnerd.AccountService
	// lifecycle suspends, activates, closes and edits accounts (API.md §6).
	lifecycle partnerd.AccountLifecycleService
	partners  partnerd.PartnerService
	ledger    partnerd.LedgerService
	numbers   partnerd.NumberService
	// rates serves GET /rates.
	rates partnerd.RateService
	// idempotency is optional: without it Idempotency-Key is ignored.
	idempotency partnerd.IdempotencyService
	log         *slog.Logger
	ping        func(context.Context) error
	unavailable func(error) bool
	credentials credentialCache
	// access is the access log, if it is not the logger.
	access *lineWriter
	// switches authenticates the switch API; sip serves SIP endpoints and
	// credentials, in realm sipRealm.
	switches partnerd.SwitchTokenService
	sip      partnerd.SIPService
	sipRealm string
	// calls answers the switch's authorizations and CDRs; cdrs reads them.
	calls    partnerd.SwitchService
	cdrs     partnerd.CDRService
	overview partnerd.OverviewService
	// events serves GET /events (API.md §8).
	events partnerd.EventService
	// webhooks manages webhook endpoints (API.md §8).
	webhooks partnerd.WebhookService
	// topups manages customers' auto top-up (API.md §8).
	topups partnerd.AutoTopupService
	// audit serves GET /audit-events (API.md §7); noAudit (set only by
	// the benchmarks that measure the log's cost) sends no audit context.
	audit   partnerd.AuditService
	noAudit bool
	// metrics counts requests and effects (nil: not counted); /metrics
	// answers on this handler only to callers in metricsAllow.
	metrics      *Metrics
	metricsAllow []netip.Prefix
	limits       limiter
	// phase is ready, starting or draining (health.go); next, once set,
	// serves every request instead (HandOver).
	phase atomic.Int32
	next  atomic.Pointer[Server]
	// console serves /console/ (nil: not served).
	console http.Handler
}

// Config wires the services the server needs.
type Config struct {
	Accounts partnerd.AccountService
	// Lifecycle changes accounts (required by the lifecycle routes).
	Lifecycle partnerd.AccountLifecycleService
	Partners  partnerd.PartnerService
	Ledger    partnerd.LedgerService
	// Numbers serves the numbers routes (required by them).
	Numbers partnerd.NumberService
	// Rates reads the partners' rate decks.
	Rates partnerd.RateService
	// Idempotency stores Idempotency-Key responses.
	Idempotency partnerd.IdempotencyService
	Logger      *slog.Logger
	// AccessLog, if set, receives the access log: one JSON line per
	// request, in the shape Logger's JSON handler would give it, written
	// in batches by a goroutine of its own (Close flushes it). If nil,
	// the access lines go through Logger, one write each.
	AccessLog io.Writer
	// Ping checks the database for /readyz.
	Ping func(context.Context) error
	// Unavailable, if set, reports a service's error that means the
	// database cannot be reached or is busy: answered 503 unavailable,
	// to be retried, instead of 500.
	Unavailable func(error) bool
	// Now is the clock of the credential cache; time.Now if nil.
	Now func() time.Time
	// Switches checks switch tokens; without it the switch API refuses
	// every token.
	Switches partnerd.SwitchTokenService
	// SIP serves customers' SIP endpoints and the switch's credential
	// lookups; SIPRealm is the digest realm new passwords are hashed in
	// (DefaultSIPRealm if empty).
	SIP      partnerd.SIPService
	SIPRealm string
	// Calls authorizes the switch's calls and charges their CDRs (required
	// by those routes).
	Calls partnerd.SwitchService
	// CDRs reads the partners' call records, Overview their dashboards
	// and analytics (each required by its routes).
	CDRs     partnerd.CDRService
	Overview partnerd.OverviewService
	// Events reads the partners' events (required by GET /events).
	Events partnerd.EventService
	// Webhooks manages webhook endpoints (required by their routes).
	Webhooks partnerd.WebhookService
	// AutoTopups manages customers' auto top-up (required by its routes).
	AutoTopups partnerd.AutoTopupService
	// Audit reads the audit log (required by GET /audit-events).
	Audit partnerd.AuditService
	// Metrics, if set, counts the server's requests and what its services
	// committed. MetricsAllow are the networks that may GET /metrics from
	// this handler; others, and everyone when it is empty (metrics served
	// on a listener of their own, or not at all), get 404.
	Metrics      *Metrics
	MetricsAllow []netip.Prefix
	// RateLimits are the token buckets; the zero value limits nothing.
	RateLimits RateLimits
	// Console, if set, serves /console and everything under /console/
	// (the web console, API.md §9) behind the same request ids, access
	// log and metrics; it is no API route (Routes does not list it).
	Console http.Handler
}

// NewServer returns the handler for the whole API.
func NewServer(c Config) *Server {
	s := &Server{mux: http.NewServeMux(), accounts: c.Accounts, partners: c.Partners,
		ledger: c.Ledger, idempotency: c.Idempotency, log: c.Logger, ping: c.Ping, unavailable: c.Unavailable}
	s.rates = c.Rates
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if c.AccessLog != nil {
		s.access = newLineWriter(c.AccessLog)
	}
	s.numbers = c.Numbers
	s.lifecycle = c.Lifecycle
	s.switches, s.sip, s.sipRealm, s.calls, s.cdrs, s.overview = c.Switches, c.SIP, c.SIPRealm, c.Calls, c.CDRs, c.Overview
	if s.sipRealm == "" {
		s.sipRealm = partnerd.DefaultSIPRealm
	}
	s.events, s.webhooks, s.topups, s.audit = c.Events, c.Webhooks, c.AutoTopups, c.Audit
	s.credentials.now = c.Now
	if s.credentials.now == nil {
		s.credentials.now = time.Now
	}
	s.limits.cfg = c.RateLimits
	s.console = c.Console
	if m := c.Metrics; m != nil {
		s.metrics, s.metricsAllow = m, c.MetricsAllow
		if s.ledger != nil {
			s.ledger = meteredLedger{s.ledger, m}
		}
		if s.numbers != nil {
			s.numbers = meteredNumbers{s.numbers, m}
		}
		if s.calls != nil {
			s.calls = meteredCalls{s.calls, m}
		}
	}
	s.routes()
	return s
}

// Close writes the access lines still waiting. Call it once the HTTP
// server has shut down; later requests log synchronously.
func (s *Server) Close() {
	if s.access != nil {
		s.access.close()
	}
}

// ServeHTTP runs every request through request ids, logging and recovery,
// then the router.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if next := s.next.Load(); next != nil {
		next.ServeHTTP(w, r)
		return
	}
	s.observe(http.HandlerFunc(s.route)).ServeHTTP(w, r)
}

// route dispatches to the mux; unknown routes and wrong methods get the
// JSON error body instead of the mux's plain text. Only a path in
// canonical form is routed: the mux would redirect any other (//, dot
// segments, a missing leading slash, as in "PRI *" or "OPTIONS *") to its
// cleaned form with an HTML body, and the API answers JSON, never a
// redirect. HTTP/2's "PRI * HTTP/2.0" preface is the one request of
// another major version that net/http passes on (it refuses the others
// with 505 itself): it gets the same 505.
// Routable reports whether the server routes a request for the escaped
// path p at all: only a path in canonical form, and the one path with a
// trailing slash the API serves, a customer's own profile as API.md §6
// writes it ("GET /" under /api/v1/Account/{auth_id}).
func Routable(p string) bool {
	return strings.HasPrefix(p, "/") && (path.Clean(p) == p || ownProfileSlash.MatchString(p))
}

var ownProfileSlash = regexp.MustCompile(`^/api/v1/Account/[^/]+/$`)

func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	if r.ProtoMajor != 1 {
		s.writeError(w, r, partnerd.Errorf(partnerd.ECHTTPVersionNotSupported, "This server speaks HTTP/1.1; %s is not supported.", r.Proto))
		return
	}
	if s.console != nil && (r.URL.Path == "/console" || strings.HasPrefix(r.URL.Path, "/console/")) {
		info(r.Context()).route = "/console/"
		s.console.ServeHTTP(w, r)
		return
	}
	if !Routable(r.URL.EscapedPath()) {
		s.writeError(w, r, partnerd.Errorf(partnerd.ECRouteNotFound, "No route matches %s %s: paths hold no empty, . or .. segments and no trailing slash.", r.Method, r.URL.Path))
		return
	}
	if r.URL.Path == "/metrics" && s.metricsAllowed(r) {
		info(r.Context()).route = "GET /metrics"
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			s.writeError(w, r, partnerd.Errorf(partnerd.ECMethodNotAllowed, "Method %s is not allowed on %s.", r.Method, r.URL.Path))
			return
		}
		s.metrics.Handler().ServeHTTP(w, r)
		return
	}
	h, pattern := s.mux.Handler(r)
	info(r.Context()).route = pattern
	if pattern != "" {
		// ServeHTTP, not h: the mux sets the path values on the way.
		s.mux.ServeHTTP(w, r)
		return
	}
	// Let the mux decide between 404 and 405 (and compute Allow), but
	// write our own body.
	probe := &statusProbe{header: http.Header{}}
	h.ServeHTTP(probe, r)
	if probe.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", probe.header.Get("Allow"))
		s.writeError(w, r, partnerd.Errorf(partnerd.ECMethodNotAllowed, "Method %s is not allowed on %s.", r.Method, r.URL.Path))
		return
	}
	s.writeError(w, r, partnerd.Errorf(partnerd.ECRouteNotFound, "No route matches %s %s.", r.Method, r.URL.Path))
}

// statusProbe records what the mux's fallback handler would answer.
type statusProbe struct {
	header http.Header
	status int
}

func (p *statusProbe) Header() http.Header         { return p.header }
func (p *statusProbe) Write(b []byte) (int, error) { return len(b), nil }
func (p *statusProbe) WriteHeader(status int)      { p.status = status }

// handlerFunc is the shape of every handler: it writes a success response
// or returns an error for the adapter to write.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle adapts a handlerFunc to http.Handler.
func (s *Server) handle(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}
