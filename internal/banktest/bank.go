package banktest

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Config describes a bank run.
type Config struct {
	// BaseURLs are the instances serving the partner API, each ending in
	// /api/v1/partner. Every request goes to a random one; a retry with the
	// same Idempotency-Key goes to a different one when there are several.
	BaseURLs []string
	// PartnerID and Token authenticate as the partner.
	PartnerID, Token string
	// Customers are the auth_ids of the partner's customers that money moves
	// to and from. The partner may have no more than 100 accounts in all,
	// so that one page of GET /accounts lists every customer balance.
	Customers []string
	// Funded, if not zero, is the partner's funded amount in minor units:
	// the partner and all its customers must hold exactly this in total.
	Funded int64

	// Workers is the number of goroutines moving money (default 32).
	Workers int
	// Ops is the number of operations per worker. Duration bounds the run
	// by time instead, or as well; with neither, Ops is 40.
	Ops      int
	Duration time.Duration
	// Readers is the number of goroutines checking the total while money
	// moves (default 3).
	Readers int
	// Seed drives every random choice; zero picks one, which is logged.
	Seed uint64

	// Client carries the requests of the public Go client (package
	// client) the run sends them with; nil means one sized for Workers.
	Client *http.Client
	// RequestTimeout bounds one request (default 1 minute). A timeout is a
	// failure: a live server answers, a dead one refuses the connection.
	RequestTimeout time.Duration
	// SettleTimeout bounds how long an operation whose outcome is unknown
	// is retried (default 2 minutes).
	SettleTimeout time.Duration
	// Allow5xx tolerates 5xx answers instead of failing the run on them:
	// a POST's outcome is then unknown and it is retried, a read is tried
	// on another instance.
	Allow5xx bool

	// DuringRun, if set, runs in its own goroutine while the workers run;
	// its context ends when they finish, and Run waits for it to return.
	// The scale-out test uses it to kill an instance mid-run.
	DuringRun func(ctx context.Context)
}

// Result counts what a run did.
type Result struct {
	Ops          int            // operations, each with its own Idempotency-Key
	Requests     int            // POST requests sent, retries included
	Acknowledged int            // keys that got a 2xx: money moved
	Transfers    int            // acknowledged transfer-balance keys
	Withdrawals  int            // acknowledged withdraw-balance keys
	NoEffect     int            // keys settled by a definitive refusal
	Unsettled    int            // keys left without a definitive answer (a failure)
	OK           int            // 2xx responses, replays included
	Replays      int            // 2xx responses with Idempotent-Replayed: true
	Codes        map[string]int // non-2xx responses by error code
	InUse        int            // 409 idempotency_key_in_use
	Reused       int            // 422 idempotency_key_reused
	ServerErrors int            // 5xx responses
	Transport    int            // requests that got no answer
	Reads        int            // reader checks that were conclusive
	Inconclusive int            // reader checks skipped (log moved too far, instance down)
	Elapsed      time.Duration
	// POST latencies (answered requests).
	P50, P99, Max time.Duration
}

func (r Result) String() string {
	var codes []string
	for _, k := range slices.Sorted(maps.Keys(r.Codes)) {
		codes = append(codes, k+"="+strconv.Itoa(r.Codes[k]))
	}
	return fmt.Sprintf("%d ops, %d requests in %v (POST latency p50 %v, p99 %v, max %v): %d acknowledged (%d transfers, %d withdrawals), %d without effect, %d unsettled; "+
		"%d 2xx (%d replays), %d 409, %d 422, %d 5xx, %d transport errors; non-2xx codes [%s]; reader checks %d conclusive, %d skipped",
		r.Ops, r.Requests, r.Elapsed.Round(time.Millisecond), r.P50.Round(100*time.Microsecond), r.P99.Round(100*time.Microsecond),
		r.Max.Round(100*time.Microsecond), r.Acknowledged, r.Transfers, r.Withdrawals, r.NoEffect, r.Unsettled,
		r.OK, r.Replays, r.InUse, r.Reused, r.ServerErrors, r.Transport, strings.Join(codes, " "), r.Reads, r.Inconclusive)
}

// maxErrors stops a failing run early instead of flooding the test log.
const maxErrors = 25

// run is the shared state of one Run.
type run struct {
	t      testing.TB
	cfg    Config
	c      *instances
	hc     *http.Client
	runID  string
	cancel context.CancelFunc

	// Fixed by setup, read-only afterwards.
	currency  string
	funded    int64 // partner plus all its customers at the start
	partner0  int64
	customer0 map[string]int64
	base      ledgerCounts

	errors    atomic.Int64
	mu        sync.Mutex
	res       Result
	latencies []time.Duration
}

// ledgerCounts are the list totals the final check compares against.
type ledgerCounts struct {
	recharges, withdrawals, customerRows, partnerRows int
}

// Run runs the bank test described by cfg against a running server and
// returns what it did. Failures are reported on t.
func Run(t testing.TB, cfg Config) Result {
	t.Helper()
	cfg = withDefaults(t, cfg)
	r := &run{t: t, cfg: cfg, res: Result{Codes: map[string]int{}}}
	r.runID = strconv.FormatUint(cfg.Seed, 36) + "-" + strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
	hc := cfg.Client
	if hc == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 2*cfg.Workers + 2*cfg.Readers + 4
		hc = &http.Client{Transport: tr}
		defer tr.CloseIdleConnections()
	}
	r.hc = hc
	r.c = newInstances(cfg, hc)
	t.Logf("bank: seed %d, %d workers × %d ops (duration %v), %d readers, %d customers, %d instances",
		cfg.Seed, cfg.Workers, cfg.Ops, cfg.Duration, cfg.Readers, len(cfg.Customers), len(cfg.BaseURLs))

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	r.cancel = cancel
	if err := r.setup(ctx); err != nil {
		t.Fatalf("bank setup: %v", err)
	}

	start := time.Now()
	var deadline time.Time
	if cfg.Duration > 0 {
		deadline = start.Add(cfg.Duration)
	}
	moving, stopMoving := context.WithCancel(ctx)
	var workers, others sync.WaitGroup
	opsOf := make([][]*op, cfg.Workers)
	for w := range cfg.Workers {
		workers.Go(func() {
			wk := &worker{run: r, id: w, rng: rand.New(rand.NewPCG(cfg.Seed, uint64(w)+1))}
			opsOf[w] = wk.loop(ctx, deadline)
		})
	}
	for i := range cfg.Readers {
		others.Go(func() { r.read(moving, rand.New(rand.NewPCG(cfg.Seed, uint64(cfg.Workers+i)+1))) })
	}
	if cfg.DuringRun != nil {
		others.Go(func() { cfg.DuringRun(moving) })
	}
	workers.Wait()
	stopMoving()
	others.Wait()

	var ops []*op
	for _, o := range opsOf {
		ops = append(ops, o...)
	}
	r.tally(ops)
	r.res.Elapsed = time.Since(start)
	if ctx.Err() == nil {
		r.final(ctx, ops)
	}
	if n := r.errors.Load(); n > maxErrors {
		t.Errorf("bank: %d more errors not shown", n-maxErrors)
	}
	t.Logf("bank: %v", r.res)
	return r.res
}

func withDefaults(t testing.TB, cfg Config) Config {
	t.Helper()
	if len(cfg.BaseURLs) == 0 || cfg.PartnerID == "" || cfg.Token == "" || len(cfg.Customers) == 0 {
		t.Fatalf("banktest.Config needs BaseURLs, PartnerID, Token and Customers")
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 32
	}
	if cfg.Ops <= 0 && cfg.Duration <= 0 {
		cfg.Ops = 40
	}
	if cfg.Readers <= 0 {
		cfg.Readers = 3
	}
	if cfg.Seed == 0 {
		cfg.Seed = uint64(time.Now().UnixNano())
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = time.Minute
	}
	if cfg.SettleTimeout <= 0 {
		cfg.SettleTimeout = 2 * time.Minute
	}
	return cfg
}

// fail reports one error, up to maxErrors, and stops the run after that.
func (r *run) fail(format string, args ...any) {
	n := r.errors.Add(1)
	if n <= maxErrors {
		r.t.Errorf("bank: "+format, args...)
	}
	if n == maxErrors {
		r.cancel()
	}
}

// count records one answered or failed POST in the result.
func (r *run) count(res *answer, err error, took time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.res.Requests++
	if err == nil {
		r.latencies = append(r.latencies, took)
	}
	switch {
	case err != nil:
		r.res.Transport++
	case res.ok():
		r.res.OK++
		if res.res.Replayed {
			r.res.Replays++
		}
	default:
		r.res.Codes[res.code()]++
		switch res.res.Status {
		case http.StatusConflict:
			r.res.InUse++
		case http.StatusUnprocessableEntity:
			r.res.Reused++
		}
		if res.res.Status >= 500 {
			r.res.ServerErrors++
		}
	}
}

func (r *run) countRead(conclusive bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if conclusive {
		r.res.Reads++
	} else {
		r.res.Inconclusive++
	}
}

// tally sums up the settled operations.
func (r *run) tally(ops []*op) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.res.Ops = len(ops)
	if n := len(r.latencies); n > 0 {
		slices.Sort(r.latencies)
		r.res.P50, r.res.P99, r.res.Max = r.latencies[n/2], r.latencies[n*99/100], r.latencies[n-1]
	}
	for _, o := range ops {
		switch {
		case o.ok != nil:
			r.res.Acknowledged++
			if o.withdraw {
				r.res.Withdrawals++
			} else {
				r.res.Transfers++
			}
		case o.state == outRefused:
			r.res.NoEffect++
		default:
			r.res.Unsettled++
		}
	}
}
