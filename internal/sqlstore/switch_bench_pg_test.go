package sqlstore_test

// The switch benchmarks (switch_bench_test.go) on PostgreSQL, on the
// database of the PG ledger benchmarks, beside PGB1:
//
//	PARTNERD_TEST_POSTGRES=… go test -run '^$' -bench 'PGB1Transfer64$|PGB6|PGB7' -benchtime 5s ./internal/sqlstore/

import (
	"context"
	"database/sql"
	"sync"
	"testing"

	"github.com/partnerd/partnerd/internal/benchtest"
)

var (
	pgSwitchBenchOnce   sync.Once
	pgSwitchBenchShared *benchtest.Switch
	pgSwitchBenchErr    error
)

func pgSwitchBench(b *testing.B) (*pgBenchEnv, *benchtest.Switch) {
	b.Helper()
	e := pgLedgerBench(b)
	pgSwitchBenchOnce.Do(func() {
		raw, err := sql.Open("pgx", e.dsn)
		if err != nil {
			pgSwitchBenchErr = err
			return
		}
		defer raw.Close()
		pgSwitchBenchShared, pgSwitchBenchErr = benchtest.NewSwitch(context.Background(), e.dbs[0], raw, true,
			make([]byte, 32), switchBenchCustomers)
	})
	if pgSwitchBenchErr != nil {
		b.Fatalf("postgres switch bench setup: %v", pgSwitchBenchErr)
	}
	return e, pgSwitchBenchShared
}

// BenchmarkPGB6Authorize64 authorizes new calls from 64 concurrent
// clients on one instance.
func BenchmarkPGB6Authorize64(b *testing.B) {
	e, s := pgSwitchBench(b)
	b.ResetTimer()
	before := e.dbs[0].WriterStats()
	e.reportBatches(b, func() { benchAuthorize(b, s, e.dbs[:1], 64) })
	d := e.dbs[0].WriterStats().Sub(before)
	b.ReportMetric(float64(d.Combined)/float64(b.N), "combined/op")
	b.ReportMetric(float64(d.Reruns)/float64(b.N), "reruns/op")
}

// BenchmarkPGB6Authorize64x3 spreads the same clients over three
// instances: their reservations are guarded against each other.
func BenchmarkPGB6Authorize64x3(b *testing.B) {
	e, s := pgSwitchBench(b)
	b.ResetTimer()
	e.reportBatches(b, func() { benchAuthorize(b, s, e.dbs, 64) })
}

// BenchmarkPGB7CDRIngest100 posts batches of 100 CDRs from 4 posters on
// one instance.
func BenchmarkPGB7CDRIngest100(b *testing.B) {
	e, s := pgSwitchBench(b)
	b.ResetTimer()
	reportCDRBatches(b, e.dbs[:1], func() { benchCDRs(b, s, e.dbs[:1], switchBenchPosters, switchBenchCDRBatch) })
}

// BenchmarkPGB7CDRIngest100CallIDs is PGB7 with call_uuids as switches
// make them (random UUIDs).
func BenchmarkPGB7CDRIngest100CallIDs(b *testing.B) {
	e, s := pgSwitchBench(b)
	s.RandomCallIDs = true
	defer func() { s.RandomCallIDs = false }()
	b.ResetTimer()
	reportCDRBatches(b, e.dbs[:1], func() { benchCDRs(b, s, e.dbs[:1], switchBenchPosters, switchBenchCDRBatch) })
}
