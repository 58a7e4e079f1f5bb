package httpapi

import (
	"net/http"
	"slices"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/wire"
)

// eventListParams are the query parameters of GET /events.
var eventListParams = slices.Concat(pageParams, []string{"type", "account", "from_date", "to_date"})

func (s *Server) handleEventList(w http.ResponseWriter, r *http.Request) error {
	q := parseQuery(r, eventListParams)
	f, err := partnerd.EventParams{Page: q.page(), Type: q.get("type"), Account: q.get("account"),
		FromDate: q.get("from_date"), ToDate: q.get("to_date")}.Filter(partnerFrom(r.Context()).Location())
	if err := q.check(err); err != nil {
		return err
	}
	events, total, err := s.events.Events(r.Context(), partnerFrom(r.Context()).ID, f)
	if err != nil {
		return err
	}
	out := wire.List[wire.Event]{Data: make([]wire.Event, 0, len(events)), Meta: wire.NewPageMeta(f.Page, total)}
	for _, e := range events {
		out.Data = append(out.Data, wire.NewEvent(e))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) handleEventGet(w http.ResponseWriter, r *http.Request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	id := r.PathValue("event_id")
	if !partnerd.IsEventID(id) {
		return partnerd.ErrEventNotFound(id)
	}
	e, err := s.events.Event(r.Context(), partnerFrom(r.Context()).ID, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wire.NewEvent(e))
	return nil
}
