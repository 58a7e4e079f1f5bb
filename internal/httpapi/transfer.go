package httpapi

import (
	"context"
	"errors"
	"iter"
	"net/http"
	"slices"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/csvtext"
	"github.com/partnerd/partnerd/internal/wire"
)

func renderTransfer(t *partnerd.Transfer) any { return wire.NewTransfer(t) }

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
	if err := noQuery(r); err != nil {
		return err
	}
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

// entryListParams are the query parameters of every transaction log.
var entryListParams = slices.Concat(pageParams, []string{"from_date", "to_date", "transaction_type", "format"})

// entryFilter reads paging, from_date, to_date and transaction_type from
// the query string and validates them for a log of the given types. The
// dates are days in the partner's time zone. asCSV says whether the log
// is asked for as CSV (see wantsCSV).
func entryFilter(r *http.Request, types []string) (f partnerd.EntryFilter, asCSV bool, err error) {
	q := parseQuery(r, entryListParams)
	asCSV, csvErr := wantsCSV(r, q)
	f, err = partnerd.EntryParams{
		Page: q.page(), FromDate: q.get("from_date"), ToDate: q.get("to_date"), Type: q.get("transaction_type"),
	}.Filter(types)
	loc := partnerFrom(r.Context()).Location()
	f.From, f.To = partnerd.DayIn(f.From, loc), partnerd.DayIn(f.To, loc)
	return f, asCSV, q.check(mergeFieldErrors(fieldErrorsOf(csvErr), err))
}

// fieldErrorsOf returns the fields of a validation_error (nil for nil).
func fieldErrorsOf(err error) partnerd.FieldErrors {
	var e *partnerd.Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// entryCSVHeader is the header of a transaction log's CSV export: the
// JSON row's keys in order (and account_auth_id for the partner-wide log).
var entryCSVHeader = []string{"id", "type", "amount", "currency", "balance_before", "balance_after", "description",
	"initiated_by", "reference", "created_at"}

// streamEntries answers a log as CSV.
func (s *Server) streamEntries(w http.ResponseWriter, r *http.Request, name string, seq iter.Seq2[*partnerd.Entry, error], withAccount bool) error {
	header := entryCSVHeader
	if withAccount {
		header = append(slices.Clip(header), "account_auth_id")
	}
	return streamCSV(s, w, r, name, header, seq, func(e *partnerd.Entry, cells []string) []string {
		cells = append(cells, e.TransactionID, e.Type, csvMoney(e.Amount, e.Currency), e.Currency,
			csvMoney(e.BalanceBefore, e.Currency), csvMoney(e.BalanceAfter, e.Currency), csvtext.OptSafe(e.Description),
			e.InitiatedBy, csvtext.OptSafe(e.Reference), csvTime(e.CreatedAt))
		if withAccount {
			cells = append(cells, e.AccountAuthID)
		}
		return cells
	})
}

func (s *Server) writeEntries(w http.ResponseWriter, f partnerd.EntryFilter, entries []*partnerd.Entry, total int, withAccount bool) {
	out := wire.List[wire.Entry]{Data: make([]wire.Entry, 0, len(entries)), Meta: wire.NewPageMeta(f.Page, total)}
	for _, e := range entries {
		out.Data = append(out.Data, wire.NewEntry(e, withAccount))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleAccountTransactions(w http.ResponseWriter, r *http.Request) error {
	f, asCSV, err := entryFilter(r, partnerd.CustomerTransactionTypes)
	if err != nil {
		return err
	}
	id := r.PathValue("customer_auth_id")
	if !partnerd.IsAccountID(id) {
		return partnerd.ErrAccountNotFound(id)
	}
	if asCSV {
		return s.streamEntries(w, r, "transactions-"+id, s.ledger.AccountEntriesSeq(r.Context(), partnerFrom(r.Context()).ID, id, f), false)
	}
	entries, total, err := s.ledger.AccountEntries(r.Context(), partnerFrom(r.Context()).ID, id, f)
	if err != nil {
		return err
	}
	s.writeEntries(w, f, entries, total, false)
	return nil
}

func (s *Server) handleTransactions(w http.ResponseWriter, r *http.Request) error {
	f, asCSV, err := entryFilter(r, partnerd.CustomerTransactionTypes)
	if err != nil {
		return err
	}
	if asCSV {
		return s.streamEntries(w, r, "transactions", s.ledger.CustomerEntriesSeq(r.Context(), partnerFrom(r.Context()).ID, f), true)
	}
	entries, total, err := s.ledger.CustomerEntries(r.Context(), partnerFrom(r.Context()).ID, f)
	if err != nil {
		return err
	}
	s.writeEntries(w, f, entries, total, true)
	return nil
}

func (s *Server) handleMeTransactions(w http.ResponseWriter, r *http.Request) error {
	f, asCSV, err := entryFilter(r, partnerd.PartnerTransactionTypes)
	if err != nil {
		return err
	}
	if asCSV {
		return s.streamEntries(w, r, "partner-transactions", s.ledger.PartnerEntriesSeq(r.Context(), partnerFrom(r.Context()).ID, f), false)
	}
	entries, total, err := s.ledger.PartnerEntries(r.Context(), partnerFrom(r.Context()).ID, f)
	if err != nil {
		return err
	}
	s.writeEntries(w, f, entries, total, false)
	return nil
}
