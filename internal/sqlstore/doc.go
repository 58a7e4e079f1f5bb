// Package sqlstore implements the partnerd services on database/sql, for
// SQLite (modernc.org/sqlite, the embedded default) and, through the same
// queries, PostgreSQL. Dialect differences live in dialect.go; migrations are
// embedded .sql files applied with goose.
//
// All writes go through one writer (writer.go) that coalesces concurrent
// write requests into one database transaction, each request in its own
// savepoint, so a partner's hot wallet row costs one durable commit per batch
// rather than per request.
package sqlstore
