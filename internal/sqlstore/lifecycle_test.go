package sqlstore_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/partnerd/partnerd/internal/pgtest"
	"github.com/partnerd/partnerd/internal/sqlstore"
	"github.com/partnerd/partnerd/internal/storetest"
)

func TestSQLiteLifecycle(t *testing.T) {
	storetest.RunLifecycle(t, func(t *testing.T, n int) []storetest.LifecycleStore {
		path, key := filepath.Join(t.TempDir(), "p.db"), testKey(t)
		stores := make([]storetest.LifecycleStore, n)
		for i := range stores {
			stores[i] = mustOpen(t, path, key)
		}
		return stores
	})
}

func TestPostgresLifecycle(t *testing.T) {
	pgtest.Require(t)
	storetest.RunLifecycle(t, func(t *testing.T, n int) []storetest.LifecycleStore {
		src, key := sqlstore.Source{Driver: "postgres", DSN: pgtest.FreshDSN(t)}, testKey(t)
		stores := make([]storetest.LifecycleStore, n)
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
