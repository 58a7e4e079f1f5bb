package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

// logBenchEntries is the length of the benchmarked wallet's log.
const logBenchEntries = 200_000

// mustLongLog returns a store whose partner has logBenchEntries transfers
// to one customer: each wallet's log that long. The rows are written
// directly, in one transaction, with the balances, chains and entry counts
// the store itself would write (ledger verify passes).
func mustLongLog(b *testing.B) (*sqlstore.DB, string, string) {
	b.Helper()
	ctx := context.Background()
	db := mustOpen(b, filepath.Join(b.TempDir(), "p.db"), testKey(b))
	p, _, err := db.CreatePartner(ctx, partnerd.PartnerInput{Name: "Long", Email: "ops@long.example"})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := db.FundPartner(ctx, p.ID, 1_000_000_000, nil); err != nil {
		b.Fatal(err)
	}
	a, err := db.CreateAccount(ctx, p.ID, partnerd.AccountInput{
		Name: "Long", Email: "c@long.example", Password: "SecurePass@123", Phone: "9431538535", Country: "IN",
	})
	if err != nil {
		b.Fatal(err)
	}
	const batch = 500
	err = db.Update(ctx, func(tx *sql.Tx) error {
		for start := 0; start < logBenchEntries; start += batch {
			var txRows, entryRows []string
			var txArgs, entryArgs []any
			for i := start; i < start+batch; i++ {
				id := fmt.Sprintf("txn_bench%07d", i)
				at := int64(1_774_000_000 + i)
				txRows = append(txRows, "(?, ?, 'transfer', ?, ?)")
				txArgs = append(txArgs, id, p.ID, p.ID, at)
				entryRows = append(entryRows, "(?, ?, ?, 'partner', 'transfer_out', -1, ?, ?, ?)", "(?, ?, ?, 'customer', 'recharge', 1, ?, ?, ?)")
				pBefore := int64(1_000_000_000 - i)
				entryArgs = append(entryArgs, id, p.ID, p.ID, pBefore, pBefore-1, at, id, a.AuthID, p.ID, int64(i), int64(i+1), at)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO ledger_transactions (id, partner_id, kind, initiated_by, created_at) VALUES `+
				strings.Join(txRows, ", "), txArgs...); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO ledger_entries (transaction_id, wallet_id, partner_id, wallet_kind, type,
				amount, balance_before, balance_after, created_at) VALUES `+strings.Join(entryRows, ", "), entryArgs...); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE wallets SET balance = balance - ?, entry_count = entry_count + ? WHERE id = ?`,
			logBenchEntries, logBenchEntries, p.ID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE wallets SET balance = balance + ?, entry_count = entry_count + ? WHERE id = ?`,
			logBenchEntries, logBenchEntries, a.AuthID)
		return err
	})
	if err != nil {
		b.Fatalf("seeding the log: %v", err)
	}
	return db, p.ID, a.AuthID
}

// BenchmarkLogFirstPage reads page 1 (20 rows) of a 200k-entry log. The
// figure to compare is the ratio within one run:
//   - counted: what every page cost before entry_count, a COUNT(*) of
//     the wallet's entries (an index range of 200k) and the page;
//   - maintained: the unfiltered log now, its total one wallet row;
//   - customers: the partner-wide customer log, its total a sum over the
//     partner's customer wallets;
//   - filtered: a type filter matching every entry, which must still count.
func BenchmarkLogFirstPage(b *testing.B) {
	db, pid, aid := mustLongLog(b)
	ctx := context.Background()
	page := partnerd.EntryFilter{Page: partnerd.Page{Page: 1, Size: 20}}
	check := func(b *testing.B, es []*partnerd.Entry, total int, err error) {
		if err != nil || len(es) != 20 || total < logBenchEntries {
			b.Fatalf("%d rows, total %d, err %v", len(es), total, err)
		}
	}
	b.Run("counted", func(b *testing.B) {
		for b.Loop() {
			var total int
			if err := db.ReadDB().QueryRowContext(ctx, `SELECT COUNT(*) FROM ledger_entries e WHERE e.wallet_id = ?`, aid).Scan(&total); err != nil {
				b.Fatal(err)
			}
			es, _, err := db.AccountEntries(ctx, pid, aid, page)
			check(b, es, total, err)
		}
	})
	b.Run("maintained", func(b *testing.B) {
		for b.Loop() {
			es, total, err := db.AccountEntries(ctx, pid, aid, page)
			check(b, es, total, err)
		}
	})
	b.Run("customers", func(b *testing.B) {
		for b.Loop() {
			es, total, err := db.CustomerEntries(ctx, pid, page)
			check(b, es, total, err)
		}
	})
	b.Run("filtered", func(b *testing.B) {
		f := page
		f.Type = partnerd.TxRecharge
		for b.Loop() {
			es, total, err := db.AccountEntries(ctx, pid, aid, f)
			check(b, es, total, err)
		}
	})
	b.Run("stream-first-20", func(b *testing.B) {
		for b.Loop() {
			n := 0
			for _, err := range db.AccountEntriesSeq(ctx, pid, aid, partnerd.EntryFilter{}) {
				if err != nil {
					b.Fatal(err)
				}
				if n++; n == 20 {
					break
				}
			}
		}
	})
}
