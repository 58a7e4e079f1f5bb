package console

import (
	"net/http"
	"net/url"

	"github.com/partnerd/partnerd"
)

// auditPage is /console/audit: the partner's audit log (API.md §7), newest
// first, filtered like GET /audit-events.
type auditPage struct {
	Q           url.Values
	Rows        []*partnerd.AuditEvent
	Pager       pager
	FilterError string
}

func (s *Server) handleAudit(w http.ResponseWriter, r *http.Request, ss *session) error {
	q := r.URL.Query()
	d := auditPage{Q: q}
	f, err := partnerd.AuditParams{Page: pageParams(q), Action: param(q, "action"), Account: param(q, "account"),
		FromDate: param(q, "from_date"), ToDate: param(q, "to_date")}.Filter(ss.partner.Location())
	if err != nil {
		if d.FilterError, err = filterError(err); err != nil {
			return err
		}
		f = partnerd.AuditFilter{Page: firstPage}
	}
	var total int
	if d.Rows, total, err = s.c.Audit.AuditEvents(r.Context(), ss.partner.ID, f); err != nil {
		return err
	}
	d.Pager = newPager("/console/audit", q, f.Page, total)
	return s.render(w, r, http.StatusOK, "audit", ss, d)
}
