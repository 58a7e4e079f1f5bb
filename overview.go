package partnerd

import (
	"context"
	"fmt"
	"time"
)

// Dashboard is a partner's overview (API.md §5, Partner overview): its
// customers now, and its calls and spend today and this month, days
// counted in the partner's time zone.
type Dashboard struct {
	ActiveAccounts      int
	TotalBalance        int64 // of its customers' wallets
	Currency            string
	CallsToday          int
	CallsThisMonth      int
	SpendThisMonth      int64 // charged to customers: calls and number rent
	AccountsLowBalance  int   // active customers under the partner's threshold
	AccountsSuspended   int
	Today, MonthStarted time.Time // the partner's today and first of the month, at local midnight
}

// Analytics sums a partner's calls over [From, To], inclusive days in its
// time zone.
type Analytics struct {
	From, To     time.Time // local midnights of the first and the last day
	Currency     string
	Totals       CallTotals
	ByDirection  map[string]CallTotals // inbound, outbound
	TopCustomers []TopCustomer         // at most 10, by cost, then calls, then auth_id
}

// CallTotals counts calls and sums them.
type CallTotals struct {
	Calls, Answered, Failed int
	DurationSeconds         int64
	Cost                    int64 // rated cost of the calls
}

// TopCustomer is one customer of analytics' top list.
type TopCustomer struct {
	AuthID string
	Name   string
	Calls  int
	Cost   int64
}

// MaxTopCustomers is the length of analytics' top list.
const MaxTopCustomers = 10

// AnalyticsParams is an analytics query as a query string carries it.
type AnalyticsParams struct {
	FromDate, ToDate *string
}

// Range returns the days the parameters ask for, in loc: by default the
// last DefaultCDRWindow days up to today; at most MaxCDRSpan days.
func (q AnalyticsParams) Range(now time.Time, loc *time.Location) (from, to time.Time, err error) {
	var fe FieldErrors
	f := parseDay(&fe, "from_date", q.FromDate)
	t := parseDay(&fe, "to_date", q.ToDate)
	if err := fe.Err(); err != nil {
		return from, to, err
	}
	today := DayIn(now.In(loc), loc)
	switch {
	case f.IsZero() && t.IsZero():
		to = today
		from = to.AddDate(0, 0, -(DefaultCDRWindow - 1))
	case t.IsZero():
		from, to = DayIn(f, loc), today
		if to.Before(from) {
			to = from
		}
	case f.IsZero():
		to = DayIn(t, loc)
		from = to.AddDate(0, 0, -(DefaultCDRWindow - 1))
	default:
		from, to = DayIn(f, loc), DayIn(t, loc)
	}
	// The error names a date the request gave.
	named := "to_date"
	if t.IsZero() {
		named = "from_date"
	}
	switch {
	case to.Before(from):
		fe.Add("to_date", FCInvalidValue, "to_date must not be before from_date")
	case !to.Before(from.AddDate(0, 0, MaxCDRSpan)):
		fe.Add(named, FCOutOfRange, fmt.Sprintf("the dates may span at most %d days", MaxCDRSpan))
	}
	return from, to, fe.Err()
}

// OverviewService answers a partner's dashboard and analytics.
type OverviewService interface {
	Dashboard(ctx context.Context, partnerID string, now time.Time) (*Dashboard, error)
	Analytics(ctx context.Context, partnerID string, from, to time.Time) (*Analytics, error)
}

// LocalDay numbers the day of t in loc as days since 1970-01-01: the key
// usage is summed by.
func LocalDay(t time.Time, loc *time.Location) int64 {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}
