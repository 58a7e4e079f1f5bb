package sqlstore_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/partnerd/partnerd/internal/pgtest"
	"github.com/partnerd/partnerd/internal/sqlstore"
	"github.com/partnerd/partnerd/internal/storetest"
)

func TestSQLiteEvents(t *testing.T) {
	storetest.RunEvents(t, func(t *testing.T, n int) []storetest.EventStore {
		path, key := filepath.Join(t.TempDir(), "p.db"), testKey(t)
		stores := make([]storetest.EventStore, n)
		for i := range stores {
			stores[i] = mustOpen(t, path, key)
		}
		return stores
	})
}

func TestPostgresEvents(t *testing.T) {
	pgtest.Require(t)
	storetest.RunEvents(t, func(t *testing.T, n int) []storetest.EventStore {
		src, key := sqlstore.Source{Driver: "postgres", DSN: pgtest.FreshDSN(t)}, testKey(t)
		stores := make([]storetest.EventStore, n)
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

func TestSQLiteAlerts(t *testing.T) {
	storetest.RunAlerts(t, func(t *testing.T, n int) []storetest.AlertStore {
		path, key := filepath.Join(t.TempDir(), "p.db"), testKey(t)
		stores := make([]storetest.AlertStore, n)
		for i := range stores {
			stores[i] = mustOpen(t, path, key)
		}
		return stores
	})
}

func TestPostgresAlerts(t *testing.T) {
	pgtest.Require(t)
	storetest.RunAlerts(t, func(t *testing.T, n int) []storetest.AlertStore {
		src, key := sqlstore.Source{Driver: "postgres", DSN: pgtest.FreshDSN(t)}, testKey(t)
		stores := make([]storetest.AlertStore, n)
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
