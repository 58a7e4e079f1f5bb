package sqlstore_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

// A reader that holds an old snapshot (a long CSV export) keeps every
// checkpoint from finishing, so the WAL grows by all that is written
// meanwhile. Once the reader is gone the WAL must shrink back to its
// limit, not stay at its largest size on disk for ever.
func TestSQLiteWALShrinksAfterLongReader(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "p.db")
	const limit = 256 << 10
	db, err := sqlstore.Open(ctx, sqlstore.Source{Driver: "sqlite", Path: path},
		sqlstore.WithWALLimits(sqlstore.Options{SecretKey: testKey(t)}, 50, limit))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p, _, err := db.CreatePartner(ctx, partnerd.PartnerInput{Name: "WAL", Email: "wal@example.com", Currency: "INR"})
	if err != nil {
		t.Fatal(err)
	}
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
	// The next commits checkpoint the whole WAL (it is past its threshold),
	// then start it over.
	fund(20)
	if got := walSize(); got > limit {
		t.Errorf("WAL is %d bytes after the reader ended (it grew to %d meanwhile); want at most the limit, %d", got, grown, limit)
	}
}
