package sqlstore

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
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
	// triggerExistsQuery counts the triggers named ?, tableExistsQuery
	// the tables named ?.
	triggerExistsQuery string
	tableExistsQuery   string
	// ledgerTriggers are the triggers that make the ledger append-only
	// and keep wallets and accounts (never deleted, never renamed).
	ledgerTriggers []string
	// lockPartners serializes partner creation (first start, unique email) across
	// processes; SQLite's write lock already does.
	lockPartners string
	// overridingIdentity lets an INSERT set a generated sequence column,
	// and resetIdentity (a format of table, table) moves the sequence past
	// the copied rows.
	overridingIdentity string
	resetIdentity      string
	// batchStatements: each statement is a network round trip made while
	// a batch holds its rows' locks, and array parameters let one
	// statement carry a whole batch; resources then offer combined
	// statements for their batch ops (transfer_pg.go).
	batchStatements bool
	// lockWallets locks the wallets ($1, an array of ids in lock order)
	// that a writer's batch ops name, before the batch grows (see
	// lockFirst);
	// lockWalletsAtOnce locks those of them no other transaction holds,
	// without waiting, and returns their ids.
	lockWallets, lockWalletsAtOnce string
	// snapshot is the isolation level that gives a read transaction one
	// consistent view (SQLite's transactions always do).
	snapshot sql.IsolationLevel
	// search returns the WHERE clause (on accounts a) and arguments that
	// match a search term.
	search func(term string) (string, []any)
	// caseFreeLike is the LIKE operator that ignores the case of ASCII
	// letters, as call record searches do (API.md §5, like §3's).
	caseFreeLike string
	// exportChunk is how many rows each query of an export reads whole
	// before the consumer gets them (0: the export streams from its
	// cursor), and streamHold how long a streaming export keeps one query
	// open; see streamRows. SQLite reads a partner's export in the order
	// of an index (a customer's calls are few), so each chunk costs a
	// seek, and any open snapshot keeps the WAL from starting over:
	// chunks. The planner may sort a PostgreSQL export (a month of a
	// partner's calls is half the table), so each new query costs another
	// sort, and an open one only delays vacuum: a cursor, renewed every
	// minute.
	streamHold  time.Duration
	exportChunk int
	// orFail is the conflict clause of a multi-row INSERT or UPDATE
	// that the writer's batch rolls back whole on any failure: on
	// SQLite "OR FAIL", which spares the statement the journal of pages
	// it would need to undo itself half-way (migration 00027).
	orFail string
}

var sqliteDialect = dialect{
	name:               "sqlite",
	goose:              goose.DialectSQLite3,
	migrations:         "migrations/sqlite",
	prepareInTx:        true,
	triggerExistsQuery: `SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND name = ?`,
	tableExistsQuery:   `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?`,
	caseFreeLike:       "LIKE",
	exportChunk:        1000,
	orFail:             "OR FAIL ",
	ledgerTriggers: []string{"ledger_transactions_no_update", "ledger_transactions_no_delete",
		"ledger_entries_no_update", "ledger_entries_no_delete", "wallets_no_delete", "wallets_no_new_id",
		"accounts_no_delete"},
	search: func(term string) (string, []any) {
		if utf8.RuneCountInString(term) >= minTrigram {
			// The FTS5 trigram index finds the rowids whose name or email
			// contains the term, case-insensitively; an exact auth_id
			// also matches.
			return `a.seq IN (SELECT rowid FROM accounts_search WHERE accounts_search MATCH ?
				UNION ALL SELECT seq FROM accounts WHERE auth_id = ?)`,
				[]any{`"` + strings.ReplaceAll(term, `"`, `""`) + `"`, exactAuthID(term)}
		}
		// Too short for trigrams: scan this partner's rows.
		return likeSearch(term)
	},
}

var postgresDialect = dialect{
	name:            "postgres",
	goose:           goose.DialectPostgres,
	migrations:      "migrations/postgres",
	dollarParams:    true,
	snapshot:        sql.LevelRepeatableRead,
	streamHold:      time.Minute,
	lockPartners:    `LOCK TABLE partners IN SHARE ROW EXCLUSIVE MODE`,
	batchStatements: true,
	lockWallets: `SELECT 1 FROM wallets w JOIN unnest($1::text[]) WITH ORDINALITY AS k(id, ord) ON w.id = k.id
		ORDER BY k.ord FOR NO KEY UPDATE OF w`,
	lockWalletsAtOnce:  `SELECT id FROM wallets WHERE id = ANY($1::text[]) ORDER BY id FOR NO KEY UPDATE SKIP LOCKED`,
	overridingIdentity: `OVERRIDING SYSTEM VALUE`,
	resetIdentity:      `SELECT setval(pg_get_serial_sequence('%s', 'seq'), COALESCE((SELECT MAX(seq) FROM %s), 0) + 1, false)`,
	triggerExistsQuery: `SELECT COUNT(*) FROM pg_trigger WHERE tgname = ? AND NOT tgisinternal`,
	// The tables goose and the store use: those of the search path's first schema.
	tableExistsQuery: `SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = ?`,
	ledgerTriggers: []string{"ledger_transactions_no_update", "ledger_transactions_no_delete",
		"ledger_transactions_no_truncate", "ledger_entries_no_update", "ledger_entries_no_delete",
		"ledger_entries_no_truncate", "wallets_no_delete", "wallets_no_truncate", "wallets_no_new_id",
		"accounts_no_delete", "accounts_no_truncate"},
	// pg_trgm GIN indexes on name_lower and email serve these LIKEs for
	// terms of 3+ characters; shorter ones scan the partner's rows.
	search:       likeSearch,
	caseFreeLike: "ILIKE",
}

// minTrigram is the shortest search term a trigram index can answer.
const minTrigram = 3

// likeSearch matches a case-insensitive substring of name or email, or an
// exact auth_id.
func likeSearch(term string) (string, []any) {
	like := "%" + escapeLike(strings.ToLower(term)) + "%"
	return `(a.name_lower LIKE ? ESCAPE '\' OR a.email LIKE ? ESCAPE '\' OR a.auth_id = ?)`, []any{like, like, exactAuthID(term)}
}

// exactAuthID returns the auth_id a search term names in any case, as
// auth_ids are stored (MA_ and lower-case hex), so that the exact match
// stays an index lookup and is case-insensitive like the rest of search.
func exactAuthID(term string) string {
	if len(term) == len("MA_48149cf4") && strings.EqualFold(term[:3], "MA_") {
		return "MA_" + strings.ToLower(term[3:])
	}
	return term
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

// isConstraintViolation reports whether err is the failure of a
// constraint of any kind.
func isConstraintViolation(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()&0xff == sqlite3.SQLITE_CONSTRAINT
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return strings.HasPrefix(pe.Code, "23")
	}
	return false
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

// Unavailable reports whether err, from a store of this package, means the
// database cannot be reached, is locked by another process beyond the
// busy timeout, or has no room for the write (outOfRoom): a 503
// unavailable to retry, not a 500.
func Unavailable(err error) bool {
	if outOfRoom(err) {
		return true
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code() & 0xff
		// SQLITE_READONLY: the file was made read-only under the store.
		return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED || c == sqlite3.SQLITE_READONLY
	}
	// No connection could be made, whatever the server said why (down,
	// not accepting connections, too many of them).
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	var ne net.Error
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// Class 08: connection exceptions; 57P0x: the server is shutting
		// down; 25P03: the session sat idle inside its transaction past
		// the writer's limit (an instance frozen mid-batch), which
		// PostgreSQL ended without committing anything; 55P03: a row
		// lock was held past the writer's lock_timeout (lockTimedOut);
		// 57014: a statement ran past the database's statement_timeout.
		return strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "57P0") ||
			pe.Code == "25P03" || pe.Code == "55P03" || pe.Code == "57014"
	}
	// A connection cut mid-answer (the server killed) reads an unexpected EOF.
	return errors.Is(err, driver.ErrBadConn) || errors.As(err, &ne) || pgconn.SafeToRetry(err) || errors.Is(err, io.ErrUnexpectedEOF)
}

// lockTimedOut reports that a statement gave up waiting for a row lock
// (PostgreSQL's lock_timeout, writerLockLimit).
func lockTimedOut(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "55P03"
}

// outOfRoom reports that the database refused a write for want of
// resources the operator must provide: SQLite's disk (or database) is
// full, or it ran out of memory; PostgreSQL's class 53 (disk full, out of
// memory, too many connections) and its I/O errors (58030). Nothing was
// written; the same write succeeds once room is made.
func outOfRoom(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code() & 0xff
		return c == sqlite3.SQLITE_FULL || c == sqlite3.SQLITE_NOMEM
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return strings.HasPrefix(pe.Code, "53") || pe.Code == "58030"
	}
	return false
}
