package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/httpapi"
	"github.com/partnerd/partnerd/internal/sqlstore"
	"github.com/partnerd/partnerd/internal/webhook"
)

// serveConfig is every setting of serve: each a flag with an environment
// twin, listed in the README's configuration table (a test holds the two
// together).
type serveConfig struct {
	db, addr, sipRealm     *string
	rateLimit, switchLimit *int
	authFailures           *int
	metricsAllow           *string
	metricsAddr            *string
	shutdownDelay          *time.Duration
	allowNets              []netip.Prefix
	hooks                  webhookOptions
}

// serveFlags defines serve's flags on fs.
func serveFlags(fs *cmdFlags, getenv func(string) string) *serveConfig {
	c := &serveConfig{db: fs.db(getenv)}
	c.addr = fs.String("addr", "127.0.0.1:8080", "listen address of the API")
	fs.twin(getenv, "addr", "PARTNERD_ADDR")
	c.sipRealm = fs.String("sip-realm", partnerd.DefaultSIPRealm, "SIP digest realm (the customers' sip_domain) that new SIP passwords are hashed in")
	fs.twin(getenv, "sip-realm", "PARTNERD_SIP_REALM")
	c.rateLimit = fs.Int("rate-limit", 100, "requests per second each partner may make to this instance, burst twice that; 0 turns the limit off")
	fs.twin(getenv, "rate-limit", "PARTNERD_RATE_LIMIT")
	c.switchLimit = fs.Int("switch-rate-limit", 2000, "requests per second each switch token may make to this instance, burst twice that; 0 turns the limit off")
	fs.twin(getenv, "switch-rate-limit", "PARTNERD_SWITCH_RATE_LIMIT")
	c.authFailures = fs.Int("auth-failure-limit", 30, "failed authentications of one kind of caller (partner, customer, switch) a client address may make per minute before its requests of that kind are refused (429); 0 turns the limit off")
	fs.twin(getenv, "auth-failure-limit", "PARTNERD_AUTH_FAILURE_LIMIT")
	c.metricsAllow = fs.String("metrics-allow", "127.0.0.0/8,::1/128", "comma-separated networks that may GET /metrics on the API's listener (others get 404); empty: nobody")
	fs.twin(getenv, "metrics-allow", "PARTNERD_METRICS_ALLOW")
	c.metricsAddr = fs.String("metrics-addr", "", "serve /metrics on this address of its own instead of the API's listener (which then answers 404)")
	fs.twin(getenv, "metrics-addr", "PARTNERD_METRICS_ADDR")
	c.shutdownDelay = fs.Duration("shutdown-delay", 5*time.Second, "on SIGTERM, how long /readyz answers 503 while requests are still served, before the server stops accepting them")
	fs.twin(getenv, "shutdown-delay", "PARTNERD_SHUTDOWN_DELAY")
	c.hooks = webhookFlags(fs, getenv)
	return c
}

// check validates the values parse accepted.
func (c *serveConfig) check(fs *cmdFlags) error {
	bad := func(format string, args ...any) error {
		return usageError{fmt.Sprintf(format, args...) + "\n\n" + fs.usage()}
	}
	if !partnerd.ValidSIPRealm(*c.sipRealm) {
		return bad("--sip-realm %q must be a host name (letters, digits, '.' and '-')", *c.sipRealm)
	}
	for name, v := range map[string]int{"rate-limit": *c.rateLimit, "switch-rate-limit": *c.switchLimit, "auth-failure-limit": *c.authFailures} {
		if v < 0 {
			return bad("--%s %d must be 0 (off) or more", name, v)
		}
	}
	if *c.shutdownDelay < 0 {
		return bad("--shutdown-delay %s must not be negative", *c.shutdownDelay)
	}
	if *c.hooks.concurrency < 1 {
		return bad("--webhook-concurrency %d must be 1 or more", *c.hooks.concurrency)
	}
	// A claim must outlast the attempt it covers, or another instance
	// would send the same delivery meanwhile.
	if least := webhook.DefaultTimeout + time.Second; *c.hooks.lease < least {
		return bad("--webhook-lease %s must be at least %s (an attempt's timeout and a second)", *c.hooks.lease, least)
	}
	for _, s := range strings.Split(*c.metricsAllow, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return bad("--metrics-allow %q: %q is neither a network (10.0.0.0/8) nor an address", *c.metricsAllow, s)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		c.allowNets = append(c.allowNets, p.Masked())
	}
	return nil
}

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", "", stdout)
	cfg := serveFlags(fs, getenv)
	if err := fs.parse(args); err != nil {
		return err
	}
	if err := cfg.check(fs); err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	logConfig(log, fs, getenv)

	// The port is taken first, and answers at once: /healthz 200 and
	// /readyz 503 while the database opens and migrates.
	ln, err := net.Listen("tcp", *cfg.addr)
	if err != nil {
		return err
	}
	starting := httpapi.NewStartingServer(log)
	srv := starting.HTTPServer(httpapi.HTTPOptions{})
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	db, err := openStore(ctx, *cfg.db, getenv, log, serving)
	if err != nil {
		srv.Close()
		return err
	}
	defer db.Close()
	// What the server does by itself (the first partner, renewals, auto
	// top-ups) is recorded in the audit log as the system's.
	system := partnerd.WithAudit(ctx, partnerd.AuditContext{Actor: partnerd.Actor{Kind: partnerd.ActorSystem}})
	if err := firstStart(system, db, ln.Addr().String(), stdout); err != nil {
		srv.Close()
		return err
	}
	warnOtherRealms(ctx, db, *cfg.sipRealm, log)

	metrics := httpapi.NewMetrics()
	metrics.RegisterPools(db.PoolStats())
	db.ObserveBatches(metrics.ObserveBatch)
	metrics.RegisterWebhookQueue(db.WebhookQueueDepth)
	allow := cfg.allowNets
	if *cfg.metricsAddr != "" {
		allow = nil
	}
	var api *httpapi.Server
	api = httpapi.NewServer(httpapi.Config{
		Accounts: db, Lifecycle: db, Partners: db, Ledger: db, Idempotency: db, Logger: log, AccessLog: stderr, Ping: db.Ping,
		Unavailable: sqlstore.Unavailable,
		Numbers:     db,
		Rates:       db,
		Switches:    db, SIP: db, SIPRealm: *cfg.sipRealm, Calls: db, CDRs: db, Overview: db, Events: db, Webhooks: db, AutoTopups: db, Audit: db,
		Metrics: metrics, MetricsAllow: allow,
		RateLimits: httpapi.RateLimits{Partner: *cfg.rateLimit, Switch: *cfg.switchLimit, AuthFailures: *cfg.authFailures,
			// partnerd partner set --rate-limit overrides --rate-limit for one partner.
			PartnerRate: func(p *partnerd.Partner) int { return p.RateLimit }},
		// The web console (API.md §9), on the same store.
		Console: newConsole(db, *cfg.sipRealm, log, func(id string) { api.ForgetCredentials(id) }),
	})
	defer api.Close() // after the HTTP server has stopped: the last access lines
	if *cfg.metricsAddr != "" {
		stop, err := serveMetrics(*cfg.metricsAddr, metrics, log)
		if err != nil {
			srv.Close()
			return err
		}
		defer stop()
	}
	go purgeIdempotencyKeys(ctx, db, log)
	defer startSweeps(system, db, log)()                                      // stopped before the store closes
	defer startWebhooks(system, db, log, cfg.hooks, metrics.ObserveWebhook)() // likewise
	starting.HandOver(api)
	log.Info("listening", "addr", ln.Addr().String(), "db", sqlstore.Redact(*cfg.db))
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Draining: load balancers see /readyz fail and stop sending requests,
	// which are all still served until the delay ends. Each answer closes
	// its connection, so that clients open new ones, to another instance,
	// instead of sending on a kept-alive one that the end of the drain
	// would close under a request.
	api.Drain()
	srv.SetKeepAlivesEnabled(false)
	log.Info("draining", "shutdown_delay", cfg.shutdownDelay.String())
	select {
	case err := <-errc:
		return err
	case <-time.After(*cfg.shutdownDelay):
	}
	log.Info("shutting down")
	// In-flight requests get a bounded time to finish; then the store
	// closes, which commits or fails every queued write before returning.
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		// Requests were cut off: say so with a non-zero exit.
		srv.Close()
		return fmt.Errorf("shutdown: in-flight requests did not finish in time: %w", err)
	}
	return nil
}

// serveMetrics serves /metrics alone on addr (--metrics-addr) and returns
// what stops it.
func serveMetrics(addr string, m *httpapi.Metrics, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics-addr: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: time.Minute,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics listener", "error", err.Error())
		}
	}()
	log.Info("serving metrics", "addr", ln.Addr().String())
	return func() { srv.Close() }, nil
}

// firstStart creates a partner on an empty database and prints its
// credentials once, with a curl command to try.
func firstStart(ctx context.Context, db *sqlstore.DB, addr string, stdout io.Writer) error {
	p, token, err := db.CreateFirstPartner(ctx, partnerd.PartnerInput{Name: "Default partner", Email: "partner@example.com"})
	if err != nil || p == nil {
		return err
	}
	fmt.Fprintf(stdout, `partnerd: created the first partner on this empty database. Save its token now: it is not shown again.

  X-Auth-ID:    %s
  X-Auth-Token: %s

Try it:

  curl -s http://%s/api/v1/partner/me -H "X-Auth-ID: %s" -H "X-Auth-Token: %s" -H "Accept: application/json"

`, p.ID, token, addr, p.ID, token)
	return nil
}

// purgeIdempotencyKeys deletes expired idempotency keys at start and then
// hourly, until ctx ends.
func purgeIdempotencyKeys(ctx context.Context, db *sqlstore.DB, log *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if n, err := db.PurgeIdempotencyKeys(ctx); err != nil && ctx.Err() == nil {
			log.Warn("purge idempotency keys", "error", err.Error())
		} else if n > 0 {
			log.Info("purged idempotency keys", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// warnOtherRealms warns of the SIP endpoints whose passwords were hashed
// in another realm than --sip-realm (set before it changed): the switch
// challenges phones in the new realm, so those fail until each endpoint
// gets its password again, hashed in the new realm.
func warnOtherRealms(ctx context.Context, db *sqlstore.DB, realm string, log *slog.Logger) {
	others, err := db.SIPRealmsOtherThan(ctx, realm)
	if err != nil {
		log.Warn("could not count the SIP endpoints of other realms", slog.String("error", err.Error()))
		return
	}
	for r, n := range others {
		log.Warn("SIP endpoints hashed in another realm than --sip-realm: their phones fail a switch that challenges in "+
			"--sip-realm until each endpoint's password is set again (POST /accounts/{id}/sip-endpoints/{endpoint_id}/password)",
			slog.String("realm", r), slog.Int("endpoints", n), slog.String("sip_realm", realm))
	}
}
