package sqlstore

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"net"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// dialect holds the few places where SQLite and PostgreSQL differ. Every
// query elsewhere is written once, with ? placeholders.
type dialect struct {
	name  string
	goose goose.Dialect
	// migrations is the directory of embedded migrations.
	migrations string
	// dollarParams rewrites ? placeholders to $1, $2, … (PostgreSQL).
	dollarParams bool
	// prepareInTx prepares each statement once per write transaction and
	// reuses it across the batch. pgx caches prepared statements per
	// connection by itself, so PostgreSQL does not need it.
	prepareInTx bool
	// triggerExistsQuery counts the triggers named ?.
	triggerExistsQuery string
	// ledgerTriggers are the triggers that make the ledger append-only.
	ledgerTriggers []string
	// lockPartners serializes first-start partner creation across
	// processes; SQLite's write lock already does.
	lockPartners string
	// overridingIdentity lets an INSERT set a generated sequence column,
	// and resetIdentity (a format of table, table) moves the sequence past
	// the copied rows.
	overridingIdentity string
	resetIdentity      string
	// transferMany, if set, applies the partner→customer transfers of a
	// writer's batch in one statement (one round trip): see transferManyPG.
	transferMany string
	// withdrawMany, set with transferMany, does the same for
	// customer→partner withdrawals: see withdrawManyPG.
	withdrawMany string
	// lockPartnerWallets locks the wallets of the partners ($1, a sorted
	// array) whose transfers a writer's batch is about to combine.
	lockPartnerWallets string
	// snapshot is the isolation level that gives a read transaction one
	// consistent view (SQLite's transactions always do).
	snapshot sql.IsolationLevel
	// search returns the WHERE clause (on accounts a) and arguments that
	// match a search term.
	search func(term string) (string, []any)
}

var sqliteDialect = dialect{
	name:               "sqlite",
	goose:              goose.DialectSQLite3,
	migrations:         "migrations/sqlite",
	prepareInTx:        true,
	triggerExistsQuery: `SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND name = ?`,
	ledgerTriggers: []string{"ledger_transactions_no_update", "ledger_transactions_no_delete",
		"ledger_entries_no_update", "ledger_entries_no_delete"},
	search: func(term string) (string, []any) {
		if utf8.RuneCountInString(term) >= minTrigram {
			// The FTS5 trigram index finds the rowids whose name or email
			// contains the term, case-insensitively; an exact auth_id
			// also matches.
			return `a.seq IN (SELECT rowid FROM accounts_search WHERE accounts_search MATCH ?
				UNION ALL SELECT seq FROM accounts WHERE auth_id = ?)`,
				[]any{`"` + strings.ReplaceAll(term, `"`, `""`) + `"`, term}
		}
		// Too short for trigrams: scan this partner's rows.
		return likeSearch(term)
	},
}

var postgresDialect = dialect{
	name:               "postgres",
	goose:              goose.DialectPostgres,
	migrations:         "migrations/postgres",
	dollarParams:       true,
	snapshot:           sql.LevelRepeatableRead,
	lockPartners:       `LOCK TABLE partners IN SHARE ROW EXCLUSIVE MODE`,
	transferMany:       transferManyPG,
	withdrawMany:       withdrawManyPG,
	lockPartnerWallets: `SELECT 1 FROM wallets WHERE id = ANY($1::text[]) AND kind = 'partner' ORDER BY id FOR NO KEY UPDATE`,
	overridingIdentity: `OVERRIDING SYSTEM VALUE`,
	resetIdentity:      `SELECT setval(pg_get_serial_sequence('%s', 'seq'), COALESCE((SELECT MAX(seq) FROM %s), 0) + 1, false)`,
	triggerExistsQuery: `SELECT COUNT(*) FROM pg_trigger WHERE tgname = ? AND NOT tgisinternal`,
	ledgerTriggers: []string{"ledger_transactions_no_update", "ledger_transactions_no_delete",
		"ledger_transactions_no_truncate", "ledger_entries_no_update", "ledger_entries_no_delete",
		"ledger_entries_no_truncate", "wallets_no_delete", "wallets_no_truncate", "wallets_no_new_id"},
	// pg_trgm GIN indexes on name_lower and email serve these LIKEs for
	// terms of 3+ characters; shorter ones scan the partner's rows.
	search: likeSearch,
}

// minTrigram is the shortest search term a trigram index can answer.
const minTrigram = 3

// likeSearch matches a case-insensitive substring of name or email, or an
// exact auth_id.
func likeSearch(term string) (string, []any) {
	like := "%" + escapeLike(strings.ToLower(term)) + "%"
	return `(a.name_lower LIKE ? ESCAPE '\' OR a.email LIKE ? ESCAPE '\' OR a.auth_id = ?)`, []any{like, like, term}
}

// escapeLike escapes LIKE's wildcards so the term matches literally.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// rebind rewrites the portable ? placeholders for the dialect. Queries are
// written without ? inside string literals, so a plain scan is enough.
func (d dialect) rebind(query string) string {
	if !d.dollarParams {
		return query
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

// isUniqueViolation reports whether err is a unique-constraint failure.
func isUniqueViolation(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	return false
}

// isRetryable reports whether a write failed only because of contention
// with another transaction (a deadlock victim or a serialization failure
// on PostgreSQL), so running it again may succeed.
func isRetryable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "40P01" || pe.Code == "40001"
	}
	return false
}

// isUnavailable reports whether err means the database cannot be reached
// or is locked by another process beyond the busy timeout: a 503, not a 500.
func isUnavailable(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code() & 0xff
		return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
	}
	var ne net.Error
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// Class 08: connection exceptions; 57P0x: the server is shutting down.
		return strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "57P0")
	}
	return errors.Is(err, driver.ErrBadConn) || errors.As(err, &ne) || pgconn.SafeToRetry(err)
}

// manyMovesPG begins transferManyPG and withdrawManyPG: the requested
// moves, one array element each (customer auth_id, partner id, amount,
// transaction id, description, idempotency key, created_at), numbered from
// 1 in array order (req), and those whose customer is the partner's own
// and not closed (ok).
const manyMovesPG = `WITH req AS (
	SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::bigint[])
		WITH ORDINALITY AS r(auth_id, partner_id, amount, tx_id, description, idem_key, created_at, ord)
), ok AS (
	SELECT req.* FROM req JOIN accounts a ON a.auth_id = req.auth_id AND a.partner_id = req.partner_id
	WHERE a.status <> 'closed' AND req.amount > 0
)`

// transferManyPG applies many partner→customer transfers in one
// statement, for PostgreSQL, where each statement is a network round trip
// made while the partner's row is locked: the writer sends its whole
// batch's transfers at once. Arguments, one array element per transfer:
// customer auth_id, partner id, amount, transaction id, description,
// idempotency key, created_at.
//
// Each partner's wallet is debited once by the sum of its transfers whose
// customer is its own and not closed, and only if it holds that sum (the
// guard is re-checked on the locked row); each customer's wallet is then
// credited by the sum it receives. A partner whose sum it cannot cover
// changes nothing: its transfers are left to the writer's one-by-one path,
// which names each refusal. The ledger rows are those of (*DB).post, one
// transaction per transfer, with each wallet's balance_before/after chain
// following the array order. It returns, for every transfer it applied,
// its position (from 1) and the two balances after it. A transfer that
// would be half-applied (a debit without its credit) makes the statement
// fail, so it is all or nothing also when it commits on its own.
const transferManyPG = manyMovesPG + `, ptot AS (
	SELECT partner_id, SUM(amount)::bigint AS total, MAX(created_at) AS at FROM ok GROUP BY partner_id
), p AS (
	UPDATE wallets w SET balance = w.balance - ptot.total, updated_at = ptot.at, entry_count = w.entry_count + (SELECT COUNT(*) FROM ok WHERE ok.partner_id = ptot.partner_id)
	FROM ptot WHERE w.id = ptot.partner_id AND w.kind = 'partner' AND w.balance >= ptot.total
	RETURNING w.id, w.balance + ptot.total AS before
), app AS (
	SELECT ok.*, p.before - SUM(ok.amount) OVER (PARTITION BY ok.partner_id ORDER BY ok.ord)::bigint AS p_after,
		SUM(ok.amount) OVER (PARTITION BY ok.auth_id ORDER BY ok.ord)::bigint AS c_cum
	FROM ok JOIN p ON p.id = ok.partner_id
), ctot AS (
	SELECT auth_id, SUM(amount)::bigint AS total, MAX(created_at) AS at FROM app GROUP BY auth_id
), c AS (
	UPDATE wallets w SET balance = w.balance + ctot.total, updated_at = ctot.at, entry_count = w.entry_count + (SELECT COUNT(*) FROM app WHERE app.auth_id = ctot.auth_id)
	FROM ctot WHERE w.id = ctot.auth_id AND w.kind = 'customer'
	RETURNING w.id, w.balance - ctot.total AS before, w.currency
), done AS (
	SELECT app.*, c.before + app.c_cum AS c_after, c.currency FROM app JOIN c ON c.id = app.auth_id
), t AS (
	INSERT INTO ledger_transactions (id, partner_id, kind, description, initiated_by, idempotency_key, created_at)
	SELECT tx_id, partner_id, 'transfer', description, partner_id, idem_key, created_at FROM done ORDER BY ord
), e AS (
	INSERT INTO ledger_entries (transaction_id, wallet_id, partner_id, wallet_kind, type, amount,
		balance_before, balance_after, created_at)
	SELECT tx_id, wallet_id, partner_id, kind, typ, amount, after - amount, after, created_at FROM (
		SELECT ord, 0 AS side, tx_id, partner_id AS wallet_id, partner_id, 'partner' AS kind, 'transfer_out' AS typ,
			-amount AS amount, p_after AS after, created_at FROM done
		UNION ALL
		SELECT ord, 1, tx_id, auth_id, partner_id, 'customer', 'recharge', amount, c_after, created_at FROM done
	) x ORDER BY ord, side
)
SELECT app.ord, done.p_after, done.c_after, done.currency,
	-- A partner debited for a customer not credited fails the statement
	-- (the cast cannot succeed), which undoes all of it, even outside an
	-- explicit transaction.
	CASE WHEN done.ord IS NULL THEN ('half-applied transfer refused: ' || app.tx_id)::int END
FROM app LEFT JOIN done ON done.ord = app.ord`

// withdrawManyPG applies many customer→partner withdrawals in one
// statement, with transferManyPG's arguments and results. Each customer's
// wallet is debited once by the sum of its withdrawals, only if it holds
// that sum; each partner's wallet is then credited once. The partners'
// wallets are locked first (plock), before any customer's, in the order
// every other write takes them. The ledger rows are those of (*DB).post for
// a withdrawal.
const withdrawManyPG = manyMovesPG + `, plock AS (
	SELECT id FROM wallets WHERE id IN (SELECT partner_id FROM ok) AND kind = 'partner' ORDER BY id FOR NO KEY UPDATE
), ctot AS (
	SELECT auth_id, SUM(amount)::bigint AS total, MAX(created_at) AS at FROM ok GROUP BY auth_id
), c AS (
	UPDATE wallets w SET balance = w.balance - ctot.total, updated_at = ctot.at, entry_count = w.entry_count + (SELECT COUNT(*) FROM ok WHERE ok.auth_id = ctot.auth_id)
	FROM ctot WHERE w.id = ctot.auth_id AND w.kind = 'customer' AND w.balance >= ctot.total
		AND (SELECT COUNT(*) FROM plock) >= 0
	RETURNING w.id, w.balance + ctot.total AS before, w.currency
), app AS (
	SELECT ok.*, c.before - SUM(ok.amount) OVER (PARTITION BY ok.auth_id ORDER BY ok.ord)::bigint AS c_after, c.currency
	FROM ok JOIN c ON c.id = ok.auth_id
), ptot AS (
	SELECT partner_id, SUM(amount)::bigint AS total, MAX(created_at) AS at FROM app GROUP BY partner_id
), p AS (
	UPDATE wallets w SET balance = w.balance + ptot.total, updated_at = ptot.at, entry_count = w.entry_count + (SELECT COUNT(*) FROM app WHERE app.partner_id = ptot.partner_id)
	FROM ptot WHERE w.id = ptot.partner_id AND w.kind = 'partner'
	RETURNING w.id, w.balance - ptot.total AS before
), done AS (
	SELECT app.*, p.before + SUM(app.amount) OVER (PARTITION BY app.partner_id ORDER BY app.ord)::bigint AS p_after
	FROM app JOIN p ON p.id = app.partner_id
), t AS (
	INSERT INTO ledger_transactions (id, partner_id, kind, description, initiated_by, idempotency_key, created_at)
	SELECT tx_id, partner_id, 'withdrawal', description, partner_id, idem_key, created_at FROM done ORDER BY ord
), e AS (
	INSERT INTO ledger_entries (transaction_id, wallet_id, partner_id, wallet_kind, type, amount,
		balance_before, balance_after, created_at)
	SELECT tx_id, wallet_id, partner_id, kind, typ, amount, after - amount, after, created_at FROM (
		SELECT ord, 0 AS side, tx_id, partner_id AS wallet_id, partner_id, 'partner' AS kind, 'transfer_in' AS typ,
			amount, p_after AS after, created_at FROM done
		UNION ALL
		SELECT ord, 1, tx_id, auth_id, partner_id, 'customer', 'withdrawal', -amount, c_after, created_at FROM done
	) x ORDER BY ord, side
)
SELECT app.ord, done.p_after, app.c_after, app.currency,
	-- As in transferManyPG: a customer debited without its partner's credit
	-- fails the statement.
	CASE WHEN done.ord IS NULL THEN ('half-applied withdrawal refused: ' || app.tx_id)::int END
FROM app LEFT JOIN done ON done.ord = app.ord`
