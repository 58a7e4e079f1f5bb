package sqlstore

import (
	"errors"
	"strconv"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// dialect holds the few places where SQLite and PostgreSQL differ.
type dialect struct {
	name string
	// dollarParams rewrites ? placeholders to $1, $2, … (PostgreSQL).
	dollarParams bool
	// triggerExistsQuery counts the triggers named ?.
	triggerExistsQuery string
}

var sqliteDialect = dialect{
	name:               "sqlite",
	triggerExistsQuery: `SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND name = ?`,
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
	return false
}

// isBusy reports whether err is SQLite's "database is locked" (another
// process holds the write lock beyond busy_timeout).
func isBusy(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code() & 0xff
		return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
	}
	return false
}
