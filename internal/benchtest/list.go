package benchtest

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"testing"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/pgtest"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

// ListCase is one GET /accounts query of the seeded partner.
type ListCase struct {
	Name   string
	Filter partnerd.AccountFilter
	Total  int // expected total, or -1 for "at least one"
}

// Check reports whether total is what c expects.
func (c ListCase) Check(total int) error {
	if (c.Total >= 0 && total != c.Total) || (c.Total < 0 && total == 0) {
		return fmt.Errorf("%s: total %d, want %d", c.Name, total, c.Total)
	}
	return nil
}

var firstPage = partnerd.Page{Page: 1, Size: 20}

// SearchCases are searches with terms of every selectivity and through
// both search paths (trigram index for 3+ characters, scan for 1–2); ids
// are the seeded auth_ids in creation order.
func SearchCases(ids []string) []ListCase {
	const k = 54_321 // an account in the middle of the partner's history
	search := func(term string) partnerd.AccountFilter {
		return partnerd.AccountFilter{Search: term, Page: firstPage}
	}
	return []ListCase{
		// As "Falcon 54322 Pvt": a noun and a number, one row.
		{"unique-name", search(fmt.Sprintf("%s %d Pvt", Noun(k), k+1)), 1},
		{"unique-email", search(Email(k)), 1},
		{"exact-auth-id", search(ids[k]), 1},
		// A noun's first three letters: about 1 row in 30.
		{"common-3-chars", search("fal"), -1},
		// An email domain: 1 row in 10.
		{"email-domain", search("@zohomail"), Accounts / 10},
		// In every row: the worst case for the trigram path.
		{"every-row-3-chars", search("pvt"), Accounts},
		{"rare-4-chars", search("9999"), -1},
		{"no-match", search("nomatchhere"), 0},
		// 1–2 characters fall back to scanning the partner's rows.
		{"short-2-chars", search("42"), -1},
		{"short-2-chars-no-match", search("qz"), 0},
	}
}

// PageCases list without a search: the page a partner's dashboard opens
// with, and pages deeper in.
func PageCases() []ListCase {
	return []ListCase{
		{"first-page", partnerd.AccountFilter{Page: firstPage}, Accounts},
		{"page-100", partnerd.AccountFilter{Page: partnerd.Page{Page: 100, Size: 20}}, Accounts},
		{"middle-page", partnerd.AccountFilter{Page: partnerd.Page{Page: Accounts / 200, Size: 100}}, Accounts},
		{"last-page", partnerd.AccountFilter{Page: partnerd.Page{Page: Accounts / 100, Size: 100}}, Accounts},
	}
}

// BalanceID is the account the i-th balance read asks for: a fixed stride
// through the ids visits rows all over the table, so the numbers are not
// those of one hot page.
func BalanceID(ids []string, i int) string { return ids[(i*7919)%len(ids)] }

var (
	pgOnce  sync.Once
	pgStore *sqlstore.DB
	pgErr   error
)

// SeededPostgres returns the seeded database moved with sqlstore.Copy (as
// `partnerd copy` does) into a fresh PostgreSQL database, once per
// process, or skips when no server is configured.
func SeededPostgres(b *testing.B, s *Seeded, src *sqlstore.DB) *sqlstore.DB {
	b.Helper()
	admin := pgtest.Require(b)
	pgOnce.Do(func() { pgStore, pgErr = copyToPostgres(admin, s, src) })
	if pgErr != nil {
		b.Fatalf("copy the seeded database to PostgreSQL: %v", pgErr)
	}
	return pgStore
}

func copyToPostgres(admin string, s *Seeded, src *sqlstore.DB) (*sqlstore.DB, error) {
	ctx := context.Background()
	dsn, err := recreatePostgres(admin, "partnerd_benchsearch_"+strconv.Itoa(os.Getpid()))
	if err != nil {
		return nil, err
	}
	db, err := sqlstore.Open(ctx, sqlstore.Source{Driver: "postgres", DSN: dsn}, sqlstore.Options{SecretKey: s.Key()})
	if err != nil {
		return nil, err
	}
	if err := sqlstore.Copy(ctx, src, db, io.Discard); err != nil {
		return nil, err
	}
	// A freshly loaded table has no statistics and no visibility map
	// (which lets an index-only scan skip the table) until autovacuum
	// runs; settled production tables have both, so give them the same.
	raw, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, err
	}
	defer raw.Close()
	_, err = raw.ExecContext(ctx, `VACUUM ANALYZE`)
	return db, err
}
