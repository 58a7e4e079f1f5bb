package partnerd

import (
	"context"
	"time"
)

// Account statuses.
const (
	StatusActive    = "active"
	StatusSuspended = "suspended"
	StatusClosed    = "closed"
)

// Account is a partner's customer: a SIP-enabled sub-account with a wallet.
type Account struct {
	AuthID      string
	PartnerID   string
	Name        string
	Email       string
	Phone       string
	Country     string
	Description *string
	Company     *string
	Address     *string
	City        *string
	State       *string
	ZipCode     *string
	Timezone    string
	GSTIN       *string
	GSTStatus   *string
	AccountType string
	Status      string
	// StatusReason is the partner's reason for a suspension; nil unless
	// Status is suspended and a reason was given.
	StatusReason *string
	Currency     string
	Balance      int64
	// Reserved is the part of Balance held for live calls (API.md §5):
	// Balance - Reserved is what the account may spend otherwise. Set by
	// AccountBalance.
	Reserved int64
	// AuthToken is the customer's API token in plain text. It is filled only
	// when the account is read by its owning partner, and on creation.
	AuthToken string
	// LowBalanceThreshold is the balance under which balance.low fires
	// (API.md §8): the account's own, or its partner's when it has none
	// (OwnLowBalance false).
	LowBalanceThreshold int64
	OwnLowBalance       bool
	CreatedAt           time.Time
	UpdatedAt           time.Time
	BalanceUpdatedAt    time.Time
}

// AccountInput is the body of POST /accounts. Optional fields are nil when
// absent. Validate normalizes the fields in place.
type AccountInput struct {
	Name        string
	Email       string
	Password    string
	Phone       string
	Country     string
	Description *string
	Company     *string
	Address     *string
	City        *string
	State       *string
	ZipCode     *string
	Timezone    *string
	GSTIN       *string
	GSTStatus   *string
	AccountType *string
	// LowBalanceThreshold is the account's own low-balance threshold in
	// minor units; nil leaves its partner's (API.md §8).
	LowBalanceThreshold *int64
}

// AccountFilter selects a page of a partner's accounts, newest first.
type AccountFilter struct {
	Search string
	// Status, when not empty, keeps the accounts in that status.
	Status string
	Page   Page
}

// AccountParams is an account list's filter as a query string carries it:
// the text of each parameter, nil when absent.
type AccountParams struct {
	Page   PageParams
	Search *string
	Status *string
}

// AccountService manages a partner's customer accounts. Every method is
// scoped to partnerID: another partner's account is ErrAccountNotFound.
type AccountService interface {
	CreateAccount(ctx context.Context, partnerID string, in AccountInput) (*Account, error)
	ListAccounts(ctx context.Context, partnerID string, f AccountFilter) ([]*Account, int, error)
	Account(ctx context.Context, partnerID, authID string) (*Account, error)
	// AccountBalance returns a customer's wallet: an Account with only
	// AuthID, Name, Balance, Currency and BalanceUpdatedAt set. It reads
	// the balance afresh and decrypts nothing.
	AccountBalance(ctx context.Context, partnerID, authID string) (*Account, error)
}

// ErrAccountNotFound answers for unknown and foreign customer ids alike.
func ErrAccountNotFound(authID string) *Error {
	return Errorf(ECAccountNotFound, "No customer account %q exists under this partner.", authID)
}
