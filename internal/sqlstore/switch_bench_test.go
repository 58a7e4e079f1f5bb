package sqlstore_test

// The switch API's write path (issue: switch API benchmarks), on the
// database the ledger benchmarks share, beside B1:
//
//	B6  db.Authorize from 64 concurrent switch clients, each call a new
//	    call_uuid of one of 1,000 customers: reports authorizations/s (as
//	    transfers/s) and the p50/p99 latency of one authorize.
//	B7  db.PostCDRs in batches of 100 from 4 concurrent posters over the
//	    same 1,000 customers: reports CDRs/s, each rated and charged.
//
// Goals: B6 >= 1.0x B1Transfer64 with p99 <= 25 ms; B7 >= 20,000 CDRs/s
// (PostgreSQL: 10,000 CDRs/s).
//
//	go test -run '^$' -bench 'B1Transfer64$|B6Authorize64|B7CDR' -benchtime 5s ./internal/sqlstore/

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/benchtest"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

const (
	switchBenchCustomers = 1000
	switchBenchPosters   = 4
	switchBenchCDRBatch  = 100
)

var (
	switchBenchOnce   sync.Once
	switchBenchShared *benchtest.Switch
	switchBenchErr    error
	// switchBenchRun numbers the benchmark functions' runs (b.N grows over
	// several), so call_uuids never repeat within a process.
	switchBenchRun atomic.Int64
)

// switchBench returns the switch partner on the ledger benchmarks'
// database, creating it on first use.
func switchBench(b *testing.B) *benchtest.Switch {
	b.Helper()
	e := ledgerBench(b)
	switchBenchOnce.Do(func() {
		raw, err := sql.Open("sqlite", "file:"+e.path+"?_pragma=busy_timeout(10000)")
		if err != nil {
			switchBenchErr = err
			return
		}
		defer raw.Close()
		raw.SetMaxOpenConns(1)
		key := make([]byte, 32)
		for i := range key {
			key[i] = byte(i + 1)
		}
		switchBenchShared, switchBenchErr = benchtest.NewSwitch(context.Background(), e.DB, raw, false, key, switchBenchCustomers)
	})
	if switchBenchErr != nil {
		b.Fatalf("switch bench setup: %v", switchBenchErr)
	}
	return switchBenchShared
}

// benchAuthorize runs b.N authorizations of new calls over callers
// concurrent clients, each of the instances' stores in turn.
func benchAuthorize(b *testing.B, s *benchtest.Switch, dbs []*sqlstore.DB, callers int) {
	ctx := context.Background()
	run := fmt.Sprintf("b6-%d-%d", os.Getpid(), switchBenchRun.Add(1))
	benchtest.RunConcurrentLatency(b, callers, func(i int) error {
		acct := s.Customers[i%len(s.Customers)]
		a, err := dbs[i%len(dbs)].Authorize(ctx, partnerd.AuthorizeInput{
			CallUUID: s.CallID(run, i), Direction: partnerd.DirectionOutbound,
			From: "+919700000001", To: benchtest.SwitchNumber(i), AccountAuthID: &acct,
		})
		if err == nil && !a.Authorized {
			err = fmt.Errorf("call %s refused: %s", a.CallUUID, a.Reason)
		}
		return err
	})
}

// benchCDRs runs b.N batches of CDRs over posters concurrent posters and
// reports CDRs/s.
func benchCDRs(b *testing.B, s *benchtest.Switch, dbs []*sqlstore.DB, posters, size int) {
	ctx := context.Background()
	run := fmt.Sprintf("b7-%d-%d", os.Getpid(), switchBenchRun.Add(1))
	batches := make([][]partnerd.CDRInput, b.N)
	for i := range batches {
		batches[i] = s.CDRs(run, i, size)
	}
	invalid := make([]*partnerd.Error, size)
	start := time.Now()
	benchtest.RunConcurrent(b, posters, func(i int) error {
		res, err := dbs[i%len(dbs)].PostCDRs(ctx, batches[i], invalid)
		if err != nil {
			return err
		}
		for _, r := range res {
			if r.Status != partnerd.CDRCharged {
				return fmt.Errorf("CDR %s: %s (%v)", r.CallUUID, r.Status, r.Err)
			}
		}
		return nil
	})
	b.ReportMetric(float64(b.N*size)/time.Since(start).Seconds(), "cdrs/s")
}

// BenchmarkB6Authorize64 authorizes new calls from 64 concurrent clients.
func BenchmarkB6Authorize64(b *testing.B) {
	s := switchBench(b)
	e := ledgerBench(b)
	b.ResetTimer()
	ledgerBenchRun0(b, e, func() { benchAuthorize(b, s, []*sqlstore.DB{s.DB}, 64) })
}

// BenchmarkB6Authorize64CallIDs is B6 with call_uuids as switches make
// them (random UUIDs).
func BenchmarkB6Authorize64CallIDs(b *testing.B) {
	s := switchBench(b)
	e := ledgerBench(b)
	s.RandomCallIDs = true
	defer func() { s.RandomCallIDs = false }()
	b.ResetTimer()
	ledgerBenchRun0(b, e, func() { benchAuthorize(b, s, []*sqlstore.DB{s.DB}, 64) })
}

// BenchmarkB7CDRIngest100 posts batches of 100 CDRs from 4 posters.
func BenchmarkB7CDRIngest100(b *testing.B) {
	s := switchBench(b)
	b.ResetTimer()
	reportCDRBatches(b, []*sqlstore.DB{s.DB}, func() { benchCDRs(b, s, []*sqlstore.DB{s.DB}, switchBenchPosters, switchBenchCDRBatch) })
}

// BenchmarkB7CDRIngest100CallIDs is B7 with call_uuids as switches make
// them (random UUIDs), which land all over the call_uuid indexes.
func BenchmarkB7CDRIngest100CallIDs(b *testing.B) {
	s := switchBench(b)
	s.RandomCallIDs = true
	defer func() { s.RandomCallIDs = false }()
	b.ResetTimer()
	reportCDRBatches(b, []*sqlstore.DB{s.DB}, func() { benchCDRs(b, s, []*sqlstore.DB{s.DB}, switchBenchPosters, switchBenchCDRBatch) })
}

// reportCDRBatches runs run and reports the writer's commits meanwhile,
// and how many of the posts were charged together with others of their
// transaction (combined/op, cdr_combine.go).
func reportCDRBatches(b *testing.B, dbs []*sqlstore.DB, run func()) {
	before := dbs[0].WriterStats()
	benchtest.ReportBatches(b, dbs, false, run)
	d := dbs[0].WriterStats().Sub(before)
	b.ReportMetric(float64(d.Combined)/float64(b.N), "combined/op")
}

// ledgerBenchRun0 runs run and reports the writer's commits meanwhile.
func ledgerBenchRun0(b *testing.B, e *ledgerBenchEnv, run func()) {
	benchtest.ReportBatches(b, []*sqlstore.DB{e.DB}, false, run)
}
