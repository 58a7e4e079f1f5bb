package webhook_test

import (
	"context"
	"crypto/rand"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/pgtest"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

// instances opens n stores on one new database of the engine, as n
// instances of the server share one.
func instances(t *testing.T, engine string, n int) []*sqlstore.DB {
	t.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	src := sqlstore.Source{Driver: "sqlite", Path: filepath.Join(t.TempDir(), "p.db")}
	if engine == "postgres" {
		pgtest.Require(t)
		src = sqlstore.Source{Driver: "postgres", DSN: pgtest.FreshDSN(t)}
	}
	out := make([]*sqlstore.DB, n)
	for i := range out {
		db, err := sqlstore.Open(context.Background(), src, sqlstore.Options{SecretKey: key})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		out[i] = db
	}
	return out
}

func TestLeaseSQLite(t *testing.T)   { testLease(t, "sqlite") }
func TestLeasePostgres(t *testing.T) { testLease(t, "postgres") }

// testLease claims deliveries from several instances at once: none is
// claimed twice while its lease holds; once it ran out another instance
// takes it back, and the first claimant's outcome is then refused.
func testLease(t *testing.T, engine string) {
	dbs := instances(t, engine, 3)
	e := setUp(t, dbs[0])
	for _, db := range dbs[1:] {
		db.Now = e.clock.Now
	}
	ctx := context.Background()
	ep := e.mustEndpoint(t, "http://127.0.0.1:9/never-sent")
	const events = 150
	var wg sync.WaitGroup
	for range events {
		wg.Go(func() { e.mustTransfer(t, 1) })
	}
	wg.Wait()
	now := e.clock.Now()
	var mu sync.Mutex
	seen := map[int64]string{}
	var first *partnerd.DeliveryClaim
	for i, db := range dbs {
		wg.Go(func() {
			owner := string(rune('A' + i))
			for {
				cs, err := db.ClaimDeliveries(ctx, owner, 7, nil, now, time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if len(cs) == 0 {
					return
				}
				mu.Lock()
				for _, c := range cs {
					if prev, ok := seen[c.Seq]; ok {
						t.Errorf("delivery %d claimed by %s and %s", c.Seq, prev, owner)
					}
					seen[c.Seq] = owner
					if c.Attempt != 1 || c.EndpointID != ep.ID || len(c.Secrets) != 1 || c.Secrets[0] != ep.Secret {
						t.Errorf("claim %+v", c)
					}
					if first == nil {
						first = c
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != events {
		t.Fatalf("%d deliveries claimed, want %d", len(seen), events)
	}
	// While the leases hold, nothing is due.
	if cs, err := dbs[1].ClaimDeliveries(ctx, "late", 500, nil, now.Add(59*time.Second), time.Minute); err != nil || len(cs) != 0 {
		t.Fatalf("claim during the leases: %d, %v", len(cs), err)
	}
	// Expired, they are claimed again, as a second attempt.
	again, err := dbs[1].ClaimDeliveries(ctx, "late", 500, nil, now.Add(61*time.Second), time.Minute)
	if err != nil || len(again) != events {
		t.Fatalf("claim after the leases: %d, %v", len(again), err)
	}
	var retaken *partnerd.DeliveryClaim
	for _, c := range again {
		if c.Seq == first.Seq {
			retaken = c
		}
	}
	if retaken == nil || retaken.Attempt != 2 {
		t.Fatalf("the first claim was retaken as %+v", retaken)
	}
	outcome := func(c *partnerd.DeliveryClaim) partnerd.DeliveryOutcome {
		return partnerd.DeliveryOutcome{Claim: c, At: now, Status: partnerd.DeliverySucceeded, HTTPCode: 200}
	}
	if ok, err := dbs[0].RecordDelivery(ctx, outcome(first)); err != nil || ok {
		t.Errorf("outcome of a lost lease recorded: %v, %v", ok, err)
	}
	if ok, err := dbs[2].RecordDelivery(ctx, outcome(retaken)); err != nil || !ok {
		t.Errorf("outcome of the live lease: %v, %v", ok, err)
	}
	if ok, err := dbs[2].RecordDelivery(ctx, outcome(retaken)); err != nil || ok {
		t.Errorf("an outcome recorded twice: %v, %v", ok, err)
	}
	ds := e.deliveries(t, ep.ID)
	for _, d := range ds {
		if d.ID == partnerd.DeliveryID(first.Seq) {
			wantAttempts(t, d, partnerd.DeliverySucceeded, 200)
		}
	}
}

func TestQueueDepthSQLite(t *testing.T)   { testQueueDepth(t, "sqlite") }
func TestQueueDepthPostgres(t *testing.T) { testQueueDepth(t, "postgres") }

// testQueueDepth reads the backlog from two instances of one database:
// both count every delivery due, less those claimed (by either) and
// those of a disabled endpoint.
func testQueueDepth(t *testing.T, engine string) {
	dbs := instances(t, engine, 2)
	e := setUp(t, dbs[0])
	dbs[1].Now = e.clock.Now
	ctx := context.Background()
	ep := e.mustEndpoint(t, "http://127.0.0.1:9/never-sent")
	off := e.mustEndpoint(t, "http://127.0.0.1:9/disabled")
	for range 3 {
		e.mustTransfer(t, 1)
	}
	disabled := partnerd.WebhookDisabled
	if _, err := e.db.UpdateWebhookEndpoint(ctx, e.partner, off.ID, partnerd.WebhookEndpointPatch{Status: &disabled}); err != nil {
		t.Fatal(err)
	}
	want := func(n int) {
		t.Helper()
		for i, db := range dbs {
			if got, err := db.WebhookQueueDepth(ctx); err != nil || got != n {
				t.Errorf("instance %d: WebhookQueueDepth = %d, %v; want %d", i, got, err, n)
			}
		}
	}
	want(3)
	if cs, err := dbs[1].ClaimDeliveries(ctx, "other", 1, nil, e.clock.Now(), time.Minute); err != nil || len(cs) != 1 || cs[0].EndpointID != ep.ID {
		t.Fatalf("ClaimDeliveries = %v, %v", cs, err)
	}
	want(2)
	// The claim's lease runs out: its delivery is due again.
	e.clock.Add(time.Minute)
	want(3)
}
