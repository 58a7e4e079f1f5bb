package sqlstore_test

import (
	"testing"

	"github.com/partnerd/partnerd/internal/benchtest"
)

// The list and search benchmarks on PostgreSQL: the seeded SQLite database
// of 100,000 accounts is moved with sqlstore.Copy (as `partnerd copy`
// does) into a fresh database, then searched through its pg_trgm indexes.
//
//	PARTNERD_TEST_POSTGRES=… go test -run '^$' -bench 'PGList' ./internal/sqlstore/ ./internal/httpapi/

func mustBenchPG(b *testing.B) *bench {
	b.Helper()
	bn := mustBench(b)
	return &bench{seed: bn.seed, db: benchtest.SeededPostgres(b, bn.seed, bn.db), ids: bn.ids}
}

func BenchmarkPGListSearch(b *testing.B) {
	bn := mustBenchPG(b)
	bn.run(b, benchtest.SearchCases(bn.ids))
}

func BenchmarkPGListFirstPage(b *testing.B) { mustBenchPG(b).run(b, benchtest.PageCases()) }
