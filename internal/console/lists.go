package console

import (
	"bufio"
	"encoding/csv"
	"errors"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/csvtext"
)

type numbersPage struct {
	Search, Status string
	Statuses       []string
	Numbers        []*partnerd.Number
	Pager          pager
	FilterError    string
}

func (s *Server) handleNumbers(w http.ResponseWriter, r *http.Request, ss *session) error {
	q := r.URL.Query()
	d := numbersPage{Search: q.Get("search"), Status: q.Get("status"), Statuses: partnerd.NumberStatuses}
	f, err := partnerd.NumberParams{Page: pageParams(q), Search: param(q, "search"), Status: param(q, "status")}.Filter()
	if err != nil {
		if d.FilterError, err = filterError(err); err != nil {
			return err
		}
		d.Pager = newPager("/console/numbers", q, firstPage, 0)
		return s.render(w, r, http.StatusBadRequest, "numbers", ss, d)
	}
	numbers, total, err := s.c.Numbers.ListNumbers(r.Context(), ss.partner.ID, f)
	if err != nil {
		return err
	}
	d.Numbers, d.Pager = numbers, newPager("/console/numbers", q, f.Page, total)
	return s.render(w, r, http.StatusOK, "numbers", ss, d)
}

var firstPage = partnerd.Page{Page: 1, Size: partnerd.DefaultPageSize}

// filterError is the message of a refused filter, which the page shows
// (400) above an empty list, as the API refuses it: never rows that the
// filter the form still shows did not choose. Other errors are returned.
func filterError(err error) (string, error) {
	var e *partnerd.Error
	if !isInputError(err) || !errors.As(err, &e) {
		return "", err
	}
	return errorText(e), nil
}

// errorText is an input error as the partner reads it: its message and,
// as the API's fields array gives them, each bad field's.
func errorText(e *partnerd.Error) string {
	if len(e.Fields) == 0 || len(e.Fields) == 1 && strings.TrimSuffix(e.Message, ".") == strings.TrimSuffix(e.Fields[0].Message, ".") {
		return e.Message // a field's own message, not twice
	}
	msgs := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		msgs[i] = f.Message
	}
	return strings.TrimSuffix(e.Message, ".") + ": " + strings.Join(msgs, "; ") + "."
}

// cdrParams are the calls filters, as GET /cdrs names them.
var cdrParams = []string{"start_date", "end_date", "call_direction", "status", "from_number", "to_number",
	"hangup_cause", "min_duration", "max_duration", "search"}

type callsPage struct {
	Q           url.Values
	Account     string
	Calls       []*partnerd.CDR
	Pager       pager
	FilterError string
	CSV         string
	Directions  []string
	Statuses    []string
}

// cdrFilter reads the calls filters; account narrows them to a customer.
func (s *Server) cdrFilter(q url.Values, p *partnerd.Partner) (partnerd.CDRFilter, error) {
	return partnerd.CDRParams{
		Page: pageParams(q), StartDate: param(q, "start_date"), EndDate: param(q, "end_date"),
		Direction: param(q, "call_direction"), Status: param(q, "status"), FromNumber: param(q, "from_number"),
		ToNumber: param(q, "to_number"), HangupCause: param(q, "hangup_cause"), MinDuration: param(q, "min_duration"),
		MaxDuration: param(q, "max_duration"), Search: param(q, "search"),
	}.Filter(s.c.Now(), p.Location())
}

// account is the customer a list is narrowed to, if any: one of another
// shape matches no customer of anyone's.
func account(q url.Values) (string, error) {
	id := q.Get("account")
	if id != "" && !partnerd.IsAccountID(id) {
		return "", partnerd.ErrAccountNotFound(id)
	}
	return id, nil
}

func (s *Server) handleCalls(w http.ResponseWriter, r *http.Request, ss *session) error {
	q := r.URL.Query()
	acct, err := account(q)
	if err != nil {
		return err
	}
	d := callsPage{Q: q, Account: acct, Directions: partnerd.Directions, Statuses: partnerd.CallStatuses}
	f, err := s.cdrFilter(q, ss.partner)
	if err != nil {
		if d.FilterError, err = filterError(err); err != nil {
			return err
		}
		d.Pager = newPager("/console/calls", q, firstPage, 0)
		return s.render(w, r, http.StatusBadRequest, "calls", ss, d)
	}
	d.CSV = "/console/calls.csv?" + listQuery(q, append(cdrParams, "account")).Encode()
	var total int
	if acct != "" {
		d.Calls, total, err = s.c.CDRs.ListAccountCDRs(r.Context(), ss.partner.ID, acct, f)
	} else {
		d.Calls, total, err = s.c.CDRs.ListCDRs(r.Context(), ss.partner.ID, f)
	}
	if err != nil {
		return err
	}
	d.Pager = newPager("/console/calls", q, f.Page, total)
	return s.render(w, r, http.StatusOK, "calls", ss, d)
}

// listQuery keeps the named, non-empty parameters of q.
func listQuery(q url.Values, names []string) url.Values {
	out := url.Values{}
	for _, n := range names {
		if v := q.Get(n); v != "" {
			out.Set(n, v)
		}
	}
	return out
}

var cdrCSVHeader = []string{"call_uuid", "from_number", "to_number", "direction", "status", "duration_seconds",
	"billsec", "hangup_cause", "cost", "currency", "start_time", "answer_time", "end_time", "trunk_id", "context", "account_auth_id"}

// handleCallsCSV streams every call the filters match, as GET /cdrs with
// format=csv does.
func (s *Server) handleCallsCSV(w http.ResponseWriter, r *http.Request, ss *session) error {
	q := r.URL.Query()
	acct, err := account(q)
	if err != nil {
		return err
	}
	f, err := s.cdrFilter(q, ss.partner)
	if err != nil {
		return err
	}
	seq := s.c.CDRs.CDRsSeq(r.Context(), ss.partner.ID, f)
	if acct != "" {
		seq = s.c.CDRs.AccountCDRsSeq(r.Context(), ss.partner.ID, acct, f)
	}
	return streamCSV(w, "calls", cdrCSVHeader, seq, func(c *partnerd.CDR) []string {
		return []string{csvtext.Safe(c.CallUUID), csvtext.Safe(c.FromNumber), csvtext.Safe(c.ToNumber), c.Direction,
			partnerd.CallStatus(c.Billsec, c.HangupCause), strconv.Itoa(c.DurationSeconds), strconv.Itoa(c.Billsec),
			csvtext.OptSafe(c.HangupCause), partnerd.FormatMinor(c.Cost, c.Currency), c.Currency, csvTime(c.StartTime),
			csvTimeP(c.AnswerTime), csvTime(c.EndTime), csvtext.OptSafe(c.TrunkID), csvtext.OptSafe(c.Context), c.AccountAuthID}
	})
}

type transactionsPage struct {
	Q           url.Values
	Account     string
	Entries     []*partnerd.Entry
	Pager       pager
	FilterError string
	CSV         string
	Types       []string
}

var entryParams = []string{"from_date", "to_date", "transaction_type", "account"}

func (s *Server) entryFilter(q url.Values, p *partnerd.Partner) (partnerd.EntryFilter, error) {
	f, err := partnerd.EntryParams{Page: pageParams(q), FromDate: param(q, "from_date"), ToDate: param(q, "to_date"),
		Type: param(q, "transaction_type")}.Filter(partnerd.CustomerTransactionTypes)
	loc := p.Location()
	f.From, f.To = partnerd.DayIn(f.From, loc), partnerd.DayIn(f.To, loc)
	return f, err
}

func (s *Server) handleTransactions(w http.ResponseWriter, r *http.Request, ss *session) error {
	q := r.URL.Query()
	acct, err := account(q)
	if err != nil {
		return err
	}
	d := transactionsPage{Q: q, Account: acct, Types: partnerd.CustomerTransactionTypes}
	f, err := s.entryFilter(q, ss.partner)
	if err != nil {
		if d.FilterError, err = filterError(err); err != nil {
			return err
		}
		d.Pager = newPager("/console/transactions", q, firstPage, 0)
		return s.render(w, r, http.StatusBadRequest, "transactions", ss, d)
	}
	d.CSV = "/console/transactions.csv?" + listQuery(q, entryParams).Encode()
	var total int
	if acct != "" {
		d.Entries, total, err = s.c.Ledger.AccountEntries(r.Context(), ss.partner.ID, acct, f)
	} else {
		d.Entries, total, err = s.c.Ledger.CustomerEntries(r.Context(), ss.partner.ID, f)
	}
	if err != nil {
		return err
	}
	d.Pager = newPager("/console/transactions", q, f.Page, total)
	return s.render(w, r, http.StatusOK, "transactions", ss, d)
}

var entryCSVHeader = []string{"id", "type", "amount", "currency", "balance_before", "balance_after", "description",
	"initiated_by", "reference", "created_at", "account_auth_id"}

func (s *Server) handleTransactionsCSV(w http.ResponseWriter, r *http.Request, ss *session) error {
	q := r.URL.Query()
	acct, err := account(q)
	if err != nil {
		return err
	}
	f, err := s.entryFilter(q, ss.partner)
	if err != nil {
		return err
	}
	seq := s.c.Ledger.CustomerEntriesSeq(r.Context(), ss.partner.ID, f)
	if acct != "" {
		seq = s.c.Ledger.AccountEntriesSeq(r.Context(), ss.partner.ID, acct, f)
	}
	return streamCSV(w, "transactions", entryCSVHeader, seq, func(e *partnerd.Entry) []string {
		return []string{e.TransactionID, e.Type, partnerd.FormatMinor(e.Amount, e.Currency), e.Currency,
			partnerd.FormatMinor(e.BalanceBefore, e.Currency), partnerd.FormatMinor(e.BalanceAfter, e.Currency),
			csvtext.OptSafe(e.Description), e.InitiatedBy, csvtext.OptSafe(e.Reference), csvTime(e.CreatedAt), e.AccountAuthID}
	})
}

// streamCSV writes every row of seq as CSV, header first, in constant
// memory. An error before the first row is the page's; after it, the
// download is cut off (its end is missing, never silently short).
func streamCSV[T any](w http.ResponseWriter, name string, header []string, seq iter.Seq2[T, error], row func(T) []string) error {
	next, stop := iter.Pull2(seq)
	defer stop()
	first, err, ok := next()
	if ok && err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
	bw := bufio.NewWriterSize(w, 32<<10)
	cw := csv.NewWriter(bw)
	cw.Write(header)
	for ; ok; first, err, ok = next() {
		if err != nil {
			panic(http.ErrAbortHandler)
		}
		cw.Write(row(first))
	}
	cw.Flush()
	return bw.Flush()
}

func csvTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func csvTimeP(t *time.Time) string {
	if t == nil {
		return ""
	}
	return csvTime(*t)
}
