package console

import (
	"context"
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
		d.Pager = newPager("/console/audit", q, firstPage, 0)
		return s.render(w, r, http.StatusBadRequest, "audit", ss, d)
	}
	var total int
	if d.Rows, total, err = s.c.Audit.AuditEvents(r.Context(), ss.partner.ID, f); err != nil {
		return err
	}
	d.Pager = newPager("/console/audit", q, f.Page, total)
	return s.render(w, r, http.StatusOK, "audit", ss, d)
}

// notFoundPage is an error shown as the console's 404 page, whichever
// form sent it.
type notFoundPage struct{ err error }

func (e notFoundPage) Error() string { return e.err.Error() }
func (e notFoundPage) Unwrap() error { return e.err }

// repeatedDelete judges a delete (or release) that found nothing to
// delete: when the partner's recent audit log shows that delete of
// target done, it is a repeat (a double click, a reload) and is done
// (nil); anything else never existed, the console's 404 page. Other
// errors are returned as they are.
func (s *Server) repeatedDelete(ctx context.Context, err error, partnerID, action, account, target string) error {
	switch partnerd.ErrorCode(err) {
	case partnerd.ECNotFound, partnerd.ECNumberNotFound:
	default:
		return err
	}
	if s.c.Audit != nil {
		// A repeat comes soon after its first: the newest 100 such changes
		// hold it.
		rows, _, aerr := s.c.Audit.AuditEvents(ctx, partnerID, partnerd.AuditFilter{
			Page: partnerd.Page{Page: 1, Size: 100}, Action: action, Account: account})
		if aerr != nil {
			return aerr
		}
		for _, row := range rows {
			if row.Target == target && row.Outcome == partnerd.AuditOK {
				return nil
			}
		}
	}
	return notFoundPage{err}
}
