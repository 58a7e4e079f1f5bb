package storetest

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/secret"
)

var partnerTests = []test{
	{"CreateNormalizes", testPartnerCreateNormalizes},
	{"CreateValidates", testPartnerCreateValidates},
	{"Credential", testPartnerCredential},
	{"Get", testPartnerGet},
	{"List", testPartnerList},
	{"Set", testPartnerSet},
}

// testPartnerSet: partner set changes what it is given and nothing else,
// and the credential read for every request carries the time zone.
func testPartnerSet(t *testing.T, s Store) {
	ctx := context.Background()
	p, _ := mustPartner(t, s, "settings")
	tz, low, inactive := "Asia/Kolkata", int64(5000), "inactive"
	got, err := s.SetPartner(ctx, p.ID, partnerd.PartnerSettings{Timezone: &tz, LowBalance: &low})
	if err != nil {
		t.Fatalf("SetPartner: %v", err)
	}
	want := *p
	want.Timezone, want.LowBalance = tz, low
	if diff := cmp.Diff(&want, got); diff != "" {
		t.Errorf("SetPartner returned (-want +got):\n%s", diff)
	}
	if got, err = s.SetPartner(ctx, p.ID, partnerd.PartnerSettings{Status: &inactive}); err != nil || got.Status != inactive || got.Timezone != tz || got.LowBalance != low {
		t.Errorf("SetPartner(status) = %+v, %v; want only the status changed", got, err)
	}
	c, err := s.PartnerCredential(ctx, p.ID)
	if err != nil || c.Partner.Timezone != tz || c.Partner.Status != inactive || c.Partner.Location().String() != tz {
		t.Errorf("PartnerCredential = %+v, %v; want the new settings", c, err)
	}
	bad := "Nowhere/Town"
	if _, err := s.SetPartner(ctx, p.ID, partnerd.PartnerSettings{Timezone: &bad}); partnerd.ErrorCode(err) != partnerd.ECValidation {
		t.Errorf("SetPartner(bad time zone) = %v, want validation_error", err)
	}
	if _, err := s.SetPartner(ctx, "PA_UNKNOWN0", partnerd.PartnerSettings{Timezone: &tz}); partnerd.ErrorCode(err) != partnerd.ECNotFound {
		t.Errorf("SetPartner(unknown) = %v, want not_found", err)
	}
}

func testPartnerCreateNormalizes(t *testing.T, s Store) {
	ctx := context.Background()
	company := "Acme Telecom Pvt Ltd"
	p, token, err := s.CreatePartner(ctx, partnerd.PartnerInput{
		Name: "  Acme  ", Email: "Ops@Acme.Example", Company: &company, Currency: "usd",
	})
	if err != nil {
		t.Fatalf("CreatePartner: %v", err)
	}
	if !partnerd.IsPartnerID(p.ID) {
		t.Errorf("ID = %q, want PA_ and 8 upper-case alphanumerics", p.ID)
	}
	if !strings.HasPrefix(token, "sk_live_") || len(token) < len("sk_live_")+32 {
		t.Errorf("token = %q, want sk_live_ and at least 32 characters", token)
	}
	want := &partnerd.Partner{
		ID: p.ID, Name: "Acme", Email: "ops@acme.example", Company: &company,
		Status: partnerd.StatusActive, Currency: "USD", CreatedAt: p.CreatedAt,
		Timezone: "UTC", LowBalance: 10000, // 100.00 USD
	}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("CreatePartner returned (-want +got):\n%s", diff)
	}
	got, err := s.Partner(ctx, p.ID)
	if err != nil {
		t.Fatalf("Partner: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Partner after create (-want +got):\n%s", diff)
	}

	// The currency defaults to INR.
	q, _ := mustPartner(t, s, "defaults")
	if q.Currency != partnerd.DefaultCurrency {
		t.Errorf("default currency = %q, want %q", q.Currency, partnerd.DefaultCurrency)
	}
	if q.ID == p.ID {
		t.Errorf("two partners share the id %s", p.ID)
	}
}

func testPartnerCreateValidates(t *testing.T, s Store) {
	ctx := context.Background()
	_, _, err := s.CreatePartner(ctx, partnerd.PartnerInput{Name: " ", Email: "not-an-address", Currency: "XXX"})
	wantCode(t, "CreatePartner(invalid)", err, partnerd.ECValidation)
	ps, err := s.ListPartners(ctx)
	if err != nil {
		t.Fatalf("ListPartners: %v", err)
	}
	if len(ps) != 0 {
		t.Errorf("ListPartners after a rejected create = %d partners, want 0", len(ps))
	}
}

func testPartnerCredential(t *testing.T, s Store) {
	ctx := context.Background()
	p, token := mustPartner(t, s, "auth")
	other, otherToken := mustPartner(t, s, "other")

	got, err := s.PartnerCredential(ctx, p.ID)
	if err != nil {
		t.Fatalf("PartnerCredential: %v", err)
	}
	// The identity as created, without balance or account count.
	if diff := cmp.Diff(*p, got.Partner); diff != "" {
		t.Errorf("PartnerCredential identity (-created +got):\n%s", diff)
	}
	if !secret.TokenMatches(got.TokenHash, token) {
		t.Errorf("PartnerCredential token hash does not match the partner's token")
	}
	if secret.TokenMatches(got.TokenHash, otherToken) || secret.TokenMatches(got.TokenHash, token+"x") {
		t.Errorf("PartnerCredential token hash matches another token")
	}
	if o, err := s.PartnerCredential(ctx, other.ID); err != nil || !secret.TokenMatches(o.TokenHash, otherToken) {
		t.Errorf("PartnerCredential(other partner) = %v, %v; want its own token hash", o, err)
	}

	// Ids are exact: anything else is not found.
	for _, id := range []string{"PA_ZZZZZZZZ", "nobody", "", strings.ToLower(p.ID)} {
		_, err := s.PartnerCredential(ctx, id)
		wantCode(t, "PartnerCredential("+id+")", err, partnerd.ECNotFound)
	}
}

func testPartnerGet(t *testing.T, s Store) {
	ctx := context.Background()
	p, _ := mustPartner(t, s, "get")
	other, _ := mustPartner(t, s, "neighbour")

	got, err := s.Partner(ctx, p.ID)
	if err != nil {
		t.Fatalf("Partner: %v", err)
	}
	if got.Balance != 0 || got.AccountCount != 0 {
		t.Errorf("new partner: balance %d, account_count %d, want 0 and 0", got.Balance, got.AccountCount)
	}

	mustAccount(t, s, p.ID, "First", "first@get.example")
	mustAccount(t, s, p.ID, "Second", "second@get.example")
	mustAccount(t, s, other.ID, "Foreign", "foreign@get.example")
	if got, err = s.Partner(ctx, p.ID); err != nil {
		t.Fatalf("Partner: %v", err)
	}
	if got.AccountCount != 2 {
		t.Errorf("account_count = %d, want 2 (the neighbour's account must not count)", got.AccountCount)
	}
	if got, err = s.Partner(ctx, other.ID); err != nil {
		t.Fatalf("Partner(neighbour): %v", err)
	}
	if got.AccountCount != 1 {
		t.Errorf("neighbour's account_count = %d, want 1", got.AccountCount)
	}

	_, err = s.Partner(ctx, "PA_ZZZZZZZZ")
	wantCode(t, "Partner(unknown)", err, partnerd.ECNotFound)
}

func testPartnerList(t *testing.T, s Store) {
	ctx := context.Background()
	ps, err := s.ListPartners(ctx)
	if err != nil {
		t.Fatalf("ListPartners(empty store): %v", err)
	}
	if len(ps) != 0 {
		t.Errorf("ListPartners(empty store) = %d partners, want 0", len(ps))
	}

	a, _ := mustPartner(t, s, "alpha")
	b, _ := mustPartner(t, s, "beta")
	mustAccount(t, s, b.ID, "Customer", "customer@list.example")
	if ps, err = s.ListPartners(ctx); err != nil {
		t.Fatalf("ListPartners: %v", err)
	}
	got := map[string]*partnerd.Partner{}
	for _, p := range ps {
		got[p.ID] = p
	}
	if len(ps) != 2 || got[a.ID] == nil || got[b.ID] == nil {
		t.Fatalf("ListPartners = %v, want exactly %s and %s", partnerIDs(ps), a.ID, b.ID)
	}
	if got[a.ID].AccountCount != 0 || got[b.ID].AccountCount != 1 {
		t.Errorf("account counts = %d, %d, want 0, 1", got[a.ID].AccountCount, got[b.ID].AccountCount)
	}
	if got[b.ID].Name != "beta" || got[b.ID].Currency != partnerd.DefaultCurrency {
		t.Errorf("listed partner = %+v, want name beta, currency %s", got[b.ID], partnerd.DefaultCurrency)
	}
}

func partnerIDs(ps []*partnerd.Partner) []string {
	ids := make([]string, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	return ids
}
