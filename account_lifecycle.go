package partnerd

import (
	"context"
	"errors"
)

// SuspendInput is the body of POST /accounts/{id}/suspend. Validate
// normalizes it in place.
type SuspendInput struct {
	// Reason is the partner's note, kept with the account while it is
	// suspended; nil when absent or blank.
	Reason *string
}

// Validate checks the reason like any other free text of an account.
func (in *SuspendInput) Validate() error {
	var fe FieldErrors
	in.Reason = optionalText(&fe, "reason", in.Reason, blockText, maxTextLen)
	return fe.Err()
}

// AccountLifecycleService changes a customer's status (API.md §6). Every
// method is scoped to partnerID like AccountService, returns the account
// as Account does (its token decrypted), and refuses a closed account
// with account_closed.
type AccountLifecycleService interface {
	// SuspendAccount makes the customer suspended: its calls are refused
	// (account_suspended), its SIP endpoints stop authenticating and its
	// own credentials get 403; the partner may still fund it. Suspending
	// a suspended account replaces its reason.
	SuspendAccount(ctx context.Context, partnerID, authID string, in SuspendInput) (*Account, error)
	// ActivateAccount makes a suspended (or active) customer active.
	ActivateAccount(ctx context.Context, partnerID, authID string) (*Account, error)
	// CloseAccount closes the customer for good, in one transaction: its
	// open reservations are released, its numbers go back to the
	// partner's pool, and its whole balance goes back to the partner as
	// a withdrawal (initiated by the partner, through the ledger). Its
	// token and SIP endpoints stop working; it stays readable and its
	// email stays taken. Closing a closed account is account_closed.
	CloseAccount(ctx context.Context, partnerID, authID string) (*Account, error)
	// UpdateAccount changes the fields in names (PATCH /accounts/{id}):
	// every field is checked as on create, against the account as it
	// will be; the email stays unique (email_taken).
	UpdateAccount(ctx context.Context, partnerID, authID string, in AccountUpdate) (*Account, error)
	// RotateAccountToken gives the customer a new auth_token, returned in
	// the account; the old one stops working.
	RotateAccountToken(ctx context.Context, partnerID, authID string) (*Account, error)
	// AccountCredential returns what authenticating customer authID (its
	// own API, API.md §6) checks against, whatever its status; an unknown
	// id is ECNotFound. It reads the database every time: callers cache.
	AccountCredential(ctx context.Context, authID string) (*AccountCredential, error)
}

// Change is one field of an update: Set when the request named it, with
// Value nil when it was null (which clears an optional field).
type Change struct {
	Set   bool
	Value *string
}

// AccountUpdate is the body of PATCH /accounts/{id}: every creatable
// field but country.
type AccountUpdate struct {
	Name, Email, Password, Phone                        Change
	Description, Company, Address, City, State, ZipCode Change
	Timezone, GSTIN, GSTStatus, AccountType             Change
	// LowBalanceThreshold, when Set, replaces the account's own threshold;
	// a nil Value returns it to its partner's.
	LowBalanceThreshold AmountChange
}

// AmountChange is one amount of an update: Set when the request named it,
// with Value nil when it was null.
type AmountChange struct {
	Set   bool
	Value *int64
}

// Check reports what the update can tell without the account: a required
// field given as null, and a new password that breaks the policy. Apply
// checks the rest.
func (u *AccountUpdate) Check() error {
	var fe FieldErrors
	for _, f := range []struct {
		name string
		c    Change
	}{{"name", u.Name}, {"email", u.Email}, {"password", u.Password}, {"phone", u.Phone}} {
		if f.c.Set && f.c.Value == nil {
			fe.Add(f.name, FCRequired, f.name+" cannot be null")
		}
	}
	if u.Password.Set && u.Password.Value != nil {
		validatePassword(&fe, *u.Password.Value)
	}
	if v := u.LowBalanceThreshold.Value; v != nil && *v < 0 {
		fe.Add("low_balance_threshold", FCOutOfRange, "low_balance_threshold must not be negative")
	}
	return fe.Err()
}

// Apply returns the account a would be after the update, normalized and
// checked as on create (the password excepted: Check checks it), or a
// validation_error naming every bad field.
func (u *AccountUpdate) Apply(a *Account) (*Account, error) {
	checked := u.Check()
	set := func(c Change, cur string) string {
		if c.Set && c.Value != nil {
			return *c.Value
		}
		return cur
	}
	opt := func(c Change, cur *string) *string {
		if c.Set {
			return c.Value
		}
		return cur
	}
	tz, typ := a.Timezone, a.AccountType
	in := AccountInput{
		Name: set(u.Name, a.Name), Email: set(u.Email, a.Email), Phone: set(u.Phone, a.Phone), Country: a.Country,
		Description: opt(u.Description, a.Description), Company: opt(u.Company, a.Company),
		Address: opt(u.Address, a.Address), City: opt(u.City, a.City), State: opt(u.State, a.State),
		ZipCode: opt(u.ZipCode, a.ZipCode), Timezone: opt(u.Timezone, &tz), GSTIN: opt(u.GSTIN, a.GSTIN),
		GSTStatus: opt(u.GSTStatus, a.GSTStatus), AccountType: opt(u.AccountType, &typ),
	}
	if err := joinFieldErrors(checked, in.validate(false)); err != nil {
		return nil, err
	}
	out := *a
	out.Name, out.Email, out.Phone = in.Name, in.Email, in.Phone
	out.Description, out.Company, out.Address, out.City, out.State, out.ZipCode =
		in.Description, in.Company, in.Address, in.City, in.State, in.ZipCode
	out.Timezone, out.GSTIN, out.GSTStatus, out.AccountType = *in.Timezone, in.GSTIN, in.GSTStatus, *in.AccountType
	if c := u.LowBalanceThreshold; c.Set && c.Value != nil {
		out.LowBalanceThreshold, out.OwnLowBalance = *c.Value, true
	} else if c.Set {
		// Back to the partner's, which the store knows.
		out.OwnLowBalance = false
	}
	return &out, nil
}

// CloseDescription is the description of the withdrawal that empties a
// closed account.
const CloseDescription = "Account closed: remaining balance returned to the partner"

// ErrAccountClosed refuses any change to a closed account.
func ErrAccountClosed(authID string) *Error {
	return Errorf(ECAccountClosed, "Customer account %s is closed.", authID)
}

// joinFieldErrors is one validation_error listing the fields of both
// (each field once, as a reports it first).
func joinFieldErrors(a, b error) error {
	var fe FieldErrors
	for _, err := range []error{a, b} {
		var e *Error
		if errors.As(err, &e) {
			for _, f := range e.Fields {
				if !fe.Has(f.Field) {
					fe = append(fe, f)
				}
			}
		} else if err != nil {
			return err
		}
	}
	return fe.Err()
}
