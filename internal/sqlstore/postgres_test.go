package sqlstore_test

import (
	"context"
	"testing"

	"github.com/partnerd/partnerd/internal/pgtest"
	"github.com/partnerd/partnerd/internal/sqlstore"
	"github.com/partnerd/partnerd/internal/storetest"
)

// postgresSource returns a fresh PostgreSQL database for one test, or skips.
func postgresSource(t testing.TB) sqlstore.Source {
	return sqlstore.Source{Driver: "postgres", DSN: pgtest.FreshDSN(t)}
}

// mustOpenPostgres opens a fresh PostgreSQL store and closes it at the end.
func mustOpenPostgres(t testing.TB) *sqlstore.DB {
	t.Helper()
	src := postgresSource(t)
	db, err := sqlstore.Open(context.Background(), src, sqlstore.Options{SecretKey: testKey(t)})
	if err != nil {
		t.Fatalf("Open(postgres): %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestPostgres(t *testing.T) {
	pgtest.Require(t)
	storetest.Run(t, func(t *testing.T) storetest.Store { return mustOpenPostgres(t) })
}

func TestPostgresIdempotencyInstances(t *testing.T) {
	pgtest.Require(t)
	storetest.RunIdempotencyInstances(t, postgresStores[storetest.LedgerStore])
}

func TestPostgresLedger(t *testing.T) {
	pgtest.Require(t)
	storetest.RunLedger(t, func(t *testing.T) storetest.LedgerStore { return mustOpenPostgres(t) })
}
