package storetest

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
)

var balanceTests = []test{
	{"Fields", testBalanceFields},
	{"Tenancy", testBalanceTenancy},
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
