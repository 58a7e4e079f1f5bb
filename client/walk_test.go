package client_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/client"
)

// TestSeqNoDuplicatesWhenRowsArrive inserts 160 transactions while an
// iterator walks a customer's 120: later pages shift by 160 rows, and no
// row is yielded twice, none of the first 120 is missed.
func TestSeqNoDuplicatesWhenRowsArrive(t *testing.T) {
	t.Parallel()
	e := newFullEnv(t, "sqlite")
	_, pid, token := e.mustPartner(t, "Growing", 10_000_00)
	setup := client.New(e.url, pid, token)
	a := mustAccount(t, setup, "Busy", 0)
	ctx := context.Background()
	transfers := func(n int) {
		for range n {
			if _, err := e.db.Transfer(ctx, pid, partnerd.TransferInput{AuthID: a.AuthID, Amount: 1_00}); err != nil {
				t.Fatalf("Transfer: %v", err)
			}
		}
	}
	transfers(120)
	original := map[string]bool{}
	for en, err := range setup.AccountEntriesSeq(ctx, "", a.AuthID, partnerd.EntryFilter{}) {
		if err != nil {
			t.Fatal(err)
		}
		original[en.TransactionID] = true
	}
	if len(original) != 120 {
		t.Fatalf("%d entries before, want 120", len(original))
	}

	// The proxy inserts 160 rows just before the second page is read.
	var inserted atomic.Bool
	real := proxyTo(t, e.url)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("page") == "2" && inserted.CompareAndSwap(false, true) {
			transfers(160)
		}
		real.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	yielded := map[string]int{}
	for en, err := range client.New(front.URL, pid, token).AccountEntriesSeq(ctx, "", a.AuthID, partnerd.EntryFilter{}) {
		if err != nil {
			t.Fatal(err)
		}
		yielded[en.TransactionID]++
	}
	if !inserted.Load() {
		t.Fatal("the walk never asked for page 2")
	}
	for id, n := range yielded {
		if n > 1 {
			t.Errorf("transaction %s yielded %d times", id, n)
		}
	}
	for id := range original {
		if yielded[id] == 0 {
			t.Errorf("transaction %s was missed", id)
		}
	}
}
