package sqlstore_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/partnerd/partnerd/internal/pgtest"
	"github.com/partnerd/partnerd/internal/sqlstore"
	"github.com/partnerd/partnerd/internal/storetest"
)

func TestSQLiteConsole(t *testing.T) {
	storetest.RunConsole(t, func(t *testing.T, n int) []storetest.ConsoleStore {
		path, key := filepath.Join(t.TempDir(), "p.db"), testKey(t)
		stores := make([]storetest.ConsoleStore, n)
		for i := range stores {
			stores[i] = mustOpen(t, path, key)
		}
		return stores
	})
}

func TestPostgresConsole(t *testing.T) {
	pgtest.Require(t)
	storetest.RunConsole(t, func(t *testing.T, n int) []storetest.ConsoleStore {
		src, key := sqlstore.Source{Driver: "postgres", DSN: pgtest.FreshDSN(t)}, testKey(t)
		stores := make([]storetest.ConsoleStore, n)
		for i := range stores {
			db, err := sqlstore.Open(context.Background(), src, sqlstore.Options{SecretKey: key})
			if err != nil {
				t.Fatalf("Open(postgres): %v", err)
			}
			t.Cleanup(func() { db.Close() })
			stores[i] = db
		}
		return stores
	})
}
