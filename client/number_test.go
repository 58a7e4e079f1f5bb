package client_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/client"
	"github.com/partnerd/partnerd/internal/httpapi"
)

// TestNumbers assigns, lists and releases a number through the client
// against the real server on a real SQLite store.
func TestNumbers(t *testing.T) {
	ctx := context.Background()
	db := mustOpenSQLite(t)
	api := httpapi.NewServer(httpapi.Config{Accounts: db, Partners: db, Ledger: db, Numbers: db, Idempotency: db})
	srv := httptest.NewServer(api)
	t.Cleanup(func() {
		srv.Close()
	})
	p, token, err := db.CreatePartner(ctx, partnerd.PartnerInput{Name: "Numbers", Email: "numbers@partner.example"})
	if err != nil {
		t.Fatal(err)
	}
	c := client.New(srv.URL, p.ID, token)
	a, err := c.CreateAccount(ctx, "", partnerd.AccountInput{Name: "Renter", Email: "renter@numbers.example",
		Password: "Str0ng!pass", Phone: "9431538535", Country: "IN"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.FundPartner(ctx, p.ID, 100000, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: 10000}); err != nil {
		t.Fatal(err)
	}
	region := "Mumbai"
	if _, err := db.AddNumber(ctx, p.ID, partnerd.NumberInput{Number: "+912271264217", Region: &region, MonthlyCost: 2550}); err != nil {
		t.Fatal(err)
	}

	n, err := c.AssignNumber(client.WithIdempotencyKey(ctx, "k1"), "", a.AuthID, "+912271264217")
	if err != nil {
		t.Fatalf("AssignNumber: %v", err)
	}
	name := "Renter"
	want := &partnerd.Number{Number: "+912271264217", PartnerID: p.ID, Type: partnerd.NumberLocal, Country: "IN", Region: &region,
		MonthlyCost: 2550, Currency: "INR", Status: partnerd.NumberAssigned, AccountAuthID: &a.AuthID, AccountName: &name,
		AssignedAt: n.AssignedAt}
	if diff := cmp.Diff(want, n); diff != "" || n.AssignedAt == nil {
		t.Errorf("AssignNumber (-want +got):\n%s", diff)
	}
	pool, total, err := c.ListNumbers(ctx, "", partnerd.NumberFilter{Status: partnerd.NumberAssigned})
	if err != nil || total != 1 {
		t.Fatalf("ListNumbers = %v, %d, %v", pool, total, err)
	}
	if diff := cmp.Diff(want, pool[0]); diff != "" {
		t.Errorf("ListNumbers row (-want +got):\n%s", diff)
	}
	mine, _, err := c.ListAccountNumbers(ctx, "", a.AuthID, partnerd.NumberFilter{Search: "64217"})
	if err != nil || len(mine) != 1 {
		t.Fatalf("ListAccountNumbers = %v, %v", mine, err)
	}
	if diff := cmp.Diff(want, mine[0], cmp.FilterPath(func(p cmp.Path) bool { return p.String() == "AccountName" }, cmp.Ignore())); diff != "" {
		t.Errorf("ListAccountNumbers row (-want +got):\n%s", diff)
	}
	if err := c.ReleaseNumber(ctx, "", a.AuthID, "+912271264217"); err != nil {
		t.Fatalf("ReleaseNumber: %v", err)
	}
	err = c.ReleaseNumber(ctx, "", a.AuthID, "+912271264217")
	if partnerd.ErrorCode(err) != partnerd.ECNumberNotFound {
		t.Errorf("ReleaseNumber(again) = %v, want %s", err, partnerd.ECNumberNotFound)
	}
	_, err = c.AssignNumber(ctx, "", a.AuthID, "+912271264299")
	if partnerd.ErrorCode(err) != partnerd.ECNumberNotFound {
		t.Errorf("AssignNumber(unknown) = %v, want %s", err, partnerd.ECNumberNotFound)
	}
}
