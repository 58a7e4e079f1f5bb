package storetest

import (
	"context"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/partnerd/partnerd"
)

// ConsoleStore is what a backend must implement for the console suite
// (API.md §9).
type ConsoleStore interface {
	LedgerStore
	partnerd.ConsoleService
}

// RunConsole runs the console sign-in suite. open returns n stores on one
// new, empty database (n > 1: instances of a server sharing it).
func RunConsole(t *testing.T, open func(t *testing.T, n int) []ConsoleStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open func(n int) []ConsoleStore)
	}{
		{"SetupTokenOnce", testConsoleSetupTokenOnce},
		{"SetupLinksSpentByNewerOnesAndPasswords", testConsoleSetupLinksSpent},
		{"SessionsAcrossInstances", testConsoleSessionsAcrossInstances},
		{"Lockout", testConsoleLockout},
		{"DailyUsageEveryDay", testConsoleDailyUsage},
		{"LowBalanceAccounts", testConsoleLowBalance},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, func(n int) []ConsoleStore { return open(t, n) })
		})
	}
}

func sessionHash(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// testConsoleSetupTokenOnce: a setup token names its partner until it is
// used, sets the password and ends the partner's sessions; a used or
// unknown token is not_found; an unknown partner gets no token.
func testConsoleSetupTokenOnce(t *testing.T, open func(n int) []ConsoleStore) {
	ctx := context.Background()
	s := open(1)[0]
	p, _ := mustPartner(t, s, "setup")
	if _, _, err := s.CreateConsoleSetupToken(ctx, "PA_UNKNOWN0"); partnerd.ErrorCode(err) != partnerd.ECNotFound {
		t.Errorf("CreateConsoleSetupToken(unknown partner) = %v, want not_found", err)
	}
	token, expires, err := s.CreateConsoleSetupToken(ctx, p.ID)
	if err != nil || len(token) < 43 || expires.IsZero() {
		t.Fatalf("CreateConsoleSetupToken = %q, %v, %v; want a 256-bit token", token, expires, err)
	}
	got, err := s.ConsoleSetupPartner(ctx, token)
	if err != nil || got.ID != p.ID {
		t.Fatalf("ConsoleSetupPartner = %v, %v; want %s", got, err, p.ID)
	}
	if err := s.CreateConsoleSession(ctx, p.ID, sessionHash("before"), p.Email, 0); err != nil {
		t.Fatalf("CreateConsoleSession: %v", err)
	}
	if _, err := s.UseConsoleSetupToken(ctx, token, "$argon2id$first"); err != nil {
		t.Fatalf("UseConsoleSetupToken: %v", err)
	}
	in, err := s.ConsoleSignIn(ctx, "  "+p.Email+" ")
	if err != nil || in.Partner == nil || in.Partner.ID != p.ID || in.PasswordHash != "$argon2id$first" {
		t.Errorf("ConsoleSignIn = %+v, %v; want the partner and its new hash", in, err)
	}
	if _, err := s.ConsoleSession(ctx, sessionHash("before")); partnerd.ErrorCode(err) != partnerd.ECNotFound {
		t.Errorf("session from before the setup = %v, want not_found", err)
	}
	if _, err := s.UseConsoleSetupToken(ctx, token, "$argon2id$second"); partnerd.ErrorCode(err) != partnerd.ECNotFound {
		t.Errorf("UseConsoleSetupToken a second time = %v, want not_found", err)
	}
	if _, err := s.ConsoleSetupPartner(ctx, token); partnerd.ErrorCode(err) != partnerd.ECNotFound {
		t.Errorf("ConsoleSetupPartner(used) = %v, want not_found", err)
	}
	if _, err := s.ConsoleSetupPartner(ctx, "nonsense"); partnerd.ErrorCode(err) != partnerd.ECNotFound {
		t.Errorf("ConsoleSetupPartner(unknown) = %v, want not_found", err)
	}
	if err := s.SetConsolePassword(ctx, p.ID, "$argon2id$third", nil, 0); err != nil {
		t.Fatalf("SetConsolePassword: %v", err)
	}
	if in, _ := s.ConsoleSignIn(ctx, p.Email); in.PasswordHash != "$argon2id$third" {
		t.Errorf("hash after SetConsolePassword = %q", in.PasswordHash)
	}
	if in, err := s.ConsoleSignIn(ctx, "nobody@example.com"); err != nil || in.Partner != nil || in.PasswordHash != "" {
		t.Errorf("ConsoleSignIn(unknown email) = %+v, %v; want no partner", in, err)
	}
}

// testConsoleSetupLinksSpent: only a partner's newest setup link works,
// and a password set by any means spends every link made before it, so
// an old link can never take the console back from its partner.
func testConsoleSetupLinksSpent(t *testing.T, open func(n int) []ConsoleStore) {
	ctx := context.Background()
	s := open(1)[0]
	p, _ := mustPartner(t, s, "links")
	other, _ := mustPartner(t, s, "otherlinks")
	link := func(partnerID string) string {
		t.Helper()
		token, _, err := s.CreateConsoleSetupToken(ctx, partnerID)
		if err != nil {
			t.Fatal(err)
		}
		return token
	}
	older, theirs := link(p.ID), link(other.ID)
	newer := link(p.ID)
	if _, err := s.ConsoleSetupPartner(ctx, older); partnerd.ErrorCode(err) != partnerd.ECNotFound {
		t.Errorf("a link older than the newest = %v, want not_found", err)
	}
	if _, err := s.UseConsoleSetupToken(ctx, older, "$argon2id$old"); partnerd.ErrorCode(err) != partnerd.ECNotFound {
		t.Errorf("using a link older than the newest = %v, want not_found", err)
	}
	if _, err := s.UseConsoleSetupToken(ctx, newer, "$argon2id$new"); err != nil {
		t.Fatalf("using the newest link: %v", err)
	}
	// A link made, then a password changed in the console: the link is spent.
	pending := link(p.ID)
	if err := s.SetConsolePassword(ctx, p.ID, "$argon2id$chosen", nil, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UseConsoleSetupToken(ctx, pending, "$argon2id$taken"); partnerd.ErrorCode(err) != partnerd.ECNotFound {
		t.Errorf("a link made before the password changed = %v, want not_found", err)
	}
	if in, _ := s.ConsoleSignIn(ctx, p.Email); in.PasswordHash != "$argon2id$chosen" {
		t.Errorf("password hash = %q, want the one the partner chose", in.PasswordHash)
	}
	// Another partner's link is its own.
	if got, err := s.ConsoleSetupPartner(ctx, theirs); err != nil || got.ID != other.ID {
		t.Errorf("another partner's link = %v, %v; want it still valid", got, err)
	}
}

// testConsoleSessionsAcrossInstances: a session made on one instance is
// known to the other; signing out on one ends it on both; signing out
// everywhere ends every session of that partner only.
func testConsoleSessionsAcrossInstances(t *testing.T, open func(n int) []ConsoleStore) {
	ctx := context.Background()
	st := open(2)
	a, b := st[0], st[1]
	p, _ := mustPartner(t, a, "sessions")
	other, _ := mustPartner(t, a, "others")
	for _, id := range []string{"one", "two"} {
		if err := a.CreateConsoleSession(ctx, p.ID, sessionHash(id), p.Email, 0); err != nil {
			t.Fatalf("CreateConsoleSession: %v", err)
		}
	}
	if err := a.CreateConsoleSession(ctx, other.ID, sessionHash("theirs"), other.Email, 0); err != nil {
		t.Fatalf("CreateConsoleSession: %v", err)
	}
	if got, err := b.ConsoleSession(ctx, sessionHash("one")); err != nil || got.ID != p.ID {
		t.Fatalf("ConsoleSession on the other instance = %v, %v; want %s", got, err, p.ID)
	}
	if err := b.DeleteConsoleSession(ctx, sessionHash("one")); err != nil {
		t.Fatal(err)
	}
	if _, err := a.ConsoleSession(ctx, sessionHash("one")); partnerd.ErrorCode(err) != partnerd.ECNotFound {
		t.Errorf("signed-out session = %v, want not_found", err)
	}
	if _, err := a.ConsoleSession(ctx, sessionHash("two")); err != nil {
		t.Errorf("the other session = %v, want alive", err)
	}
	if err := a.DeleteConsoleSessions(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := b.ConsoleSession(ctx, sessionHash("two")); partnerd.ErrorCode(err) != partnerd.ECNotFound {
		t.Errorf("session after sign-out everywhere = %v, want not_found", err)
	}
	if got, err := b.ConsoleSession(ctx, sessionHash("theirs")); err != nil || got.ID != other.ID {
		t.Errorf("another partner's session = %v, %v; want untouched", got, err)
	}
}

// testConsoleLockout: five attempts lock nothing, the sixth finds the
// email (and only it) locked and is not recorded; a session forgets the
// failures up to its own attempt, not those of attempts begun after it.
func testConsoleLockout(t *testing.T, open func(n int) []ConsoleStore) {
	ctx := context.Background()
	s := open(1)[0]
	p, _ := mustPartner(t, s, "lockout")
	var attempts []int64
	for i := range partnerd.ConsoleLockFailures {
		in, err := s.BeginConsoleSignIn(ctx, p.Email)
		if err != nil || !in.LockedUntil.IsZero() || in.Attempt == 0 {
			t.Fatalf("attempt %d: %+v, %v; want not locked and recorded", i+1, in, err)
		}
		attempts = append(attempts, in.Attempt)
	}
	in, err := s.BeginConsoleSignIn(ctx, p.Email)
	if err != nil || in.LockedUntil.IsZero() || in.Attempt != 0 {
		t.Errorf("attempt 6: %+v, %v; want locked and not recorded", in, err)
	}
	if in, _ := s.ConsoleSignIn(ctx, p.Email); in.LockedUntil.IsZero() {
		t.Errorf("ConsoleSignIn after 5 attempts: not locked")
	}
	if in, _ := s.ConsoleSignIn(ctx, "someone-else@example.com"); !in.LockedUntil.IsZero() {
		t.Errorf("another email is locked")
	}
	// The fourth attempt succeeds: the fifth, begun after it, stays.
	if err := s.CreateConsoleSession(ctx, p.ID, sessionHash("ok"), p.Email, attempts[3]); err != nil {
		t.Fatal(err)
	}
	if in, _ := s.ConsoleSignIn(ctx, p.Email); !in.LockedUntil.IsZero() {
		t.Errorf("a session did not forget the failures before it")
	}
	for i := 1; i < partnerd.ConsoleLockFailures; i++ {
		if in, err := s.BeginConsoleSignIn(ctx, p.Email); err != nil || !in.LockedUntil.IsZero() {
			t.Fatalf("attempt %d after the session: %+v, %v; want not locked", i, in, err)
		}
	}
	if in, _ := s.BeginConsoleSignIn(ctx, p.Email); in.LockedUntil.IsZero() {
		t.Errorf("four attempts after the session and the one begun before it: not locked")
	}
}

// testConsoleDailyUsage: every day of the span is listed, oldest first,
// zero when nothing happened.
func testConsoleDailyUsage(t *testing.T, open func(n int) []ConsoleStore) {
	ctx := context.Background()
	s := open(1)[0]
	p, _ := mustPartner(t, s, "usage")
	from := time.Date(2026, 1, 30, 0, 0, 0, 0, time.UTC)
	got, err := s.DailyUsage(ctx, p.ID, from, from.AddDate(0, 0, 2))
	if err != nil || len(got) != 3 {
		t.Fatalf("DailyUsage over 3 days = %v, %v; want 3 rows", got, err)
	}
	for i, d := range got {
		if want := from.AddDate(0, 0, i); !d.Day.Equal(want) || d.Calls != 0 || d.Spend != 0 {
			t.Errorf("day %d = %+v, want %s with nothing", i, d, want)
		}
	}
}

// testConsoleLowBalance: the active customers under the partner's
// threshold, newest first, at most limit, and no other partner's.
func testConsoleLowBalance(t *testing.T, open func(n int) []ConsoleStore) {
	ctx := context.Background()
	s := open(1)[0]
	p, _ := mustPartner(t, s, "lowbal")
	other, _ := mustPartner(t, s, "otherlow")
	mustAccount(t, s, other.ID, "Theirs", "theirs@low.example")
	rich := mustAccount(t, s, p.ID, "Rich", "rich@low.example")
	first := mustAccount(t, s, p.ID, "First", "first@low.example")
	second := mustAccount(t, s, p.ID, "Second", "second@low.example")
	if _, err := s.FundPartner(ctx, p.ID, 1_000_000, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: rich.AuthID, Amount: p.LowBalance}); err != nil {
		t.Fatal(err)
	}
	got, err := s.LowBalanceAccounts(ctx, p.ID, 10)
	if err != nil || len(got) != 2 || got[0].AuthID != second.AuthID || got[1].AuthID != first.AuthID || got[0].Name != "Second" {
		t.Errorf("LowBalanceAccounts = %v, %v; want Second then First (Rich holds the threshold itself)", authIDs(got), err)
	}
	if got, _ := s.LowBalanceAccounts(ctx, p.ID, 1); len(got) != 1 {
		t.Errorf("LowBalanceAccounts(limit 1) = %d rows", len(got))
	}
}
