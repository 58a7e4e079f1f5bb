package sqlstore_test

// Throughput of the hot partner row. Every transfer of a partner debits the
// same master wallet row, so a naive design runs at one durable commit per
// transfer. These benchmarks measure, on ONE database file per `go test
// -bench` run (same pragmas as the store: WAL, synchronous=FULL,
// _txlock=immediate):
//
//	B0  bare guarded single-row UPDATE commits on the partner row, one per transaction
//	B1  db.Transfer with 16 and 64 concurrent callers (the write batcher)
//	B4  transfers over loopback HTTP with 64 keep-alive clients
//	B5  idempotent replays over HTTP (same key and body), answered from a read
//
// Goals: B1/B0 >= 1.0, B4/B1 >= 0.7, B5/B1 >= 2. Each reports transfers/s;
// the writer benchmarks also report transfers/commit, measured by SQLite
// hooks on the writer's connection (export_ledger_test.go).
//
//	go test -run '^$' -bench 'B[0-9]' -benchtime 3s ./internal/sqlstore/
//
// The database lives in $PARTNERD_BENCH_DIR (default: the system temp dir,
// which must be a real disk for fsync to mean anything). Set
// PARTNERD_BENCH_NOROWHOOK=1 to count commits only (no per-row hook).

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/httpapi"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

const (
	ledgerBenchCustomers = 64
	ledgerBenchFunds     = int64(1) << 52 // minor units: never runs out
)

// ledgerBenchEnv is the one database (and HTTP server) every benchmark of
// the run shares.
type ledgerBenchEnv struct {
	path      string
	db        *sqlstore.DB
	stats     *sqlstore.LedgerBenchStats
	partnerID string
	token     string
	customers []string

	srvOnce sync.Once
	srv     *httptest.Server
	client  *http.Client

	replayOnce sync.Once
	replayBody []byte
	replayKey  string
	replayErr  error
}

var (
	ledgerBenchOnce   sync.Once
	ledgerBenchShared *ledgerBenchEnv
	ledgerBenchErr    error
)

// ledgerBench returns the run's shared database, creating it on first use.
// It is never closed: it lives as long as the test binary, and the next run
// removes the directories of runs whose process is gone.
func ledgerBench(b *testing.B) *ledgerBenchEnv {
	b.Helper()
	ledgerBenchOnce.Do(func() { ledgerBenchShared, ledgerBenchErr = newLedgerBenchEnv() })
	if ledgerBenchErr != nil {
		b.Fatalf("ledger bench setup: %v", ledgerBenchErr)
	}
	return ledgerBenchShared
}

func newLedgerBenchEnv() (*ledgerBenchEnv, error) {
	ctx := context.Background()
	parent := os.Getenv("PARTNERD_BENCH_DIR")
	if parent == "" {
		parent = os.TempDir()
	}
	removeStaleLedgerBenchDirs(parent)
	dir, err := os.MkdirTemp(parent, "partnerd-ledgerbench-"+strconv.Itoa(os.Getpid())+"-")
	if err != nil {
		return nil, err
	}
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i + 1)
	}
	e := &ledgerBenchEnv{path: filepath.Join(dir, "bench.db")}
	e.db, err = sqlstore.Open(ctx, sqlstore.Source{Driver: "sqlite", Path: e.path}, sqlstore.Options{SecretKey: key})
	if err != nil {
		return nil, err
	}
	p, token, err := e.db.CreatePartner(ctx, partnerd.PartnerInput{Name: "Bench Partner", Email: "bench@partner.example", Currency: "INR"})
	if err != nil {
		return nil, fmt.Errorf("CreatePartner: %w", err)
	}
	e.partnerID, e.token = p.ID, token
	if _, err := e.db.FundPartner(ctx, p.ID, ledgerBenchFunds, nil); err != nil {
		return nil, fmt.Errorf("FundPartner: %w", err)
	}
	// Password hashing (argon2id) dominates account creation: a few at a time.
	e.customers = make([]string, ledgerBenchCustomers)
	var wg sync.WaitGroup
	errs := make([]error, ledgerBenchCustomers)
	sem := make(chan struct{}, 4)
	for i := range ledgerBenchCustomers {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			a, err := e.db.CreateAccount(ctx, p.ID, partnerd.AccountInput{
				Name: fmt.Sprintf("Bench Customer %02d", i), Email: fmt.Sprintf("customer%02d@bench.example", i),
				Password: "SecurePass@123", Phone: "9431538535", Country: "IN",
			})
			if err != nil {
				errs[i] = fmt.Errorf("CreateAccount %d: %w", i, err)
				return
			}
			e.customers[i] = a.AuthID
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	e.stats, err = e.db.LedgerBenchWatch(ctx, os.Getenv("PARTNERD_BENCH_NOROWHOOK") == "")
	if err != nil {
		return nil, err
	}
	return e, nil
}

// removeStaleLedgerBenchDirs deletes the databases of earlier runs whose
// test process has exited.
func removeStaleLedgerBenchDirs(parent string) {
	dirs, _ := filepath.Glob(filepath.Join(parent, "partnerd-ledgerbench-*-*"))
	for _, d := range dirs {
		f := strings.SplitN(strings.TrimPrefix(filepath.Base(d), "partnerd-ledgerbench-"), "-", 2)
		pid, err := strconv.Atoi(f[0])
		if err != nil || pid == os.Getpid() {
			continue
		}
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			os.RemoveAll(d)
		}
	}
}

// server returns the run's loopback HTTP server and a keep-alive client
// with room for every concurrent connection.
func (e *ledgerBenchEnv) server() (*httptest.Server, *http.Client) {
	e.srvOnce.Do(func() {
		e.srv = httptest.NewServer(httpapi.NewServer(httpapi.Config{Accounts: e.db, Partners: e.db, Ledger: e.db, Idempotency: e.db}))
		e.client = &http.Client{Transport: &http.Transport{
			MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: time.Minute, DisableCompression: true,
		}}
	})
	return e.srv, e.client
}

// transferURL is the transfer-balance endpoint of customer i.
func (e *ledgerBenchEnv) transferURL(i int) string {
	return e.srv.URL + "/api/v1/partner/accounts/" + e.customers[i%len(e.customers)] + "/transfer-balance"
}

// post sends one transfer request and checks its answer.
func (e *ledgerBenchEnv) post(client *http.Client, url string, body []byte, key string, wantReplay bool) error {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("X-Auth-ID", e.partnerID)
	req.Header.Set("X-Auth-Token", e.token)
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("POST %s: %s: %s", url, resp.Status, msg)
	}
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if wantReplay && resp.Header.Get("Idempotent-Replayed") != "true" {
		return fmt.Errorf("POST %s with key %q: not a replay", url, key)
	}
	return nil
}

// ledgerBenchRun runs b.N operations over the given number of concurrent
// workers and reports transfers/s over the wall time of the whole run.
// With stats it also reports what the writer committed meanwhile.
func ledgerBenchRun(b *testing.B, workers int, stats *sqlstore.LedgerBenchStats, op func(i int) error) {
	b.Helper()
	var before sqlstore.LedgerBenchSnapshot
	if stats != nil {
		before = stats.Snapshot()
	}
	var next atomic.Int64
	var failed atomic.Bool
	var firstErr error
	var errOnce sync.Once
	var wg sync.WaitGroup
	b.ResetTimer()
	cpu0, busy0 := ledgerBenchCPU(), ledgerBenchBusy()
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for !failed.Load() {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				if err := op(int(i)); err != nil {
					errOnce.Do(func() { firstErr = err })
					failed.Store(true)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu, busy := ledgerBenchCPU()-cpu0, ledgerBenchBusy()-busy0
	b.StopTimer()
	if firstErr != nil {
		b.Fatal(firstErr)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "transfers/s")
	// CPU of the whole test process (server, clients, writer) per
	// operation: moved much less by other processes than transfers/s.
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-us/op")
	// Cores other processes kept busy meanwhile: the run's noise.
	if busy > 0 {
		b.ReportMetric(max(0, (busy-cpu).Seconds()/elapsed.Seconds()), "other-cores")
	}
	if stats == nil {
		return
	}
	d := stats.Snapshot().Sub(before)
	b.ReportMetric(float64(d.Commits)/float64(b.N), "commits/op")
	if d.Commits > 0 && d.Rows > 0 {
		b.ReportMetric(float64(d.Rows)/float64(d.Commits), "transfers/commit")
	}
	if b.N >= 1000 && len(d.Sizes) > 0 {
		b.Logf("N=%d commits=%d ledger-tx rows=%d; rows per commit: %s", b.N, d.Commits, d.Rows, ledgerBenchSizes(d))
	}
}

// ledgerBenchCPU is the user+system CPU time the test process used so far.
func ledgerBenchCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// ledgerBenchBusy is the CPU time all processes of the machine used so
// far (Linux /proc/stat), or 0 if unknown.
func ledgerBenchBusy() time.Duration {
	stat, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(stat), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0
	}
	var ticks int64
	for i, v := range f[1:] {
		if i == 3 || i == 4 || i >= 8 { // idle, iowait, guest (already in user)
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0
		}
		ticks += n
	}
	const userHZ = 100 // USER_HZ, fixed at 100 on Linux
	return time.Duration(ticks) * (time.Second / userHZ)
}

// ledgerBenchSizes summarises a rows-per-commit histogram: percentiles
// weighted by commits and by transfers (the batch a typical transfer rode in).
func ledgerBenchSizes(d sqlstore.LedgerBenchSnapshot) string {
	keys := make([]int, 0, len(d.Sizes))
	for k := range d.Sizes {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	pct := func(weight func(k int) int64, p float64) int {
		var total, acc int64
		for _, k := range keys {
			total += weight(k)
		}
		for _, k := range keys {
			acc += weight(k)
			if float64(acc) >= p*float64(total) {
				return k
			}
		}
		return keys[len(keys)-1]
	}
	byCommit := func(k int) int64 { return d.Sizes[k] }
	byRow := func(k int) int64 { return d.Sizes[k] * int64(k) }
	return fmt.Sprintf("per commit p10/p50/p90 %d/%d/%d, per transfer p10/p50/p90 %d/%d/%d, min %d max %d",
		pct(byCommit, .1), pct(byCommit, .5), pct(byCommit, .9),
		pct(byRow, .1), pct(byRow, .5), pct(byRow, .9), keys[0], keys[len(keys)-1])
}

// BenchmarkB0GuardedUpdate is the floor: one durable commit per debit of
// the partner row, through a raw connection with the store's settings.
func BenchmarkB0GuardedUpdate(b *testing.B) {
	e := ledgerBench(b)
	ctx := context.Background()
	raw, err := sql.Open("sqlite", sqlstore.LedgerBenchDSN(e.path))
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	raw.SetMaxOpenConns(1)
	raw.SetMaxIdleConns(1)
	if err := raw.PingContext(ctx); err != nil {
		b.Fatal(err)
	}
	ledgerBenchRun(b, 1, nil, func(int) error {
		tx, err := raw.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE wallets SET balance = balance - ? WHERE id = ? AND balance >= ?`, 1, e.partnerID, 1)
		if err != nil {
			tx.Rollback()
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			tx.Rollback()
			return fmt.Errorf("guarded update hit %d rows (%v)", n, err)
		}
		return tx.Commit()
	})
}

func benchmarkB1Transfer(b *testing.B, callers int) {
	e := ledgerBench(b)
	ctx := context.Background()
	ledgerBenchRun(b, callers, e.stats, func(i int) error {
		_, err := e.db.Transfer(ctx, e.partnerID, partnerd.TransferInput{AuthID: e.customers[i%len(e.customers)], Amount: 1})
		return err
	})
}

// BenchmarkB1Transfer16 runs db.Transfer from 16 concurrent callers.
func BenchmarkB1Transfer16(b *testing.B) { benchmarkB1Transfer(b, 16) }

// BenchmarkB1Transfer64 runs db.Transfer from 64 concurrent callers.
func BenchmarkB1Transfer64(b *testing.B) { benchmarkB1Transfer(b, 64) }

var ledgerBenchBody = []byte(`{"amount": 0.01, "currency": "INR", "description": "bench"}`)

// BenchmarkB4HTTPTransfer64 runs transfers through the HTTP API from 64
// keep-alive clients, without Idempotency-Key.
func BenchmarkB4HTTPTransfer64(b *testing.B) {
	e := ledgerBench(b)
	_, client := e.server()
	ledgerBenchRun(b, 64, e.stats, func(i int) error {
		return e.post(client, e.transferURL(i), ledgerBenchBody, "", false)
	})
}

var ledgerBenchKeyRun atomic.Int64

// BenchmarkB4HTTPTransfer64Keyed is B4 with a fresh Idempotency-Key on
// every request, as a careful client sends: each transfer then costs the
// writer two requests (the claim, then the transfer with the stored
// response).
func BenchmarkB4HTTPTransfer64Keyed(b *testing.B) {
	e := ledgerBench(b)
	_, client := e.server()
	run := ledgerBenchKeyRun.Add(1)
	ledgerBenchRun(b, 64, e.stats, func(i int) error {
		return e.post(client, e.transferURL(i), ledgerBenchBody, fmt.Sprintf("bench-%d-%d-%d", os.Getpid(), run, i), false)
	})
}

// BenchmarkB5IdempotentReplay repeats one completed keyed transfer (same
// key, same body) from 64 keep-alive clients: every answer is a replay.
func BenchmarkB5IdempotentReplay(b *testing.B) {
	e := ledgerBench(b)
	_, client := e.server()
	e.replayOnce.Do(func() {
		e.replayKey = fmt.Sprintf("bench-replay-%d", os.Getpid())
		e.replayBody = ledgerBenchBody
		e.replayErr = e.post(client, e.transferURL(0), e.replayBody, e.replayKey, false)
	})
	if e.replayErr != nil {
		b.Fatal(e.replayErr)
	}
	url := e.transferURL(0)
	ledgerBenchRun(b, 64, e.stats, func(int) error {
		return e.post(client, url, e.replayBody, e.replayKey, true)
	})
}
