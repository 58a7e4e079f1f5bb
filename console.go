package partnerd

import (
	"context"
	"time"
)

// The console's sign-in rules (API.md §9).
const (
	// ConsoleSetupValidity is how long a setup link works.
	ConsoleSetupValidity = 24 * time.Hour
	// ConsoleSessionIdle ends a session nobody used for this long.
	ConsoleSessionIdle = 12 * time.Hour
	// ConsoleLockFailures failed sign-ins within ConsoleLockWindow lock
	// the email for ConsoleLockDuration.
	ConsoleLockFailures = 5
	ConsoleLockWindow   = 15 * time.Minute
	ConsoleLockDuration = 15 * time.Minute
)

// ConsoleSignIn is what signing in to the console checks an email
// against.
type ConsoleSignIn struct {
	// Partner is the partner with that email, nil if none.
	Partner *Partner
	// PasswordHash is its console password (argon2id), empty when it has
	// not set one.
	PasswordHash string
	// LockedUntil, when after now, refuses every sign-in of the email.
	LockedUntil time.Time
	// Attempt is the failure BeginConsoleSignIn recorded for this
	// attempt before its password is checked (0 when locked): a success
	// forgets the failures up to it, and no later one.
	Attempt int64
}

// DailyUsage is one day of a partner's usage, in its time zone.
type DailyUsage struct {
	Day   time.Time // local midnight
	Calls int
	Spend int64 // charged to customers: calls and number rent
}

// ConsoleService keeps the console's passwords, setup links, sessions and
// sign-in failures (API.md §9). Secrets arrive as hashes, except setup
// tokens, which the store makes. Every session is in the database, so
// every instance knows it.
type ConsoleService interface {
	// CreateConsoleSetupToken makes a one-time setup link token for the
	// partner, valid for ConsoleSetupValidity; only its hash is kept.
	CreateConsoleSetupToken(ctx context.Context, partnerID string) (token string, expires time.Time, err error)
	// ConsoleSetupPartner returns the partner of a valid, unused token;
	// any other token is not_found.
	ConsoleSetupPartner(ctx context.Context, token string) (*Partner, error)
	// UseConsoleSetupToken spends a valid token, sets the partner's
	// password hash and ends every session of the partner, at once.
	UseConsoleSetupToken(ctx context.Context, token, passwordHash string) (*Partner, error)
	// SetConsolePassword replaces a partner's password hash, ends every
	// session of the partner but keepSession (nil: every one), and
	// forgets the failures of its email up to attempt (see ConsoleSignIn).
	SetConsolePassword(ctx context.Context, partnerID, passwordHash string, keepSession []byte, attempt int64) error
	// ConsoleSignIn reads what a sign-in with email checks.
	ConsoleSignIn(ctx context.Context, email string) (*ConsoleSignIn, error)
	// BeginConsoleSignIn is ConsoleSignIn for a password about to be
	// checked: unless the email is locked, it records the attempt as a
	// failure, atomically with the lockout check on every instance, so at
	// most ConsoleLockFailures passwords of an email are checked per
	// ConsoleLockWindow however many arrive at once.
	BeginConsoleSignIn(ctx context.Context, email string) (*ConsoleSignIn, error)
	// CreateConsoleSession stores a session (the hash of its id) for the
	// partner and forgets the email's failures up to attempt (the
	// sign-in's own, from BeginConsoleSignIn): later ones stay counted.
	CreateConsoleSession(ctx context.Context, partnerID string, idHash []byte, email string, attempt int64) error
	// ConsoleSession returns the partner of a session used within
	// ConsoleSessionIdle, and marks it used; any other is not_found.
	ConsoleSession(ctx context.Context, idHash []byte) (*Partner, error)
	// DeleteConsoleSession signs one session out.
	DeleteConsoleSession(ctx context.Context, idHash []byte) error
	// DeleteConsoleSessions signs every session of the partner out.
	DeleteConsoleSessions(ctx context.Context, partnerID string) error
	// DailyUsage is the partner's calls and spend of each day in
	// [from, to] (local midnights), every day listed, oldest first.
	DailyUsage(ctx context.Context, partnerID string, from, to time.Time) ([]DailyUsage, error)
	// LowBalanceAccounts lists up to limit active customers under the
	// partner's low-balance threshold, newest first (with
	// AuthID, Name, Status, Balance and Currency set).
	LowBalanceAccounts(ctx context.Context, partnerID string, limit int) ([]*Account, error)
}

// ErrConsoleSetupInvalid answers a setup link that is unknown, used or
// expired alike.
func ErrConsoleSetupInvalid() *Error {
	return Errorf(ECNotFound, "This setup link is invalid, used or expired; ask the operator for a new one.")
}
