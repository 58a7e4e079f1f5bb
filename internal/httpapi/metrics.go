package httpapi

import (
	"context"
	"database/sql"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/partnerd/partnerd"
)

// Metrics are the Prometheus series of one server (API.md §7). They live
// on a registry of their own, never the global one, so that two servers
// (or two tests) in one process count apart. Other parts of the process
// (the store's writer, the webhook sender) report through its methods.
type Metrics struct {
	reg            *prometheus.Registry
	requests       *prometheus.CounterVec
	duration       *prometheus.HistogramVec
	ledger         *prometheus.CounterVec
	authorizations *prometheus.CounterVec
	cdrs           *prometheus.CounterVec
	rateLimited    prometheus.Counter
	batchSize      prometheus.Histogram
	webhooks       *prometheus.CounterVec
	handler        http.Handler
}

// webhookResults are the result labels of partnerd_webhook_deliveries_total,
// one per attempt: succeeded, failed (another attempt is scheduled), dead
// (no more are, or 410 Gone), lost (the lease was lost meanwhile: another
// instance owns the delivery and the result was dropped), error (the
// result could not be recorded).
var webhookResults = []string{"succeeded", "failed", "dead", "lost", "error"}

// queueDepthTimeout bounds the count a scrape of
// partnerd_webhook_queue_depth makes, so that a slow database slows
// /metrics by at most this much.
const queueDepthTimeout = 2 * time.Second

// unmatchedRoute is the route label of a request no route matched, so
// that arbitrary paths never become series.
const unmatchedRoute = "unmatched"

// NewMetrics creates the server's series, with the Go runtime and process
// collectors, on a new registry.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "partnerd_http_requests_total", Help: "HTTP requests answered, by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "partnerd_http_request_duration_seconds", Help: "Time to answer an HTTP request, by route pattern and method.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method"}),
		ledger: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "partnerd_ledger_transactions_total", Help: "Ledger transactions committed through the API, by type.",
		}, []string{"type"}),
		authorizations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "partnerd_authorizations_total", Help: "Switch call authorizations answered, by result (authorized or the refusal's reason).",
		}, []string{"result"}),
		cdrs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "partnerd_cdrs_total", Help: "Call records posted by the switch, by status (charged, duplicate, rejected).",
		}, []string{"status"}),
		rateLimited: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "partnerd_rate_limited_total", Help: "Requests refused with 429 rate_limited.",
		}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "partnerd_write_batch_size", Help: "Write requests committed together in one database transaction.",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256},
		}),
		webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "partnerd_webhook_deliveries_total", Help: "Webhook delivery attempts made by this instance, by result (succeeded, failed, dead, lost, error).",
		}, []string{"result"}),
	}
	// Every result of a fixed set is shown from the start, at 0, so that
	// a rate over it needs no first one to exist (API.md §5 names the
	// refusals' reasons and the records' statuses).
	for _, r := range webhookResults {
		m.webhooks.WithLabelValues(r)
	}
	for _, r := range []string{"authorized", partnerd.ReasonInsufficientBalance, partnerd.ReasonAccountSuspended,
		partnerd.ReasonAccountClosed, partnerd.ReasonNoRate, partnerd.ReasonNumberNotAssigned, partnerd.ReasonNumberSuspended,
		partnerd.ReasonAccountNotFound} {
		m.authorizations.WithLabelValues(r)
	}
	for _, st := range []string{partnerd.CDRCharged, partnerd.CDRDuplicate, partnerd.CDRRejected} {
		m.cdrs.WithLabelValues(st)
	}
	m.reg.MustRegister(m.requests, m.duration, m.ledger, m.authorizations, m.cdrs, m.rateLimited, m.batchSize, m.webhooks,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler { return m.handler }

// ObserveBatch records the size of one committed write batch; the store's
// writer calls it (sqlstore.DB.ObserveBatches).
func (m *Metrics) ObserveBatch(size int) { m.batchSize.Observe(float64(size)) }

// ObserveWebhook counts one webhook attempt by its result (one of
// webhookResults); the dispatcher calls it (webhook.Dispatcher.Observe).
func (m *Metrics) ObserveWebhook(result string) { m.webhooks.WithLabelValues(result).Inc() }

// RegisterWebhookQueue adds partnerd_webhook_queue_depth, which each
// scrape reads from depth (sqlstore.DB.WebhookQueueDepth): a count in the
// database, not in this process, so that every instance sharing it shows
// the same, true backlog. When the count fails the value is NaN.
func (m *Metrics) RegisterWebhookQueue(depth func(context.Context) (int, error)) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "partnerd_webhook_queue_depth",
		Help: "Webhook deliveries due now and not being sent (all instances), to endpoints that are enabled.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), queueDepthTimeout)
		defer cancel()
		n, err := depth(ctx)
		if err != nil {
			return math.NaN()
		}
		return float64(n)
	}))
}

// RegisterPools adds the gauges of database/sql connection pools, one
// pool label each ("read", "write").
func (m *Metrics) RegisterPools(pools map[string]func() sql.DBStats) {
	for name, stats := range pools {
		labels := prometheus.Labels{"pool": name}
		gauge := func(n, help string, v func(sql.DBStats) float64) prometheus.Collector {
			return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "partnerd_db_" + n, Help: help, ConstLabels: labels},
				func() float64 { return v(stats()) })
		}
		counter := func(n, help string, v func(sql.DBStats) float64) prometheus.Collector {
			return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "partnerd_db_" + n, Help: help, ConstLabels: labels},
				func() float64 { return v(stats()) })
		}
		m.reg.MustRegister(
			gauge("max_open_connections", "Most connections the pool may open.", func(s sql.DBStats) float64 { return float64(s.MaxOpenConnections) }),
			gauge("open_connections", "Connections open, in use or idle.", func(s sql.DBStats) float64 { return float64(s.OpenConnections) }),
			gauge("in_use_connections", "Connections in use.", func(s sql.DBStats) float64 { return float64(s.InUse) }),
			gauge("idle_connections", "Idle connections.", func(s sql.DBStats) float64 { return float64(s.Idle) }),
			counter("wait_count_total", "Times a caller waited for a connection.", func(s sql.DBStats) float64 { return float64(s.WaitCount) }),
			counter("wait_seconds_total", "Time callers waited for a connection.", func(s sql.DBStats) float64 { return s.WaitDuration.Seconds() }),
		)
	}
}

// observeRequest counts one answered request. route is the mux pattern
// without its method ("" when none matched); methods outside the standard
// set share one label, so no request can add series at will.
func (m *Metrics) observeRequest(route, method string, code int, d time.Duration) {
	if route == "" {
		route = unmatchedRoute
	}
	method = methodLabel(method)
	if code == 0 {
		code = http.StatusOK
	}
	m.requests.WithLabelValues(route, method, strconv.Itoa(code)).Inc()
	m.duration.WithLabelValues(route, method).Observe(d.Seconds())
}

func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete,
		http.MethodHead, http.MethodOptions:
		return method
	}
	return "other"
}

// routeLabel is a mux pattern without its method: the method has a label
// of its own.
func routeLabel(pattern string) string {
	for i := 0; i < len(pattern); i++ {
		if pattern[i] == ' ' {
			return pattern[i+1:]
		}
	}
	return pattern
}

// metricsAllowed reports whether the request may read /metrics on the
// main listener: it comes from one of the allowed networks.
func (s *Server) metricsAllowed(r *http.Request) bool {
	if s.metrics == nil {
		return false
	}
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	addr := ap.Addr().Unmap()
	for _, p := range s.metricsAllow {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// The services below are the store's, counted: each series moves when
// the store reports the effect committed, so a refused or failed call
// counts nothing and an idempotent replay (answered from the stored
// response, never reaching the service) never counts twice.

type meteredLedger struct {
	partnerd.LedgerService
	m *Metrics
}

func (l meteredLedger) Transfer(ctx context.Context, partnerID string, in partnerd.TransferInput) (*partnerd.Transfer, error) {
	t, err := l.LedgerService.Transfer(ctx, partnerID, in)
	if err == nil {
		l.m.ledger.WithLabelValues("transfer").Inc()
	}
	return t, err
}

func (l meteredLedger) Withdraw(ctx context.Context, partnerID string, in partnerd.TransferInput) (*partnerd.Transfer, error) {
	t, err := l.LedgerService.Withdraw(ctx, partnerID, in)
	if err == nil {
		l.m.ledger.WithLabelValues("withdrawal").Inc()
	}
	return t, err
}

type meteredNumbers struct {
	partnerd.NumberService
	m *Metrics
}

func (n meteredNumbers) AssignNumber(ctx context.Context, partnerID, authID, number string) (*partnerd.Number, error) {
	num, err := n.NumberService.AssignNumber(ctx, partnerID, authID, number)
	if err == nil {
		n.m.ledger.WithLabelValues("number_rental").Inc()
	}
	return num, err
}

type meteredCalls struct {
	partnerd.SwitchService
	m *Metrics
}

func (c meteredCalls) Authorize(ctx context.Context, in partnerd.AuthorizeInput) (*partnerd.Authorization, error) {
	a, err := c.SwitchService.Authorize(ctx, in)
	if err == nil {
		result := "authorized"
		if !a.Authorized {
			result = a.Reason
		}
		c.m.authorizations.WithLabelValues(result).Inc()
	}
	return a, err
}

func (c meteredCalls) PostCDRs(ctx context.Context, ins []partnerd.CDRInput, invalid []*partnerd.Error) ([]partnerd.CDRResult, error) {
	res, err := c.SwitchService.PostCDRs(ctx, ins, invalid)
	if err == nil {
		for _, r := range res {
			c.m.cdrs.WithLabelValues(r.Status).Inc()
			// A charged call with a cost posts one "call" ledger
			// transaction (none when the customer had nothing left to
			// take: the cost is then unbilled).
			if r.Status == partnerd.CDRCharged && r.Cost > 0 {
				c.m.ledger.WithLabelValues("call").Inc()
			}
		}
	}
	return res, err
}
