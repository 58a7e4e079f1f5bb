package sqlstore

import (
	"fmt"

	"github.com/partnerd/partnerd"
)

// Combined CDR writes for PostgreSQL, where each statement is a network
// round trip made while the batch holds its wallets' locks: the charges of
// the customers whose wallets the batch read and locked (cdrBatch.read),
// and every call record, are written at the end of the batch in two
// statements instead of five per record.

// cdrCharge is one call's ledger transaction, to be written by flush: the
// customer's wallet debited by amount down to after (computed in order on
// the locked wallet), the usage wallet credited.
type cdrCharge struct {
	txID, partnerID, description, reference, authID, usageID string
	amount, after                                            int64
}

// cdrRow is one call record to be inserted by flush.
type cdrRow struct {
	in                      *partnerd.CDRInput
	partnerID, authID       string
	prefix, currency        string
	perMinute, cost, unbill int64
	txID                    *string
}

// flushPG writes the deferred charges and records.
func (b *cdrBatch) flushPG(tx *txn, now int64) error {
	if len(b.charges) > 0 {
		n := len(b.charges)
		txIDs, partners, descs, refs := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		auths, usages, amounts, afters := make([]string, n), make([]string, n), make([]int64, n), make([]int64, n)
		custs, wallets := map[string]bool{}, map[string]bool{}
		for i, c := range b.charges {
			txIDs[i], partners[i], descs[i], refs[i] = c.txID, c.partnerID, c.description, c.reference
			auths[i], usages[i], amounts[i], afters[i] = c.authID, c.usageID, c.amount, c.after
			custs[c.authID], wallets[c.usageID] = true, true
		}
		var nc, nu int
		if err := tx.QueryRowContext(tx.ctx, chargeManyPG, txIDs, partners, descs, refs, auths, usages, amounts, afters,
			now, partnerd.InitiatedBySystem, partnerd.TxDebit).Scan(&nc, &nu); err != nil {
			return fmt.Errorf("combined call charges: %w", err)
		}
		if nc != len(custs) || nu != len(wallets) {
			return fmt.Errorf("combined call charges: %d of %d customers and %d of %d usage wallets moved",
				nc, len(custs), nu, len(wallets))
		}
	}
	if len(b.rows) == 0 {
		return nil
	}
	n := len(b.rows)
	var (
		calls, partners, auths, dirs, froms, tos = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		starts, answers, ends, durs, bills       = make([]int64, n), make([]*int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		causes, trunks, contexts                 = make([]*string, n), make([]*string, n), make([]*string, n)
		sipCodes                                 = make([]*int64, n)
		prefixes, currencies                     = make([]string, n), make([]string, n)
		perMinutes, costs, unbilled              = make([]int64, n), make([]int64, n), make([]int64, n)
		txIDs                                    = make([]*string, n)
	)
	for i, r := range b.rows {
		in := r.in
		calls[i], partners[i], auths[i], dirs[i], froms[i], tos[i] = in.CallUUID, r.partnerID, r.authID, in.Direction, in.FromNumber, in.ToNumber
		starts[i], ends[i], durs[i], bills[i] = in.StartTime.Unix(), in.EndTime.Unix(), int64(in.DurationSeconds), int64(in.Billsec)
		if in.AnswerTime != nil {
			t := in.AnswerTime.Unix()
			answers[i] = &t
		}
		if in.SIPResponseCode != nil {
			c := int64(*in.SIPResponseCode)
			sipCodes[i] = &c
		}
		causes[i], trunks[i], contexts[i] = in.HangupCause, in.TrunkID, in.Context
		prefixes[i], currencies[i], perMinutes[i], costs[i], unbilled[i], txIDs[i] = r.prefix, r.currency, r.perMinute, r.cost, r.unbill, r.txID
	}
	_, err := tx.ExecContext(tx.ctx, insertCDRsPG, calls, partners, auths, dirs, froms, tos, starts, answers, ends, durs, bills,
		causes, sipCodes, trunks, contexts, prefixes, perMinutes, costs, unbilled, currencies, txIDs, now)
	if err != nil {
		return fmt.Errorf("combined call records: %w", err)
	}
	return nil
}

// chargeManyPG writes many calls' ledger transactions (kind 'call', one
// per call, in array order): each customer's wallet is debited once by its
// calls' sum, guarded (the customer's balance was read on the locked row,
// and after, the balance after each call, computed from it in order), and
// each usage wallet credited once, its entries' balances following the
// array order from the balance the update found. It returns how many
// customer and usage wallets it moved.
const chargeManyPG = `WITH req AS (
	SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[])
		WITH ORDINALITY AS r(tx_id, partner_id, description, reference, auth_id, usage_id, amount, c_after, ord)
), t AS (
	INSERT INTO ledger_transactions (id, partner_id, kind, description, initiated_by, reference, created_at)
	SELECT tx_id, partner_id, 'call', description, $10, reference, $9 FROM req ORDER BY ord
), ctot AS (
	SELECT auth_id, SUM(amount)::bigint AS total, COUNT(*) AS n FROM req GROUP BY auth_id
), c AS (
	UPDATE wallets w SET balance = w.balance - ctot.total, updated_at = $9, entry_count = w.entry_count + ctot.n
	FROM ctot WHERE w.id = ctot.auth_id AND w.kind = 'customer' AND w.balance - w.reserved >= ctot.total
	RETURNING w.id
), utot AS (
	SELECT usage_id, SUM(amount)::bigint AS total, COUNT(*) AS n FROM req GROUP BY usage_id
), u AS (
	UPDATE wallets w SET balance = w.balance + utot.total, updated_at = $9, entry_count = w.entry_count + utot.n
	FROM utot WHERE w.id = utot.usage_id AND w.kind = 'system'
	RETURNING w.id, w.balance - utot.total AS before
), e AS (
	INSERT INTO ledger_entries (transaction_id, wallet_id, partner_id, wallet_kind, type, amount,
		balance_before, balance_after, created_at)
	SELECT tx_id, wallet_id, partner_id, kind, $11, amount, after - amount, after, $9 FROM (
		SELECT ord, 0 AS side, tx_id, auth_id AS wallet_id, partner_id, 'customer' AS kind, -amount AS amount, c_after AS after
		FROM req
		UNION ALL
		SELECT req.ord, 1, req.tx_id, req.usage_id, NULL, 'system', req.amount,
			u.before + SUM(req.amount) OVER (PARTITION BY req.usage_id ORDER BY req.ord)::bigint
		FROM req JOIN u ON u.id = req.usage_id
	) x ORDER BY ord, side
)
SELECT (SELECT COUNT(*) FROM c), (SELECT COUNT(*) FROM u)`

// insertCDRsPG inserts many call records, in array order.
const insertCDRsPG = `INSERT INTO cdrs (call_uuid, partner_id, account_auth_id, direction, from_number, to_number,
		start_time, answer_time, end_time, duration_seconds, billsec, hangup_cause, sip_response_code, trunk_id, context,
		prefix, rate_per_minute, cost, unbilled_amount, currency, transaction_id, created_at)
	SELECT call_uuid, partner_id, account_auth_id, direction, from_number, to_number,
		start_time, answer_time, end_time, duration_seconds, billsec, hangup_cause, sip_response_code, trunk_id, context,
		prefix, rate_per_minute, cost, unbilled_amount, currency, transaction_id, $22
	FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[],
		$9::bigint[], $10::bigint[], $11::bigint[], $12::text[], $13::bigint[], $14::text[], $15::text[], $16::text[],
		$17::bigint[], $18::bigint[], $19::bigint[], $20::text[], $21::text[])
		WITH ORDINALITY AS r(call_uuid, partner_id, account_auth_id, direction, from_number, to_number,
		start_time, answer_time, end_time, duration_seconds, billsec, hangup_cause, sip_response_code, trunk_id, context,
		prefix, rate_per_minute, cost, unbilled_amount, currency, transaction_id, ord)
	ORDER BY ord`
