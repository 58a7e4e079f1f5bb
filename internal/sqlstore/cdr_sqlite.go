package sqlstore

import (
	"fmt"
	"slices"

	"github.com/partnerd/partnerd"
)

// Combined CDR writes for SQLite: the one writer changes nothing else
// while a batch runs, so its charges' balances are computed in Go and
// the batch's ledger rows, wallet sums and call records are written at
// its end in multi-row statements, a few per table instead of one or two
// per record (measured: the statements' own cost, not SQLite's work,
// was most of the writer's time per record). Each says OR FAIL: without
// a statement journal (migration 00027), since a failure rolls back the
// whole batch, or the request's savepoint, never the statement alone.

// flushSQLite writes the batch's deferred charges (their ledger
// transactions and entries, then each wallet's sum, guarded as post's
// debit is) and its call records.
func (b *cdrBatch) flushSQLite(tx *txn, now int64) error {
	if len(b.charges) > 0 {
		// The usage wallets' entries follow their rows' balances, which
		// hold every charge of the batch written so far (post's).
		usage := make(map[string]int64)
		sums := make(map[string]*walletSum)
		txArgs := make([]any, 0, 8*len(b.charges))
		entryArgs := make([]any, 0, 2*9*len(b.charges))
		for _, c := range b.charges {
			before, ok := usage[c.usageID]
			if !ok {
				if err := tx.queryRow(readBalance, c.usageID).Scan(&before); err != nil {
					return fmt.Errorf("usage wallet %s: %w", c.usageID, err)
				}
			}
			usage[c.usageID] = before + c.amount
			pid := c.partnerID
			txArgs = append(txArgs, c.txID, c.partnerID, "call", c.description, partnerd.InitiatedBySystem, c.reference, nil, now)
			entryArgs = append(entryArgs,
				c.txID, c.authID, &pid, "customer", partnerd.TxDebit, -c.amount, c.after+c.amount, c.after, now,
				c.txID, c.usageID, nil, "system", partnerd.TxDebit, c.amount, before, before+c.amount, now)
			addSum(sums, c.authID, -c.amount)
			addSum(sums, c.usageID, c.amount)
		}
		if _, err := tx.execRows(`INSERT OR FAIL INTO ledger_transactions (id, partner_id, kind, description, initiated_by, reference,
			idempotency_key, created_at)`, 8, "", txArgs); err != nil {
			return fmt.Errorf("call charges: %w", err)
		}
		if _, err := tx.execRows(`INSERT OR FAIL INTO ledger_entries (transaction_id, wallet_id, partner_id, wallet_kind, type, amount,
			balance_before, balance_after, created_at)`, 9, "", entryArgs); err != nil {
			return fmt.Errorf("call charges' entries: %w", err)
		}
		ids := make([]string, 0, len(sums))
		for id := range sums {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		args := make([]any, 0, 4*len(ids))
		for _, id := range ids {
			args = append(args, id, sums[id].amount, sums[id].n, now)
		}
		// column1..4 are the VALUES' wallet, sum, count of entries and
		// time; the guard is post's debit's, for the sum.
		k, err := tx.execRows(`UPDATE OR FAIL wallets SET balance = balance + v.column2, updated_at = v.column4,
			entry_count = entry_count + v.column3 FROM (`, 4,
			`) AS v WHERE wallets.id = v.column1 AND (wallets.kind = 'system' OR wallets.balance - wallets.reserved + v.column2 >= 0)`,
			args)
		if err != nil {
			return fmt.Errorf("call charges' wallets: %w", err)
		}
		if k != int64(len(ids)) {
			return fmt.Errorf("call charges' wallets: %d of %d updated", k, len(ids))
		}
	}
	if len(b.rows) == 0 {
		return nil
	}
	args := make([]any, 0, 22*len(b.rows))
	for _, r := range b.rows {
		in := r.in
		var answer *int64
		if in.AnswerTime != nil {
			t := in.AnswerTime.Unix()
			answer = &t
		}
		args = append(args, in.CallUUID, r.partnerID, r.authID, in.Direction, in.FromNumber, in.ToNumber,
			in.StartTime.Unix(), answer, in.EndTime.Unix(), in.DurationSeconds, in.Billsec, in.HangupCause, in.SIPResponseCode,
			in.TrunkID, in.Context, r.prefix, r.perMinute, r.cost, r.unbill, r.currency, r.txID, now)
	}
	if _, err := tx.execRows(`INSERT OR FAIL INTO cdrs (call_uuid, partner_id, account_auth_id, direction, from_number, to_number,
			start_time, answer_time, end_time, duration_seconds, billsec, hangup_cause, sip_response_code, trunk_id, context,
			prefix, rate_per_minute, cost, unbilled_amount, currency, transaction_id, created_at)`, 22, "", args); err != nil {
		return fmt.Errorf("call records: %w", err)
	}
	return nil
}

// addSum adds one entry of amount to what the batch owes wallet id.
func addSum(sums map[string]*walletSum, id string, amount int64) {
	s := sums[id]
	if s == nil {
		s = &walletSum{}
		sums[id] = s
	}
	s.amount += amount
	s.n++
}
