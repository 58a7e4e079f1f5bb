package sqlstore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/partnerd/partnerd"
)

// Partner-wide CDR searches take turns (at most one per two cores), and
// only they: while every turn is taken, a search waits, for as long as its
// caller does, and a list without a term does not.
func TestCDRSearchesTakeTurns(t *testing.T) {
	db := writerStores(t)["sqlite"](t)
	ctx := context.Background()
	p, _, err := db.CreatePartner(ctx, partnerd.PartnerInput{Name: "Turns", Email: "turns@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	f, err := partnerd.CDRParams{}.Filter(time.Now(), time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	search := f
	search.Search = "9876"
	for range cap(db.searches) { // every turn taken, as by searches running
		db.searches <- struct{}{}
	}
	if _, _, err := db.ListCDRs(ctx, p.ID, f); err != nil {
		t.Fatalf("list without a search while the searches' turns are taken: %v", err)
	}
	wctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, _, err := db.ListCDRs(wctx, p.ID, search); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("search while every turn is taken = %v; want it to wait until its caller gave up", err)
	}
	<-db.searches
	if _, _, err := db.ListCDRs(ctx, p.ID, search); err != nil {
		t.Fatalf("search once a turn is free: %v", err)
	}
}
