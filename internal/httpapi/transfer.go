package httpapi

import (
	"context"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/partnerd/partnerd"
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

// moveMoney decodes {amount, currency, description} and runs op.
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
	in := partnerd.TransferInput{AuthID: r.PathValue("customer_auth_id")}
	amount, fe := partnerd.ParsePositiveAmount("amount", o.fields["amount"], p.Currency)
	if fe != nil {
		o.errs = append(o.errs, *fe)
	}
	in.Amount = amount
	currency := o.optString("currency")
	if currency != nil {
		if _, ok := partnerd.NormalizeCurrency(*currency); !ok {
			o.errs.Add("currency", partnerd.FCInvalidValue, "currency must be an ISO 4217 code such as INR")
		}
	}
	in.Description = o.optString("description")
	if in.Description != nil && utf8.RuneCountInString(*in.Description) > 500 {
		o.errs.Add("description", partnerd.FCTooLong, "description must be at most 500 characters")
	}
	if err := o.errs.Err(); err != nil {
		return err
	}
	if c, _ := partnerd.NormalizeCurrency(derefOr(currency, p.Currency)); c != p.Currency {
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

// entryFilter parses paging, from_date, to_date and transaction_type.
func entryFilter(r *http.Request, types []string) (partnerd.EntryFilter, error) {
	var errs partnerd.FieldErrors
	q := r.URL.Query()
	f := partnerd.EntryFilter{Page: pageFrom(r, &errs), Type: q.Get("transaction_type")}
	f.From = dateParam(q.Get("from_date"), "from_date", &errs)
	f.To = dateParam(q.Get("to_date"), "to_date", &errs)
	if !f.From.IsZero() && !f.To.IsZero() && f.To.Before(f.From) {
		errs.Add("to_date", partnerd.FCInvalidValue, "to_date must not be before from_date")
	}
	if q.Has("transaction_type") && !contains(types, f.Type) {
		errs.Add("transaction_type", partnerd.FCInvalidValue, "transaction_type must be one of "+joinQuoted(types))
	}
	return f, errs.Err()
}

func dateParam(v, name string, errs *partnerd.FieldErrors) time.Time {
	if v == "" {
		return time.Time{}
	}
	t, err := time.Parse("2006-01-02", v)
	switch {
	case err != nil:
		errs.Add(name, partnerd.FCInvalidFormat, name+" must be a date as YYYY-MM-DD")
	case t.Year() < 1970 || t.Year() > 9998:
		// The zero time means "no bound", and no ledger row predates 1970.
		errs.Add(name, partnerd.FCOutOfRange, name+" must be between 1970-01-01 and 9998-12-31")
		return time.Time{}
	}
	return t
}

func (s *Server) writeEntries(w http.ResponseWriter, f partnerd.EntryFilter, entries []*partnerd.Entry, total int, withAccount bool) {
	out := wire.List[wire.Entry]{Data: make([]wire.Entry, 0, len(entries)), Meta: wire.NewPageMeta(f.Page, total)}
	for _, e := range entries {
		out.Data = append(out.Data, wire.NewEntry(e, withAccount))
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
