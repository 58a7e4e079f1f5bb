package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/partnerd/partnerd"
)

// VerifyLedger checks every ledger invariant in one consistent snapshot,
// printing each check to out. It returns an error naming the first wallet
// or transaction that breaks one.
func (db *DB) VerifyLedger(ctx context.Context, out io.Writer) (err error) {
	defer wrapErr("verify ledger", &err)
	// One read transaction: a running server may be writing, and every
	// check must see the same state.
	sqlTx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: db.dialect.snapshot})
	if err != nil {
		return err
	}
	defer sqlTx.Rollback()
	tx := &readTx{Tx: sqlTx, dialect: db.dialect}
	checks := []struct {
		name  string
		check func(*readTx) (string, error)
	}{
		// Per-transaction and per-wallet checks come first, so a failure
		// names the transaction or wallet at fault; the global sum follows.
		{"I7 every entry belongs to a recorded transaction and an existing wallet", verifyReferences},
		{"I9 every partner and account has its wallet, and every partner or customer wallet its owner", verifyOwners},
		{"I4 every transaction's entries sum to zero (two or more entries each)", verifyTransactions},
		{"I3 every wallet balance equals the sum of its entries", verifyBalances},
		{"I2 no partner or customer wallet is below zero", verifyNoNegative},
		{"I4b each wallet's entries chain: balance_before is the previous balance_after", verifyChains},
		{"I1 all ledger entries sum to zero", verifyTotalZero},
		{"I5 one idempotency key made at most one transaction", verifyIdempotency},
		{"I6 ledger tables reject UPDATE and DELETE, wallets and accounts DELETE (triggers present)", db.verifyTriggers},
		{"I8 every wallet's entry_count equals its number of entries", verifyEntryCounts},
		{"I10 every number rental charge has its number period (and so each period one charge)", verifyNumberCharges},
		{"I11 every charge has its CDR or number period, and every call's charge is what its CDR says", verifyChargeReasons},
		{"I12 every wallet's reserved money equals its calls' open reservations", verifyReserved},
		{"I13 no reservation outlives its expiry by more than one sweep", verifyExpiries(db.Now())},
		{"I14 no wallet reserves more than it holds", verifyReservedHeld},
	}
	for _, c := range checks {
		problem, err := c.check(tx)
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		if problem != "" {
			fmt.Fprintf(out, "FAIL %s: %s\n", c.name, problem)
			return fmt.Errorf("ledger invariant broken: %s: %s", c.name, problem)
		}
		fmt.Fprintf(out, "ok   %s\n", c.name)
	}
	var wallets, txns, entries int
	if err := tx.QueryRow(`SELECT (SELECT COUNT(*) FROM wallets), (SELECT COUNT(*) FROM ledger_transactions),
		(SELECT COUNT(*) FROM ledger_entries)`).Scan(&wallets, &txns, &entries); err != nil {
		return err
	}
	fmt.Fprintf(out, "checked %d wallets, %d transactions, %d entries\n", wallets, txns, entries)
	return nil
}

// verifyTotalZero sums the entries of each currency: money moves only
// between wallets of one currency, through its own system wallets.
func verifyTotalZero(tx *readTx) (string, error) {
	var sum partnerd.Money
	err := tx.QueryRow(`SELECT w.currency, SUM(e.amount) FROM ledger_entries e JOIN wallets w ON w.id = e.wallet_id
		GROUP BY w.currency HAVING SUM(e.amount) <> 0 ORDER BY w.currency LIMIT 1`).Scan(&sum.Currency, &sum.Minor)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("the %s entries sum to %s", sum.Currency, sum), nil
}

// verifyOwners finds a partner or an account without its wallet, or a
// partner or customer wallet without its owner. The triggers refuse to
// delete either (I6), so only a write around them shows here.
func verifyOwners(tx *readTx) (string, error) {
	var kind int
	var id string
	err := tx.QueryRow(`SELECT kind, id FROM (
		SELECT 0 AS kind, p.id AS id FROM partners p WHERE NOT EXISTS (SELECT 1 FROM wallets w WHERE w.id = p.id)
		UNION ALL SELECT 1, a.auth_id FROM accounts a WHERE NOT EXISTS (SELECT 1 FROM wallets w WHERE w.id = a.auth_id)
		UNION ALL SELECT 2, w.id FROM wallets w WHERE w.kind = 'partner' AND NOT EXISTS (SELECT 1 FROM partners p WHERE p.id = w.id)
		UNION ALL SELECT 3, w.id FROM wallets w WHERE w.kind = 'customer' AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.auth_id = w.id)
	) orphans ORDER BY kind, id LIMIT 1`).Scan(&kind, &id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	problems := []string{"partner %s has no wallet", "account %s has no wallet",
		"partner wallet %s has no partner", "customer wallet %s has no account"}
	return fmt.Sprintf(problems[kind], id), nil
}

// verifyReferences finds an entry whose transaction or wallet does not
// exist. SQLite's foreign keys refuse one; on PostgreSQL entries carry no
// foreign keys (migration 00006), so this is where such a row would show.
func verifyReferences(tx *readTx) (string, error) {
	var txID, walletID string
	err := tx.QueryRow(`SELECT e.transaction_id, e.wallet_id FROM ledger_entries e
		WHERE NOT EXISTS (SELECT 1 FROM ledger_transactions t WHERE t.id = e.transaction_id)
		   OR NOT EXISTS (SELECT 1 FROM wallets w WHERE w.id = e.wallet_id)
		ORDER BY e.seq LIMIT 1`).Scan(&txID, &walletID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("an entry of transaction %s on wallet %s names a transaction or wallet that does not exist", txID, walletID), nil
}

func verifyNoNegative(tx *readTx) (string, error) {
	var id string
	var bal partnerd.Money
	err := tx.QueryRow(`SELECT id, balance, currency FROM wallets WHERE kind <> 'system' AND balance < 0 ORDER BY id LIMIT 1`).
		Scan(&id, &bal.Minor, &bal.Currency)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("wallet %s has balance %s", id, bal), nil
}

func verifyBalances(tx *readTx) (string, error) {
	var id string
	var bal, sum partnerd.Money
	err := tx.QueryRow(`SELECT w.id, w.currency, w.balance, COALESCE(e.total, 0) FROM wallets w
		LEFT JOIN (SELECT wallet_id, SUM(amount) AS total FROM ledger_entries GROUP BY wallet_id) e ON e.wallet_id = w.id
		WHERE w.balance <> COALESCE(e.total, 0) ORDER BY w.id LIMIT 1`).Scan(&id, &bal.Currency, &bal.Minor, &sum.Minor)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	sum.Currency = bal.Currency
	return fmt.Sprintf("wallet %s has balance %s but its entries sum to %s", id, bal, sum), nil
}

// verifyEntryCounts finds a wallet whose maintained entry_count, which the
// logs report as their total, differs from its entries.
func verifyEntryCounts(tx *readTx) (string, error) {
	var id string
	var count, n int64
	err := tx.QueryRow(`SELECT w.id, w.entry_count, COALESCE(e.n, 0) FROM wallets w
		LEFT JOIN (SELECT wallet_id, COUNT(*) AS n FROM ledger_entries GROUP BY wallet_id) e ON e.wallet_id = w.id
		WHERE w.entry_count <> COALESCE(e.n, 0) ORDER BY w.id LIMIT 1`).Scan(&id, &count, &n)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("wallet %s has entry_count %d but %d entries", id, count, n), nil
}

func verifyTransactions(tx *readTx) (string, error) {
	var id string
	var sum partnerd.Money
	var n int
	// Entries name existing wallets (I7 ran first); a transaction without
	// entries has no currency and sums to 0 of the default one. The
	// entries are summed per transaction first, and the transactions that
	// fail are all found before the first is taken (a MATERIALIZED
	// common table expression): PostgreSQL otherwise plans for LIMIT 1
	// finding one soon, a nested loop over every entry for each
	// transaction, and a sound ledger, which has none, took hours.
	err := tx.QueryRow(`WITH bad AS MATERIALIZED (
			SELECT t.id, COALESCE(e.total, 0) AS total, COALESCE(e.n, 0) AS n, COALESCE(e.currency, ?) AS currency
			FROM ledger_transactions t LEFT JOIN (
				SELECT le.transaction_id, SUM(le.amount) AS total, COUNT(*) AS n, MIN(w.currency) AS currency
				FROM ledger_entries le LEFT JOIN wallets w ON w.id = le.wallet_id GROUP BY le.transaction_id) e
			ON e.transaction_id = t.id
			WHERE COALESCE(e.total, 0) <> 0 OR COALESCE(e.n, 0) < 2)
		SELECT id, total, n, currency FROM bad ORDER BY id LIMIT 1`, partnerd.DefaultCurrency).
		Scan(&id, &sum.Minor, &n, &sum.Currency)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("transaction %s has %d entries summing to %s", id, n, sum), nil
}

func verifyChains(tx *readTx) (string, error) {
	rows, err := tx.Query(`SELECT wallet_id, transaction_id, balance_before, balance_after FROM ledger_entries ORDER BY wallet_id, seq`)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var prevWallet string
	var prevAfter int64
	for rows.Next() {
		var w, t string
		var before, after int64
		if err := rows.Scan(&w, &t, &before, &after); err != nil {
			return "", err
		}
		if w != prevWallet {
			prevWallet, prevAfter = w, 0
		}
		if before != prevAfter {
			rows.Close()
			var currency string
			if err := tx.QueryRow(`SELECT currency FROM wallets WHERE id = ?`, w).Scan(&currency); err != nil {
				return "", err
			}
			return fmt.Sprintf("wallet %s: transaction %s starts at %s, but the previous entry ended at %s",
				w, t, partnerd.Money{Minor: before, Currency: currency}, partnerd.Money{Minor: prevAfter, Currency: currency}), nil
		}
		prevAfter = after
	}
	return "", rows.Err()
}

func verifyIdempotency(tx *readTx) (string, error) {
	// Keys are forgotten after the retention period and may then be used
	// again, so only two uses within that window break the rule.
	var partner, key, a, b string
	err := tx.QueryRow(`SELECT t1.partner_id, t1.idempotency_key, t1.id, t2.id FROM ledger_transactions t1
		JOIN ledger_transactions t2 ON t2.partner_id = t1.partner_id AND t2.idempotency_key = t1.idempotency_key
			AND t2.seq > t1.seq AND t2.created_at - t1.created_at < ?
		WHERE t1.idempotency_key IS NOT NULL LIMIT 1`, int64(partnerd.IdempotencyRetention/time.Second)).Scan(&partner, &key, &a, &b)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("partner %s key %q made transactions %s and %s", partner, key, a, b), nil
}

func (db *DB) verifyTriggers(tx *readTx) (string, error) {
	for _, name := range db.dialect.ledgerTriggers {
		var n int
		if err := tx.QueryRow(db.dialect.triggerExistsQuery, name).Scan(&n); err != nil {
			return "", err
		}
		if n == 0 {
			return fmt.Sprintf("trigger %s is missing", name), nil
		}
	}
	return "", nil
}

// readTx rebinds the portable queries of the checks for the dialect.
type readTx struct {
	*sql.Tx
	dialect dialect
}

func (t *readTx) QueryRow(query string, args ...any) *sql.Row {
	return t.Tx.QueryRow(t.dialect.rebind(query), args...)
}

func (t *readTx) Query(query string, args ...any) (*sql.Rows, error) {
	return t.Tx.Query(t.dialect.rebind(query), args...)
}
