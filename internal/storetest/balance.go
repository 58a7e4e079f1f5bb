package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
)

var balanceTests = []test{
	{"Fields", testBalanceFields},
	{"Tenancy", testBalanceTenancy},
	{"Concurrent", testBalanceConcurrent},
}

func testBalanceFields(t *testing.T, s Store) {
	ctx := context.Background()
	p, _ := mustPartner(t, s, "balance")
	a := mustAccount(t, s, p.ID, "Wallet Owner", "owner@balance.example")
	got, err := s.AccountBalance(ctx, p.ID, a.AuthID)
	if err != nil {
		t.Fatalf("AccountBalance: %v", err)
	}
	// Only the wallet's fields; above all no token.
	want := &partnerd.Account{
		AuthID: a.AuthID, PartnerID: p.ID, Name: a.Name, Balance: 0, Currency: p.Currency,
		BalanceUpdatedAt: a.CreatedAt,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("AccountBalance (-want +got):\n%s", diff)
	}
}

func testBalanceTenancy(t *testing.T, s Store) {
	ctx := context.Background()
	p, _ := mustPartner(t, s, "owner")
	other, _ := mustPartner(t, s, "stranger")
	a := mustAccount(t, s, p.ID, "Owned", "owned@tenancy.example")
	_, err := s.AccountBalance(ctx, other.ID, a.AuthID)
	wantCode(t, "AccountBalance(another partner's customer)", err, partnerd.ECAccountNotFound)
	_, err = s.AccountBalance(ctx, p.ID, "MA_00000000")
	wantCode(t, "AccountBalance(unknown)", err, partnerd.ECAccountNotFound)
}

// testBalanceConcurrent reads many balances at once, as a loaded server
// does (a store may answer concurrent reads together): each caller gets
// its own customer's wallet, and another partner's customer is not found
// even when read beside its owner's request.
func testBalanceConcurrent(t *testing.T, s Store) {
	ctx := context.Background()
	p, _ := mustPartner(t, s, "busy")
	q, _ := mustPartner(t, s, "nextdoor")
	mine := []*partnerd.Account{
		mustAccount(t, s, p.ID, "First", "first@busy.example"),
		mustAccount(t, s, p.ID, "Second", "second@busy.example"),
	}
	theirs := mustAccount(t, s, q.ID, "Theirs", "theirs@nextdoor.example")
	var wg sync.WaitGroup
	errs := make(chan string, 400)
	for i := range 200 {
		wg.Go(func() {
			a := mine[i%len(mine)]
			got, err := s.AccountBalance(ctx, p.ID, a.AuthID)
			if err != nil || got.AuthID != a.AuthID || got.Name != a.Name || got.PartnerID != p.ID {
				errs <- fmt.Sprintf("AccountBalance(%s) = %+v, %v", a.AuthID, got, err)
			}
			if _, err := s.AccountBalance(ctx, p.ID, theirs.AuthID); partnerd.ErrorCode(err) != partnerd.ECAccountNotFound {
				errs <- fmt.Sprintf("AccountBalance(another partner's customer): error %v, want %s", err, partnerd.ECAccountNotFound)
			}
			if got, err := s.AccountBalance(ctx, q.ID, theirs.AuthID); err != nil || got.Name != theirs.Name {
				errs <- fmt.Sprintf("AccountBalance(%s) as its owner = %+v, %v", theirs.AuthID, got, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}
}
