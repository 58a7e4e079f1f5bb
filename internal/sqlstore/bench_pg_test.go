package sqlstore_test

import (
	"context"
	"io"
	"os"
	"strconv"
	"sync"
	"testing"

	"github.com/partnerd/partnerd/internal/httpapi"
	"github.com/partnerd/partnerd/internal/pgtest"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

// The list and search benchmarks on PostgreSQL: the seeded SQLite database
// of 100,000 accounts is moved with sqlstore.Copy (as `partnerd copy`
// does) into a fresh database, then searched through its pg_trgm indexes.
//
//	PARTNERD_TEST_POSTGRES=… go test -run '^$' -bench 'PGList' ./internal/sqlstore/

var (
	pgSearchOnce  sync.Once
	pgSearchStore *sqlstore.DB
	pgSearchErr   error
)

func mustBenchPG(b *testing.B) *bench {
	b.Helper()
	admin := os.Getenv(pgtest.EnvVar)
	if admin == "" {
		b.Skip(pgtest.EnvVar + " is not set")
	}
	bn := mustBench(b)
	pgSearchOnce.Do(func() { pgSearchStore, pgSearchErr = copyToPostgres(admin, bn) })
	if pgSearchErr != nil {
		b.Fatalf("copy the seeded database to PostgreSQL: %v", pgSearchErr)
	}
	return &bench{seed: bn.seed, db: pgSearchStore, ids: bn.ids,
		srv: httpapi.NewServer(httpapi.Config{Accounts: pgSearchStore, Partners: pgSearchStore})}
}

func copyToPostgres(admin string, bn *bench) (*sqlstore.DB, error) {
	ctx := context.Background()
	dsn, err := pgtest.Recreate(admin, "partnerd_benchsearch_"+strconv.Itoa(os.Getpid()))
	if err != nil {
		return nil, err
	}
	db, err := sqlstore.Open(ctx, sqlstore.Source{Driver: "postgres", DSN: dsn}, sqlstore.Options{SecretKey: bn.seed.key()})
	if err != nil {
		return nil, err
	}
	if err := sqlstore.Copy(ctx, bn.db, db, io.Discard); err != nil {
		return nil, err
	}
	// A freshly loaded table has no statistics and no visibility map
	// (which lets an index-only scan skip the table) until autovacuum
	// runs; settled production tables have both, so give them the same.
	_, err = db.ReadDB().ExecContext(ctx, `VACUUM ANALYZE`)
	return db, err
}

func BenchmarkPGListSearch(b *testing.B) { benchListSearch(b, mustBenchPG(b)) }

func BenchmarkPGListFirstPage(b *testing.B) { benchListPages(b, mustBenchPG(b)) }
