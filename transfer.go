package partnerd

import (
	"context"
	"iter"
	"strings"
	"time"
)

// Transaction types as they appear in a wallet's log.
const (
	// Customer side.
	TxRecharge   = "recharge"   // partner → customer
	TxWithdrawal = "withdrawal" // customer → partner
	TxDebit      = "debit"      // usage charged to the customer
	TxRefund     = "refund"
	TxAdjustment = "adjustment"
	// Partner master wallet side.
	TxFund        = "fund"         // operator credit from outside
	TxTransferOut = "transfer_out" // partner → customer
	TxTransferIn  = "transfer_in"  // customer → partner
)

// CustomerTransactionTypes are the values of transaction_type on customer logs.
var CustomerTransactionTypes = []string{TxRecharge, TxWithdrawal, TxDebit, TxRefund, TxAdjustment}

// PartnerTransactionTypes are the values of transaction_type on the partner's log.
var PartnerTransactionTypes = []string{TxFund, TxTransferOut, TxTransferIn}

// InitiatedByOperator marks ledger transactions made by operator commands.
const InitiatedByOperator = "operator"

// TransferInput moves Amount (minor units, > 0) between a partner and one
// of its customers. Validate normalizes the fields in place.
type TransferInput struct {
	AuthID string
	Amount int64
	// Currency, when not nil, names the currency of Amount; it must then
	// be the partner's (else currency_mismatch).
	Currency    *string
	Description *string
}

// Validate upper-cases the currency, turns a blank currency or
// description into nil and returns a validation_error listing every
// invalid field. That the customer exists under the partner, and that the
// currency is the partner's, only the store can tell.
func (in *TransferInput) Validate() error {
	var fe FieldErrors
	if in.Amount <= 0 {
		fe.Add("amount", FCMustBePositive, "amount must be greater than zero")
	}
	// A currency given is a code as it stands: "" or " INR " is not one,
	// and is refused rather than read as no currency (API.md §4: given, it
	// must be the partner's).
	if in.Currency != nil {
		cur, ok := NormalizeCurrency(*in.Currency)
		if ok && strings.TrimSpace(*in.Currency) == *in.Currency {
			in.Currency = &cur
		} else {
			fe.Add("currency", FCInvalidValue, "currency must be an ISO 4217 code such as INR")
		}
	}
	in.Description = optionalText(&fe, "description", in.Description, blockText, maxTextLen)
	return fe.Err()
}

// CheckDescription checks the description of a ledger transaction made
// without a TransferInput (an operator's fund) by the same rule as a
// transfer's, and returns the value to store: nil when blank.
func CheckDescription(v *string) (*string, error) {
	var fe FieldErrors
	v = optionalText(&fe, "description", v, blockText, maxTextLen)
	return v, fe.Err()
}

// Transfer is the outcome of a transfer or a withdrawal.
type Transfer struct {
	TransactionID        string
	FromAccount          string
	ToAccount            string
	Amount               int64
	Currency             string
	Description          *string
	Status               string
	PartnerBalanceAfter  int64
	CustomerBalanceAfter int64
	Timestamp            time.Time
}

// Entry is one wallet's side of a ledger transaction.
type Entry struct {
	TransactionID string
	AccountAuthID string // the wallet's owner
	Type          string
	Amount        int64 // signed: credits positive, debits negative
	Currency      string
	BalanceBefore int64
	BalanceAfter  int64
	Description   *string
	InitiatedBy   string
	Reference     *string
	CreatedAt     time.Time
}

// EntryFilter selects a page of a ledger log, newest first. From and To are
// inclusive UTC days; zero means unbounded. Type, when not empty, is one of
// the log's transaction types. The streaming reads (the …Seq methods of
// LedgerService) take every matching entry and ignore Page.
type EntryFilter struct {
	From, To time.Time
	Type     string
	Page     Page
}

// LedgerService moves money and reads the logs. Every method is scoped to
// partnerID.
type LedgerService interface {
	// Transfer moves money from the partner's master wallet to a customer.
	Transfer(ctx context.Context, partnerID string, in TransferInput) (*Transfer, error)
	// Withdraw moves money from a customer back to the partner.
	Withdraw(ctx context.Context, partnerID string, in TransferInput) (*Transfer, error)
	// AccountEntries is one customer's log.
	AccountEntries(ctx context.Context, partnerID, authID string, f EntryFilter) ([]*Entry, int, error)
	// CustomerEntries is the log of every customer of the partner.
	CustomerEntries(ctx context.Context, partnerID string, f EntryFilter) ([]*Entry, int, error)
	// PartnerEntries is the partner's master wallet log.
	PartnerEntries(ctx context.Context, partnerID string, f EntryFilter) ([]*Entry, int, error)

	// AccountEntriesSeq, CustomerEntriesSeq and PartnerEntriesSeq stream
	// every entry of the same logs that f selects, newest first, reading
	// each as the consumer asks for it (f.Page is ignored). A failure,
	// including ctx ending, is the last value the sequence yields. Breaking
	// out of the loop stops the read.
	AccountEntriesSeq(ctx context.Context, partnerID, authID string, f EntryFilter) iter.Seq2[*Entry, error]
	CustomerEntriesSeq(ctx context.Context, partnerID string, f EntryFilter) iter.Seq2[*Entry, error]
	PartnerEntriesSeq(ctx context.Context, partnerID string, f EntryFilter) iter.Seq2[*Entry, error]
}
