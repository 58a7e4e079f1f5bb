package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/partnerd/partnerd/internal/benchtest"
	"github.com/partnerd/partnerd/internal/httpapi"
)

// The list, search and balance goals through the real HTTP handler with
// httptest ("http": routing, authentication, JSON; no network), on the same
// seeded 100,000 accounts and the same queries as internal/sqlstore's
// benchmarks of the same names ("store"). Callers time only ServeHTTP, the
// server side.
//
//	go test -run '^$' -bench 'ListSearch|ListFirstPage|Balance' ./internal/sqlstore/ ./internal/httpapi/

// listBench is the HTTP handler over a seeded store.
type listBench struct {
	seed *benchtest.Seeded
	srv  http.Handler
	ids  []string
}

func mustListBench(b *testing.B, pg bool) *listBench {
	b.Helper()
	s := benchtest.MustSeeded(b, benchtest.Accounts)
	db := s.Open(b)
	if pg {
		db = benchtest.SeededPostgres(b, s, db)
	}
	return &listBench{seed: s, ids: s.IDs(b), srv: httpapi.NewServer(httpapi.Config{Accounts: db, Partners: db})}
}

// request returns a GET of the partner API as the seeded partner.
func (bn *listBench) request(path string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/api/v1/partner"+path, nil)
	r.Header.Set("X-Auth-ID", bn.seed.PartnerID)
	r.Header.Set("X-Auth-Token", bn.seed.Token)
	return r
}

// run benchmarks GET /accounts for each case.
func (bn *listBench) run(b *testing.B, cases []benchtest.ListCase) {
	for _, c := range cases {
		q := url.Values{"page": {fmt.Sprint(c.Filter.Page.Page)}, "size": {fmt.Sprint(c.Filter.Page.Size)}}
		if c.Filter.Search != "" {
			q.Set("search", c.Filter.Search)
		}
		path := "/accounts?" + q.Encode()
		b.Run(c.Name+"/http", func(b *testing.B) {
			var w *httptest.ResponseRecorder
			benchtest.Measure(b, func(int) {
				r := bn.request(path)
				w = httptest.NewRecorder()
				bn.srv.ServeHTTP(w, r)
			})
			var body struct {
				Meta struct{ Total int } `json:"meta"`
			}
			if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &body) != nil {
				b.Fatalf("GET %s: %d %s, want 200", path, w.Code, w.Body)
			}
			if err := c.Check(body.Meta.Total); err != nil {
				b.Fatalf("GET %s: %v", path, err)
			}
			b.ReportMetric(float64(body.Meta.Total), "rows-matched")
		})
	}
}

func BenchmarkListSearch(b *testing.B) {
	bn := mustListBench(b, false)
	bn.run(b, benchtest.SearchCases(bn.ids))
}

func BenchmarkListFirstPage(b *testing.B) { mustListBench(b, false).run(b, benchtest.PageCases()) }

func BenchmarkPGListSearch(b *testing.B) {
	bn := mustListBench(b, true)
	bn.run(b, benchtest.SearchCases(bn.ids))
}

func BenchmarkPGListFirstPage(b *testing.B) { mustListBench(b, true).run(b, benchtest.PageCases()) }

// BenchmarkBalance reads single accounts, spread over the whole partner,
// with GET /accounts/{id}/balance.
func BenchmarkBalance(b *testing.B) {
	bn := mustListBench(b, false)
	b.Run("http", func(b *testing.B) {
		benchtest.Measure(b, func(i int) {
			r := bn.request("/accounts/" + benchtest.BalanceID(bn.ids, i) + "/balance")
			w := httptest.NewRecorder()
			bn.srv.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				b.Fatalf("GET balance: %d %s", w.Code, w.Body)
			}
		})
	})
}
