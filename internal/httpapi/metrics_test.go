package httpapi_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/httpapi"
	"github.com/partnerd/partnerd/internal/sqlstore"
	"github.com/partnerd/partnerd/internal/webhook"
)

// loopback is the network httptest's clients come from.
var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

// newOpsEnv serves the API on a fresh database with metrics (wired as
// serve wires them) and the configuration opts adjusts: limits, metrics
// networks, clock.
func newOpsEnv(t *testing.T, opts func(*httpapi.Config)) (*testEnv, *httpapi.Metrics) {
	t.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	path := filepath.Join(t.TempDir(), "p.db")
	db, err := sqlstore.Open(context.Background(), sqlstore.Source{Driver: "sqlite", Path: path}, sqlstore.Options{SecretKey: key, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	m := httpapi.NewMetrics()
	m.RegisterPools(db.PoolStats())
	db.ObserveBatches(m.ObserveBatch)
	m.RegisterWebhookQueue(db.WebhookQueueDepth)
	c := httpapi.Config{
		Accounts: db, Partners: db, Ledger: db, Idempotency: db, Logger: log, Ping: db.Ping,
		Numbers: db, Rates: db, Switches: db, SIP: db, Calls: db, CDRs: db, Overview: db, Events: db, Webhooks: db,
		Metrics: m, MetricsAllow: loopback,
	}
	if opts != nil {
		opts(&c)
	}
	api := httpapi.NewServer(c)
	srv := httptest.NewServer(api)
	t.Cleanup(func() {
		srv.Close()
		api.Close()
		db.Close()
	})
	return &testEnv{db: db, dbPath: path, api: api, srv: srv, logs: logs}, m
}

// scrape reads /metrics and returns each sample line's value by its
// series ("name{labels}").
func (e *testEnv) scrape(t *testing.T) map[string]float64 {
	t.Helper()
	r := e.send(t, http.MethodGet, "/metrics", noCreds, nil, nil)
	if r.status != http.StatusOK {
		t.Fatalf("GET /metrics = %d: %s", r.status, r.raw)
	}
	samples := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(r.raw))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		samples[line[:i]] = v
	}
	return samples
}

// settableClock is a clock a test moves by hand.
type settableClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *settableClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *settableClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Every series of API.md §7 that exists is served, and each moves when its
// cause happens: a transfer, a refused call, a CDR, a 429.
func TestMetricsMove(t *testing.T) {
	t.Parallel()
	var limited creds
	e, _ := newOpsEnv(t, func(c *httpapi.Config) {
		c.RateLimits = httpapi.RateLimits{Partner: 1000, PartnerRate: func(p *partnerd.Partner) int {
			if p.ID == limited.ID {
				return 1 // burst 2
			}
			return 0
		}}
	})
	ctx := context.Background()
	p := e.mustPartner(t, "Metered")
	limited = e.mustPartner(t, "Limited")
	id := e.mustFundedCustomerHTTP(t, p, "metered@metrics.example", 10_000)
	e.mustFund(t, p, 10_000, nil)
	e.mustDeck(t, p, rateRow("outbound", "1", 10000, 60, 60))
	_, token := e.mustSwitchToken(t)
	before := e.scrape(t)

	// Series that exist from the start: the writer's batches (the fund
	// above), the pools, the Go runtime and the process.
	for _, s := range []string{
		`partnerd_write_batch_size_count`, `partnerd_db_open_connections{pool="read"}`,
		`partnerd_db_max_open_connections{pool="write"}`, `go_goroutines`, `process_cpu_seconds_total`, `partnerd_rate_limited_total`,
	} {
		if _, ok := before[s]; !ok {
			t.Errorf("/metrics has no %s", s)
		}
	}
	if before[`partnerd_write_batch_size_count`] < 1 {
		t.Errorf("partnerd_write_batch_size_count = %v after a fund, want at least 1", before[`partnerd_write_batch_size_count`])
	}

	transfer := base + "/accounts/" + id + "/transfer-balance"
	if r := e.post(t, transfer, p, map[string]any{"amount": 10}); r.status != http.StatusOK {
		t.Fatalf("transfer = %d: %s", r.status, r.raw)
	}
	if r := e.post(t, base+"/accounts/"+id+"/withdraw-balance", p, map[string]any{"amount": 1}); r.status != http.StatusOK {
		t.Fatalf("withdraw = %d: %s", r.status, r.raw)
	}
	r := e.switchPost(t, "/authorize", token, map[string]any{"call_uuid": "refused-1", "direction": "outbound",
		"from": "+912271260000", "to": "+33155512345", "account_auth_id": id})
	if r.status != http.StatusOK || r.body["reason"] != "no_rate" {
		t.Fatalf("authorize = %d %s, want refused no_rate", r.status, r.raw)
	}
	r = e.switchPost(t, "/authorize", token, map[string]any{"call_uuid": "ok-1", "direction": "outbound",
		"from": "+912271260000", "to": "+15551234567", "account_auth_id": id})
	if r.status != http.StatusOK || r.body["authorized"] != true {
		t.Fatalf("authorize = %d %s, want authorized", r.status, r.raw)
	}
	results(t, e.switchPost(t, "/cdrs", token, cdrBody("ok-1", id, 61)))
	results(t, e.switchPost(t, "/cdrs", token, cdrBody("ok-1", id, 61))) // a duplicate
	var got429 bool
	for range 5 {
		if r := e.get(t, base+"/me", limited); r.status == http.StatusTooManyRequests {
			got429 = true
		}
	}
	if !got429 {
		t.Fatal("a partner at 1 request/s made 5 requests at once and got no 429")
	}
	if _, err := e.db.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: id, Amount: 1}); err != nil {
		t.Fatal(err) // not through the API: not counted as an API transaction
	}

	after := e.scrape(t)
	moved := map[string]float64{
		`partnerd_ledger_transactions_total{type="transfer"}`:   1,
		`partnerd_ledger_transactions_total{type="withdrawal"}`: 1,
		`partnerd_ledger_transactions_total{type="call"}`:       1,
		`partnerd_authorizations_total{result="no_rate"}`:       1,
		`partnerd_authorizations_total{result="authorized"}`:    1,
		`partnerd_cdrs_total{status="charged"}`:                 1,
		`partnerd_cdrs_total{status="duplicate"}`:               1,
		`partnerd_rate_limited_total`:                           3,
		`partnerd_http_requests_total{code="200",method="POST",route="/api/v1/partner/accounts/{customer_auth_id}/transfer-balance"}`: 1,
		`partnerd_http_requests_total{code="429",method="GET",route="/api/v1/partner/me"}`:                                            3,
		`partnerd_http_request_duration_seconds_count{method="POST",route="/api/v1/switch/cdrs"}`:                                     2,
	}
	for series, want := range moved {
		if got := after[series] - before[series]; got != want {
			t.Errorf("%s moved by %v, want %v", series, got, want)
		}
	}
	if after[`partnerd_write_batch_size_count`] <= before[`partnerd_write_batch_size_count`] {
		t.Errorf("partnerd_write_batch_size_count did not move with the writes")
	}
}

// The webhook series of API.md §7: the queue holds the deliveries due,
// TestMetricsSwitchSeriesFromStart: every authorization result and CDR
// status §5 names is a series at 0 before the first call, so that an
// alert on a rate of refusals needs no first refusal to exist.
func TestMetricsSwitchSeriesFromStart(t *testing.T) {
	t.Parallel()
	e, _ := newOpsEnv(t, nil)
	got := e.scrape(t)
	for _, series := range []string{
		`partnerd_authorizations_total{result="authorized"}`, `partnerd_authorizations_total{result="insufficient_balance"}`,
		`partnerd_authorizations_total{result="account_suspended"}`, `partnerd_authorizations_total{result="account_closed"}`,
		`partnerd_authorizations_total{result="no_rate"}`, `partnerd_authorizations_total{result="number_not_assigned"}`,
		`partnerd_authorizations_total{result="number_suspended"}`, `partnerd_authorizations_total{result="account_not_found"}`,
		`partnerd_cdrs_total{status="charged"}`, `partnerd_cdrs_total{status="duplicate"}`, `partnerd_cdrs_total{status="rejected"}`,
	} {
		if v, ok := got[series]; !ok || v != 0 {
			t.Errorf("%s = %v (shown %v), want 0 from the start", series, v, ok)
		}
	}
}

// and each attempt counts under its result once the dispatcher made it.
func TestMetricsWebhooks(t *testing.T) {
	t.Parallel()
	e, m := newOpsEnv(t, nil)
	p := e.mustPartner(t, "Hooked")
	id := e.mustFundedCustomerHTTP(t, p, "hooked@metrics.example", 10_000)
	e.mustFund(t, p, 10_000, nil)
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	defer ok.Close()
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusInternalServerError) }))
	defer failing.Close()
	for _, url := range []string{ok.URL, failing.URL} {
		if r := e.post(t, base+"/webhook-endpoints", p, map[string]any{"url": url, "event_types": []string{"balance.transferred"}}); r.status != http.StatusCreated {
			t.Fatalf("POST /webhook-endpoints = %d %s", r.status, r.raw)
		}
	}
	before := e.scrape(t)
	for _, r := range []string{"succeeded", "failed", "dead", "lost", "error"} {
		if v, ok := before[`partnerd_webhook_deliveries_total{result="`+r+`"}`]; !ok || v != 0 {
			t.Errorf("partnerd_webhook_deliveries_total{result=%q} = %v (shown %v), want 0 from the start", r, v, ok)
		}
	}
	if got := before[`partnerd_webhook_queue_depth`]; got != 0 {
		t.Errorf("partnerd_webhook_queue_depth = %v before any event, want 0", got)
	}
	if r := e.post(t, base+"/accounts/"+id+"/transfer-balance", p, map[string]any{"amount": 10}); r.status != http.StatusOK {
		t.Fatalf("transfer = %d: %s", r.status, r.raw)
	}
	if got := e.scrape(t)[`partnerd_webhook_queue_depth`]; got != 2 {
		t.Errorf("partnerd_webhook_queue_depth = %v after one event for two endpoints, want 2", got)
	}
	d := &webhook.Dispatcher{Queue: e.db, AllowPrivate: true, Timeout: 5 * time.Second, Observe: m.ObserveWebhook}
	if err := d.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	after := e.scrape(t)
	for series, want := range map[string]float64{
		`partnerd_webhook_deliveries_total{result="succeeded"}`: 1,
		`partnerd_webhook_deliveries_total{result="failed"}`:    1,
		`partnerd_webhook_deliveries_total{result="dead"}`:      0,
		// The failed one waits 5 s (±20 %) for its retry: not due yet.
		`partnerd_webhook_queue_depth`: 0,
	} {
		if got := after[series]; got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
}

// The route label is the pattern: 10,000 distinct customer paths (and as
// many unknown ones) add no series beyond one per route, method and code.
func TestMetricsRouteCardinality(t *testing.T) {
	t.Parallel()
	e, _ := newOpsEnv(t, nil)
	p := e.mustPartner(t, "Cardinal")
	paths := make(chan string)
	go func() {
		for i := range 10_000 {
			paths <- fmt.Sprintf("%s/accounts/MA_%08x/balance", base, i)
			if i%10 == 0 {
				paths <- fmt.Sprintf("/no/such/%d", i)
			}
		}
		close(paths)
	}()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			for path := range paths {
				r, err := e.request(http.MethodGet, path, p, nil, nil)
				if err == nil && r.status != http.StatusNotFound {
					err = fmt.Errorf("GET %s = %d, want 404", path, r.status)
				}
				if err != nil {
					select {
					case errs <- err:
					default:
					}
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	routes := map[string]bool{}
	var series int
	for s, v := range e.scrape(t) {
		if !strings.HasPrefix(s, "partnerd_http_requests_total{") {
			continue
		}
		series++
		_, label, _ := strings.Cut(s, `route="`)
		label, _, _ = strings.Cut(label, `"`)
		routes[label] = true
		if strings.Contains(label, "MA_") || strings.HasPrefix(label, "/no/such") {
			t.Errorf("a raw path became a route label: %s %v", s, v)
		}
	}
	want := []string{base + "/accounts/{customer_auth_id}/balance", "unmatched"}
	for _, w := range want {
		if !routes[w] {
			t.Errorf("no series with route %q; routes: %v", w, routes)
		}
	}
	if series > 5 {
		t.Errorf("%d partnerd_http_requests_total series after 11,000 requests on 2 routes, want at most 5", series)
	}
}

// /metrics answers only the networks of MetricsAllow; others, and everyone
// when metrics are served elsewhere, get the API's 404.
func TestMetricsAllow(t *testing.T) {
	t.Parallel()
	get := func(api http.Handler, from string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		req.RemoteAddr = from
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, req)
		return rec
	}
	e, _ := newOpsEnv(t, func(c *httpapi.Config) {
		c.MetricsAllow = append(c.MetricsAllow, netip.MustParsePrefix("10.1.0.0/16"))
	})
	for _, tt := range []struct {
		from string
		want int
	}{
		{"127.0.0.1:40000", http.StatusOK},
		{"[::1]:40000", http.StatusOK},
		{"[::ffff:127.0.0.1]:40000", http.StatusOK},
		{"10.1.2.3:40000", http.StatusOK},
		{"10.2.0.1:40000", http.StatusNotFound},
		{"192.0.2.7:40000", http.StatusNotFound},
		{"[2001:db8::1]:40000", http.StatusNotFound},
	} {
		rec := get(e.api, tt.from)
		if rec.Code != tt.want {
			t.Errorf("GET /metrics from %s = %d, want %d", tt.from, rec.Code, tt.want)
		}
		if tt.want == http.StatusNotFound && !strings.Contains(rec.Body.String(), `"route_not_found"`) {
			t.Errorf("GET /metrics from %s: body %s, want the API's route_not_found", tt.from, rec.Body)
		}
		if tt.want == http.StatusOK && !strings.Contains(rec.Body.String(), "partnerd_rate_limited_total") {
			t.Errorf("GET /metrics from %s: no partnerd_rate_limited_total in the answer", tt.from)
		}
	}
	// Metrics on a listener of their own: the API's has none.
	elsewhere, m := newOpsEnv(t, func(c *httpapi.Config) { c.MetricsAllow = nil })
	if rec := get(elsewhere.api, "127.0.0.1:40000"); rec.Code != http.StatusNotFound {
		t.Errorf("GET /metrics without MetricsAllow = %d, want 404", rec.Code)
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "partnerd_rate_limited_total") {
		t.Errorf("Metrics.Handler = %d, want 200 with the series", rec.Code)
	}
}
