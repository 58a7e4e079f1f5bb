package sqlstore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/partnerd/partnerd/internal/sqlstore"
	"github.com/partnerd/partnerd/internal/storetest"
)

// postgresSource returns a fresh, empty PostgreSQL database for one test,
// dropped when the test ends. Tests that need PostgreSQL skip unless
// PARTNERD_TEST_POSTGRES names a server (a DSN whose user may create
// databases); .ci/run starts one.
func postgresSource(t testing.TB) sqlstore.Source {
	t.Helper()
	admin := os.Getenv("PARTNERD_TEST_POSTGRES")
	if admin == "" {
		t.Skip("PARTNERD_TEST_POSTGRES is not set")
	}
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("PARTNERD_TEST_POSTGRES: %v", err)
	}
	var b [6]byte
	rand.Read(b[:])
	name := "partnerd_test_" + hex.EncodeToString(b[:])
	db, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// template0 has no connections, so databases can be created in parallel.
	if _, err := db.Exec(`CREATE DATABASE ` + name + ` TEMPLATE template0 ENCODING 'UTF8'`); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", admin)
		if err != nil {
			return
		}
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
			t.Logf("drop test database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return sqlstore.Source{Driver: "postgres", DSN: u.String()}
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
	if os.Getenv("PARTNERD_TEST_POSTGRES") == "" {
		t.Skip("PARTNERD_TEST_POSTGRES is not set")
	}
	storetest.Run(t, func(t *testing.T) storetest.Store { return mustOpenPostgres(t) })
}

func TestPostgresLedger(t *testing.T) {
	if os.Getenv("PARTNERD_TEST_POSTGRES") == "" {
		t.Skip("PARTNERD_TEST_POSTGRES is not set")
	}
	storetest.RunLedger(t, func(t *testing.T) storetest.LedgerStore { return mustOpenPostgres(t) })
}
