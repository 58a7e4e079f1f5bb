package sqlstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/partnerd/partnerd/internal/benchtest"
)

// BenchmarkB7Floor250 and BenchmarkB7Floor1000 write the rows that B7
// stores for each call, and nothing else, with the CDR path's own
// statements in the writer's transactions on the same database: the call
// record (its table, its indexes and the trigger the schema has on it),
// its ledger transaction, its two entries and the wallets' sums, 250 calls
// per commit (B7's commits hold 240-260) or 1,000 (a switch posting 1,000
// per request). No rating, no reads first, no usage counts, no search
// index: the least work any store could do for B7's calls on this schema,
// which B7's CDRs/s can be read against. Call ids are random, as
// B7CDRIngest100CallIDs's.
func BenchmarkB7Floor250(b *testing.B)  { benchB7Floor(b, 250) }
func BenchmarkB7Floor1000(b *testing.B) { benchB7Floor(b, 1000) }

func benchB7Floor(b *testing.B, calls int) {
	s := switchBench(b)
	ctx := context.Background()
	const cost = 300
	// The customers' balances, read once: nothing else writes meanwhile.
	balances := make(map[string]int64)
	for _, id := range s.Customers {
		var bal int64
		if err := s.DB.ReadDB().QueryRowContext(ctx, `SELECT balance FROM wallets WHERE id = ?`, id).Scan(&bal); err != nil {
			b.Fatalf("wallet %s: %v", id, err)
		}
		balances[id] = bal
	}
	s.RandomCallIDs = true
	defer func() { s.RandomCallIDs = false }()
	run := fmt.Sprintf("floor-%d", switchBenchRun.Add(1))
	start := time.Now()
	benchtest.RunConcurrent(b, 1, func(op int) error {
		ins := s.CDRs(run, op, calls)
		afters := make([]int64, len(ins))
		for i, in := range ins {
			balances[*in.AccountAuthID] -= cost
			afters[i] = balances[*in.AccountAuthID]
		}
		return s.DB.FlushCallsForBench(ctx, s.PartnerID, "INR", ins, cost, afters)
	})
	b.ReportMetric(float64(b.N*calls)/time.Since(start).Seconds(), "cdrs/s")
}
