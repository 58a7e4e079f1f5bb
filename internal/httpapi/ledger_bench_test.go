package httpapi_test

// The hot partner row over HTTP (see internal/sqlstore/ledger_bench_test.go
// for B0 and B1, the store-side figures these compare to):
//
//	B4  transfers over loopback HTTP with 64 keep-alive clients
//	B5  idempotent replays over HTTP (same key and body), answered from a read
//
// Goals: B4/B1 >= 0.7, B5/B1 >= 2. Each reports transfers/s and, from the
// store's DB.WriterStats, commits/op, requests/commit and (B4)
// transfers/commit.
//
//	go test -run '^$' -bench 'B[0-9]' -benchtime 3s ./internal/sqlstore/ ./internal/httpapi/
//	PARTNERD_TEST_POSTGRES=… go test -run '^$' -bench 'PGB' -benchtime 3s ./internal/sqlstore/ ./internal/httpapi/
//
// The SQLite database lives in $PARTNERD_BENCH_DIR (default: the system
// temp dir, which must be a real disk for fsync to mean anything); the
// PostgreSQL one is a fresh database per run, served by three instances
// (three stores and HTTP servers) for the x3 variants.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/partnerd/partnerd/internal/benchtest"
	"github.com/partnerd/partnerd/internal/httpapi"
	"github.com/partnerd/partnerd/internal/pgtest"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

// hotEnv is a funded partner served by one HTTP server per store instance.
type hotEnv struct {
	*benchtest.Ledger
	dbs    []*sqlstore.DB
	urls   []string
	client *http.Client

	replayOnce sync.Once
	replayKey  string
	replayErr  error
}

func newHotEnv(ctx context.Context, dbs []*sqlstore.DB, customers int) (*hotEnv, error) {
	e := &hotEnv{dbs: dbs, client: &http.Client{Transport: &http.Transport{
		MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: time.Minute, DisableCompression: true,
	}}}
	var err error
	if e.Ledger, err = benchtest.NewLedger(ctx, dbs[0], customers); err != nil {
		return nil, err
	}
	for _, db := range dbs {
		srv := httptest.NewServer(httpapi.NewServer(httpapi.Config{Accounts: db, Partners: db, Ledger: db, Idempotency: db}))
		e.urls = append(e.urls, srv.URL)
	}
	return e, nil
}

var (
	hotOnce, hotPGOnce     sync.Once
	hotShared, hotPGShared *hotEnv
	hotErr, hotPGErr       error
)

// hotSQLite returns the run's SQLite environment, created on first use and
// never closed: it lives as long as the test binary.
func hotSQLite(b *testing.B) *hotEnv {
	b.Helper()
	hotOnce.Do(func() {
		ctx := context.Background()
		dir, err := benchtest.Dir("partnerd-httpbench")
		if err != nil {
			hotErr = err
			return
		}
		key := make([]byte, 32)
		for i := range key {
			key[i] = byte(i + 1)
		}
		db, err := sqlstore.Open(ctx, sqlstore.Source{Driver: "sqlite", Path: filepath.Join(dir, "bench.db")}, sqlstore.Options{SecretKey: key})
		if err != nil {
			hotErr = err
			return
		}
		hotShared, hotErr = newHotEnv(ctx, []*sqlstore.DB{db}, 64)
	})
	if hotErr != nil {
		b.Fatalf("HTTP bench setup: %v", hotErr)
	}
	return hotShared
}

// hotPostgres returns the run's PostgreSQL environment (three instances on
// one fresh database), or skips.
func hotPostgres(b *testing.B) *hotEnv {
	b.Helper()
	admin := pgtest.Require(b)
	hotPGOnce.Do(func() {
		ctx := context.Background()
		_, dbs, err := benchtest.OpenPostgres(ctx, admin, "partnerd_httpbench", 3)
		if err != nil {
			hotPGErr = err
			return
		}
		hotPGShared, hotPGErr = newHotEnv(ctx, dbs, 16)
	})
	if hotPGErr != nil {
		b.Fatalf("PostgreSQL HTTP bench setup: %v", hotPGErr)
	}
	return hotPGShared
}

// transferURL is the transfer-balance endpoint of customer i on an instance.
func (e *hotEnv) transferURL(instance, i int) string {
	return e.urls[instance%len(e.urls)] + "/api/v1/partner/accounts/" + e.Customers[i%len(e.Customers)] + "/transfer-balance"
}

var hotBody = []byte(`{"amount": 0.01, "currency": "INR", "description": "bench"}`)

// post sends one transfer request and checks its answer. The benchmarks
// send raw requests rather than use the client, so that the process's CPU
// per operation is the server's and the transport's only.
func (e *hotEnv) post(url, key string, wantReplay bool) error {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(hotBody))
	if err != nil {
		return err
	}
	req.Header.Set("X-Auth-ID", e.PartnerID)
	req.Header.Set("X-Auth-Token", e.Token)
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := e.client.Do(req)
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

// transfers runs b.N transfers from 64 keep-alive clients spread over
// the first instances; key, if not nil, names each one's Idempotency-Key.
func (e *hotEnv) transfers(b *testing.B, instances int, key func(i int) string) {
	benchtest.ReportBatches(b, e.dbs, true, func() {
		benchtest.RunConcurrent(b, 64, func(i int) error {
			k := ""
			if key != nil {
				k = key(i)
			}
			return e.post(e.transferURL(i%instances, i), k, false)
		})
	})
}

// replays repeats one completed keyed transfer (same key, same body) from
// 64 keep-alive clients over the first instances: every answer is a replay.
func (e *hotEnv) replays(b *testing.B, instances int) {
	e.replayOnce.Do(func() {
		e.replayKey = fmt.Sprintf("bench-replay-%d", os.Getpid())
		e.replayErr = e.post(e.transferURL(0, 0), e.replayKey, false)
	})
	if e.replayErr != nil {
		b.Fatal(e.replayErr)
	}
	benchtest.ReportBatches(b, e.dbs, false, func() {
		benchtest.RunConcurrent(b, 64, func(i int) error {
			return e.post(e.transferURL(i%instances, 0), e.replayKey, true)
		})
	})
}

var hotKeyRun atomic.Int64

// keyed gives every transfer of one benchmark run its own key.
func keyed() func(i int) string {
	run := hotKeyRun.Add(1)
	return func(i int) string { return fmt.Sprintf("bench-%d-%d-%d", os.Getpid(), run, i) }
}

// BenchmarkB4HTTPTransfer64 runs transfers through the HTTP API from 64
// keep-alive clients, without Idempotency-Key.
func BenchmarkB4HTTPTransfer64(b *testing.B) { hotSQLite(b).transfers(b, 1, nil) }

// BenchmarkB4HTTPTransfer64Keyed is B4 with a fresh Idempotency-Key on
// every request, as a careful client sends: each transfer then costs the
// writer two requests (the claim, then the transfer with the stored
// response).
func BenchmarkB4HTTPTransfer64Keyed(b *testing.B) { hotSQLite(b).transfers(b, 1, keyed()) }

// BenchmarkB5IdempotentReplay repeats one completed keyed transfer.
func BenchmarkB5IdempotentReplay(b *testing.B) { hotSQLite(b).replays(b, 1) }

func BenchmarkPGB4HTTPTransfer64(b *testing.B)   { hotPostgres(b).transfers(b, 1, nil) }
func BenchmarkPGB4HTTPTransfer64x3(b *testing.B) { hotPostgres(b).transfers(b, 3, nil) }

// BenchmarkPGB4HTTPTransfer64x3Keyed is the x3 variant with a fresh
// Idempotency-Key on every request: each also writes its in-flight marker
// (keyWrite), beside the writers' batches.
func BenchmarkPGB4HTTPTransfer64x3Keyed(b *testing.B) { hotPostgres(b).transfers(b, 3, keyed()) }

// BenchmarkPGB5IdempotentReplay repeats one completed keyed transfer from
// 64 clients over the three instances.
func BenchmarkPGB5IdempotentReplay(b *testing.B) { hotPostgres(b).replays(b, 3) }
