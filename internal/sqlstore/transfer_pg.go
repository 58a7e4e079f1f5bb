package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/partnerd/partnerd"
)

// Combined moves for PostgreSQL: the transfers and withdrawals of one
// writer batch go in one statement per direction (see batchOp).

// moveCombiner applies a batch's moveOps: transfers first, then
// withdrawals, one statement each.
type moveCombiner struct{}

func (moveCombiner) combine(ctx context.Context, q queryer, ops []batchOp) error {
	var transfers, withdrawals []*moveOp
	for _, b := range ops {
		m := b.(*moveOp)
		if m.withdraw {
			withdrawals = append(withdrawals, m)
		} else {
			transfers = append(transfers, m)
		}
	}
	if err := applyMany(ctx, q, transferManyPG, transfers); err != nil {
		return err
	}
	return applyMany(ctx, q, withdrawManyPG, withdrawals)
}

// applyMany runs one combined statement over moves of one direction and
// marks those it applied.
func applyMany(ctx context.Context, q queryer, query string, ops []*moveOp) error {
	if len(ops) == 0 {
		return nil
	}
	n := len(ops)
	authIDs, partnerIDs, txIDs := make([]string, n), make([]string, n), make([]string, n)
	amounts, createdAt := make([]int64, n), make([]int64, n)
	descriptions, keys := make([]*string, n), make([]*string, n)
	for i, m := range ops {
		authIDs[i], partnerIDs[i], txIDs[i] = m.in.AuthID, m.partnerID, m.t.TransactionID
		amounts[i], createdAt[i] = m.in.Amount, m.t.Timestamp.Unix()
		descriptions[i], keys[i] = m.in.Description, m.idemKey
	}
	rows, err := q.QueryContext(ctx, query,
		authIDs, partnerIDs, amounts, txIDs, descriptions, keys, createdAt)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var ord int
		var partnerAfter, customerAfter sql.NullInt64
		var currency sql.NullString
		var guard sql.NullInt64 // always NULL: see transferManyPG
		if err := rows.Scan(&ord, &partnerAfter, &customerAfter, &currency, &guard); err != nil {
			return err
		}
		if ord < 1 || ord > n || ops[ord-1].applied {
			return fmt.Errorf("combined moves: unexpected position %d of %d", ord, n)
		}
		m := ops[ord-1]
		if !partnerAfter.Valid || !customerAfter.Valid || !currency.Valid {
			// Returning an error rolls the statement's effects back.
			return fmt.Errorf("%s half-applied (one wallet not moved); refused", m.t.TransactionID)
		}
		m.applied, m.partnerAfter, m.customerAfter, m.currency = true, partnerAfter.Int64, customerAfter.Int64, currency.String
	}
	return rows.Err()
}

// manyMovesPG begins transferManyPG and withdrawManyPG: the requested
// moves, one array element each (customer auth_id, partner id, amount,
// transaction id, description, idempotency key, created_at), numbered from
// 1 in array order (req), and those whose customer is the partner's own
// and movable (ok). Amounts were validated before the moves were queued.
const manyMovesPG = `WITH req AS (
	SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::bigint[])
		WITH ORDINALITY AS r(auth_id, partner_id, amount, tx_id, description, idem_key, created_at, ord)
), ok AS (
	SELECT req.* FROM req JOIN accounts a ON a.auth_id = req.auth_id AND a.partner_id = req.partner_id
	WHERE ` + movableAccount + `
)`

// movesLedgerRowsPG ends the CTEs of transferManyPG and withdrawManyPG,
// closing the one before: for every applied move (done, with p_after and
// c_after), a ledger transaction of kind and its two entries, the partner's of partnerType
// and the customer's of customerType, the partner's signed by partnerSign
// ("-" or "") and the customer's by the opposite: those of (*DB).post.
func movesLedgerRowsPG(kind, partnerType, customerType, partnerSign string) string {
	customerSign := "-"
	if partnerSign == "-" {
		customerSign = ""
	}
	return fmt.Sprintf(`), t AS (
	INSERT INTO ledger_transactions (id, partner_id, kind, description, initiated_by, idempotency_key, created_at)
	SELECT tx_id, partner_id, '%s', description, partner_id, idem_key, created_at FROM done ORDER BY ord
), e AS (
	INSERT INTO ledger_entries (transaction_id, wallet_id, partner_id, wallet_kind, type, amount,
		balance_before, balance_after, created_at)
	SELECT tx_id, wallet_id, partner_id, kind, typ, amount, after - amount, after, created_at FROM (
		SELECT ord, 0 AS side, tx_id, partner_id AS wallet_id, partner_id, 'partner' AS kind, '%s' AS typ,
			%samount AS amount, p_after AS after, created_at FROM done
		UNION ALL
		SELECT ord, 1, tx_id, auth_id, partner_id, 'customer', '%s', %samount, c_after, created_at FROM done
	) x ORDER BY ord, side
)`, kind, partnerType, partnerSign, customerType, customerSign)
}

// transferManyPG applies many partner→customer transfers in one
// statement, for PostgreSQL, where each statement is a network round trip
// made while the partner's row is locked: the writer sends its whole
// batch's transfers at once. Arguments, one array element per transfer:
// customer auth_id, partner id, amount, transaction id, description,
// idempotency key, created_at.
//
// Each partner's wallet is debited once by the sum of its transfers whose
// customer is its own and movable, and only if it holds that sum (the
// guard is re-checked on the locked row); each customer's wallet is then
// credited by the sum it receives. A partner whose sum it cannot cover
// changes nothing: its transfers are left to the writer's one-by-one path,
// which names each refusal. The ledger rows are those of (*DB).post, one
// transaction per transfer, with each wallet's balance_before/after chain
// following the array order. It returns, for every transfer it applied,
// its position (from 1) and the two balances after it. A transfer that
// would be half-applied (a debit without its credit) makes the statement
// fail, so it is all or nothing also when it commits on its own.
var transferManyPG = manyMovesPG + `, ptot AS (
	SELECT partner_id, SUM(amount)::bigint AS total, COUNT(*) AS n, MAX(created_at) AS at FROM ok GROUP BY partner_id
), p AS (
	UPDATE wallets w SET balance = w.balance - ptot.total, updated_at = ptot.at, entry_count = w.entry_count + ptot.n
	FROM ptot WHERE w.id = ptot.partner_id AND w.kind = 'partner' AND w.balance - w.reserved >= ptot.total
	RETURNING w.id, w.balance + ptot.total AS before
), app AS (
	SELECT ok.*, p.before - SUM(ok.amount) OVER (PARTITION BY ok.partner_id ORDER BY ok.ord)::bigint AS p_after,
		SUM(ok.amount) OVER (PARTITION BY ok.auth_id ORDER BY ok.ord)::bigint AS c_cum
	FROM ok JOIN p ON p.id = ok.partner_id
), ctot AS (
	SELECT auth_id, SUM(amount)::bigint AS total, COUNT(*) AS n, MAX(created_at) AS at FROM app GROUP BY auth_id
), c AS (
	UPDATE wallets w SET balance = w.balance + ctot.total, updated_at = ctot.at, entry_count = w.entry_count + ctot.n
	FROM ctot WHERE w.id = ctot.auth_id AND w.kind = 'customer'
	RETURNING w.id, w.balance - ctot.total AS before, w.currency
), done AS (
	SELECT app.*, c.before + app.c_cum AS c_after, c.currency FROM app JOIN c ON c.id = app.auth_id
` + movesLedgerRowsPG("transfer", partnerd.TxTransferOut, partnerd.TxRecharge, "-") + `
SELECT app.ord, done.p_after, done.c_after, done.currency,
	-- A partner debited for a customer not credited fails the statement
	-- (the cast cannot succeed), which undoes all of it, even outside an
	-- explicit transaction.
	CASE WHEN done.ord IS NULL THEN ('half-applied transfer refused: ' || app.tx_id)::int END
FROM app LEFT JOIN done ON done.ord = app.ord`

// withdrawManyPG applies many customer→partner withdrawals in one
// statement, with transferManyPG's arguments and results. Each customer's
// wallet is debited once by the sum of its withdrawals, only if its
// available balance (balance - reserved, re-checked on the locked row, so
// a reservation another instance committed meanwhile counts) holds that
// sum; each partner's wallet is then credited once. The partners'
// wallets are locked first (plock), before any customer's, in the order
// every other write takes them. The ledger rows are those of (*DB).post for
// a withdrawal.
var withdrawManyPG = manyMovesPG + `, plock AS (
	SELECT id FROM wallets WHERE id IN (SELECT partner_id FROM ok) AND kind = 'partner' ORDER BY id FOR NO KEY UPDATE
), ctot AS (
	SELECT auth_id, SUM(amount)::bigint AS total, COUNT(*) AS n, MAX(created_at) AS at FROM ok GROUP BY auth_id
), c AS (
	UPDATE wallets w SET balance = w.balance - ctot.total, updated_at = ctot.at, entry_count = w.entry_count + ctot.n
	FROM ctot WHERE w.id = ctot.auth_id AND w.kind = 'customer' AND w.balance - w.reserved >= ctot.total
		AND (SELECT COUNT(*) FROM plock) >= 0
	RETURNING w.id, w.balance + ctot.total AS before, w.currency
), app AS (
	SELECT ok.*, c.before - SUM(ok.amount) OVER (PARTITION BY ok.auth_id ORDER BY ok.ord)::bigint AS c_after, c.currency
	FROM ok JOIN c ON c.id = ok.auth_id
), ptot AS (
	SELECT partner_id, SUM(amount)::bigint AS total, COUNT(*) AS n, MAX(created_at) AS at FROM app GROUP BY partner_id
), p AS (
	UPDATE wallets w SET balance = w.balance + ptot.total, updated_at = ptot.at, entry_count = w.entry_count + ptot.n
	FROM ptot WHERE w.id = ptot.partner_id AND w.kind = 'partner'
	RETURNING w.id, w.balance - ptot.total AS before
), done AS (
	SELECT app.*, p.before + SUM(app.amount) OVER (PARTITION BY app.partner_id ORDER BY app.ord)::bigint AS p_after
	FROM app JOIN p ON p.id = app.partner_id
` + movesLedgerRowsPG("withdrawal", partnerd.TxTransferIn, partnerd.TxWithdrawal, "") + `
SELECT app.ord, done.p_after, app.c_after, app.currency,
	-- As in transferManyPG: a customer debited without its partner's credit
	-- fails the statement.
	CASE WHEN done.ord IS NULL THEN ('half-applied withdrawal refused: ' || app.tx_id)::int END
FROM app LEFT JOIN done ON done.ord = app.ord`
