package partnerd

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"strings"
	"time"
)

// CDR statuses as lists show them, derived from billsec and the hangup
// cause (API.md §5, Call records).
const (
	CallAnswered = "answered"
	CallNoAnswer = "no-answer"
	CallBusy     = "busy"
	CallFailed   = "failed"
)

// CallStatuses are the statuses a CDR list filters on.
var CallStatuses = []string{CallAnswered, CallNoAnswer, CallBusy, CallFailed}

// CallStatus derives a call's status: any billed second means answered;
// otherwise the hangup cause says whether nobody answered, the line was
// busy, or the call failed.
func CallStatus(billsec int, hangupCause *string) string {
	switch {
	case billsec > 0:
		return CallAnswered
	case hangupCause != nil && *hangupCause == "NO_ANSWER":
		return CallNoAnswer
	case hangupCause != nil && *hangupCause == "USER_BUSY":
		return CallBusy
	}
	return CallFailed
}

// DefaultCDRWindow is the span a CDR list covers when no date is given,
// and MaxCDRSpan the longest one a list may ask for.
const (
	DefaultCDRWindow = 30 // days, today included
	MaxCDRSpan       = 366
)

// CDRFilter selects a page of call records, newest first. From and To
// bound start_time: From inclusive, To exclusive. Every other field, when
// not zero, must match.
type CDRFilter struct {
	From, To               time.Time
	Direction              string
	Status                 string
	FromNumber, ToNumber   string
	HangupCause            string
	MinBillsec, MaxBillsec *int
	Search                 string
	Page                   Page
}

// CDRParams is a CDR list's filter as a query string carries it.
type CDRParams struct {
	Page                     PageParams
	StartDate, EndDate       *string // YYYY-MM-DD, inclusive days
	Direction                *string // call_direction
	Status                   *string
	FromNumber, ToNumber     *string
	HangupCause              *string
	MinDuration, MaxDuration *string
	Search                   *string
}

// Filter returns the filter the parameters ask for, with days counted in
// loc and, without dates, the DefaultCDRWindow days up to now; or a
// validation_error listing every bad parameter.
func (q CDRParams) Filter(now time.Time, loc *time.Location) (CDRFilter, error) {
	var fe FieldErrors
	f := CDRFilter{Page: q.Page.Parse(&fe)}
	start := parseDay(&fe, "start_date", q.StartDate)
	end := parseDay(&fe, "end_date", q.EndDate)
	today := now.In(loc)
	day := func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc) }
	switch {
	case fe.Has("start_date") || fe.Has("end_date"):
	case start.IsZero() && end.IsZero():
		f.To = day(today).AddDate(0, 0, 1)
		f.From = f.To.AddDate(0, 0, -DefaultCDRWindow)
	case end.IsZero():
		// Up to today; a day still to come is that day alone.
		f.From = day(start)
		f.To = day(today).AddDate(0, 0, 1)
		if !f.To.After(f.From) {
			f.To = f.From.AddDate(0, 0, 1)
		}
	case start.IsZero():
		f.To = day(end).AddDate(0, 0, 1)
		f.From = f.To.AddDate(0, 0, -DefaultCDRWindow)
	default:
		f.From, f.To = day(start), day(end).AddDate(0, 0, 1)
	}
	if !f.From.IsZero() && !fe.Has("end_date") {
		// The error names a date the request gave.
		named := "end_date"
		if end.IsZero() {
			named = "start_date"
		}
		switch {
		case f.To.Before(f.From.AddDate(0, 0, 1)):
			fe.Add("end_date", FCInvalidValue, "end_date must not be before start_date")
		case f.To.After(f.From.AddDate(0, 0, MaxCDRSpan)):
			fe.Add(named, FCOutOfRange, fmt.Sprintf("the dates may span at most %d days", MaxCDRSpan))
		}
	}
	if q.Direction != nil {
		f.Direction = *q.Direction
		if !slices.Contains(Directions, f.Direction) {
			fe.Add("call_direction", FCInvalidValue, `call_direction must be "inbound" or "outbound"`)
		}
	}
	if q.Status != nil {
		f.Status = *q.Status
		if !slices.Contains(CallStatuses, f.Status) {
			fe.Add("status", FCInvalidValue, "status must be one of "+strings.Join(CallStatuses, ", "))
		}
	}
	f.FromNumber = cdrNumber(&fe, "from_number", q.FromNumber)
	f.ToNumber = cdrNumber(&fe, "to_number", q.ToNumber)
	if q.HangupCause != nil {
		f.HangupCause = *q.HangupCause
		checkOptText(&fe, "hangup_cause", q.HangupCause, 64)
	}
	f.MinBillsec = cdrSeconds(&fe, "min_duration", q.MinDuration)
	f.MaxBillsec = cdrSeconds(&fe, "max_duration", q.MaxDuration)
	if f.MinBillsec != nil && f.MaxBillsec != nil && *f.MaxBillsec < *f.MinBillsec && !fe.Has("max_duration") {
		fe.Add("max_duration", FCInvalidValue, "max_duration must not be below min_duration")
	}
	if s := optionalText(&fe, "search", q.Search, lineText, 64); s != nil && !fe.Has("search") {
		f.Search = strings.TrimSpace(*s)
	}
	return f, fe.Err()
}

// cdrNumber reads a number filter, matched exactly against the number the
// switch reported (API.md §5). The switch reports what it has: E.164 for
// a carrier's number, but also digits without "+" as a phone dialled
// them, or a SIP username as the caller; a filter finds each as written.
// An E.164 number is matched in its normal form (a "+" left unescaped in
// a query string arrives as a space, and is restored).
func cdrNumber(fe *FieldErrors, name string, v *string) string {
	if v == nil {
		return ""
	}
	s := *v
	if strings.HasPrefix(s, " ") {
		s = "+" + strings.TrimLeft(s, " ")
	}
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "+") {
		if n, err := NormalizeNumber(name, s); err == nil {
			return n
		}
	}
	var party FieldErrors
	if checkCallParty(&party, name, s); party.Err() != nil {
		fe.Add(name, FCInvalidFormat, name+" must be a number as the switch reported it, such as +912271264217")
		return ""
	}
	return s
}

// cdrSeconds reads a duration bound: whole seconds, 0 or more.
func cdrSeconds(fe *FieldErrors, name string, v *string) *int {
	if v == nil {
		return nil
	}
	n, err := strconv.Atoi(*v)
	if err != nil || n < 0 || n > maxCDRSeconds {
		fe.Add(name, FCInvalidValue, fmt.Sprintf("%s must be a whole number of seconds from 0 to %d", name, maxCDRSeconds))
		return nil
	}
	return &n
}

// ErrCDRNotFound answers a call_uuid that is not one of the account's calls.
func ErrCDRNotFound(callUUID string) *Error {
	return Errorf(ECNotFound, "No call record %q exists for this account.", callUUID)
}

// CDRService reads a partner's call records. Every method is scoped to
// partnerID: another partner's customer is account_not_found, another
// account's call not_found.
type CDRService interface {
	// ListAccountCDRs returns a page of one customer's calls and the total.
	ListAccountCDRs(ctx context.Context, partnerID, authID string, f CDRFilter) ([]*CDR, int, error)
	// ListCDRs returns a page of the calls of every customer of the partner.
	ListCDRs(ctx context.Context, partnerID string, f CDRFilter) ([]*CDR, int, error)
	// AccountCDR returns one of a customer's calls.
	AccountCDR(ctx context.Context, partnerID, authID, callUUID string) (*CDR, error)
	// AccountCDRsSeq and CDRsSeq stream every call the lists would show
	// (the filter's page ignored), newest first, for CSV exports.
	AccountCDRsSeq(ctx context.Context, partnerID, authID string, f CDRFilter) iter.Seq2[*CDR, error]
	CDRsSeq(ctx context.Context, partnerID string, f CDRFilter) iter.Seq2[*CDR, error]
}
