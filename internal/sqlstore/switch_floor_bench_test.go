package sqlstore_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/benchtest"
)

// BenchmarkB7Floor250 and BenchmarkB7Floor1000 write the rows that B7
// stores for each call, and nothing else, straight into the writer's
// transactions on the same database: the call record (its table, its
// indexes and the trigger the schema has on it), its ledger transaction,
// its two entries and the wallets' sums, in the same multi-row statements
// as the store's, 250 calls per commit (B7's commits hold 240-260) or
// 1,000 (a switch posting 1,000 per request). No rating, no reads, no
// usage counts, no search index: the least work any store could do for
// B7's calls on this schema, which B7's CDRs/s can be read against. Call
// ids are random, as B7CDRIngest100CallIDs's.
func BenchmarkB7Floor250(b *testing.B)  { benchB7Floor(b, 250) }
func BenchmarkB7Floor1000(b *testing.B) { benchB7Floor(b, 1000) }

func benchB7Floor(b *testing.B, calls int) {
	s := switchBench(b)
	ctx := context.Background()
	const usage = "usage:INR"
	// The balances, read once: nothing else writes while the benchmark runs.
	balances := make(map[string]int64)
	wallets := append([]string{usage}, s.Customers...)
	for _, id := range wallets {
		var bal int64
		if err := s.DB.ReadDB().QueryRowContext(ctx, `SELECT balance FROM wallets WHERE id = ?`, id).Scan(&bal); err != nil {
			b.Fatalf("wallet %s: %v", id, err)
		}
		balances[id] = bal
	}
	row := func(n int) string { return "(" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")" }
	rows := func(width, n int) string { return strings.TrimSuffix(strings.Repeat(row(width)+", ", n), ", ") }
	insertTx := `INSERT OR FAIL INTO ledger_transactions (id, partner_id, kind, description, initiated_by, reference,
		idempotency_key, created_at) VALUES ` + rows(8, calls)
	insertEntries := `INSERT OR FAIL INTO ledger_entries (transaction_id, wallet_id, partner_id, wallet_kind, type, amount,
		balance_before, balance_after, created_at) VALUES ` + rows(9, 2*calls)
	insertCDRs := `INSERT OR FAIL INTO cdrs (call_uuid, partner_id, account_auth_id, direction, from_number, to_number,
		start_time, answer_time, end_time, duration_seconds, billsec, hangup_cause, sip_response_code, trunk_id, context,
		prefix, rate_per_minute, cost, unbilled_amount, currency, transaction_id, created_at) VALUES ` + rows(22, calls)
	s.RandomCallIDs = true
	defer func() { s.RandomCallIDs = false }()
	run := fmt.Sprintf("floor-%d", switchBenchRun.Add(1))
	start := time.Now()
	benchtest.RunConcurrent(b, 1, func(op int) error {
		now := time.Now()
		ts := now.Unix()
		txArgs := make([]any, 0, 8*calls)
		entryArgs := make([]any, 0, 18*calls)
		cdrArgs := make([]any, 0, 22*calls)
		sums, entries := make(map[string]int64), make(map[string]int)
		for _, in := range s.CDRs(run, op, calls) {
			const cost = 300
			acct := *in.AccountAuthID
			id := partnerd.NewTransactionID(now)
			txArgs = append(txArgs, id, s.PartnerID, "call", "Outbound call to "+in.ToNumber, partnerd.InitiatedBySystem,
				in.CallUUID, nil, ts)
			before, used := balances[acct], balances[usage]
			balances[acct], balances[usage] = before-cost, used+cost
			entryArgs = append(entryArgs,
				id, acct, s.PartnerID, "customer", partnerd.TxDebit, -cost, before, before-cost, ts,
				id, usage, nil, "system", partnerd.TxDebit, cost, used, used+cost, ts)
			sums[acct] -= cost
			sums[usage] += cost
			entries[acct]++
			entries[usage]++
			answer := in.AnswerTime.Unix()
			cdrArgs = append(cdrArgs, in.CallUUID, s.PartnerID, acct, in.Direction, in.FromNumber, in.ToNumber,
				in.StartTime.Unix(), answer, in.EndTime.Unix(), in.DurationSeconds, in.Billsec, nil, nil, nil, nil,
				"9180", 3000, cost, 0, "INR", id, ts)
		}
		ids := make([]string, 0, len(sums))
		for id := range sums {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		sumArgs := make([]any, 0, 4*len(ids))
		for _, id := range ids {
			sumArgs = append(sumArgs, id, sums[id], entries[id], ts)
		}
		return s.DB.UpdateExec(ctx, func(exec func(string, ...any) error) error {
			if err := exec(insertTx, txArgs...); err != nil {
				return err
			}
			if err := exec(insertEntries, entryArgs...); err != nil {
				return err
			}
			if err := exec(`UPDATE OR FAIL wallets SET balance = balance + v.column2, updated_at = v.column4,
				entry_count = entry_count + v.column3 FROM (VALUES `+rows(4, len(ids))+`) AS v WHERE wallets.id = v.column1`,
				sumArgs...); err != nil {
				return err
			}
			return exec(insertCDRs, cdrArgs...)
		})
	})
	b.ReportMetric(float64(b.N*calls)/time.Since(start).Seconds(), "cdrs/s")
}
