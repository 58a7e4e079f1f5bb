package sqlstore_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/benchtest"
	"github.com/partnerd/partnerd/internal/pgtest"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

// TestPostgresMixedBatchesNeverDeadlock: transfers, withdrawals,
// authorizations, CDRs (outbound, and inbound to their numbers, whose
// accounts are read), number rentals, the operator's funding and the
// reservations' expiry sweep, over a few customers, from many clients
// spread over three instances, lock their wallets in one order: no batch loses a
// deadlock (a lost one costs PostgreSQL's deadlock_timeout, a second, and
// then runs its requests one by one). Every write succeeds and the ledger
// verifies.
func TestPostgresMixedBatchesNeverDeadlock(t *testing.T) {
	pgtest.Require(t)
	ctx := context.Background()
	key := testKey(t)
	dbs, raw := openPostgresN(t, postgresSource(t), sqlstore.Options{SecretKey: key}, 3)
	s, err := benchtest.NewSwitch(ctx, dbs[0], raw, true, key, 6)
	if err != nil {
		t.Fatal(err)
	}
	dids := make([]string, len(s.Customers))
	for i, c := range s.Customers {
		dids[i] = fmt.Sprintf("+9122712600%02d", i)
		if _, err := dbs[0].AddNumber(ctx, s.PartnerID, partnerd.NumberInput{Number: dids[i], MonthlyCost: 100}); err != nil {
			t.Fatal(err)
		}
		if _, err := dbs[0].AssignNumber(ctx, s.PartnerID, c, dids[i]); err != nil {
			t.Fatal(err)
		}
	}
	pool := make([]string, 300)
	for i := range pool {
		pool[i] = fmt.Sprintf("+912271270%03d", i)
		if _, err := dbs[0].AddNumber(ctx, s.PartnerID, partnerd.NumberInput{Number: pool[i], MonthlyCost: 100}); err != nil {
			t.Fatal(err)
		}
	}
	before := make([]sqlstore.WriterStats, len(dbs))
	for i, db := range dbs {
		before[i] = db.WriterStats()
	}
	const clients, each = 24, 40
	var wg sync.WaitGroup
	errs := make(chan error, clients*each)
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(c), 1))
			for n := range each {
				db := dbs[r.IntN(len(dbs))]
				acct := s.Customers[r.IntN(len(s.Customers))]
				var err error
				switch (c + n) % 9 {
				case 7:
					// The operator funds the partner.
					_, err = db.FundPartner(ctx, s.PartnerID, 100, nil)
				case 8:
					// A sweep expires every open reservation.
					_, err = db.ExpireReservations(ctx, time.Now().Add(24*time.Hour))
				case 6:
					// A number assigned: its first month charged.
					_, err = db.AssignNumber(ctx, s.PartnerID, acct, pool[r.IntN(len(pool))])
					if partnerd.ErrorCode(err) == partnerd.ECNumberAssigned {
						err = nil
					}
				case 0:
					_, err = db.Transfer(ctx, s.PartnerID, partnerd.TransferInput{AuthID: acct, Amount: 100})
				case 1:
					_, err = db.Withdraw(ctx, s.PartnerID, partnerd.TransferInput{AuthID: acct, Amount: 1})
				case 2:
					_, err = db.Authorize(ctx, partnerd.AuthorizeInput{CallUUID: fmt.Sprintf("dl-a-%d-%d", c, n),
						Direction: partnerd.DirectionOutbound, From: "+919700000001", To: "+918012345678", AccountAuthID: &acct})
				case 3:
					_, err = db.Authorize(ctx, partnerd.AuthorizeInput{CallUUID: fmt.Sprintf("dl-i-%d-%d", c, n),
						Direction: partnerd.DirectionInbound, From: "+919812345678", To: dids[r.IntN(len(dids))]})
				case 4, 5:
					start := time.Now().Add(-time.Hour).Truncate(time.Second)
					answer := start.Add(5 * time.Second)
					var cdrs []partnerd.CDRInput
					for k := range 5 {
						in := partnerd.CDRInput{CallUUID: fmt.Sprintf("dl-c-%d-%d-%d", c, n, k),
							Direction: partnerd.DirectionOutbound, FromNumber: "+919700000001",
							ToNumber: "+918012345678", StartTime: start, AnswerTime: &answer, EndTime: answer.Add(61 * time.Second),
							DurationSeconds: 66, Billsec: 61}
						if k%2 == 0 {
							a := s.Customers[r.IntN(len(s.Customers))]
							in.AccountAuthID = &a
						} else {
							in.Direction, in.FromNumber, in.ToNumber = partnerd.DirectionInbound, "+919812345678", dids[r.IntN(len(dids))]
						}
						cdrs = append(cdrs, in)
					}
					var res []partnerd.CDRResult
					if res, err = db.PostCDRs(ctx, cdrs, make([]*partnerd.Error, len(cdrs))); err == nil {
						for _, x := range res {
							if x.Status != partnerd.CDRCharged {
								err = fmt.Errorf("CDR %s: %s (%v)", x.CallUUID, x.Status, x.Err)
							}
						}
					}
				}
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("a write failed: %v", err)
	}
	var lost int64
	for i, db := range dbs {
		lost += db.WriterStats().Sub(before[i]).Uncombined
	}
	if lost != 0 {
		t.Errorf("%d batches' combined statements failed (deadlocks: see the log) and ran one by one; want none", lost)
	}
	if err := dbs[0].VerifyLedger(ctx, io.Discard); err != nil {
		t.Errorf("ledger verify: %v", err)
	}
}
