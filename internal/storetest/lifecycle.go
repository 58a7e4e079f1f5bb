package storetest

import (
	"context"
	"strings"
	"sync"
	"testing"

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
