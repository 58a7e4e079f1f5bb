package storetest

import (
	"context"
	"strings"
	"testing"

	"github.com/partnerd/partnerd"
)

// LifecycleStore is what a backend must implement for the account
// lifecycle suite (API.md §6): the switch suite's store plus the
// lifecycle service.
type LifecycleStore interface {
	SwitchStore
	partnerd.AccountLifecycleService
}

// RunLifecycle runs the account lifecycle suite. open returns n stores on
// one new, empty database (n > 1: as many instances of a server share
// one); setStatus sets a status the suite cannot reach through the
// service yet.
func RunLifecycle(t *testing.T, open func(t *testing.T, n int) []LifecycleStore, setStatus SetStatus) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open func(n int) []LifecycleStore, setStatus SetStatus)
	}{
		{"SuspendAndActivate", testLifecycleSuspendAndActivate},
		{"SuspendValidates", testLifecycleSuspendValidates},
		{"ScopedToPartner", testLifecycleScopedToPartner},
		{"ClosedRefusesChanges", testLifecycleClosedRefusesChanges},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, func(n int) []LifecycleStore { return open(t, n) }, setStatus)
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
func testLifecycleSuspendAndActivate(t *testing.T, open func(n int) []LifecycleStore, _ SetStatus) {
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

func testLifecycleSuspendValidates(t *testing.T, open func(n int) []LifecycleStore, _ SetStatus) {
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
func testLifecycleScopedToPartner(t *testing.T, open func(n int) []LifecycleStore, _ SetStatus) {
	ctx := context.Background()
	s := open(1)[0]
	owner, _ := mustPartner(t, s, "lcowner")
	intruder, _ := mustPartner(t, s, "lcintruder")
	a := mustAccount(t, s, owner.ID, "Owned", "owned@lcowner.example")
	_, err := s.SuspendAccount(ctx, intruder.ID, a.AuthID, partnerd.SuspendInput{})
	wantCode(t, "SuspendAccount by another partner", err, partnerd.ECAccountNotFound)
	_, err = s.ActivateAccount(ctx, intruder.ID, a.AuthID)
	wantCode(t, "ActivateAccount by another partner", err, partnerd.ECAccountNotFound)
	_, err = s.SuspendAccount(ctx, owner.ID, "MA_0000dead", partnerd.SuspendInput{})
	wantCode(t, "SuspendAccount of an unknown account", err, partnerd.ECAccountNotFound)
	if got, err := s.Account(ctx, owner.ID, a.AuthID); err != nil || got.Status != partnerd.StatusActive {
		t.Errorf("Account after another partner's attempts = %+v, %v; want active", got, err)
	}
}

// testLifecycleClosedRefusesChanges checks that a closed account can be
// neither suspended nor activated.
func testLifecycleClosedRefusesChanges(t *testing.T, open func(n int) []LifecycleStore, setStatus SetStatus) {
	ctx := context.Background()
	s := open(1)[0]
	p, _ := mustPartner(t, s, "lcclosed")
	a := mustAccount(t, s, p.ID, "Closed", "closed@lcclosed.example")
	setStatus(t, s, a.AuthID, partnerd.StatusClosed)
	_, err := s.SuspendAccount(ctx, p.ID, a.AuthID, partnerd.SuspendInput{})
	wantCode(t, "SuspendAccount of a closed account", err, partnerd.ECAccountClosed)
	_, err = s.ActivateAccount(ctx, p.ID, a.AuthID)
	wantCode(t, "ActivateAccount of a closed account", err, partnerd.ECAccountClosed)
	if got, err := s.Account(ctx, p.ID, a.AuthID); err != nil || got.Status != partnerd.StatusClosed {
		t.Errorf("Account after refused changes = %+v, %v; want closed", got, err)
	}
}
