package httpapi

import (
	"context"
	"net/http"

	"github.com/partnerd/partnerd"
)

// transferBody is the 200 body of transfer-balance and withdraw-balance.
type transferBody struct {
	TransactionID        string         `json:"transaction_id"`
	FromAccount          string         `json:"from_account"`
	ToAccount            string         `json:"to_account"`
	Amount               partnerd.Money `json:"amount"`
	Currency             string         `json:"currency"`
	Description          *string        `json:"description"`
	Status               string         `json:"status"`
	PartnerBalanceAfter  partnerd.Money `json:"partner_balance_after"`
	CustomerBalanceAfter partnerd.Money `json:"customer_balance_after"`
	Timestamp            string         `json:"timestamp"`
}

func renderTransfer(t *partnerd.Transfer) any {
	m := func(v int64) partnerd.Money { return partnerd.Money{Minor: v, Currency: t.Currency} }
	return transferBody{
		TransactionID: t.TransactionID, FromAccount: t.FromAccount, ToAccount: t.ToAccount, Amount: m(t.Amount),
		Currency: t.Currency, Description: t.Description, Status: t.Status,
		PartnerBalanceAfter: m(t.PartnerBalanceAfter), CustomerBalanceAfter: m(t.CustomerBalanceAfter),
		Timestamp: timestamp(t.Timestamp),
	}
}

func (s *Server) handleTransfer(w http.ResponseWriter, r *http.Request) error {
	return s.moveMoney(w, r, s.ledger.Transfer)
}

func (s *Server) handleWithdraw(w http.ResponseWriter, r *http.Request) error {
	return s.moveMoney(w, r, s.ledger.Withdraw)
}

type moveFunc func(ctx context.Context, partnerID string, in partnerd.TransferInput) (*partnerd.Transfer, error)

// moveMoney decodes {amount, currency, description} into a TransferInput,
// validates it and runs op.
func (s *Server) moveMoney(w http.ResponseWriter, r *http.Request, op moveFunc) error {
	p := partnerFrom(r.Context())
	body, err := readBody(r)
	if err != nil {
		return err
	}
	o, err := decodeObject(body, "amount", "currency", "description")
	if err != nil {
		return err
	}
	// The amount's text is read in the partner's currency (its decimals);
	// a wrong currency is refused below, once the text is known valid.
	amount, fe := partnerd.ParsePositiveAmount("amount", o.fields["amount"], p.Currency)
	if fe != nil {
		o.errs = append(o.errs, *fe)
	}
	in := partnerd.TransferInput{
		AuthID: r.PathValue("customer_auth_id"), Amount: amount,
		Currency: o.optString("currency"), Description: o.optString("description"),
	}
	if err := o.validate(&in); err != nil {
		return err
	}
	if c := derefOr(in.Currency, p.Currency); c != p.Currency {
		return &partnerd.Error{
			Code:    partnerd.ECCurrencyMismatch,
			Message: "This partner's wallets hold " + p.Currency + "; the request is in " + c + ".",
			Details: map[string]any{"currency": p.Currency, "requested_currency": c},
		}
	}
	if !partnerd.IsAccountID(in.AuthID) {
		return partnerd.ErrAccountNotFound(in.AuthID)
	}
	return commit(w, r, http.StatusOK, renderTransfer, func(ctx context.Context) (*partnerd.Transfer, error) {
		return op(ctx, p.ID, in)
	})
}

func derefOr(p *string, def string) string {
	if p == nil {
		return def
	}
	return *p
}

// entryBody is one row of a transaction log.
type entryBody struct {
	ID            string         `json:"id"`
	AccountAuthID string         `json:"account_auth_id,omitempty"`
	Type          string         `json:"type"`
	Amount        partnerd.Money `json:"amount"`
	Currency      string         `json:"currency"`
	BalanceBefore partnerd.Money `json:"balance_before"`
	BalanceAfter  partnerd.Money `json:"balance_after"`
	Description   *string        `json:"description"`
	InitiatedBy   string         `json:"initiated_by"`
	Reference     *string        `json:"reference"`
	CreatedAt     string         `json:"created_at"`
}

// entryFilter reads paging, from_date, to_date and transaction_type from
// the query string and validates them for a log of the given types.
func entryFilter(r *http.Request, types []string) (partnerd.EntryFilter, error) {
	q := r.URL.Query()
	return partnerd.EntryParams{
		Page: pageParams(q), FromDate: queryParam(q, "from_date"), ToDate: queryParam(q, "to_date"),
		Type: queryParam(q, "transaction_type"),
	}.Filter(types)
}

func (s *Server) writeEntries(w http.ResponseWriter, f partnerd.EntryFilter, entries []*partnerd.Entry, total int, withAccount bool) {
	out := listBody[entryBody]{Data: make([]entryBody, 0, len(entries)), Meta: metaOf(f.Page, total)}
	for _, e := range entries {
		m := func(v int64) partnerd.Money { return partnerd.Money{Minor: v, Currency: e.Currency} }
		b := entryBody{
			ID: e.TransactionID, Type: e.Type, Amount: m(e.Amount), Currency: e.Currency,
			BalanceBefore: m(e.BalanceBefore), BalanceAfter: m(e.BalanceAfter), Description: e.Description,
			InitiatedBy: e.InitiatedBy, Reference: e.Reference, CreatedAt: timestamp(e.CreatedAt),
		}
		if withAccount {
			b.AccountAuthID = e.AccountAuthID
		}
		out.Data = append(out.Data, b)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleAccountTransactions(w http.ResponseWriter, r *http.Request) error {
	f, err := entryFilter(r, partnerd.CustomerTransactionTypes)
	if err != nil {
		return err
	}
	id := r.PathValue("customer_auth_id")
	if !partnerd.IsAccountID(id) {
		return partnerd.ErrAccountNotFound(id)
	}
	entries, total, err := s.ledger.AccountEntries(r.Context(), partnerFrom(r.Context()).ID, id, f)
	if err != nil {
		return err
	}
	s.writeEntries(w, f, entries, total, false)
	return nil
}

func (s *Server) handleTransactions(w http.ResponseWriter, r *http.Request) error {
	f, err := entryFilter(r, partnerd.CustomerTransactionTypes)
	if err != nil {
		return err
	}
	entries, total, err := s.ledger.CustomerEntries(r.Context(), partnerFrom(r.Context()).ID, f)
	if err != nil {
		return err
	}
	s.writeEntries(w, f, entries, total, true)
	return nil
}

func (s *Server) handleMeTransactions(w http.ResponseWriter, r *http.Request) error {
	f, err := entryFilter(r, partnerd.PartnerTransactionTypes)
	if err != nil {
		return err
	}
	entries, total, err := s.ledger.PartnerEntries(r.Context(), partnerFrom(r.Context()).ID, f)
	if err != nil {
		return err
	}
	s.writeEntries(w, f, entries, total, false)
	return nil
}
