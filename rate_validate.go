package partnerd

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// RateText is one rate as text, as a CSV row of a deck carries it (the
// header direction,prefix,rate_per_minute,initial_increment,
// subsequent_increment); fields are named as those columns.
type RateText struct {
	Direction, Prefix, RatePerMinute, InitialIncrement, SubsequentIncrement string
}

// RateColumns is the header of a rate deck's CSV file, the fields of
// RateText in order.
var RateColumns = []string{"direction", "prefix", "rate_per_minute", "initial_increment", "subsequent_increment"}

// Rate parses the text strictly (surrounding spaces aside) and returns the
// rate, or a validation_error listing every bad field.
func (t RateText) Rate() (Rate, error) {
	var fe FieldErrors
	r := Rate{Direction: strings.TrimSpace(t.Direction), Prefix: strings.TrimSpace(t.Prefix)}
	r.PerMinute = parseRatePerMinute(&fe, strings.TrimSpace(t.RatePerMinute))
	r.InitialIncrement = parseIncrement(&fe, "initial_increment", strings.TrimSpace(t.InitialIncrement))
	r.SubsequentIncrement = parseIncrement(&fe, "subsequent_increment", strings.TrimSpace(t.SubsequentIncrement))
	r.check(&fe, "")
	return r, fe.Err()
}

// parseRatePerMinute reads a rate per minute: a non-negative decimal with
// at most RateDecimals decimals, at most 1,000,000,000 major units.
func parseRatePerMinute(fe *FieldErrors, s string) int64 {
	const field = "rate_per_minute"
	if s == "" {
		fe.Add(field, FCRequired, field+" is required")
		return 0
	}
	v, code := parseFixed(s, RateDecimals)
	switch {
	case code == FCTooManyDecimals:
		fe.Add(field, code, fmt.Sprintf("%s must have at most %d decimals", field, RateDecimals))
	case code == FCTooLarge:
		fe.Add(field, code, field+" must be at most 1000000000")
	case code != "":
		fe.Add(field, code, field+" must be a decimal number such as 0.45")
	case v < 0:
		fe.Add(field, FCOutOfRange, field+" must not be negative")
	}
	return v
}

// parseIncrement reads an increment: whole seconds from 1 to MaxIncrement,
// as plain digits.
func parseIncrement(fe *FieldErrors, field, s string) int {
	if s == "" {
		fe.Add(field, FCRequired, field+" is required")
		return 0
	}
	if !isDigits(s) {
		fe.Add(field, FCInvalidFormat, field+" must be a whole number of seconds")
		return 0
	}
	// Digits only: the one error left is a number too large for an int.
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > MaxIncrement {
		fe.Add(field, FCOutOfRange, fmt.Sprintf("%s must be from 1 to %d seconds", field, MaxIncrement))
		return 0
	}
	return n
}

// Validate reports every invalid field of r.
func (r Rate) Validate() error {
	var fe FieldErrors
	r.check(&fe, "")
	return fe.Err()
}

// check adds the errors of r's fields, each name prefixed with at, to fe;
// it skips fields that already have one.
func (r Rate) check(fe *FieldErrors, at string) {
	if f := at + "direction"; !fe.Has(f) && !slices.Contains(Directions, r.Direction) {
		fe.Add(f, FCInvalidValue, f+" must be inbound or outbound")
	}
	if f := at + "prefix"; !fe.Has(f) && (!isDigits(r.Prefix) || len(r.Prefix) > MaxPrefixLen) {
		fe.Add(f, FCInvalidFormat, fmt.Sprintf("%s must be 1 to %d digits, without + or spaces", f, MaxPrefixLen))
	}
	if f := at + "rate_per_minute"; !fe.Has(f) && (r.PerMinute < 0 || r.PerMinute > maxRatePerMinute) {
		fe.Add(f, FCOutOfRange, f+" must be from 0 to 1000000000")
	}
	for _, inc := range []struct {
		name string
		v    int
	}{{"initial_increment", r.InitialIncrement}, {"subsequent_increment", r.SubsequentIncrement}} {
		if f := at + inc.name; !fe.Has(f) && (inc.v < 1 || inc.v > MaxIncrement) {
			fe.Add(f, FCOutOfRange, fmt.Sprintf("%s must be from 1 to %d seconds", f, MaxIncrement))
		}
	}
}

// maxRatePerMinute is 1,000,000,000 major units, in rate units.
const maxRatePerMinute = maxMajorUnits * 10_000

// RateKey is what makes a rate unique in a deck.
func (r Rate) RateKey() string { return r.Direction + " " + r.Prefix }

// ValidateDeck reports every invalid rate of deck, and every rate that
// repeats the direction and prefix of an earlier one, as fields named
// rates[i].field (i from 0).
func ValidateDeck(deck []Rate) error {
	var fe FieldErrors
	first := make(map[string]int, len(deck))
	for i, r := range deck {
		at := fmt.Sprintf("rates[%d].", i)
		r.check(&fe, at)
		if j, dup := first[r.RateKey()]; dup {
			fe.Add(at+"prefix", FCDuplicate, fmt.Sprintf("%sprefix repeats the %s prefix %s of rates[%d]", at, r.Direction, r.Prefix, j))
		} else {
			first[r.RateKey()] = i
		}
	}
	return fe.Err()
}

// FormatRatePerMinute writes a rate per minute with exactly RateDecimals
// decimals (4500 is "0.4500"), as the API and the operator print rates.
func FormatRatePerMinute(v int64) string { return formatFixed(v, RateDecimals) }

// Filter returns the filter the parameters ask for, or a validation_error
// listing every bad parameter.
func (q RateParams) Filter() (RateFilter, error) {
	var fe FieldErrors
	f := RateFilter{Page: q.Page.Parse(&fe)}
	if q.Direction != nil {
		f.Direction = *q.Direction
		if !slices.Contains(Directions, f.Direction) {
			fe.Add("direction", FCInvalidValue, "direction must be inbound or outbound")
		}
	}
	if q.Prefix != nil {
		// A leading + is allowed, as in a number.
		f.Prefix = strings.TrimPrefix(*q.Prefix, "+")
		if !isDigits(f.Prefix) || len(f.Prefix) > MaxPrefixLen {
			fe.Add("prefix", FCInvalidFormat, fmt.Sprintf("prefix must be 1 to %d digits", MaxPrefixLen))
		}
	}
	return f, fe.Err()
}
