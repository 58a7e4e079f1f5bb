package sqlstore_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/benchtest"
	"github.com/partnerd/partnerd/internal/pgtest"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

// TestCDRSearchBehindIndex: on SQLite the call_uuid index is written
// behind the calls (cdrsearch.go). A partner-wide search finds every call
// whose call_uuid holds the term, exactly once, whether the call is in
// the index, past its mark, or some of each; and the indexer catches up,
// when the store opens behind and when enough calls arrive.
func TestCDRSearchBehindIndex(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "p.db")
	key := testKey(t)
	open := func(lag int64) *sqlstore.DB {
		db, err := sqlstore.Open(ctx, sqlstore.Source{Driver: "sqlite", Path: path},
			sqlstore.WithSearchIndexLag(sqlstore.Options{SecretKey: key}, lag))
		if err != nil {
			t.Fatal(err)
		}
		return db
	}
	db := open(1 << 40) // never woken: the test moves the mark
	defer func() { db.Close() }()
	raw := rawSQLite(t, path)
	s, err := benchtest.NewSwitch(ctx, db, raw, false, key, 3)
	if err != nil {
		t.Fatal(err)
	}

	c := &searchCalls{t: t, db: db, s: s}
	post, checkAll := c.post, c.checkAll
	upto := func() int64 {
		t.Helper()
		n, err := db.CDRSearchIndexedUpTo(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	last := func() int64 {
		t.Helper()
		var n int64
		if err := raw.QueryRow(`SELECT COALESCE(MAX(seq), 0) FROM cdrs`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// The index alone, read as searchHits reads it: each call of the term
	// once.
	indexed := func(term string) int {
		t.Helper()
		var n int
		if err := raw.QueryRow(`SELECT COUNT(*) FROM cdrs_uuid_search WHERE cdrs_uuid_search MATCH ?`, `"`+term+`"`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	post(20)
	if upto() != 0 {
		t.Fatalf("mark at %d before any indexing", upto())
	}
	checkAll("none indexed")

	for _, want := range []int64{7, 7, 6, 0} {
		n, err := db.IndexCDRSearch(ctx, 7)
		if err != nil || n != want {
			t.Fatalf("IndexCDRSearch(7) = %d, %v; want %d", n, err, want)
		}
		checkAll(fmt.Sprintf("mark at %d", upto()))
	}
	if upto() != last() || indexed("bra") != 7 {
		t.Fatalf("after catching up: mark %d of %d, %d calls of bra in the index, want 7", upto(), last(), indexed("bra"))
	}
	post(10)
	checkAll("ten past the mark")

	// Opened behind by 10 with a lag of 5, the indexer catches up by itself.
	waitIndexed := func(stage string) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); upto() != last(); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: mark at %d of %d after 10 s", stage, upto(), last())
			}
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = open(5)
	c.db = db
	waitIndexed("reopened")
	checkAll("reopened")
	// Six more wake it again; four stay past the mark.
	post(6)
	waitIndexed("six recorded")
	post(4)
	if upto() == last() {
		t.Fatalf("four calls under the lag were indexed at once")
	}
	checkAll("four under the lag")
	if n := indexed("bra"); n != 12 {
		t.Errorf("%d calls of bra in the index, want 12 (each once)", n)
	}
}

// searchCalls posts calls with call_uuids made for searching, and checks
// partner-wide searches against the call_uuids posted.
type searchCalls struct {
	t     *testing.T
	db    *sqlstore.DB
	s     *benchtest.Switch
	uuids []string
}

func (c *searchCalls) post(n int) {
	c.t.Helper()
	cdrs := c.s.CDRs("search", len(c.uuids)/n+1000, n)
	for i := range cdrs {
		tag := []string{"alpha", "bravo", "Alphorn"}[len(c.uuids)%3]
		cdrs[i].CallUUID = fmt.Sprintf("c%04d-%s-%d", len(c.uuids), tag, len(c.uuids)*7919%1000)
		c.uuids = append(c.uuids, cdrs[i].CallUUID)
	}
	res, err := c.db.PostCDRs(context.Background(), cdrs, make([]*partnerd.Error, len(cdrs)))
	if err != nil {
		c.t.Fatal(err)
	}
	for _, r := range res {
		if r.Status != partnerd.CDRCharged {
			c.t.Fatalf("PostCDRs: %+v", r)
		}
	}
}

// check fails the test unless a partner-wide search for term finds
// exactly the calls whose call_uuid holds it, ignoring case.
func (c *searchCalls) check(stage, term string) {
	c.t.Helper()
	var want []string
	for _, u := range c.uuids {
		if strings.Contains(strings.ToLower(u), strings.ToLower(term)) {
			want = append(want, u)
		}
	}
	size := "100"
	f, err := partnerd.CDRParams{Search: &term, Page: partnerd.PageParams{Size: &size}}.Filter(time.Now(), time.UTC)
	if err != nil {
		c.t.Fatal(err)
	}
	rows, total, err := c.db.ListCDRs(context.Background(), c.s.PartnerID, f)
	if err != nil {
		c.t.Fatalf("%s: ListCDRs(search=%q): %v", stage, term, err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, r.CallUUID)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) || total != len(want) {
		c.t.Errorf("%s: search=%q found %d (total %d) %v, want %d %v", stage, term, len(got), total, got, len(want), want)
	}
}

func (c *searchCalls) checkAll(stage string) {
	c.t.Helper()
	for _, term := range []string{"LPH", "bravo", "c00", "-1", "horn-", "zzz"} {
		c.check(stage, term)
	}
}

// TestPostgresCDRSearchCleaner: on PostgreSQL the GIN index's pending list
// may grow to 16 MB (migration 00025) and the store's cleaner merges it
// once enough calls are recorded; searches find every call, merged or
// pending.
func TestPostgresCDRSearchCleaner(t *testing.T) {
	pgtest.Require(t)
	ctx := context.Background()
	key := testKey(t)
	dbs, raw := openPostgresN(t, postgresSource(t), sqlstore.WithSearchIndexLag(sqlstore.Options{SecretKey: key}, 5), 1)
	db := dbs[0]
	var opts string
	if err := raw.QueryRow(`SELECT array_to_string(reloptions, ',') FROM pg_class WHERE relname = 'cdrs_uuid_trgm'`).Scan(&opts); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(opts, "gin_pending_list_limit=16384") {
		t.Errorf("cdrs_uuid_trgm options %q, want gin_pending_list_limit=16384", opts)
	}
	s, err := benchtest.NewSwitch(ctx, db, raw, true, key, 3)
	if err != nil {
		t.Fatal(err)
	}
	c := &searchCalls{t: t, db: db, s: s}
	c.post(4)
	c.checkAll("under the lag")
	if n := db.SearchIndexSteps(); n != 0 {
		t.Errorf("the cleaner ran %d times for 4 calls, under its lag of 5", n)
	}
	c.post(6)
	for deadline := time.Now().Add(10 * time.Second); db.SearchIndexSteps() == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the cleaner did not run within 10 s of 10 calls")
		}
	}
	c.checkAll("cleaned")
	c.post(3)
	c.checkAll("cleaned and pending")
}
