package wire

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/partnerd/partnerd"
)

// Money writes minor units of currency as a JSON number with exactly the
// currency's decimals (2450.00).
func Money(minor int64, currency string) json.RawMessage {
	return json.RawMessage(partnerd.FormatMinor(minor, currency))
}

// ParseMoney reads a JSON money number as minor units of currency. The
// text must have exactly the currency's decimals, as the server writes
// them (API.md §1): anything else (a string, an exponent, a missing or
// extra decimal) is an answer no partnerd server gives, so it is refused
// rather than guessed at. A balance may exceed the 1,000,000,000 cap on
// input amounts; it only has to fit an int64. The parser shares no code
// with the formatter, so a formatting bug cannot hide behind it.
func ParseMoney(raw json.RawMessage, currency string) (int64, error) {
	s := string(raw)
	exp := partnerd.CurrencyExponent(currency)
	digits, neg := strings.CutPrefix(s, "-")
	intPart, frac, hasDot := strings.Cut(digits, ".")
	if hasDot != (exp > 0) || len(frac) != exp || intPart == "" || (len(intPart) > 1 && intPart[0] == '0') {
		return 0, fmt.Errorf("partnerd: %q is not an amount of %s with exactly %d decimals", s, currency, exp)
	}
	for _, c := range intPart + frac {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("partnerd: %q is not a plain decimal amount of %s", s, currency)
		}
	}
	v, err := strconv.ParseInt(intPart+frac, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("partnerd: amount %q of %s does not fit in int64 minor units", s, currency)
	}
	if neg {
		v = -v
	}
	return v, nil
}

// Time is t as the API writes it: UTC, whole seconds.
func Time(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }
