// Package pgtest gives tests a fresh PostgreSQL database each. Tests that
// need PostgreSQL skip unless PARTNERD_TEST_POSTGRES names a server whose
// user may create databases; under CI=true they fail instead, since
// .ci/run starts one.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// EnvVar names the server the tests may use.
const EnvVar = "PARTNERD_TEST_POSTGRES"

// FreshDSN returns the DSN of a new, empty database, dropped when the test
// ends (cleanups run last-registered first, so after the test's own
// processes and pools are closed; FORCE ends any session left). It skips
// the test when no server is configured.
func FreshDSN(t testing.TB) string {
	t.Helper()
	admin := Require(t)
	var b [6]byte
	rand.Read(b[:])
	name := "partnerd_test_" + hex.EncodeToString(b[:])
	dsn, err := Recreate(admin, name)
	if err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		if err := exec(admin, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
			t.Logf("drop test database %s: %v", name, err)
		}
	})
	return dsn
}

// Require returns the admin DSN of the test server. Without one it skips
// the test, or fails it under CI=true: CI starts a server, so a missing one
// is a broken run, never a pass.
func Require(t testing.TB) string {
	t.Helper()
	admin := os.Getenv(EnvVar)
	switch {
	case admin != "":
		return admin
	case os.Getenv("CI") == "true":
		t.Fatalf("%s is not set, and CI=true: PostgreSQL tests may not skip", EnvVar)
	default:
		t.Skip(EnvVar + " is not set")
	}
	return ""
}

// Recreate drops the database name on the server of the admin DSN if it
// exists, creates it empty and returns its DSN. Benchmarks use it for one
// database per process that outlives a single benchmark.
func Recreate(admin, name string) (string, error) {
	u, err := url.Parse(admin)
	if err != nil {
		return "", err
	}
	if err := exec(admin, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
		return "", err
	}
	// template0 has no connections, so databases can be created in parallel.
	if err := exec(admin, `CREATE DATABASE `+name+` TEMPLATE template0 ENCODING 'UTF8'`); err != nil {
		return "", err
	}
	u.Path = "/" + name
	return u.String(), nil
}

// Drop drops the database name on the server of the admin DSN, ending
// its sessions.
func Drop(admin, name string) error {
	return exec(admin, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`)
}

func exec(dsn, stmt string) error {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err = db.ExecContext(ctx, stmt)
	return err
}

// Refuse makes the database of dsn (one of FreshDSN's) refuse new
// connections and ends the sessions it has, as a server out of reach
// would, or (refused false) takes connections again. The test's cleanup
// takes them again whatever happened.
func Refuse(t testing.TB, dsn string, refused bool) {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	admin := Require(t)
	allow := map[bool]string{true: "false", false: "true"}[refused]
	if err := exec(admin, `ALTER DATABASE `+name+` ALLOW_CONNECTIONS `+allow); err != nil {
		t.Fatal(err)
	}
	if refused {
		t.Cleanup(func() { exec(admin, `ALTER DATABASE `+name+` ALLOW_CONNECTIONS true`) })
		if err := exec(admin, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '`+name+`'`); err != nil {
			t.Fatal(err)
		}
	}
}
