package main

import "testing"

// TestCrashRecoveryPostgres is TestCrashRecovery on a fresh PostgreSQL
// database: concurrent transfers and withdrawals, SIGKILL at random moments,
// restarts on the same database, "ledger verify" after every crash and at
// the end, and a full audit of what the client was told against the books.
func TestCrashRecoveryPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary; skipped in -short mode")
	}
	dsn := pgFreshDSN(t)
	crashRecovery(t, dsn, pgEnv())
}
