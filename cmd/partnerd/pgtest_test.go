package main

// Helpers for the subprocess tests on PostgreSQL (crash_pg_test.go,
// scaleout_test.go). Every name here starts with "pg" so that it cannot
// collide with the helpers of the other tests.

import (
	"crypto/rand"
	"encoding/hex"
	"testing"

	"github.com/partnerd/partnerd/internal/pgtest"
)

// pgFreshDSN returns a fresh PostgreSQL database for one test, or skips.
func pgFreshDSN(t *testing.T) string { return pgtest.FreshDSN(t) }

// pgEnv is the environment of every child on PostgreSQL: the test's own
// without any PARTNERD_ setting (as crashEnv), plus a secret key made for
// this test, the same for every instance and operator command.
func pgEnv() []string {
	var key [32]byte
	rand.Read(key[:])
	return append(crashEnv(), "PARTNERD_SECRET_KEY="+hex.EncodeToString(key[:]))
}
