package partnerd

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// The dates a log filter accepts: the zero time means "no bound", and no
// ledger row predates 1970.
const (
	minFilterYear = 1970
	maxFilterYear = 9998
)

// Validate checks f for one page of a log whose rows have the given
// transaction types and returns a validation_error listing every invalid
// field, named as the query parameters are.
func (f EntryFilter) Validate(types []string) error {
	var fe FieldErrors
	f.Page.check(&fe)
	f.check(&fe, types)
	return fe.Err()
}

// ValidateAll is Validate for a read of the whole log (a stream), which
// does not look at f.Page.
func (f EntryFilter) ValidateAll(types []string) error {
	var fe FieldErrors
	f.check(&fe, types)
	return fe.Err()
}

// check adds the errors of the dates and the type, skipping fields that
// already have one.
func (f EntryFilter) check(fe *FieldErrors, types []string) {
	for _, d := range []struct {
		name string
		t    time.Time
	}{{"from_date", f.From}, {"to_date", f.To}} {
		if !d.t.IsZero() && !fe.Has(d.name) && (d.t.Year() < minFilterYear || d.t.Year() > maxFilterYear) {
			addDateRange(fe, d.name)
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() && f.To.Before(f.From) && !fe.Has("to_date") {
		fe.Add("to_date", FCInvalidValue, "to_date must not be before from_date")
	}
	if f.Type != "" && !slices.Contains(types, f.Type) {
		addTypeError(fe, types)
	}
}

func addDateRange(fe *FieldErrors, name string) {
	fe.Add(name, FCOutOfRange, name+" must be between 1970-01-01 and 9998-12-31")
}

func addTypeError(fe *FieldErrors, types []string) {
	quoted := make([]string, len(types))
	for i, t := range types {
		quoted[i] = strconv.Quote(t)
	}
	fe.Add("transaction_type", FCInvalidValue, "transaction_type must be one of "+strings.Join(quoted, ", "))
}

// EntryParams is a log's filter as a query string carries it: the text of
// each parameter, nil when absent. A value given is parsed strictly, so
// "" is neither a date nor a type (the HTTP layer reads an empty
// parameter as an absent one before it gets here).
type EntryParams struct {
	Page             PageParams
	FromDate, ToDate *string // YYYY-MM-DD
	Type             *string // transaction_type
}

// Filter returns the filter the parameters ask of a log whose rows have
// the given transaction types, or a validation_error listing every bad
// parameter.
func (q EntryParams) Filter(types []string) (EntryFilter, error) {
	var fe FieldErrors
	f := EntryFilter{Page: q.Page.Parse(&fe)}
	f.From = parseDay(&fe, "from_date", q.FromDate)
	f.To = parseDay(&fe, "to_date", q.ToDate)
	if q.Type != nil {
		f.Type = *q.Type
		if f.Type == "" {
			// Given but empty is not "every type".
			addTypeError(&fe, types)
		}
	}
	f.check(&fe, types)
	return f, fe.Err()
}

// parseDay reads an optional YYYY-MM-DD day. A day out of range is
// reported here and read as no bound: year one is time.Time's zero value,
// which would otherwise mean "unbounded" rather than an error.
func parseDay(fe *FieldErrors, name string, v *string) time.Time {
	if v == nil {
		return time.Time{}
	}
	t, err := time.Parse(time.DateOnly, *v)
	switch {
	case err != nil:
		fe.Add(name, FCInvalidFormat, name+" must be a date as YYYY-MM-DD")
	case t.Year() < minFilterYear || t.Year() > maxFilterYear:
		addDateRange(fe, name)
		return time.Time{}
	}
	return t
}

// DayIn returns the day of d (a date as parseDay reads it, at midnight
// UTC) as it starts in loc: date filters count days in the partner's time
// zone (API.md §1). The zero time stays zero (no bound).
func DayIn(d time.Time, loc *time.Location) time.Time {
	if d.IsZero() {
		return d
	}
	y, m, day := d.Date()
	return time.Date(y, m, day, 0, 0, 0, 0, loc)
}
