package sqlstore_test

import (
	"context"
	"database/sql"
	"iter"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

// A reader that holds an old snapshot (a long CSV export) keeps every
// checkpoint from finishing, so the WAL grows by all that is written
// meanwhile. Once the reader is gone the WAL must shrink back to its
// limit, not stay at its largest size on disk for ever.
func TestSQLiteWALShrinksAfterLongReader(t *testing.T) {
	ctx := context.Background()
	const limit = 256 << 10
	db, path, p := openWALStore(t, 50, limit)
	walSize := func() int64 {
		t.Helper()
		fi, err := os.Stat(path + "-wal")
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	fund := func(n int) {
		t.Helper()
		for range n {
			if _, err := db.FundPartner(ctx, p.ID, 100, nil); err != nil {
				t.Fatal(err)
			}
		}
	}

	reader, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	rtx, err := reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := rtx.QueryRowContext(ctx, `SELECT COUNT(*) FROM ledger_transactions`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	for walSize() < 4*limit {
		fund(20)
	}
	grown := walSize()
	t.Logf("WAL %d bytes", grown)
	if err := rtx.Rollback(); err != nil {
		t.Fatal(err)
	}
	// The next checkpoint (the store's checkpointer, or the writer past
	// its threshold) copies the whole WAL, and the next commit starts it
	// over, cut back to the limit.
	deadline := time.Now().Add(10 * time.Second)
	for walSize() > limit && time.Now().Before(deadline) {
		fund(1)
		time.Sleep(20 * time.Millisecond)
	}
	if got := walSize(); got > limit {
		t.Errorf("WAL is %d bytes after the reader ended (it grew to %d meanwhile); want at most the limit, %d", got, grown, limit)
	}
}

// An export to a consumer that pulls slowly (a CSV download to a slow
// client, whose socket takes tens of seconds to have room for one more
// write) must hold no snapshot meanwhile: SQLite could neither checkpoint
// what is written in that time nor start the WAL over, and the WAL would
// grow by every write. The stream reads its rows in chunks, each query
// closed before the consumer gets them, and still yields each row once,
// in order, none of those recorded after it began.
func TestSQLiteSlowExportHoldsNoSnapshot(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "p.db")
	db := mustOpen(t, path, testKey(t))
	p, _, err := db.CreatePartner(ctx, partnerd.PartnerInput{Name: "Slow", Email: "slow@example.com", Currency: "INR"})
	if err != nil {
		t.Fatal(err)
	}
	fund := func(n int) {
		t.Helper()
		for range n {
			if _, err := db.FundPartner(ctx, p.ID, 100, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	fund(200)
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()

	next, stop := iter.Pull2(db.PartnerEntriesSeq(ctx, p.ID, partnerd.EntryFilter{}))
	defer stop()
	var got []*partnerd.Entry
	pull := func() bool {
		t.Helper()
		e, err, ok := next()
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			got = append(got, e)
		}
		return ok
	}
	pull()
	// The consumer is slow: the export has begun and is paused.
	fund(5) // recorded after the export began: not in it
	var busy, log, done int
	if err := raw.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &log, &done); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path + "-wal"); err != nil || busy != 0 || fi.Size() != 0 {
		t.Errorf("TRUNCATE checkpoint while the export's consumer is slow: busy %d, WAL %d bytes (%v); want the WAL emptied", busy, fi.Size(), err)
	}
	for pull() {
	}
	if len(got) != 200 {
		t.Fatalf("export yielded %d entries, want the 200 recorded before it began", len(got))
	}
	for i := 1; i < len(got); i++ {
		if got[i].BalanceAfter >= got[i-1].BalanceAfter {
			t.Fatalf("entry %d (balance after %d) not older than entry %d (%d): rows repeated or out of order",
				i, got[i].BalanceAfter, i-1, got[i-1].BalanceAfter)
		}
	}
}

// An export that goes on in chunks of a few rows, or with a new query
// every few rows, still yields every row once, newest first, on both
// engines.
func TestExportAcrossQueries(t *testing.T) {
	for name, open := range map[string]func(*testing.T, int) []*sqlstore.DB{
		"sqlite": sqliteStores[*sqlstore.DB], "postgres": postgresStores[*sqlstore.DB],
	} {
		for _, mode := range []struct {
			name  string
			chunk int
		}{{"chunks", 7}, {"cursors", 0}} {
			t.Run(name+"/"+mode.name, func(t *testing.T) {
				ctx := context.Background()
				db := open(t, 1)[0]
				db.SetStreamHold(time.Nanosecond)
				db.SetExportChunk(mode.chunk)
				p, _, err := db.CreatePartner(ctx, partnerd.PartnerInput{Name: "Across", Email: "across@example.com", Currency: "INR"})
				if err != nil {
					t.Fatal(err)
				}
				for range 100 {
					if _, err := db.FundPartner(ctx, p.ID, 100, nil); err != nil {
						t.Fatal(err)
					}
				}
				var got []int64
				for e, err := range db.PartnerEntriesSeq(ctx, p.ID, partnerd.EntryFilter{}) {
					if err != nil {
						t.Fatal(err)
					}
					got = append(got, e.BalanceAfter)
				}
				if len(got) != 100 {
					t.Fatalf("export yielded %d entries, want 100", len(got))
				}
				for i, b := range got {
					if want := int64(100 * (100 - i)); b != want {
						t.Fatalf("entry %d has balance after %d, want %d: rows repeated, skipped or out of order", i, b, want)
					}
				}
			})
		}
	}
}

// The WAL is copied into the database beside the writer (checkpoint.go),
// not by the commit that takes it past its threshold: with a threshold
// the writer never reaches, the WAL still starts over between bursts of
// writes instead of growing by each of them.
func TestSQLiteCheckpointsBesideTheWriter(t *testing.T) {
	ctx := context.Background()
	const limit = 256 << 10
	db, path, p := openWALStore(t, 1_000_000, limit)
	var largest int64
	for range 6 {
		for range 5 {
			if _, err := db.FundPartner(ctx, p.ID, 100, nil); err != nil {
				t.Fatal(err)
			}
		}
		fi, err := os.Stat(path + "-wal")
		if err != nil {
			t.Fatal(err)
		}
		largest = max(largest, fi.Size())
		time.Sleep(1300 * time.Millisecond) // a checkpoint's turn
	}
	if largest > limit {
		t.Errorf("the WAL reached %d bytes over 30 commits in bursts of 5; want at most %d", largest, limit)
	}
}

// openWALStore opens a store on a new SQLite file with the given WAL
// checkpoint threshold (pages) and size limit (bytes), closed when the
// test ends, and creates a partner in it.
func openWALStore(t *testing.T, checkpointPages, sizeLimit int) (*sqlstore.DB, string, *partnerd.Partner) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "p.db")
	db, err := sqlstore.Open(context.Background(), sqlstore.Source{Driver: "sqlite", Path: path},
		sqlstore.WithWALLimits(sqlstore.Options{SecretKey: testKey(t)}, checkpointPages, sizeLimit))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	p, _, err := db.CreatePartner(context.Background(), partnerd.PartnerInput{Name: "WAL", Email: "wal@example.com", Currency: "INR"})
	if err != nil {
		t.Fatal(err)
	}
	return db, path, p
}
