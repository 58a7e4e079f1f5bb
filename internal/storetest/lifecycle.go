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

// LifecycleStore is what a backend must implement for the account
// lifecycle suite (API.md §6): the switch suite's store plus the
// lifecycle service.
type LifecycleStore interface {
	SwitchStore
	partnerd.CDRService
	partnerd.AccountLifecycleService
}

// RunLifecycle runs the account lifecycle suite. open returns n stores on
// one new, empty database (n > 1: as many instances of a server share
// one).
func RunLifecycle(t *testing.T, open func(t *testing.T, n int) []LifecycleStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open func(n int) []LifecycleStore)
	}{
		{"SuspendAndActivate", testLifecycleSuspendAndActivate},
		{"SuspendValidates", testLifecycleSuspendValidates},
		{"ScopedToPartner", testLifecycleScopedToPartner},
		{"ClosedRefusesChanges", testLifecycleClosedRefusesChanges},
		{"Close", testLifecycleClose},
		{"CloseEmpty", testLifecycleCloseEmpty},
		{"ConcurrentCloses", testLifecycleConcurrentCloses},
		{"Update", testLifecycleUpdate},
		{"UpdateValidates", testLifecycleUpdateValidates},
		{"UpdateEmailTakenConcurrently", testLifecycleUpdateEmailConcurrently},
		{"RotateToken", testLifecycleRotateToken},
		{"ListByStatus", testLifecycleListByStatus},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, func(n int) []LifecycleStore { return open(t, n) })
		})
	}
}

// mustLifecycleCustomer returns a partner with an outbound deck (0.01 a
// minute, 60/60) and a customer holding balance with one SIP endpoint
// named username.
func mustLifecycleCustomer(t *testing.T, s LifecycleStore, name string, balance int64, username string) (*partnerd.Partner, *partnerd.Account) {
	t.Helper()
	p, a := mustRatedCustomer(t, s, name, balance, r(partnerd.DirectionOutbound, "1", 100, 60, 60))
	mustSIPEndpoint(t, s, p.ID, a.AuthID, username)
	return p, a
}

// testLifecycleSuspendAndActivate checks the effects of a suspension on
// calls, SIP endpoints and money, and that activation restores them, on
// one instance while another suspends (they share a database).
func testLifecycleSuspendAndActivate(t *testing.T, open func(n int) []LifecycleStore) {
	ctx := context.Background()
	stores := open(2)
	s, other := stores[0], stores[1]
	p, a := mustLifecycleCustomer(t, s, "suspender", 10_000, "suspended.phone")

	reason := "Invoice 42 unpaid"
	got, err := other.SuspendAccount(ctx, p.ID, a.AuthID, partnerd.SuspendInput{Reason: &reason})
	if err != nil {
		t.Fatalf("SuspendAccount: %v", err)
	}
	if got.Status != partnerd.StatusSuspended || got.StatusReason == nil || *got.StatusReason != "Invoice 42 unpaid" {
		t.Errorf("SuspendAccount = status %q reason %v, want suspended with its reason", got.Status, got.StatusReason)
	}
	if got.AuthToken != a.AuthToken || got.Balance != 10_000 {
		t.Errorf("SuspendAccount = token %q balance %d, want the account's token and balance 10000", got.AuthToken, got.Balance)
	}
	if read, err := s.Account(ctx, p.ID, a.AuthID); err != nil || read.Status != partnerd.StatusSuspended || read.StatusReason == nil {
		t.Errorf("Account after suspend = %+v, %v; want suspended with its reason", read, err)
	}

	// Its calls are refused, its phones do not authenticate; nothing is
	// reserved for the refusal.
	wantRefused(t, mustAuthorize(t, s, outCall("while-suspended", a.AuthID, "+15551234567")), partnerd.ReasonAccountSuspended)
	_, err = s.SIPCredential(ctx, "suspended.phone")
	wantCode(t, "SIPCredential of a suspended account", err, partnerd.ECNotFound)

	// The partner may still fund it (and take money back).
	if _, err := s.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: 5000}); err != nil {
		t.Errorf("Transfer to a suspended account: %v", err)
	}
	if _, err := s.Withdraw(ctx, p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: 1000}); err != nil {
		t.Errorf("Withdraw from a suspended account: %v", err)
	}
	wantWallet(t, "suspended, after funding", s, p.ID, a.AuthID, 14_000, 0)

	// Suspending again replaces the reason; without one it is cleared.
	got, err = s.SuspendAccount(ctx, p.ID, a.AuthID, partnerd.SuspendInput{})
	if err != nil || got.Status != partnerd.StatusSuspended || got.StatusReason != nil {
		t.Errorf("SuspendAccount again without a reason = %+v, %v; want suspended, no reason", got, err)
	}

	got, err = other.ActivateAccount(ctx, p.ID, a.AuthID)
	if err != nil {
		t.Fatalf("ActivateAccount: %v", err)
	}
	if got.Status != partnerd.StatusActive || got.StatusReason != nil {
		t.Errorf("ActivateAccount = status %q reason %v, want active without a reason", got.Status, got.StatusReason)
	}
	// 0.01 a minute: the longest call (4 h) reserves 2.40.
	wantAuthorized(t, mustAuthorize(t, s, outCall("after-activate", a.AuthID, "+15551234567")), a.AuthID, 14_400, 240)
	if _, err := s.SIPCredential(ctx, "suspended.phone"); err != nil {
		t.Errorf("SIPCredential after activation: %v", err)
	}
	// Activating an active account changes nothing and is no error.
	if got, err := s.ActivateAccount(ctx, p.ID, a.AuthID); err != nil || got.Status != partnerd.StatusActive {
		t.Errorf("ActivateAccount of an active account = %+v, %v; want active", got, err)
	}
	mustVerify(t, s)
}

func testLifecycleSuspendValidates(t *testing.T, open func(n int) []LifecycleStore) {
	s := open(1)[0]
	p, _ := mustPartner(t, s, "suspendvalid")
	a := mustAccount(t, s, p.ID, "Valid", "valid@suspendvalid.example")
	long := strings.Repeat("x", 501)
	_, err := s.SuspendAccount(context.Background(), p.ID, a.AuthID, partnerd.SuspendInput{Reason: &long})
	wantCode(t, "SuspendAccount with a 501-character reason", err, partnerd.ECValidation)
	if got, err := s.Account(context.Background(), p.ID, a.AuthID); err != nil || got.Status != partnerd.StatusActive {
		t.Errorf("Account after a refused suspension = %+v, %v; want active", got, err)
	}
}

// testLifecycleScopedToPartner checks that another partner's customer is
// not found, and left as it was.
func testLifecycleScopedToPartner(t *testing.T, open func(n int) []LifecycleStore) {
	ctx := context.Background()
	s := open(1)[0]
	owner, _ := mustPartner(t, s, "lcowner")
	intruder, _ := mustPartner(t, s, "lcintruder")
	a := mustAccount(t, s, owner.ID, "Owned", "owned@lcowner.example")
	_, err := s.SuspendAccount(ctx, intruder.ID, a.AuthID, partnerd.SuspendInput{})
	wantCode(t, "SuspendAccount by another partner", err, partnerd.ECAccountNotFound)
	_, err = s.ActivateAccount(ctx, intruder.ID, a.AuthID)
	wantCode(t, "ActivateAccount by another partner", err, partnerd.ECAccountNotFound)
	_, err = s.CloseAccount(ctx, intruder.ID, a.AuthID)
	wantCode(t, "CloseAccount by another partner", err, partnerd.ECAccountNotFound)
	_, err = s.SuspendAccount(ctx, owner.ID, "MA_0000dead", partnerd.SuspendInput{})
	wantCode(t, "SuspendAccount of an unknown account", err, partnerd.ECAccountNotFound)
	if got, err := s.Account(ctx, owner.ID, a.AuthID); err != nil || got.Status != partnerd.StatusActive {
		t.Errorf("Account after another partner's attempts = %+v, %v; want active", got, err)
	}
}

// testLifecycleClosedRefusesChanges checks that a closed account can be
// neither suspended, activated nor closed again.
func testLifecycleClosedRefusesChanges(t *testing.T, open func(n int) []LifecycleStore) {
	ctx := context.Background()
	s := open(1)[0]
	p, _ := mustPartner(t, s, "lcclosed")
	a := mustAccount(t, s, p.ID, "Closed", "closed@lcclosed.example")
	if _, err := s.CloseAccount(ctx, p.ID, a.AuthID); err != nil {
		t.Fatalf("CloseAccount: %v", err)
	}
	_, err := s.SuspendAccount(ctx, p.ID, a.AuthID, partnerd.SuspendInput{})
	wantCode(t, "SuspendAccount of a closed account", err, partnerd.ECAccountClosed)
	_, err = s.ActivateAccount(ctx, p.ID, a.AuthID)
	wantCode(t, "ActivateAccount of a closed account", err, partnerd.ECAccountClosed)
	_, err = s.CloseAccount(ctx, p.ID, a.AuthID)
	wantCode(t, "CloseAccount of a closed account", err, partnerd.ECAccountClosed)
	if got, err := s.Account(ctx, p.ID, a.AuthID); err != nil || got.Status != partnerd.StatusClosed {
		t.Errorf("Account after refused changes = %+v, %v; want closed", got, err)
	}
}

// testLifecycleClose closes a customer holding money, a number and a live
// call: the money goes back to the partner exactly, once, through the
// ledger; the number goes back to the pool; the reservation is released
// and the call's late CDR charges nothing; nothing else can change it.
func testLifecycleClose(t *testing.T, open func(n int) []LifecycleStore) {
	ctx := context.Background()
	stores := open(2)
	s, other := stores[0], stores[1]
	p, a := mustLifecycleCustomer(t, s, "closer", 10_000, "closed.phone")
	mustNumber(t, s, p.ID, numberA, 1000)
	if _, err := s.AssignNumber(ctx, p.ID, a.AuthID, numberA); err != nil {
		t.Fatalf("AssignNumber: %v", err)
	}
	live := mustAuthorize(t, s, outCall("live-call", a.AuthID, "+15551234567"))
	wantAuthorized(t, live, a.AuthID, 14_400, 240)
	wantWallet(t, "before the close", s, p.ID, a.AuthID, 9000, 240)
	partnerBefore, _ := mustBalances(t, s, p.ID, a.AuthID)

	got, err := other.CloseAccount(ctx, p.ID, a.AuthID)
	if err != nil {
		t.Fatalf("CloseAccount: %v", err)
	}
	if got.Status != partnerd.StatusClosed || got.Balance != 0 || got.AuthToken != a.AuthToken {
		t.Errorf("CloseAccount = status %q balance %d, want closed with 0 (and its token)", got.Status, got.Balance)
	}
	wantWallet(t, "after the close", s, p.ID, a.AuthID, 0, 0)
	if after, _ := mustBalances(t, s, p.ID, a.AuthID); after != partnerBefore+9000 {
		t.Errorf("partner balance after the close = %d, want %d + 9000", after, partnerBefore)
	}
	// One withdrawal, the same transaction on both sides.
	es, _, err := s.AccountEntries(ctx, p.ID, a.AuthID, partnerd.EntryFilter{Type: partnerd.TxWithdrawal, Page: partnerd.Page{Page: 1, Size: 10}})
	if err != nil || len(es) != 1 {
		t.Fatalf("withdrawals of the closed account = %d, %v; want 1", len(es), err)
	}
	w := es[0]
	if w.Amount != -9000 || w.BalanceBefore != 9000 || w.BalanceAfter != 0 || w.InitiatedBy != p.ID ||
		w.Description == nil || *w.Description != partnerd.CloseDescription {
		t.Errorf("closing withdrawal = %+v, want -9000 from 9000 to 0 by %s", w, p.ID)
	}
	pes, _, err := s.PartnerEntries(ctx, p.ID, partnerd.EntryFilter{Type: partnerd.TxTransferIn, Page: partnerd.Page{Page: 1, Size: 10}})
	if err != nil || len(pes) != 1 || pes[0].TransactionID != w.TransactionID || pes[0].Amount != 9000 {
		t.Errorf("partner's transfer_in entries = %+v, %v; want one of 9000 in transaction %s", pes, err, w.TransactionID)
	}

	// The number is back in the pool.
	if n := mustPool(t, s, p.ID)[numberA]; n == nil || n.Status != partnerd.NumberAvailable || n.AccountAuthID != nil {
		t.Errorf("number after the close = %+v, want available", n)
	}
	// Calls and phones are refused; the live call's CDR is recorded and
	// charges nothing, the wallet being empty.
	wantRefused(t, mustAuthorize(t, s, outCall("after-close", a.AuthID, "+15551234567")), partnerd.ReasonAccountClosed)
	_, err = s.SIPCredential(ctx, "closed.phone")
	wantCode(t, "SIPCredential of a closed account", err, partnerd.ECNotFound)
	res := mustPostCDRs(t, s, outCDR("live-call", a.AuthID, "+15551234567", 120))
	if res[0].Status != partnerd.CDRCharged || res[0].Err != nil {
		t.Errorf("late CDR of the closed account = %+v (err %v), want recorded", res[0], res[0].Err)
	}
	if cdr, err := s.AccountCDR(ctx, p.ID, a.AuthID, "live-call"); err != nil || cdr.UnbilledAmount != 2 {
		t.Errorf("late CDR = %+v, %v; want recorded with 0.02 unbilled", cdr, err)
	}
	wantWallet(t, "after the late CDR", s, p.ID, a.AuthID, 0, 0)

	// It stays readable; no change is accepted.
	if read, err := s.Account(ctx, p.ID, a.AuthID); err != nil || read.Status != partnerd.StatusClosed {
		t.Errorf("Account of a closed account = %+v, %v; want it, closed", read, err)
	}
	_, err = s.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: 100})
	wantCode(t, "Transfer to a closed account", err, partnerd.ECAccountClosed)
	_, err = s.Withdraw(ctx, p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: 100})
	wantCode(t, "Withdraw from a closed account", err, partnerd.ECAccountClosed)
	_, err = s.AssignNumber(ctx, p.ID, a.AuthID, numberA)
	wantCode(t, "AssignNumber to a closed account", err, partnerd.ECAccountClosed)
	// Its email stays taken.
	_, err = s.CreateAccount(ctx, p.ID, accountInput("Again", a.Email))
	wantCode(t, "CreateAccount with a closed account's email", err, partnerd.ECEmailTaken)
	mustVerify(t, s)
}

// testLifecycleCloseEmpty closes a customer with nothing: no ledger
// transaction is written for a zero balance.
func testLifecycleCloseEmpty(t *testing.T, open func(n int) []LifecycleStore) {
	ctx := context.Background()
	s := open(1)[0]
	p, _ := mustPartner(t, s, "closeempty")
	a := mustAccount(t, s, p.ID, "Empty", "empty@closeempty.example")
	if _, err := s.CloseAccount(ctx, p.ID, a.AuthID); err != nil {
		t.Fatalf("CloseAccount: %v", err)
	}
	if _, total, err := s.AccountEntries(ctx, p.ID, a.AuthID, partnerd.EntryFilter{Page: partnerd.Page{Page: 1, Size: 10}}); err != nil || total != 0 {
		t.Errorf("entries of an account closed empty = %d, %v; want none", total, err)
	}
	mustVerify(t, s)
}

// testLifecycleConcurrentCloses closes one customer five times at once on
// two instances: one close moves the money, the others are refused.
func testLifecycleConcurrentCloses(t *testing.T, open func(n int) []LifecycleStore) {
	ctx := context.Background()
	stores := open(2)
	p, a := mustCustomerWith(t, stores[0], "fivecloses", 7_777)
	partnerBefore, _ := mustBalances(t, stores[0], p.ID, a.AuthID)
	errs := make([]error, 5)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = stores[i%2].CloseAccount(ctx, p.ID, a.AuthID)
		})
	}
	wg.Wait()
	closed := 0
	for _, err := range errs {
		switch {
		case err == nil:
			closed++
		case partnerd.ErrorCode(err) != partnerd.ECAccountClosed:
			t.Errorf("concurrent CloseAccount: %v, want success or account_closed", err)
		}
	}
	if closed != 1 {
		t.Errorf("%d of 5 concurrent closes succeeded, want 1", closed)
	}
	if after, customer := mustBalances(t, stores[0], p.ID, a.AuthID); after != partnerBefore+7_777 || customer != 0 {
		t.Errorf("after 5 closes: partner %d customer %d, want %d and 0", after, customer, partnerBefore+7_777)
	}
	if _, total, err := stores[0].AccountEntries(ctx, p.ID, a.AuthID,
		partnerd.EntryFilter{Type: partnerd.TxWithdrawal, Page: partnerd.Page{Page: 1, Size: 10}}); err != nil || total != 1 {
		t.Errorf("withdrawals after 5 closes = %d, %v; want 1", total, err)
	}
	mustVerify(t, stores[0])
}

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
