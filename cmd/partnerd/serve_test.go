package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/client"
)

// seedBody is the -d body of the published page's "Create Customer
// Account" curl, byte for byte (testdata/seed-create-account.json).
var seedBody = func() string {
	b, err := os.ReadFile("../../testdata/seed-create-account.json")
	if err != nil {
		panic(err)
	}
	return strings.TrimSuffix(string(b), "\n")
}()

// seedInput is seedBody as a partnerd.AccountInput.
func seedInput() partnerd.AccountInput {
	s := func(v string) *string { return &v }
	return partnerd.AccountInput{
		Name: "Credresolve", Email: "admin@credresolve.com", Password: "SecurePass@123", Phone: "9431538535",
		Description: s("Outbound collections calling team"), Company: s("Credresolve Private Limited"),
		Address: s("123 Brigade Road"), City: s("Bangalore"), State: s("Karnataka"), ZipCode: s("560001"),
		Country: "IN", Timezone: s("Asia/Kolkata"), GSTIN: s("29AAPFU0939F1ZV"), GSTStatus: s("active"),
		AccountType: s("standard"),
	}
}

// seedAccount is the account seedInput creates, less the fields the
// server assigns.
func seedAccount(partnerID string) *partnerd.Account {
	in := seedInput()
	return &partnerd.Account{
		PartnerID: partnerID, Name: in.Name, Email: in.Email, Phone: in.Phone, Country: in.Country,
		Description: in.Description, Company: in.Company, Address: in.Address, City: in.City,
		State: in.State, ZipCode: in.ZipCode, Timezone: *in.Timezone, GSTIN: in.GSTIN,
		GSTStatus: in.GSTStatus, AccountType: *in.AccountType, Status: partnerd.StatusActive,
		Currency: "INR", Balance: 0, LowBalanceThreshold: partnerd.DefaultLowBalance("INR"),
	}
}

var (
	accountIDShape = regexp.MustCompile(`^MA_[0-9a-f]{8}$`)
	tokenShape     = regexp.MustCompile(`^sk_live_[0-9A-Za-z]{32,}$`)
)

// postSeedVerbatim sends the published curl: same headers, same body.
func postSeedVerbatim(t *testing.T, baseURL, id, token string) (status int, body map[string]any, raw string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, baseURL+"/api/v1/partner/accounts", strings.NewReader(seedBody))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Auth-ID", id)
	req.Header.Set("X-Auth-Token", token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	if err := dec.Decode(&body); err != nil {
		t.Fatalf("POST /accounts answered %d with a body that is not JSON: %v\n%s", resp.StatusCode, err, b)
	}
	return resp.StatusCode, body, string(b)
}

func TestServeEndToEnd(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := tempDB(t)
	srv := mustServe(t, db)
	partnerID, token := mustCredentials(t, srv.stdout.String())
	c := client.New(srv.url, partnerID, token)

	me, err := c.Me(ctx)
	if err != nil {
		t.Fatalf("Me: %v", err)
	}
	if me.ID != partnerID || me.Currency != "INR" || me.Status != partnerd.StatusActive || me.AccountCount != 0 {
		t.Errorf("Me = %+v, want %s, INR, active, no accounts", me, partnerID)
	}

	// The published curl works as printed.
	status, created, raw := postSeedVerbatim(t, srv.url, partnerID, token)
	if status != http.StatusCreated {
		t.Fatalf("verbatim POST /accounts: status %d, want 201\n%s", status, raw)
	}
	seedID, _ := created["auth_id"].(string)
	seedToken, _ := created["auth_token"].(string)
	if !accountIDShape.MatchString(seedID) || !tokenShape.MatchString(seedToken) {
		t.Errorf("created auth_id %q, auth_token %q: want MA_ + 8 hex and sk_live_ + ≥32 base62", seedID, seedToken)
	}
	wantCreated := map[string]any{
		"auth_id": seedID, "auth_token": seedToken, "name": "Credresolve", "email": "admin@credresolve.com",
		"status": "active", "balance": json.Number("0.00"), "currency": "INR", "country": "IN",
		"timezone": "Asia/Kolkata", "created_at": created["created_at"],
	}
	if diff := cmp.Diff(wantCreated, created); diff != "" {
		t.Errorf("verbatim POST /accounts body (-want +got):\n%s", diff)
	}

	// The same account through the client: the email is a login, so taken.
	_, err = c.CreateAccount(ctx, "", seedInput())
	if got := partnerd.ErrorCode(err); got != partnerd.ECEmailTaken {
		t.Errorf("second CreateAccount of the seed: code %q, want %q (err %v)", got, partnerd.ECEmailTaken, err)
	}
	var perr *partnerd.Error
	if !errors.As(err, &perr) {
		t.Fatalf("second CreateAccount of the seed: error %#v, want a *partnerd.Error", err)
	}
	if len(perr.Fields) != 1 || perr.Fields[0].Field != "email" {
		t.Errorf("email_taken fields = %+v, want one on email", perr.Fields)
	}
	if id, _ := perr.Details["request_id"].(string); id == "" {
		t.Errorf("email_taken details = %v, want a request_id", perr.Details)
	}

	// The seed's values with another email through the client.
	in := seedInput()
	in.Email = "ops@credresolve.com"
	keyed := client.WithIdempotencyKey(ctx, "e2e-ops-credresolve")
	second, err := c.CreateAccount(keyed, partnerID, in)
	if err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	if !accountIDShape.MatchString(second.AuthID) || !tokenShape.MatchString(second.AuthToken) || second.AuthID == seedID {
		t.Errorf("CreateAccount = %s / %s: want a new MA_ id and an sk_live_ token", second.AuthID, second.AuthToken)
	}
	// A retry with the same Idempotency-Key gets the same account back.
	if replayed, err := c.CreateAccount(keyed, partnerID, in); err != nil {
		t.Errorf("CreateAccount retried with its key: %v", err)
	} else if diff := cmp.Diff(second, replayed); diff != "" {
		t.Errorf("CreateAccount retried with its key (-first +retry):\n%s", diff)
	}
	other := in
	other.Name = "Someone else"
	if _, err := c.CreateAccount(keyed, partnerID, other); partnerd.ErrorCode(err) != partnerd.ECIdempotencyReused {
		t.Errorf("CreateAccount of another body under a used key: code %q, want %q", partnerd.ErrorCode(err), partnerd.ECIdempotencyReused)
	}

	// List, newest first, and search by name, email and auth_id.
	list := func(search string) []string {
		t.Helper()
		accounts, total, err := c.ListAccounts(ctx, "", partnerd.AccountFilter{Search: search, Page: partnerd.Page{Page: 1, Size: 20}})
		if err != nil {
			t.Fatalf("ListAccounts(%q): %v", search, err)
		}
		var ids []string
		for _, a := range accounts {
			ids = append(ids, a.AuthID)
		}
		if total != len(ids) {
			t.Errorf("ListAccounts(%q): total %d, rows %d", search, total, len(ids))
		}
		return ids
	}
	for _, tt := range []struct {
		search string
		want   []string
	}{
		{"", []string{second.AuthID, seedID}},
		{"Credresolve", []string{second.AuthID, seedID}},
		{"CREDRES", []string{second.AuthID, seedID}},
		{"ops@cred", []string{second.AuthID}},
		{"ad", []string{seedID}},
		{seedID, []string{seedID}},
		{"nobody", nil},
	} {
		if diff := cmp.Diff(tt.want, list(tt.search)); diff != "" {
			t.Errorf("ListAccounts(search %q) ids (-want +got):\n%s", tt.search, diff)
		}
	}

	got, err := c.Account(ctx, "", seedID)
	if err != nil {
		t.Fatalf("Account: %v", err)
	}
	want := seedAccount(partnerID)
	want.AuthID, want.AuthToken = seedID, seedToken
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(partnerd.Account{}, "CreatedAt", "UpdatedAt")); diff != "" {
		t.Errorf("Account (-want +got):\n%s", diff)
	}
	if got.CreatedAt.IsZero() || !got.UpdatedAt.Equal(got.CreatedAt) {
		t.Errorf("Account created_at %v, updated_at %v: want both set and equal", got.CreatedAt, got.UpdatedAt)
	}

	bal, err := c.Balance(ctx, seedID)
	if err != nil {
		t.Fatalf("Balance: %v", err)
	}
	wantBal := &partnerd.Account{AuthID: seedID, PartnerID: partnerID, Name: "Credresolve", Currency: "INR", BalanceUpdatedAt: got.CreatedAt}
	if diff := cmp.Diff(wantBal, bal); diff != "" {
		t.Errorf("Balance (-want +got):\n%s", diff)
	}

	if _, err := c.Account(ctx, "", "MA_00000000"); partnerd.ErrorCode(err) != partnerd.ECAccountNotFound {
		t.Errorf("Account(unknown): code %q, want %q", partnerd.ErrorCode(err), partnerd.ECAccountNotFound)
	}
	wrong := client.New(srv.url, partnerID, token+"x")
	if _, err := wrong.Me(ctx); partnerd.ErrorCode(err) != partnerd.ECInvalidCredentials {
		t.Errorf("Me with a wrong token: code %q, want %q", partnerd.ErrorCode(err), partnerd.ECInvalidCredentials)
	}

	if err := srv.stop(t); err != nil {
		t.Fatalf("run after cancel = %v, want nil\nstderr:\n%s", err, srv.stderr)
	}

	keyFile := db + ".key"
	fi, err := os.Stat(keyFile)
	if err != nil {
		t.Fatalf("key file: %v", err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file %s mode %#o, want 0600", filepath.Base(keyFile), perm)
	}

	// A restart on the same database: same partner, same customer token,
	// and no credentials printed again.
	srv2 := mustServe(t, db)
	if out := srv2.stdout.String(); strings.Contains(out, "X-Auth-Token") || strings.Contains(out, token) {
		t.Errorf("second start printed credentials again:\n%s", out)
	}
	c2 := client.New(srv2.url, partnerID, token)
	again, err := c2.Account(ctx, "", seedID)
	if err != nil {
		t.Fatalf("Account after restart: %v", err)
	}
	if diff := cmp.Diff(got, again); diff != "" {
		t.Errorf("Account after restart (-before +after):\n%s", diff)
	}
	if ids, _, err := c2.ListAccounts(ctx, "", partnerd.AccountFilter{Search: "credresolve"}); err != nil || len(ids) != 2 {
		t.Errorf("ListAccounts after restart: %d accounts, err %v; want 2", len(ids), err)
	}
	if err := srv2.stop(t); err != nil {
		t.Errorf("second run after cancel = %v, want nil", err)
	}
}
