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

// TestTransferBatchMixed queues one writer batch of transfers that the
// combined statement (PostgreSQL) must split correctly: several to one
// customer, two partners, a closed customer, another partner's customer,
// and a partner that can cover each of its transfers but not both. Every
// transfer must get the outcome it would get alone, and the ledger must
// verify, balance chains included.
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
			p1, p2 := partner("one", 1000), partner("two", 100)
			c1, c2, closed := customer(p1, "c1"), customer(p1, "c2"), customer(p1, "closed")
			d1 := customer(p2, "d1")
			if err := db.update(ctx, func(tx *txn) error {
				_, err := tx.exec(`UPDATE accounts SET status = 'closed' WHERE auth_id = ?`, closed)
				return err
			}); err != nil {
				t.Fatal(err)
			}

			type move struct {
				partner, customer string
				amount            int64
				want              string // error code; "" for success, "one-of" for the contested pair
			}
			moves := []move{
				{p1, c1, 100, ""}, {p1, c1, 200, ""}, {p1, c2, 300, ""},
				{p1, closed, 10, partnerd.ECAccountClosed},
				{p1, d1, 10, partnerd.ECAccountNotFound},
				{p2, d1, 60, "one-of"}, {p2, d1, 60, "one-of"},
			}

			queued := holdWriter(t, db)
			errs := make([]error, len(moves))
			results := make([]*partnerd.Transfer, len(moves))
			var wg sync.WaitGroup
			for i, m := range moves {
				wg.Go(func() {
					results[i], errs[i] = db.Transfer(ctx, m.partner, partnerd.TransferInput{AuthID: m.customer, Amount: m.amount})
				})
			}
			queued(len(moves))
			wg.Wait()

			contested := 0
			for i, m := range moves {
				code := partnerd.ErrorCode(errs[i])
				if errs[i] == nil {
					code = ""
				}
				switch m.want {
				case "one-of":
					switch code {
					case "":
						contested++
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
			if contested != 1 {
				t.Errorf("%d of the two 60-transfers from a partner holding 100 succeeded, want exactly 1", contested)
			}
			balance := func(id string) int64 {
				var b int64
				if err := db.read.QueryRowContext(ctx, db.dialect.rebind(`SELECT balance FROM wallets WHERE id = ?`), id).Scan(&b); err != nil {
					t.Fatal(err)
				}
				return b
			}
			for id, want := range map[string]int64{p1: 400, c1: 300, c2: 300, closed: 0, p2: 40, d1: 60} {
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
				err := db.read.QueryRowContext(ctx, db.dialect.rebind(`SELECT
					(SELECT balance_after FROM ledger_entries WHERE transaction_id = ? AND wallet_kind = 'partner'),
					(SELECT balance_after FROM ledger_entries WHERE transaction_id = ? AND wallet_kind = 'customer')`),
					r.TransactionID, r.TransactionID).Scan(&pAfter, &cAfter)
				if err != nil {
					t.Fatalf("entries of %s: %v", r.TransactionID, err)
				}
				if pAfter != r.PartnerBalanceAfter || cAfter != r.CustomerBalanceAfter {
					t.Errorf("move %d answered balances %d/%d, its entries say %d/%d", i,
						r.PartnerBalanceAfter, r.CustomerBalanceAfter, pAfter, cAfter)
				}
			}
			// On PostgreSQL the valid transfers of the one partner that
			// could cover them went through the combined statement; the
			// rest fell back to the one-by-one path.
			if combined := db.writer.stats.combined.Load(); db.dialect.transferMany != "" && combined != 3 {
				t.Errorf("%d transfers applied combined, want the 3 valid ones of partner one", combined)
			}
			// Those left alone ran in savepoints in the same pass: no
			// refusal cost the batch a rerun.
			if reruns := db.writer.stats.reruns.Load(); db.dialect.transferMany != "" && reruns != 0 {
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

// TestTransferManyRefusesHalfApplied breaks a customer's wallet so that the
// combined statement would debit the partner without crediting anyone, and
// runs it outside any transaction: the statement itself must fail and
// leave the partner's balance alone, not rely on its caller rolling back.
func TestTransferManyRefusesHalfApplied(t *testing.T) {
	open, ok := writerStores(t)["postgres"]
	if !ok {
		t.Skip("needs PostgreSQL")
	}
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
	if _, err := db.write.ExecContext(ctx, `UPDATE wallets SET kind = 'system' WHERE id = $1`, a.AuthID); err != nil {
		t.Fatal(err)
	}
	op := &fastTransfer{authID: a.AuthID, partnerID: p.ID, amount: 100, txID: partnerd.NewTransactionID(time.Now()),
		createdAt: time.Now().Unix()}
	err = db.transferMany(ctx, db.write, []*fastTransfer{op})
	if err == nil || !strings.Contains(err.Error(), "half-applied transfer refused") {
		t.Fatalf("transferMany = %v, want the statement to fail as half-applied", err)
	}
	var balance int64
	if err := db.read.QueryRowContext(ctx, `SELECT balance FROM wallets WHERE id = $1`, p.ID).Scan(&balance); err != nil {
		t.Fatal(err)
	}
	var rows int
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM ledger_transactions WHERE id = $1`, op.txID).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if balance != 500 || rows != 0 {
		t.Errorf("after the refused statement: partner balance %d (want 500), %d ledger rows (want 0)", balance, rows)
	}
}
