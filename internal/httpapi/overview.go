package httpapi

import (
	"net/http"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/wire"
)

// handleDashboard answers the partner's overview; "today" and "this
// month" are the partner's, in its time zone.
func (s *Server) handleDashboard(w http.ResponseWriter, r *http.Request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	d, err := s.overview.Dashboard(r.Context(), partnerFrom(r.Context()).ID, s.credentials.now())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wire.NewDashboard(d))
	return nil
}

// handleAnalytics sums the partner's calls over from_date..to_date (the
// last 30 days by default), days in its time zone.
func (s *Server) handleAnalytics(w http.ResponseWriter, r *http.Request) error {
	q := parseQuery(r, []string{"from_date", "to_date"})
	p := partnerFrom(r.Context())
	from, to, err := partnerd.AnalyticsParams{FromDate: q.get("from_date"), ToDate: q.get("to_date")}.Range(s.credentials.now(), p.Location())
	if err := q.check(err); err != nil {
		return err
	}
	a, err := s.overview.Analytics(r.Context(), p.ID, from, to)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wire.NewAnalytics(a))
	return nil
}
