package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/wire"
)

// TestWireRequests holds the client's request bodies (package wire) and
// what the server accepts equal: every field the client can send, all at
// once, is taken (unknown fields would be refused), and the answers decode
// into the bodies the client reads.
func TestWireRequests(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	c := e.mustPartner(t, "Wire Partner")
	s := func(v string) *string { return &v }
	in := partnerd.AccountInput{
		Name: "Wire Customer", Email: "customer@wire.example", Password: "SecurePass@123", Phone: "9431538535",
		Country: "IN", Description: s("every field"), Company: s("Wire Pvt Ltd"), Address: s("1 Road"),
		City: s("Bangalore"), State: s("Karnataka"), ZipCode: s("560001"), Timezone: s("Asia/Kolkata"),
		GSTIN: s("29AAPFU0939F1ZV"), GSTStatus: s("active"), AccountType: s("premium"),
		LowBalanceThreshold: func(v int64) *int64 { return &v }(250_50),
	}
	r := e.doJSON(t, http.MethodPost, "/api/v1/partner/accounts", c, wire.NewAccountRequest(in, "INR"), nil)
	if r.status != http.StatusCreated {
		t.Fatalf("POST /accounts with every field: %d %s", r.status, r.raw)
	}
	var created wire.AccountCreated
	mustDecode(t, r.raw, &created)
	r = e.doJSON(t, http.MethodGet, "/api/v1/partner/accounts/"+created.AuthID, c, nil, nil)
	var profile wire.AccountProfile
	mustDecode(t, r.raw, &profile)
	got, err := profile.Account(c.ID)
	if err != nil {
		t.Fatalf("profile %s: %v", r.raw, err)
	}
	want := partnerd.Account{
		AuthID: created.AuthID, PartnerID: c.ID, Name: in.Name, Email: in.Email, Phone: in.Phone, Country: in.Country,
		Description: in.Description, Company: in.Company, Address: in.Address, City: in.City, State: in.State,
		ZipCode: in.ZipCode, Timezone: *in.Timezone, GSTIN: in.GSTIN, GSTStatus: in.GSTStatus,
		AccountType: *in.AccountType, Status: partnerd.StatusActive, Currency: "INR", AuthToken: created.AuthToken,
		CreatedAt: created.CreatedAt, UpdatedAt: got.UpdatedAt, LowBalanceThreshold: 250_50,
	}
	if diff := cmp.Diff(&want, got); diff != "" {
		t.Errorf("profile of the account the client's body created (-want +got):\n%s", diff)
	}

	if _, err := e.db.FundPartner(context.Background(), c.ID, 1_000_00, nil); err != nil {
		t.Fatal(err)
	}
	move := partnerd.TransferInput{AuthID: created.AuthID, Amount: 250_50, Description: s("wire <&> é")}
	r = e.doJSON(t, http.MethodPost, "/api/v1/partner/accounts/"+created.AuthID+"/transfer-balance", c,
		wire.NewTransferRequest(move, "INR"), nil)
	if r.status != http.StatusOK {
		t.Fatalf("POST transfer-balance with the client's body: %d %s", r.status, r.raw)
	}
	var body wire.Transfer
	mustDecode(t, r.raw, &body)
	tr, err := body.Transfer()
	if err != nil {
		t.Fatalf("transfer %s: %v", r.raw, err)
	}
	if tr.Amount != move.Amount || tr.Description == nil || *tr.Description != *move.Description ||
		tr.PartnerBalanceAfter != 1_000_00-250_50 || tr.CustomerBalanceAfter != 250_50 {
		t.Errorf("transfer = %+v, want %d moved with its description", *tr, move.Amount)
	}
}

func mustDecode(t *testing.T, raw string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(raw), v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
}
