package sqlstore

import (
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/partnerd/partnerd"
)

// The ledger verify checks of calls (API.md §5): every charge has its
// reason, and reservations hold exactly what they say for no longer than
// they may.

// verifyChargeReasons finds a charge without its reason: a customer debit
// that is neither a call with its CDR nor a number rental (I10 checks
// that one's period), a call transaction whose CDR (the one its reference
// names) does not name it or says it charged another amount, a CDR that
// names a transaction other than its call's charge (so no two CDRs name
// one), or a CDR that says it charged money with no transaction. A call
// charge's CDR is found through its reference, the call_uuid, which is
// unique (cdrs carry no index by transaction, migration 00022).
func verifyChargeReasons(tx *readTx) (string, error) {
	var id, kind string
	// Every failing one found before the first is taken: see
	// verifyTransactions.
	err := tx.QueryRow(`WITH bad AS MATERIALIZED (
			SELECT t.seq, t.id, t.kind FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.transaction_id
			WHERE e.wallet_kind = 'customer' AND e.type = 'debit' AND t.kind NOT IN ('call', 'number_rental'))
		SELECT id, kind FROM bad ORDER BY seq LIMIT 1`).Scan(&id, &kind)
	if err == nil {
		return fmt.Sprintf("transaction %s (%s) charges a customer for neither a call nor a number", id, kind), nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", err
	}
	var charged int64
	var named bool
	// Summed per transaction first, and every failing one found before the
	// first is taken: see verifyTransactions.
	err = tx.QueryRow(`WITH bad AS MATERIALIZED (
			SELECT t.seq, t.id, COALESCE(e.charged, 0) AS charged, COALESCE(c.transaction_id = t.id, false) AS named
			FROM ledger_transactions t LEFT JOIN cdrs c ON c.call_uuid = t.reference
				LEFT JOIN (SELECT transaction_id, -SUM(amount) AS charged FROM ledger_entries
					WHERE wallet_kind = 'customer' GROUP BY transaction_id) e ON e.transaction_id = t.id
			WHERE t.kind = 'call'
				AND (COALESCE(c.transaction_id = t.id, false) = false OR COALESCE(e.charged, 0) <> c.cost - c.unbilled_amount))
		SELECT id, charged, named FROM bad ORDER BY seq LIMIT 1`).Scan(&id, &charged, &named)
	if err == nil {
		if !named {
			return fmt.Sprintf("call transaction %s is named by 0 CDRs, not one (its reference's)", id), nil
		}
		return fmt.Sprintf("call transaction %s charged %d minor units, not what its CDR says it charged", id, charged), nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", err
	}
	var callUUID string
	err = tx.QueryRow(`SELECT c.call_uuid, c.transaction_id FROM cdrs c WHERE c.transaction_id IS NOT NULL
			AND NOT EXISTS (SELECT 1 FROM ledger_transactions t
				WHERE t.id = c.transaction_id AND t.kind = 'call' AND t.reference = c.call_uuid)
		ORDER BY c.seq LIMIT 1`).Scan(&callUUID, &id)
	if err == nil {
		return fmt.Sprintf("CDR %s names transaction %s, which is not its call's charge", callUUID, id), nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", err
	}
	err = tx.QueryRow(`SELECT call_uuid FROM cdrs WHERE (cost > unbilled_amount) <> (transaction_id IS NOT NULL)
		ORDER BY seq LIMIT 1`).Scan(&callUUID)
	if err == nil {
		return fmt.Sprintf("CDR %s: its charge and its transaction disagree (a charge without a transaction, or the reverse)", callUUID), nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", err
	}
	// On PostgreSQL cdrs carry no foreign keys (migration 00022).
	var account, partner string
	err = tx.QueryRow(`SELECT c.call_uuid, c.account_auth_id, c.partner_id FROM cdrs c
		WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.auth_id = c.account_auth_id AND a.partner_id = c.partner_id)
		ORDER BY c.seq LIMIT 1`).Scan(&callUUID, &account, &partner)
	if err == nil {
		return fmt.Sprintf("CDR %s names account %s, which is not a customer of its partner %s", callUUID, account, partner), nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", err
	}
	return "", nil
}

// verifyReserved finds a wallet whose reserved money is not the sum of
// its calls' open reservations.
func verifyReserved(tx *readTx) (string, error) {
	var id string
	var reserved, open int64
	err := tx.QueryRow(`SELECT w.id, w.reserved, COALESCE(r.total, 0) FROM wallets w
		LEFT JOIN (SELECT account_auth_id, SUM(amount) AS total FROM authorizations
			WHERE released_at IS NULL AND amount > 0 GROUP BY account_auth_id) r ON r.account_auth_id = w.id
		WHERE w.reserved <> COALESCE(r.total, 0) ORDER BY w.id LIMIT 1`).Scan(&id, &reserved, &open)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("wallet %s has %d minor units reserved but its open reservations hold %d", id, reserved, open), nil
}

// verifyReservedHeld finds a wallet that reserves more than it holds:
// authorize reserves only available money and every debit takes at most
// what is available, so reservations are always covered.
func verifyReservedHeld(tx *readTx) (string, error) {
	var id string
	var balance, reserved int64
	err := tx.QueryRow(`SELECT id, balance, reserved FROM wallets WHERE kind <> 'system' AND reserved > balance ORDER BY id LIMIT 1`).
		Scan(&id, &balance, &reserved)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("wallet %s reserves %d minor units but holds %d", id, reserved, balance), nil
}

// reservationSlack is how long past its expiry plus one sweep interval a
// reservation may still be open: the time a sweep takes.
const reservationSlack = 10 * time.Second

// verifyExpiries finds a reservation that outlived its expiry by more than
// one sweep. now is the verifier's clock.
func verifyExpiries(now time.Time) func(tx *readTx) (string, error) {
	return func(tx *readTx) (string, error) {
		var callUUID string
		var expires int64
		limit := now.Add(-partnerd.ReservationSweepInterval - reservationSlack).Unix()
		err := tx.QueryRow(`SELECT call_uuid, expires_at FROM authorizations
			WHERE released_at IS NULL AND amount > 0 AND expires_at < ? ORDER BY expires_at LIMIT 1`, limit).
			Scan(&callUUID, &expires)
		if errors.Is(err, sql.ErrNoRows) {
			return "", nil
		}
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("the reservation of call %s expired at %s and still holds money (no server has swept it: start one, or run partnerd billing run)",
			callUUID, time.Unix(expires, 0).UTC().Format(time.RFC3339)), nil
	}
}
