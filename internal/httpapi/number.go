package httpapi

import (
	"context"
	"net/http"
	"slices"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/wire"
)

// numberInput is the body of POST /accounts/{id}/numbers.
type numberInput struct{ number string }

func (in *numberInput) Validate() error {
	n, err := partnerd.NormalizeNumber("number", in.number)
	in.number = n
	return err
}

func renderNumberItem(n *partnerd.Number) any { return wire.NewNumberItem(n) }

func (s *Server) handleNumberAssign(w http.ResponseWriter, r *http.Request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	o, err := decodeObject(body, "number")
	if err != nil {
		return err
	}
	in := numberInput{number: o.str("number")}
	if err := o.validate(&in); err != nil {
		return err
	}
	authID := r.PathValue("customer_auth_id")
	if !partnerd.IsAccountID(authID) {
		return partnerd.ErrAccountNotFound(authID)
	}
	return commit(w, r, http.StatusCreated, renderNumberItem, func(ctx context.Context) (*partnerd.Number, error) {
		return s.numbers.AssignNumber(ctx, partnerFrom(ctx).ID, authID, in.number)
	})
}

func (s *Server) handleNumberRelease(w http.ResponseWriter, r *http.Request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	authID := r.PathValue("customer_auth_id")
	if !partnerd.IsAccountID(authID) {
		return partnerd.ErrAccountNotFound(authID)
	}
	// The path holds the number URL-encoded (+ as %2B); one that is not
	// a valid E.164 number is in no pool.
	number, err := partnerd.NormalizeNumber("number", r.PathValue("number"))
	if err != nil {
		return partnerd.ErrNumberNotFound(r.PathValue("number"))
	}
	if err := s.numbers.ReleaseNumber(r.Context(), partnerFrom(r.Context()).ID, authID, number); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// numberListParams are the query parameters of GET /numbers; a customer's
// list takes the same but status.
var (
	numberListParams        = slices.Concat(pageParams, []string{"search", "status"})
	accountNumberListParams = slices.Concat(pageParams, []string{"search"})
)

func numberFilter(r *http.Request, allowed []string) (partnerd.NumberFilter, error) {
	q := parseQuery(r, allowed)
	f, err := partnerd.NumberParams{Page: q.page(), Search: q.get("search"), Status: q.get("status")}.Filter()
	return f, q.check(err)
}

func (s *Server) handleAccountNumbers(w http.ResponseWriter, r *http.Request) error {
	f, err := numberFilter(r, accountNumberListParams)
	if err != nil {
		return err
	}
	authID := r.PathValue("customer_auth_id")
	if !partnerd.IsAccountID(authID) {
		return partnerd.ErrAccountNotFound(authID)
	}
	ns, total, err := s.numbers.ListAccountNumbers(r.Context(), partnerFrom(r.Context()).ID, authID, f)
	if err != nil {
		return err
	}
	writeNumbers(w, f, ns, total, wire.NewNumber)
	return nil
}

// writeNumbers writes a page of numbers, each rendered by render.
func writeNumbers[T any](w http.ResponseWriter, f partnerd.NumberFilter, ns []*partnerd.Number, total int, render func(*partnerd.Number) T) {
	out := wire.List[T]{Data: make([]T, 0, len(ns)), Meta: wire.NewPageMeta(f.Page, total)}
	for _, n := range ns {
		out.Data = append(out.Data, render(n))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleNumbers(w http.ResponseWriter, r *http.Request) error {
	f, err := numberFilter(r, numberListParams)
	if err != nil {
		return err
	}
	ns, total, err := s.numbers.ListNumbers(r.Context(), partnerFrom(r.Context()).ID, f)
	if err != nil {
		return err
	}
	writeNumbers(w, f, ns, total, wire.NewNumberItem)
	return nil
}
