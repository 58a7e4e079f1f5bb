// Package banktest is the bank test of the partner API: many clients move
// money between one partner and its customers over HTTP, retry with the
// same Idempotency-Key (some while the first attempt is still running),
// and readers check that no money is created or lost, while it happens and
// at the end.
//
// It speaks to the server only through the public Go client (package
// client), one per instance, so the same run checks one in-process server
// on SQLite (TestBank) or several partnerd instances sharing one
// PostgreSQL database (TestPostgresBank, and cmd/partnerd's TestScaleOut,
// which kills one of them mid-run). What it needs beyond the returned
// values (the status, Idempotent-Replayed, the request id) comes from
// client.WithResponse.
//
// Run assumes it is alone on the partner for the whole run: nothing else
// moves the partner's money or creates its accounts meanwhile.
package banktest
