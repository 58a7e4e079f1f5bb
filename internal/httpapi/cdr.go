package httpapi

import (
	"net/http"
	"slices"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/wire"
)

// cdrListParams are the query parameters of the CDR lists.
var cdrListParams = slices.Concat(pageParams, []string{"start_date", "end_date", "call_direction", "status",
	"from_number", "to_number", "hangup_cause", "min_duration", "max_duration", "search"})

// cdrFilter reads a CDR list's query; its days are the partner's.
func (s *Server) cdrFilter(r *http.Request) (partnerd.CDRFilter, error) {
	q := parseQuery(r, cdrListParams)
	f, err := partnerd.CDRParams{
		Page: q.page(), StartDate: q.get("start_date"), EndDate: q.get("end_date"), Direction: q.get("call_direction"),
		Status: q.get("status"), FromNumber: q.get("from_number"), ToNumber: q.get("to_number"),
		HangupCause: q.get("hangup_cause"), MinDuration: q.get("min_duration"), MaxDuration: q.get("max_duration"),
		Search: q.get("search"),
	}.Filter(s.credentials.now(), partnerFrom(r.Context()).Location())
	return f, q.check(err)
}

func (s *Server) handleAccountCDRs(w http.ResponseWriter, r *http.Request) error {
	f, err := s.cdrFilter(r)
	if err != nil {
		return err
	}
	authID := r.PathValue("customer_auth_id")
	if !partnerd.IsAccountID(authID) {
		return partnerd.ErrAccountNotFound(authID)
	}
	cs, total, err := s.cdrs.ListAccountCDRs(r.Context(), partnerFrom(r.Context()).ID, authID, f)
	if err != nil {
		return err
	}
	writeCDRs(w, f, cs, total, wire.NewCDRRow)
	return nil
}

func (s *Server) handleCDRList(w http.ResponseWriter, r *http.Request) error {
	f, err := s.cdrFilter(r)
	if err != nil {
		return err
	}
	cs, total, err := s.cdrs.ListCDRs(r.Context(), partnerFrom(r.Context()).ID, f)
	if err != nil {
		return err
	}
	writeCDRs(w, f, cs, total, wire.NewCDRItem)
	return nil
}

func (s *Server) handleAccountCDR(w http.ResponseWriter, r *http.Request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	authID, callUUID := r.PathValue("customer_auth_id"), r.PathValue("call_uuid")
	if !partnerd.IsAccountID(authID) {
		return partnerd.ErrAccountNotFound(authID)
	}
	c, err := s.cdrs.AccountCDR(r.Context(), partnerFrom(r.Context()).ID, authID, callUUID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wire.NewCDRDetail(c))
	return nil
}

// writeCDRs writes a page of calls, each rendered by render.
func writeCDRs[T any](w http.ResponseWriter, f partnerd.CDRFilter, cs []*partnerd.CDR, total int, render func(*partnerd.CDR) T) {
	out := wire.List[T]{Data: make([]T, 0, len(cs)), Meta: wire.NewPageMeta(f.Page, total)}
	for _, c := range cs {
		out.Data = append(out.Data, render(c))
	}
	writeJSON(w, http.StatusOK, out)
}
