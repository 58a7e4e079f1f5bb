package sqlstore

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/partnerd/partnerd"
)

// TestTransferBatchMixed queues one writer batch of transfers and
// withdrawals that the combined statements (PostgreSQL) must split
// correctly: several to and from one customer, two partners, a closed
// customer, another partner's customer, a partner that can cover each of
// two transfers but not both, and a customer likewise for two withdrawals.
// Every operation must get the outcome it would get alone, and the ledger
// must verify, balance chains included.
func TestTransferBatchMixed(t *testing.T) {
	for name, open := range writerStores(t) {
		t.Run(name, func(t *testing.T) {
			db := open(t)
			ctx := context.Background()
			partner := func(name string, funds int64) string {
				p, _, err := db.CreatePartner(ctx, partnerd.PartnerInput{Name: name, Email: "ops@" + name + ".example"})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := db.FundPartner(ctx, p.ID, funds, nil); err != nil {
					t.Fatal(err)
				}
				return p.ID
			}
			customer := func(partnerID, name string) string {
				a, err := db.CreateAccount(ctx, partnerID, partnerd.AccountInput{
					Name: name, Email: name + "@batch.example", Password: "SecurePass@123", Phone: "9431538535", Country: "IN",
				})
				if err != nil {
					t.Fatal(err)
				}
				return a.AuthID
			}
			p1, p2 := partner("one", 2000), partner("two", 150)
			c1, c2, closed := customer(p1, "c1"), customer(p1, "c2"), customer(p1, "closed")
			d1, e1 := customer(p2, "d1"), customer(p2, "e1")
			for _, pre := range []struct {
				partner, customer string
				amount            int64
			}{{p1, c2, 500}, {p2, e1, 50}} {
				if _, err := db.Transfer(ctx, pre.partner, partnerd.TransferInput{AuthID: pre.customer, Amount: pre.amount}); err != nil {
					t.Fatal(err)
				}
			}
			if err := db.update(ctx, func(tx *txn) error {
				_, err := tx.exec(`UPDATE accounts SET status = 'closed' WHERE auth_id = ?`, closed)
				return err
			}); err != nil {
				t.Fatal(err)
			}

			type move struct {
				withdraw          bool
				partner, customer string
				amount            int64
				want              string // error code; "" for success, "one-of…" for a contested pair
			}
			moves := []move{
				{false, p1, c1, 100, ""}, {false, p1, c1, 200, ""}, {false, p1, c2, 300, ""},
				{false, p1, closed, 10, partnerd.ECAccountClosed},
				{false, p1, d1, 10, partnerd.ECAccountNotFound},
				// 100 covers one 80, and not a second even after the 30
				// withdrawn below reaches the partner.
				{false, p2, d1, 80, "one-of-transfers"}, {false, p2, d1, 80, "one-of-transfers"},
				{true, p1, c2, 100, ""}, {true, p1, c2, 150, ""},
				{true, p1, closed, 10, partnerd.ECAccountClosed},
				{true, p2, e1, 30, "one-of-withdrawals"}, {true, p2, e1, 30, "one-of-withdrawals"},
			}

			combinedBefore := db.writer.stats.combined.Load()
			queued := holdWriter(t, db)
			errs := make([]error, len(moves))
			results := make([]*partnerd.Transfer, len(moves))
			var wg sync.WaitGroup
			for i, m := range moves {
				wg.Go(func() {
					move := db.Transfer
					if m.withdraw {
						move = db.Withdraw
					}
					results[i], errs[i] = move(ctx, m.partner, partnerd.TransferInput{AuthID: m.customer, Amount: m.amount})
				})
			}
			queued(len(moves))
			wg.Wait()

			contested := map[string]int{}
			for i, m := range moves {
				code := partnerd.ErrorCode(errs[i])
				if errs[i] == nil {
					code = ""
				}
				switch m.want {
				case "one-of-transfers", "one-of-withdrawals":
					contested[m.want]++
					switch code {
					case "":
						contested[m.want] += 10
					case partnerd.ECInsufficientBalance:
					default:
						t.Errorf("move %d: %v, want success or insufficient_balance", i, errs[i])
					}
				default:
					if code != m.want {
						t.Errorf("move %d (%s→%s %d): code %q (%v), want %q", i, m.partner, m.customer, m.amount, code, errs[i], m.want)
					}
				}
				if errs[i] == nil && (results[i].Currency == "" || results[i].PartnerBalanceAfter < 0) {
					t.Errorf("move %d: incomplete result %+v", i, results[i])
				}
			}
			// Each pair: two attempts (2) and exactly one success (+10).
			if contested["one-of-transfers"] != 12 || contested["one-of-withdrawals"] != 12 {
				t.Errorf("contested pairs %v, want exactly one success in each (12)", contested)
			}
			balance := func(id string) int64 {
				var b int64
				if err := db.read.QueryRowContext(ctx, db.dialect.rebind(`SELECT balance FROM wallets WHERE id = ?`), id).Scan(&b); err != nil {
					t.Fatal(err)
				}
				return b
			}
			for id, want := range map[string]int64{p1: 1150, c1: 300, c2: 550, closed: 0, p2: 50, d1: 80, e1: 20} {
				if got := balance(id); got != want {
					t.Errorf("wallet %s balance %d, want %d", id, got, want)
				}
			}
			// Each successful result's balances are those its own entries
			// recorded.
			for i, r := range results {
				if errs[i] != nil {
					continue
				}
				var pAfter, cAfter int64
				var kind, pType, cType string
				err := db.read.QueryRowContext(ctx, db.dialect.rebind(`SELECT
					(SELECT balance_after FROM ledger_entries WHERE transaction_id = ? AND wallet_kind = 'partner'),
					(SELECT balance_after FROM ledger_entries WHERE transaction_id = ? AND wallet_kind = 'customer'),
					(SELECT kind FROM ledger_transactions WHERE id = ?),
					(SELECT type FROM ledger_entries WHERE transaction_id = ? AND wallet_kind = 'partner'),
					(SELECT type FROM ledger_entries WHERE transaction_id = ? AND wallet_kind = 'customer')`),
					r.TransactionID, r.TransactionID, r.TransactionID, r.TransactionID, r.TransactionID).
					Scan(&pAfter, &cAfter, &kind, &pType, &cType)
				if err != nil {
					t.Fatalf("entries of %s: %v", r.TransactionID, err)
				}
				if pAfter != r.PartnerBalanceAfter || cAfter != r.CustomerBalanceAfter {
					t.Errorf("move %d answered balances %d/%d, its entries say %d/%d", i,
						r.PartnerBalanceAfter, r.CustomerBalanceAfter, pAfter, cAfter)
				}
				want := [3]string{"transfer", partnerd.TxTransferOut, partnerd.TxRecharge}
				if moves[i].withdraw {
					want = [3]string{"withdrawal", partnerd.TxTransferIn, partnerd.TxWithdrawal}
				}
				if got := [3]string{kind, pType, cType}; got != want {
					t.Errorf("move %d recorded as %v, want %v", i, got, want)
				}
			}
			// On PostgreSQL the valid moves of partner one (3 transfers,
			// 2 withdrawals) went through the combined statements; the
			// rest fell back to the one-by-one path.
			if combined := db.writer.stats.combined.Load() - combinedBefore; db.dialect.batchStatements && combined != 5 {
				t.Errorf("%d moves applied combined, want the 5 valid ones of partner one", combined)
			}
			// Those left alone ran in savepoints in the same pass: no
			// refusal cost the batch a rerun.
			if reruns := db.writer.stats.reruns.Load(); db.dialect.batchStatements && reruns != 0 {
				t.Errorf("%d reruns, want none", reruns)
			}
			if err := db.VerifyLedger(ctx, io.Discard); err != nil {
				t.Errorf("ledger verify: %v", err)
			}
			if t.Failed() {
				t.Log(fmt.Sprint(errs))
			}
		})
	}
}

// TestTransferManyRefusesHalfApplied breaks a wallet so that a combined
// statement would move money out of one wallet without moving it into the
// other, and runs the statement outside any transaction: the statement
// itself must fail and change nothing, not rely on its caller rolling
// back. Transfers debit the partner first; withdrawals the customer.
func TestTransferManyRefusesHalfApplied(t *testing.T) {
	open, ok := writerStores(t)["postgres"]
	if !ok {
		t.Skip("needs PostgreSQL")
	}
	for _, withdraw := range []bool{false, true} {
		t.Run(fmt.Sprintf("withdraw=%v", withdraw), func(t *testing.T) {
			db := open(t)
			ctx := context.Background()
			p, _, err := db.CreatePartner(ctx, partnerd.PartnerInput{Name: "half", Email: "ops@half.example"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.FundPartner(ctx, p.ID, 500, nil); err != nil {
				t.Fatal(err)
			}
			a, err := db.CreateAccount(ctx, p.ID, partnerd.AccountInput{
				Name: "broken", Email: "broken@half.example", Password: "SecurePass@123", Phone: "9431538535", Country: "IN",
			})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: 200}); err != nil {
				t.Fatal(err)
			}
			// The wallet to be credited no longer looks like one.
			credited := a.AuthID
			if withdraw {
				credited = p.ID
			}
			if _, err := db.write.ExecContext(ctx, `UPDATE wallets SET kind = 'system' WHERE id = $1`, credited); err != nil {
				t.Fatal(err)
			}
			op := &moveOp{db: db, withdraw: withdraw, partnerID: p.ID, in: partnerd.TransferInput{AuthID: a.AuthID, Amount: 100},
				t: partnerd.Transfer{TransactionID: partnerd.NewTransactionID(time.Now()), Timestamp: time.Now()}}
			err = moveCombiner{}.combine(ctx, db.write, []batchOp{op})
			if err == nil || !strings.Contains(err.Error(), "half-applied") {
				t.Fatalf("combine = %v, want the statement to fail as half-applied", err)
			}
			var pb, cb int64
			if err := db.read.QueryRowContext(ctx, `SELECT (SELECT balance FROM wallets WHERE id = $1),
				(SELECT balance FROM wallets WHERE id = $2)`, p.ID, a.AuthID).Scan(&pb, &cb); err != nil {
				t.Fatal(err)
			}
			var rows int
			if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM ledger_transactions WHERE id = $1`, op.t.TransactionID).Scan(&rows); err != nil {
				t.Fatal(err)
			}
			if pb != 300 || cb != 200 || rows != 0 {
				t.Errorf("after the refused statement: balances %d/%d (want 300/200), %d ledger rows (want 0)", pb, cb, rows)
			}
		})
	}
}
