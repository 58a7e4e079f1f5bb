package sqlstore_test

import (
	"context"
	"testing"

	"github.com/partnerd/partnerd/internal/benchtest"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

// The speed goal (issue): over 100,000 customers of one partner, list+search
// stays under 20 ms at p99 and GET /accounts/{id}/balance under 1 ms at p50,
// server-side, on a 2-core machine. The benchmarks below time the store
// ("store"); internal/httpapi's benchmarks of the same names time the same
// queries through the HTTP handler ("http": routing, authentication, JSON;
// no network). Each reports p50-ms and p99-ms of the individual operations
// beside ns/op.
//
//	go test -run '^$' -bench 'ListSearch|ListFirstPage|Balance' ./internal/sqlstore/ ./internal/httpapi/
//
// The first run seeds the database (benchtest.MustSeeded) and caches it
// under os.TempDir(). Benchmarks only run with -bench, never in go test ./... .

// bench is an open seeded store.
type bench struct {
	seed *benchtest.Seeded
	db   *sqlstore.DB
	ids  []string // auth_ids in creation order (index i is benchtest.Name(i))
}

func mustBench(b *testing.B) *bench {
	b.Helper()
	s := benchtest.MustSeeded(b, benchtest.Accounts)
	return &bench{seed: s, db: s.Open(b), ids: s.IDs(b)}
}

// run benchmarks the cases through the store.
func (bn *bench) run(b *testing.B, cases []benchtest.ListCase) {
	ctx := context.Background()
	for _, c := range cases {
		_, total, err := bn.db.ListAccounts(ctx, bn.seed.PartnerID, c.Filter)
		if err == nil {
			err = c.Check(total)
		}
		if err != nil {
			b.Fatalf("ListAccounts(%+v): %v", c.Filter, err)
		}
		b.Run(c.Name+"/store", func(b *testing.B) {
			benchtest.Measure(b, func(int) {
				if _, _, err := bn.db.ListAccounts(ctx, bn.seed.PartnerID, c.Filter); err != nil {
					b.Fatal(err)
				}
			})
			b.ReportMetric(float64(total), "rows-matched")
		})
	}
}

// BenchmarkListSearch searches with terms of every selectivity and through
// both search paths (trigram index for 3+ characters, scan for 1–2).
func BenchmarkListSearch(b *testing.B) {
	bn := mustBench(b)
	bn.run(b, benchtest.SearchCases(bn.ids))
}

// BenchmarkListFirstPage lists without a search: the page a partner's
// dashboard opens with, and pages deeper in.
func BenchmarkListFirstPage(b *testing.B) { mustBench(b).run(b, benchtest.PageCases()) }

// BenchmarkBalance reads single accounts, spread over the whole partner, as
// GET /accounts/{id}/balance does.
func BenchmarkBalance(b *testing.B) {
	bn := mustBench(b)
	ctx := context.Background()
	b.Run("store", func(b *testing.B) {
		benchtest.Measure(b, func(i int) {
			if _, err := bn.db.Account(ctx, bn.seed.PartnerID, benchtest.BalanceID(bn.ids, i)); err != nil {
				b.Fatal(err)
			}
		})
	})
}
