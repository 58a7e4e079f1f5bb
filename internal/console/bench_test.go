package console_test

import (
	"context"
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/partnerd/partnerd/internal/benchtest"
	"github.com/partnerd/partnerd/internal/console"
)

// BenchmarkConsolePages renders every console page of a partner with
// 10,000 customers and 1,000,000 calls in a month (benchtest's seeded
// database), through the console's handler (session lookup included),
// and reports each page's p99 server time and size. The goals (issue 16:
// ≤ 50 ms p99, < 100 KB a page) are measured here, never asserted.
//
//	go test -run '^$' -bench ConsolePages -benchtime 50x ./internal/console/
func BenchmarkConsolePages(b *testing.B) {
	seeded := benchtest.MustSeededCDRs(b)
	db := seeded.Open(b)
	ctx := context.Background()
	c := console.New(console.Config{
		Accounts: db, Lifecycle: db, Partners: db, Ledger: db, Numbers: db, SIP: db, CDRs: db, Overview: db,
		Webhooks: db, AutoTopups: db, Idempotency: db, Console: db, Now: func() time.Time { return time.Unix(seeded.Now, 0) },
	})
	id := "bench-session-" + time.Now().Format(time.RFC3339Nano)
	hash := sha256.Sum256([]byte(id))
	if err := db.CreateConsoleSession(ctx, seeded.PartnerID, hash[:], "ops@calls.example"); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.DeleteConsoleSession(ctx, hash[:]) })
	customer := seeded.Accounts[len(seeded.Accounts)/2]
	for _, pg := range []struct{ name, path string }{
		{"Overview", "/console/"},
		{"Customers", "/console/customers"},
		{"CustomersSearch", "/console/customers?search=tel"},
		{"CustomersLastPage", "/console/customers?page=500"},
		{"Customer", "/console/customers/" + customer},
		{"Calls", "/console/calls"},
		{"CallsFiltered", "/console/calls?status=answered&min_duration=30&call_direction=outbound"},
		{"CallsCustomer", "/console/calls?account=" + customer},
		{"Transactions", "/console/transactions"},
		{"Numbers", "/console/numbers"},
		{"Webhooks", "/console/webhooks"},
		{"Settings", "/console/settings"},
	} {
		b.Run(pg.name, func(b *testing.B) {
			var times []time.Duration
			size := 0
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, pg.path, nil)
				req.AddCookie(&http.Cookie{Name: "__Host-partnerd_console", Value: id})
				rec := httptest.NewRecorder()
				start := time.Now()
				c.ServeHTTP(rec, req)
				times = append(times, time.Since(start))
				if rec.Code != http.StatusOK {
					b.Fatalf("GET %s = %d\n%s", pg.path, rec.Code, rec.Body.String())
				}
				size = rec.Body.Len()
			}
			slices.Sort(times)
			b.ReportMetric(float64(times[len(times)*99/100].Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(size)/1024, "KB/page")
		})
	}
}
