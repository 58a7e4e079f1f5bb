// Package banktest is the bank test of the partner API: many clients move
// money between one partner and its customers over HTTP, retry with the
// same Idempotency-Key (some while the first attempt is still running),
// and readers check that no money is created or lost, while it happens and
// at the end.
//
// It speaks only HTTP, so the same run checks one in-process server on
// SQLite (internal/sqlstore's bank test) or several partnerd instances
// sharing one PostgreSQL database, one of which may be killed mid-run.
//
// Run assumes it is alone on the partner for the whole run: nothing else
// moves the partner's money or creates its accounts meanwhile.
package banktest
