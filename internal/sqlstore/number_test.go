package sqlstore_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/partnerd/partnerd/internal/pgtest"
	"github.com/partnerd/partnerd/internal/sqlstore"
	"github.com/partnerd/partnerd/internal/storetest"
)

func TestSQLiteNumbers(t *testing.T) {
	storetest.RunNumbers(t, func(t *testing.T, n int) []storetest.NumberStore {
		path, key := filepath.Join(t.TempDir(), "p.db"), testKey(t)
		stores := make([]storetest.NumberStore, n)
		for i := range stores {
			stores[i] = mustOpen(t, path, key)
		}
		return stores
	})
}

func TestPostgresNumbers(t *testing.T) {
	if os.Getenv("PARTNERD_TEST_POSTGRES") == "" {
		t.Skip("PARTNERD_TEST_POSTGRES is not set")
	}
	storetest.RunNumbers(t, func(t *testing.T, n int) []storetest.NumberStore {
		src, key := sqlstore.Source{Driver: "postgres", DSN: pgtest.FreshDSN(t)}, testKey(t)
		stores := make([]storetest.NumberStore, n)
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
