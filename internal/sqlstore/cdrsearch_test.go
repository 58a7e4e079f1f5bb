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

	var uuids []string
	post := func(n int) {
		t.Helper()
		cdrs := s.CDRs("search", len(uuids)/n+1000, n)
		for i := range cdrs {
			tag := []string{"alpha", "bravo", "Alphorn"}[len(uuids)%3]
			cdrs[i].CallUUID = fmt.Sprintf("c%04d-%s-%d", len(uuids), tag, len(uuids)*7919%1000)
			uuids = append(uuids, cdrs[i].CallUUID)
		}
		res, err := db.PostCDRs(ctx, cdrs, make([]*partnerd.Error, len(cdrs)))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if r.Status != partnerd.CDRCharged {
				t.Fatalf("PostCDRs: %+v", r)
			}
		}
	}
	check := func(stage, term string) {
		t.Helper()
		var want []string
		for _, u := range uuids {
			if strings.Contains(strings.ToLower(u), strings.ToLower(term)) {
				want = append(want, u)
			}
		}
		size := "100"
		f, err := partnerd.CDRParams{Search: &term, Page: partnerd.PageParams{Size: &size}}.Filter(time.Now(), time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		rows, total, err := db.ListCDRs(ctx, s.PartnerID, f)
		if err != nil {
			t.Fatalf("%s: ListCDRs(search=%q): %v", stage, term, err)
		}
		var got []string
		for _, c := range rows {
			got = append(got, c.CallUUID)
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) || total != len(want) {
			t.Errorf("%s: search=%q found %d (total %d) %v, want %d %v", stage, term, len(got), total, got, len(want), want)
		}
	}
	checkAll := func(stage string) {
		t.Helper()
		for _, term := range []string{"LPH", "bravo", "c00", "-1", "horn-", "zzz"} {
			check(stage, term)
		}
	}
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
