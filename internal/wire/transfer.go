package wire

import (
	"encoding/json"
	"time"

	"github.com/partnerd/partnerd"
)

// TransferRequest is the body of transfer-balance and withdraw-balance as
// the client sends it. The amount is a decimal string with exactly the
// currency's decimals, so the same input always makes the same bytes (an
// idempotent retry must send a byte-identical body).
type TransferRequest struct {
	Amount      string  `json:"amount"`
	Currency    string  `json:"currency"`
	Description *string `json:"description,omitempty"`
}

// NewTransferRequest is the body that moves in.Amount of currency.
func NewTransferRequest(in partnerd.TransferInput, currency string) TransferRequest {
	return TransferRequest{Amount: partnerd.FormatMinor(in.Amount, currency), Currency: currency, Description: in.Description}
}

// Transfer is the 200 body of transfer-balance and withdraw-balance.
type Transfer struct {
	TransactionID        string          `json:"transaction_id"`
	FromAccount          string          `json:"from_account"`
	ToAccount            string          `json:"to_account"`
	Amount               json.RawMessage `json:"amount"`
	Currency             string          `json:"currency"`
	Description          *string         `json:"description"`
	Status               string          `json:"status"`
	PartnerBalanceAfter  json.RawMessage `json:"partner_balance_after"`
	CustomerBalanceAfter json.RawMessage `json:"customer_balance_after"`
	Timestamp            time.Time       `json:"timestamp"`
}

// NewTransfer renders a completed transfer or withdrawal.
func NewTransfer(t *partnerd.Transfer) Transfer {
	return Transfer{
		TransactionID: t.TransactionID, FromAccount: t.FromAccount, ToAccount: t.ToAccount,
		Amount: Money(t.Amount, t.Currency), Currency: t.Currency, Description: t.Description, Status: t.Status,
		PartnerBalanceAfter:  Money(t.PartnerBalanceAfter, t.Currency),
		CustomerBalanceAfter: Money(t.CustomerBalanceAfter, t.Currency),
		Timestamp:            Time(t.Timestamp),
	}
}

// Transfer returns the body as the domain type.
func (b *Transfer) Transfer() (*partnerd.Transfer, error) {
	t := &partnerd.Transfer{
		TransactionID: b.TransactionID, FromAccount: b.FromAccount, ToAccount: b.ToAccount,
		Currency: b.Currency, Description: b.Description, Status: b.Status, Timestamp: b.Timestamp,
	}
	if err := parseAll(b.Currency, []json.RawMessage{b.Amount, b.PartnerBalanceAfter, b.CustomerBalanceAfter},
		&t.Amount, &t.PartnerBalanceAfter, &t.CustomerBalanceAfter); err != nil {
		return nil, err
	}
	return t, nil
}

// Entry is one row of a transaction log. AccountAuthID is set only in
// GET /transactions, whose rows span the partner's customers.
type Entry struct {
	ID            string          `json:"id"`
	AccountAuthID string          `json:"account_auth_id,omitempty"`
	Type          string          `json:"type"`
	Amount        json.RawMessage `json:"amount"`
	Currency      string          `json:"currency"`
	BalanceBefore json.RawMessage `json:"balance_before"`
	BalanceAfter  json.RawMessage `json:"balance_after"`
	Description   *string         `json:"description"`
	InitiatedBy   string          `json:"initiated_by"`
	Reference     *string         `json:"reference"`
	CreatedAt     time.Time       `json:"created_at"`
}

// NewEntry renders a log row; withAccount names its wallet.
func NewEntry(e *partnerd.Entry, withAccount bool) Entry {
	b := Entry{
		ID: e.TransactionID, Type: e.Type, Amount: Money(e.Amount, e.Currency), Currency: e.Currency,
		BalanceBefore: Money(e.BalanceBefore, e.Currency), BalanceAfter: Money(e.BalanceAfter, e.Currency),
		Description: e.Description, InitiatedBy: e.InitiatedBy, Reference: e.Reference, CreatedAt: Time(e.CreatedAt),
	}
	if withAccount {
		b.AccountAuthID = e.AccountAuthID
	}
	return b
}

// Entry returns the row as the domain type. owner fills AccountAuthID for
// rows that do not name their wallet (a single wallet's log).
func (b *Entry) Entry(owner string) (*partnerd.Entry, error) {
	e := &partnerd.Entry{
		TransactionID: b.ID, AccountAuthID: b.AccountAuthID, Type: b.Type, Currency: b.Currency,
		Description: b.Description, InitiatedBy: b.InitiatedBy, Reference: b.Reference, CreatedAt: b.CreatedAt,
	}
	if e.AccountAuthID == "" {
		e.AccountAuthID = owner
	}
	if err := parseAll(b.Currency, []json.RawMessage{b.Amount, b.BalanceBefore, b.BalanceAfter},
		&e.Amount, &e.BalanceBefore, &e.BalanceAfter); err != nil {
		return nil, err
	}
	return e, nil
}

// parseAll parses each raw amount into the destination of the same index.
func parseAll(currency string, raws []json.RawMessage, dsts ...*int64) error {
	for i, raw := range raws {
		v, err := ParseMoney(raw, currency)
		if err != nil {
			return err
		}
		*dsts[i] = v
	}
	return nil
}
