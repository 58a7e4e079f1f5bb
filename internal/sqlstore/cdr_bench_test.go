package sqlstore_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/benchtest"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

// Call records at scale (issue 11): 1,000,000 CDRs of 10,000 customers of
// one partner in the last 30 days, beside a second partner with as many.
// Goals: every list with any single filter and the common combinations,
// p99 ≤ 20 ms for the first page and page 100; dashboard p99 ≤ 20 ms,
// analytics over 30 days ≤ 50 ms; the CSV export ≥ 200,000 rows/s.
//
//	go test -run '^$' -bench 'CDRList|CDROverview|CDRExport' -benchtime 50x ./internal/sqlstore/
//
// The first run seeds the database (a few minutes) and caches it.

func ptr(s string) *string { return &s }

// cdrEngines runs bench on the seeded SQLite database, and on its copy in
// PostgreSQL when PARTNERD_TEST_POSTGRES names a server.
func cdrEngines(b *testing.B, s *benchtest.SeededCDRs, bench func(b *testing.B, db *sqlstore.DB)) {
	b.Run("sqlite", func(b *testing.B) { bench(b, s.Open(b)) })
	if os.Getenv("PARTNERD_TEST_POSTGRES") != "" {
		b.Run("postgres", func(b *testing.B) { bench(b, s.OpenPostgres(b)) })
	}
}

func BenchmarkCDRList(b *testing.B) {
	s := benchtest.MustSeededCDRs(b)
	cdrEngines(b, s, func(b *testing.B, db *sqlstore.DB) { benchCDRList(b, s, db) })
}

func benchCDRList(b *testing.B, s *benchtest.SeededCDRs, db *sqlstore.DB) {
	ctx := context.Background()
	now := time.Unix(s.Now, 0)
	account := s.Accounts[17]
	cases := []struct {
		name    string
		account bool
		q       partnerd.CDRParams
	}{
		{"partner/default", false, partnerd.CDRParams{}},
		{"partner/outbound", false, partnerd.CDRParams{Direction: ptr("outbound")}},
		{"partner/answered", false, partnerd.CDRParams{Status: ptr("answered")}},
		{"partner/busy", false, partnerd.CDRParams{Status: ptr("busy")}},
		{"partner/to_number", false, partnerd.CDRParams{ToNumber: ptr(s.Numbers[42])}},
		// The trunk's caller ID, exactly: three calls in four.
		{"partner/from_number_common", false, partnerd.CDRParams{FromNumber: ptr("+919876543210")}},
		{"partner/hangup", false, partnerd.CDRParams{HangupCause: ptr("USER_BUSY")}},
		{"partner/min_duration", false, partnerd.CDRParams{MinDuration: ptr("300")}},
		{"partner/search", false, partnerd.CDRParams{Search: ptr("5550042")}},
		// The trunk's caller ID, on three calls in four: more candidates
		// than the search reads through its indexes.
		{"partner/search_common", false, partnerd.CDRParams{Search: ptr("9876543")}},
		{"partner/last_week", false, partnerd.CDRParams{StartDate: ptr(now.AddDate(0, 0, -7).UTC().Format(time.DateOnly))}},
		{"partner/outbound+answered+to", false, partnerd.CDRParams{Direction: ptr("outbound"), Status: ptr("answered"), ToNumber: ptr(s.Numbers[7])}},
		{"partner/hangup+status", false, partnerd.CDRParams{HangupCause: ptr("NORMAL_CLEARING"), Status: ptr("failed")}},
		{"partner/hangup+answered", false, partnerd.CDRParams{HangupCause: ptr("NORMAL_CLEARING"), Status: ptr("answered")}},
		{"partner/outbound+answered+min_duration", false, partnerd.CDRParams{Direction: ptr("outbound"), Status: ptr("answered"), MinDuration: ptr("30")}},
		{"partner/busy+max_duration", false, partnerd.CDRParams{Status: ptr("busy"), MaxDuration: ptr("60")}},
		{"partner/inbound+hangup", false, partnerd.CDRParams{Direction: ptr("inbound"), HangupCause: ptr("USER_BUSY")}},
		{"account/default", true, partnerd.CDRParams{}},
		{"account/answered", true, partnerd.CDRParams{Status: ptr("answered")}},
		{"account/search", true, partnerd.CDRParams{Search: ptr("555")}},
	}
	for _, c := range cases {
		for _, page := range []string{"1", "100"} {
			c.q.Page = partnerd.PageParams{Page: &page}
			f, err := c.q.Filter(now, time.UTC)
			if err != nil {
				b.Fatal(err)
			}
			list := func() (int, error) {
				if c.account {
					_, total, err := db.ListAccountCDRs(ctx, s.PartnerID, account, f)
					return total, err
				}
				_, total, err := db.ListCDRs(ctx, s.PartnerID, f)
				return total, err
			}
			total, err := list()
			if err != nil {
				b.Fatal(err)
			}
			b.Run(c.name+"/page"+page, func(b *testing.B) {
				benchtest.Measure(b, func(int) {
					if _, err := list(); err != nil {
						b.Fatal(err)
					}
				})
				b.ReportMetric(float64(total), "rows-matched")
			})
		}
	}
}

func BenchmarkCDROverview(b *testing.B) {
	s := benchtest.MustSeededCDRs(b)
	cdrEngines(b, s, func(b *testing.B, db *sqlstore.DB) { benchCDROverview(b, s, db) })
}

func benchCDROverview(b *testing.B, s *benchtest.SeededCDRs, db *sqlstore.DB) {
	ctx := context.Background()
	now := time.Unix(s.Now, 0)
	b.Run("dashboard", func(b *testing.B) {
		benchtest.Measure(b, func(int) {
			if _, err := db.Dashboard(ctx, s.PartnerID, now); err != nil {
				b.Fatal(err)
			}
		})
	})
	// As the server's sweep would have, every minute of the month.
	db.Now = func() time.Time { return now }
	if _, err := db.SnapshotUsage(ctx, now); err != nil {
		b.Fatal(err)
	}
	b.Run("analytics30d", func(b *testing.B) {
		from, to, err := partnerd.AnalyticsParams{}.Range(now, time.UTC)
		if err != nil {
			b.Fatal(err)
		}
		benchtest.Measure(b, func(int) {
			if _, err := db.Analytics(ctx, s.PartnerID, from, to); err != nil {
				b.Fatal(err)
			}
		})
	})
}

func BenchmarkCDRExport(b *testing.B) {
	s := benchtest.MustSeededCDRs(b)
	cdrEngines(b, s, func(b *testing.B, db *sqlstore.DB) { benchCDRExport(b, s, db) })
}

func benchCDRExport(b *testing.B, s *benchtest.SeededCDRs, db *sqlstore.DB) {
	ctx := context.Background()
	f, err := partnerd.CDRParams{}.Filter(time.Unix(s.Now, 0), time.UTC)
	if err != nil {
		b.Fatal(err)
	}
	var rows int
	start := time.Now()
	for b.Loop() {
		for _, err := range db.CDRsSeq(ctx, s.PartnerID, f) {
			if err != nil {
				b.Fatal(err)
			}
			rows++
		}
	}
	b.ReportMetric(float64(rows)/time.Since(start).Seconds(), "rows/s")
}
