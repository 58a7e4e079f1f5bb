package partnerd

import "context"

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
}

// ErrAccountClosed refuses any change to a closed account.
func ErrAccountClosed(authID string) *Error {
	return Errorf(ECAccountClosed, "Customer account %s is closed.", authID)
}
