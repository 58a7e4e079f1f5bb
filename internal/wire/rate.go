package wire

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/partnerd/partnerd"
)

// Rate is one row of GET /rates. rate_per_minute is a JSON number with
// exactly four decimals of the currency's major unit (0.4500), whatever
// the currency: rates are finer than money.
type Rate struct {
	Direction           string          `json:"direction"`
	Prefix              string          `json:"prefix"`
	RatePerMinute       json.RawMessage `json:"rate_per_minute"`
	InitialIncrement    int             `json:"initial_increment"`
	SubsequentIncrement int             `json:"subsequent_increment"`
	Currency            string          `json:"currency"`
}

// NewRate renders a rate of a deck held in currency.
func NewRate(r *partnerd.Rate, currency string) Rate {
	return Rate{
		Direction: r.Direction, Prefix: r.Prefix, RatePerMinute: RatePerMinute(r.PerMinute),
		InitialIncrement: r.InitialIncrement, SubsequentIncrement: r.SubsequentIncrement, Currency: currency,
	}
}

// Rate returns the row as the domain type.
func (b *Rate) Rate() (*partnerd.Rate, error) {
	v, err := ParseRatePerMinute(b.RatePerMinute)
	if err != nil {
		return nil, err
	}
	return &partnerd.Rate{
		Direction: b.Direction, Prefix: b.Prefix, PerMinute: v,
		InitialIncrement: b.InitialIncrement, SubsequentIncrement: b.SubsequentIncrement,
	}, nil
}

// RatePerMinute writes a rate per minute (1/10,000 of the major unit) as a
// JSON number with exactly four decimals.
func RatePerMinute(v int64) json.RawMessage {
	return json.RawMessage(partnerd.FormatRatePerMinute(v))
}

// ParseRatePerMinute reads a rate per minute as the server writes it: a
// non-negative JSON number with exactly four decimals. Anything else is an
// answer no partnerd server gives, so it is refused rather than guessed at.
func ParseRatePerMinute(raw json.RawMessage) (int64, error) {
	s := string(raw)
	intPart, frac, _ := strings.Cut(s, ".")
	bad := len(frac) != partnerd.RateDecimals || intPart == "" || (len(intPart) > 1 && intPart[0] == '0') ||
		strings.Trim(intPart+frac, "0123456789") != ""
	if bad {
		return 0, fmt.Errorf("partnerd: %q is not a rate per minute with exactly %d decimals", s, partnerd.RateDecimals)
	}
	v, err := strconv.ParseInt(intPart+frac, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("partnerd: rate per minute %q does not fit in int64", s)
	}
	return v, nil
}
