package sqlstore_test

// Throughput of the hot partner row. Every transfer of a partner debits the
// same master wallet row, so a naive design runs at one durable commit per
// transfer. These benchmarks measure, on ONE database file per `go test
// -bench` run (same pragmas as the store: WAL, synchronous=FULL,
// _txlock=immediate):
//
//	B0  bare guarded single-row UPDATE commits on the partner row, one per transaction
//	B1  db.Transfer with 16 and 64 concurrent callers (the write batcher)
//
// and internal/httpapi's benchmarks, on a database of their own:
//
//	B4  transfers over loopback HTTP with 64 keep-alive clients
//	B5  idempotent replays over HTTP (same key and body), answered from a read
//
// Goals: B1/B0 >= 1.0, B4/B1 >= 0.7, B5/B1 >= 2. Each reports transfers/s;
// the writer benchmarks also report transfers/commit, measured here by
// SQLite hooks on the writer's connection (export_ledger_test.go), and
// over HTTP from DB.WriterStats.
//
//	go test -run '^$' -bench 'B[0-9]' -benchtime 3s ./internal/sqlstore/ ./internal/httpapi/
//
// The database lives in $PARTNERD_BENCH_DIR (default: the system temp dir,
// which must be a real disk for fsync to mean anything). Set
// PARTNERD_BENCH_NOROWHOOK=1 to count commits only (no per-row hook).

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/benchtest"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

const ledgerBenchCustomers = 64

// ledgerBenchEnv is the one database every benchmark of the run shares.
type ledgerBenchEnv struct {
	*benchtest.Ledger
	path  string
	stats *sqlstore.LedgerBenchStats
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
	dir, err := benchtest.Dir("partnerd-ledgerbench")
	if err != nil {
		return nil, err
	}
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i + 1)
	}
	e := &ledgerBenchEnv{path: filepath.Join(dir, "bench.db")}
	db, err := sqlstore.Open(ctx, sqlstore.Source{Driver: "sqlite", Path: e.path}, sqlstore.Options{SecretKey: key})
	if err != nil {
		return nil, err
	}
	if e.Ledger, err = benchtest.NewLedger(ctx, db, ledgerBenchCustomers); err != nil {
		return nil, err
	}
	e.stats, err = db.LedgerBenchWatch(ctx, os.Getenv("PARTNERD_BENCH_NOROWHOOK") == "")
	if err != nil {
		return nil, err
	}
	return e, nil
}

// ledgerBenchRun runs b.N operations over the given number of concurrent
// workers (benchtest.RunConcurrent). With stats it also reports what the
// writer committed meanwhile.
func ledgerBenchRun(b *testing.B, workers int, stats *sqlstore.LedgerBenchStats, op func(i int) error) {
	b.Helper()
	var before sqlstore.LedgerBenchSnapshot
	if stats != nil {
		before = stats.Snapshot()
	}
	benchtest.RunConcurrent(b, workers, op)
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
		res, err := tx.ExecContext(ctx, `UPDATE wallets SET balance = balance - ? WHERE id = ? AND balance >= ?`, 1, e.PartnerID, 1)
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
		_, err := e.DB.Transfer(ctx, e.PartnerID, partnerd.TransferInput{AuthID: e.Customers[i%len(e.Customers)], Amount: 1})
		return err
	})
}

// BenchmarkB1Transfer16 runs db.Transfer from 16 concurrent callers.
func BenchmarkB1Transfer16(b *testing.B) { benchmarkB1Transfer(b, 16) }

// BenchmarkB1Transfer64 runs db.Transfer from 64 concurrent callers.
func BenchmarkB1Transfer64(b *testing.B) { benchmarkB1Transfer(b, 64) }
