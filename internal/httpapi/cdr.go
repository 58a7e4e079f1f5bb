package httpapi

import (
	"iter"
	"net/http"
	"slices"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/csvtext"
	"github.com/partnerd/partnerd/internal/wire"
)

// cdrListParams are the query parameters of the CDR lists.
var cdrListParams = slices.Concat(pageParams, []string{"start_date", "end_date", "call_direction", "status",
	"from_number", "to_number", "hangup_cause", "min_duration", "max_duration", "search", "format"})

// cdrFilter reads a CDR list's query; its days are the partner's. asCSV
// says whether the list is asked for as CSV (see wantsCSV).
func (s *Server) cdrFilter(r *http.Request) (f partnerd.CDRFilter, asCSV bool, err error) {
	q := parseQuery(r, cdrListParams)
	asCSV, csvErr := wantsCSV(r, q)
	f, err = partnerd.CDRParams{
		Page: q.page(), StartDate: q.get("start_date"), EndDate: q.get("end_date"), Direction: q.get("call_direction"),
		Status: q.get("status"), FromNumber: q.get("from_number"), ToNumber: q.get("to_number"),
		HangupCause: q.get("hangup_cause"), MinDuration: q.get("min_duration"), MaxDuration: q.get("max_duration"),
		Search: q.get("search"),
	}.Filter(s.credentials.now(), partnerFrom(r.Context()).Location())
	return f, asCSV, q.check(mergeFieldErrors(fieldErrorsOf(csvErr), err))
}

// cdrCSVHeader is the header of a CDR list's CSV export: the JSON row's
// keys in order (and account_auth_id for the partner-wide list).
var cdrCSVHeader = []string{"call_uuid", "from_number", "to_number", "direction", "status", "duration_seconds",
	"billsec", "hangup_cause", "cost", "currency", "start_time", "answer_time", "end_time", "trunk_id", "context"}

// streamCDRs answers a CDR list as CSV.
func (s *Server) streamCDRs(w http.ResponseWriter, r *http.Request, name string, seq iter.Seq2[*partnerd.CDR, error], withAccount bool) error {
	header := cdrCSVHeader
	if withAccount {
		header = append(slices.Clip(header), "account_auth_id")
	}
	return streamCSV(s, w, r, name, header, seq, func(c *partnerd.CDR, cells []string) []string {
		answer := ""
		if c.AnswerTime != nil {
			answer = csvTime(*c.AnswerTime)
		}
		// The switch's text (a phone's Call-ID among it) is a customer's.
		cells = append(cells, csvtext.Safe(c.CallUUID), csvtext.Safe(c.FromNumber), csvtext.Safe(c.ToNumber), c.Direction,
			partnerd.CallStatus(c.Billsec, c.HangupCause), csvInt(c.DurationSeconds), csvInt(c.Billsec), csvtext.OptSafe(c.HangupCause),
			csvMoney(c.Cost, c.Currency), c.Currency, csvTime(c.StartTime), answer, csvTime(c.EndTime), csvtext.OptSafe(c.TrunkID),
			csvtext.OptSafe(c.Context))
		if withAccount {
			cells = append(cells, c.AccountAuthID)
		}
		return cells
	})
}

func (s *Server) handleAccountCDRs(w http.ResponseWriter, r *http.Request) error {
	f, asCSV, err := s.cdrFilter(r)
	if err != nil {
		return err
	}
	authID := r.PathValue("customer_auth_id")
	if !partnerd.IsAccountID(authID) {
		return partnerd.ErrAccountNotFound(authID)
	}
	if asCSV {
		return s.streamCDRs(w, r, "cdrs-"+authID, s.cdrs.AccountCDRsSeq(r.Context(), partnerFrom(r.Context()).ID, authID, f), false)
	}
	cs, total, err := s.cdrs.ListAccountCDRs(r.Context(), partnerFrom(r.Context()).ID, authID, f)
	if err != nil {
		return err
	}
	writeCDRs(w, f, cs, total, wire.NewCDRRow)
	return nil
}

func (s *Server) handleCDRList(w http.ResponseWriter, r *http.Request) error {
	f, asCSV, err := s.cdrFilter(r)
	if err != nil {
		return err
	}
	if asCSV {
		return s.streamCDRs(w, r, "cdrs", s.cdrs.CDRsSeq(r.Context(), partnerFrom(r.Context()).ID, f), true)
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
