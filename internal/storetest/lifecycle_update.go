package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
)

// The lifecycle suite's updates, token rotations and lists by status.

func set(v string) partnerd.Change { return partnerd.Change{Set: true, Value: &v} }

var null = partnerd.Change{Set: true}

// testLifecycleUpdate changes some fields, clears others and leaves the
// rest as they were.
func testLifecycleUpdate(t *testing.T, open func(n int) []LifecycleStore) {
	ctx := context.Background()
	s := open(1)[0]
	p, _ := mustPartner(t, s, "updater")
	in := accountInput("Before", "before@updater.example")
	in.Description, in.City, in.Timezone = ptr("old"), ptr("Pune"), ptr("Asia/Kolkata")
	in.GSTIN, in.GSTStatus, in.AccountType = ptr("29AAPFU0939F1ZV"), ptr("active"), ptr("premium")
	a, err := s.CreateAccount(ctx, p.ID, in)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.UpdateAccount(ctx, p.ID, a.AuthID, partnerd.AccountUpdate{
		Name: set("  After  "), Email: set(" After@Updater.EXAMPLE "), Phone: set("+91 94315 38536"),
		Password: set("N3w-password!"), Description: null, Company: set("Acme"), Timezone: null,
		GSTStatus: set("inactive"), AccountType: null,
	})
	if err != nil {
		t.Fatalf("UpdateAccount: %v", err)
	}
	want := *a
	want.Name, want.Email, want.Phone = "After", "after@updater.example", "+91 94315 38536"
	want.Description, want.Company, want.Timezone, want.GSTStatus, want.AccountType = nil, ptr("Acme"), "UTC", ptr("inactive"), "standard"
	want.UpdatedAt = got.UpdatedAt
	if diff := cmp.Diff(&want, got); diff != "" {
		t.Errorf("UpdateAccount (-want +got):\n%s", diff)
	}
	if got.UpdatedAt.Before(a.UpdatedAt) {
		t.Errorf("UpdatedAt %v went back from %v", got.UpdatedAt, a.UpdatedAt)
	}
	if read, err := s.Account(ctx, p.ID, a.AuthID); err != nil || !cmp.Equal(&want, read) {
		t.Errorf("Account after update (-want +got):\n%s (err %v)", cmp.Diff(&want, read), err)
	}
	// The search finds the new name and email, not the old ones.
	if list, _ := mustList(t, s, p.ID, partnerd.AccountFilter{Search: "after@upd"}); len(list) != 1 {
		t.Errorf("search for the new email found %d accounts, want 1", len(list))
	}
	if list, _ := mustList(t, s, p.ID, partnerd.AccountFilter{Search: "before"}); len(list) != 0 {
		t.Errorf("search for the old name found %d accounts, want 0", len(list))
	}
	// The old email is free again.
	mustAccount(t, s, p.ID, "Reuse", "before@updater.example")
	// An empty update changes nothing.
	if same, err := s.UpdateAccount(ctx, p.ID, a.AuthID, partnerd.AccountUpdate{}); err != nil || same.Name != "After" {
		t.Errorf("empty UpdateAccount = %+v, %v", same, err)
	}
}

func testLifecycleUpdateValidates(t *testing.T, open func(n int) []LifecycleStore) {
	ctx := context.Background()
	s := open(1)[0]
	p, _ := mustPartner(t, s, "updvalid")
	a := mustAccount(t, s, p.ID, "Valid", "valid@updvalid.example")
	other := mustAccount(t, s, p.ID, "Other", "other@updvalid.example")
	_, err := s.UpdateAccount(ctx, p.ID, a.AuthID, partnerd.AccountUpdate{
		Name: null, Email: set("not an email"), Password: set("weak"), Phone: set("12"),
		ZipCode: set(strings.Repeat("9", 21)), Timezone: set("Mars/Olympus"), GSTIN: set("nope"),
		AccountType: set("gold"),
	})
	var e *partnerd.Error
	if !errors.As(err, &e) || e.Code != partnerd.ECValidation {
		t.Fatalf("UpdateAccount with every field bad: %v, want validation_error", err)
	}
	var fields []string
	for _, f := range e.Fields {
		fields = append(fields, f.Field)
	}
	wantFields := []string{"account_type", "email", "gstin", "name", "password", "phone", "timezone", "zip_code"}
	slices.Sort(fields)
	if diff := cmp.Diff(wantFields, fields); diff != "" {
		t.Errorf("fields reported (-want +got):\n%s", diff)
	}
	// gst_status needs a gstin, on the account as it will be.
	_, err = s.UpdateAccount(ctx, p.ID, a.AuthID, partnerd.AccountUpdate{GSTStatus: set("active")})
	wantCode(t, "UpdateAccount with gst_status and no gstin", err, partnerd.ECValidation)
	_, err = s.UpdateAccount(ctx, p.ID, a.AuthID, partnerd.AccountUpdate{Email: set("OTHER@updvalid.example")})
	wantCode(t, "UpdateAccount to another account's email", err, partnerd.ECEmailTaken)
	_, err = s.UpdateAccount(ctx, "PA_NOBODY00", a.AuthID, partnerd.AccountUpdate{Name: set("x")})
	wantCode(t, "UpdateAccount by another partner", err, partnerd.ECAccountNotFound)
	if got, err := s.Account(ctx, p.ID, a.AuthID); err != nil || got.Name != "Valid" || got.Email != "valid@updvalid.example" {
		t.Errorf("Account after refused updates = %+v, %v; want unchanged", got, err)
	}
	if _, err := s.CloseAccount(ctx, p.ID, other.AuthID); err != nil {
		t.Fatal(err)
	}
	_, err = s.UpdateAccount(ctx, p.ID, other.AuthID, partnerd.AccountUpdate{Name: set("x")})
	wantCode(t, "UpdateAccount of a closed account", err, partnerd.ECAccountClosed)
	// A closed account's email stays taken.
	_, err = s.UpdateAccount(ctx, p.ID, a.AuthID, partnerd.AccountUpdate{Email: set("other@updvalid.example")})
	wantCode(t, "UpdateAccount to a closed account's email", err, partnerd.ECEmailTaken)
}

// testLifecycleUpdateEmailConcurrently races two updates and a create for
// one email on two instances: exactly one gets it.
func testLifecycleUpdateEmailConcurrently(t *testing.T, open func(n int) []LifecycleStore) {
	ctx := context.Background()
	stores := open(2)
	p, _ := mustPartner(t, stores[0], "emailrace")
	var ids []string
	for i := range 2 {
		ids = append(ids, mustAccount(t, stores[0], p.ID, "Racer", fmt.Sprintf("racer%d@emailrace.example", i)).AuthID)
	}
	const email = "prize@emailrace.example"
	for round := range 3 {
		target := fmt.Sprintf("r%d-%s", round, email)
		errs := make([]error, 3)
		var wg sync.WaitGroup
		for i := range errs {
			wg.Go(func() {
				s := stores[i%2]
				if i < 2 {
					_, errs[i] = s.UpdateAccount(ctx, p.ID, ids[i], partnerd.AccountUpdate{Email: set(target)})
					return
				}
				_, errs[i] = s.CreateAccount(ctx, p.ID, accountInput("Creator", target))
			})
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case partnerd.ErrorCode(err) != partnerd.ECEmailTaken:
				t.Errorf("round %d: %v, want success or email_taken", round, err)
			}
		}
		if won != 1 {
			t.Errorf("round %d: %d of 3 got the email, want 1 (%v)", round, won, errs)
		}
	}
}

// testLifecycleRotateToken gives a customer a new token: the credential
// checks against the new one only; a closed account gets none.
func testLifecycleRotateToken(t *testing.T, open func(n int) []LifecycleStore) {
	ctx := context.Background()
	s := open(1)[0]
	p, _ := mustPartner(t, s, "rotator")
	a := mustAccount(t, s, p.ID, "Rotor", "rotor@rotator.example")
	c, err := s.AccountCredential(ctx, a.AuthID)
	if err != nil {
		t.Fatalf("AccountCredential: %v", err)
	}
	if h := sha256.Sum256([]byte(a.AuthToken)); !bytes.Equal(c.TokenHash, h[:]) || c.Partner.ID != p.ID || c.Status != partnerd.StatusActive {
		t.Errorf("AccountCredential = %+v, want the token's hash, partner %s, active", c, p.ID)
	}
	got, err := s.RotateAccountToken(ctx, p.ID, a.AuthID)
	if err != nil {
		t.Fatalf("RotateAccountToken: %v", err)
	}
	if got.AuthToken == a.AuthToken || !strings.HasPrefix(got.AuthToken, "sk_live_") || len(got.AuthToken) < len("sk_live_")+32 {
		t.Errorf("new token %q, want a new sk_live_ token", got.AuthToken)
	}
	if read, err := s.Account(ctx, p.ID, a.AuthID); err != nil || read.AuthToken != got.AuthToken {
		t.Errorf("Account after rotation shows token %q (%v), want the new one", read.AuthToken, err)
	}
	c, err = s.AccountCredential(ctx, a.AuthID)
	if h := sha256.Sum256([]byte(got.AuthToken)); err != nil || !bytes.Equal(c.TokenHash, h[:]) {
		t.Errorf("AccountCredential after rotation does not check the new token (%v)", err)
	}
	_, err = s.AccountCredential(ctx, "MA_0000dead")
	wantCode(t, "AccountCredential of an unknown account", err, partnerd.ECNotFound)
	_, err = s.RotateAccountToken(ctx, "PA_NOBODY00", a.AuthID)
	wantCode(t, "RotateAccountToken by another partner", err, partnerd.ECAccountNotFound)
	if _, err := s.CloseAccount(ctx, p.ID, a.AuthID); err != nil {
		t.Fatal(err)
	}
	_, err = s.RotateAccountToken(ctx, p.ID, a.AuthID)
	wantCode(t, "RotateAccountToken of a closed account", err, partnerd.ECAccountClosed)
	if c, err := s.AccountCredential(ctx, a.AuthID); err != nil || c.Status != partnerd.StatusClosed {
		t.Errorf("AccountCredential of a closed account = %+v, %v; want it, closed", c, err)
	}

	// The partner's own token.
	pc, err := s.PartnerCredential(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	token, err := s.RotatePartnerToken(ctx, p.ID)
	if err != nil {
		t.Fatalf("RotatePartnerToken: %v", err)
	}
	after, err := s.PartnerCredential(ctx, p.ID)
	if h := sha256.Sum256([]byte(token)); err != nil || !bytes.Equal(after.TokenHash, h[:]) || bytes.Equal(after.TokenHash, pc.TokenHash) {
		t.Errorf("PartnerCredential after rotation does not check the new token (%v)", err)
	}
	_, err = s.RotatePartnerToken(ctx, "PA_NOBODY00")
	wantCode(t, "RotatePartnerToken of an unknown partner", err, partnerd.ECNotFound)
}

// testLifecycleListByStatus lists a partner's accounts by status, with
// and without a search.
func testLifecycleListByStatus(t *testing.T, open func(n int) []LifecycleStore) {
	ctx := context.Background()
	s := open(1)[0]
	p, _ := mustPartner(t, s, "bystatus")
	var ids []string
	for i := range 4 {
		ids = append(ids, mustAccount(t, s, p.ID, fmt.Sprintf("Member %d", i), fmt.Sprintf("m%d@bystatus.example", i)).AuthID)
	}
	if _, err := s.SuspendAccount(ctx, p.ID, ids[1], partnerd.SuspendInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CloseAccount(ctx, p.ID, ids[2]); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		f    partnerd.AccountFilter
		want []string
	}{
		{partnerd.AccountFilter{Status: partnerd.StatusActive}, []string{ids[3], ids[0]}},
		{partnerd.AccountFilter{Status: partnerd.StatusSuspended}, []string{ids[1]}},
		{partnerd.AccountFilter{Status: partnerd.StatusClosed}, []string{ids[2]}},
		{partnerd.AccountFilter{Status: partnerd.StatusActive, Search: "m3@"}, []string{ids[3]}},
		{partnerd.AccountFilter{Status: partnerd.StatusClosed, Search: "m3@"}, nil},
		{partnerd.AccountFilter{}, []string{ids[3], ids[2], ids[1], ids[0]}},
	} {
		got, total := mustList(t, s, p.ID, tc.f)
		if diff := cmp.Diff(tc.want, authIDs(got), cmpEmptyNil); diff != "" || total != len(tc.want) {
			t.Errorf("ListAccounts(%+v): total %d, (-want +got):\n%s", tc.f, total, diff)
		}
	}
}
