package partnerd

import (
	"strconv"
	"strings"
)

// Money amounts are int64 counts of a currency's minor unit (paise for INR).
// No float ever holds an amount.

// currencyExponents lists the ISO 4217 minor-unit exponents partnerd accepts.
var currencyExponents = map[string]int{
	"INR": 2, "USD": 2, "EUR": 2, "GBP": 2, "AUD": 2, "CAD": 2, "SGD": 2,
	"AED": 2, "CHF": 2, "NZD": 2, "ZAR": 2, "HKD": 2, "SEK": 2, "NOK": 2,
	"DKK": 2, "BRL": 2, "MXN": 2, "PHP": 2, "MYR": 2, "IDR": 2, "LKR": 2,
	"NPR": 2, "BDT": 2, "PKR": 2, "SAR": 2, "QAR": 2, "THB": 2, "CNY": 2,
	"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "UGX": 0,
	"KWD": 3, "BHD": 3, "OMR": 3, "JOD": 3, "TND": 3,
}

// DefaultCurrency is a partner's currency unless the operator says otherwise.
const DefaultCurrency = "INR"

// maxMajorUnits caps any single input amount: 1,000,000,000.00 in major units.
const maxMajorUnits = 1_000_000_000

// NormalizeCurrency upper-cases code and reports whether partnerd knows it.
func NormalizeCurrency(code string) (string, bool) {
	c := strings.ToUpper(strings.TrimSpace(code))
	_, ok := currencyExponents[c]
	return c, ok
}

// CurrencyExponent returns the number of decimals of currency (2 if unknown).
func CurrencyExponent(currency string) int {
	if e, ok := currencyExponents[currency]; ok {
		return e
	}
	return 2
}

// Money is an amount with its currency; it marshals to a JSON number written
// with exactly the currency's decimals, e.g. 2450.00.
type Money struct {
	Minor    int64
	Currency string
}

// MarshalJSON writes the amount as a JSON number with the currency's decimals.
func (m Money) MarshalJSON() ([]byte, error) {
	return []byte(FormatMinor(m.Minor, m.Currency)), nil
}

// String formats the amount with its currency code, as in messages.
func (m Money) String() string { return FormatMinor(m.Minor, m.Currency) + " " + m.Currency }

// FormatMinor writes minor units as a decimal string with the currency's decimals.
func FormatMinor(minor int64, currency string) string {
	return formatFixed(minor, CurrencyExponent(currency))
}

// formatFixed writes minor, a fixed-point value with exp decimals, as a
// decimal string with exactly exp decimals.
func formatFixed(minor int64, exp int) string {
	neg := minor < 0
	// Work on the magnitude as uint64 so MinInt64 cannot overflow.
	u := uint64(minor)
	if neg {
		u = -u
	}
	digits := strconv.FormatUint(u, 10)
	if exp > 0 {
		if len(digits) <= exp {
			digits = strings.Repeat("0", exp-len(digits)+1) + digits
		}
		digits = digits[:len(digits)-exp] + "." + digits[len(digits)-exp:]
	}
	if neg {
		return "-" + digits
	}
	return digits
}

// ParseAmountText parses a decimal number (as JSON writes it, optionally with
// an exponent) into minor units of currency. It accepts only values that are
// exact in the minor unit, written with no more decimals than the currency has
// (exponent forms must reduce to such a value), and at most 1,000,000,000 in
// major units in magnitude. It returns a field error code on failure.
func ParseAmountText(s, currency string) (int64, string) {
	return parseFixed(s, CurrencyExponent(currency))
}

// parseFixed is ParseAmountText for a fixed-point value with exp decimals
// (a currency's, or a rate's four): the value times 10^exp.
func parseFixed(s string, exp int) (int64, string) {
	i := 0
	neg := false
	if i < len(s) && s[i] == '-' {
		neg = true
		i++
	}
	intStart := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	intDigits := s[intStart:i]
	if intDigits == "" || (len(intDigits) > 1 && intDigits[0] == '0') {
		return 0, FCInvalidFormat
	}
	fracDigits := ""
	if i < len(s) && s[i] == '.' {
		i++
		fs := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		fracDigits = s[fs:i]
		if fracDigits == "" {
			return 0, FCInvalidFormat
		}
	}
	shift := 0
	hasExp := false
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		hasExp = true
		i++
		esign := 1
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			if s[i] == '-' {
				esign = -1
			}
			i++
		}
		es := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if es == i || i-es > 4 {
			return 0, FCInvalidFormat
		}
		e, _ := strconv.Atoi(s[es:i])
		shift = esign * e
	}
	if i != len(s) {
		return 0, FCInvalidFormat
	}
	if !hasExp && len(fracDigits) > exp {
		return 0, FCTooManyDecimals
	}
	// value = 0.intDigits+fracDigits scaled: mantissa digits with the decimal
	// point after len(intDigits)+shift digits; we want it times 10^exp.
	mant := strings.TrimLeft(intDigits+fracDigits, "0")
	point := len(intDigits) + shift + exp - (len(intDigits) + len(fracDigits) - len(mant))
	// point is now the count of mantissa digits that sit before the minor-unit point.
	if mant == "" {
		return 0, ""
	}
	if point < len(mant) {
		// Digits after the minor unit must all be zero for the value to be exact.
		if point < 0 || strings.TrimRight(mant[point:], "0") != "" {
			return 0, FCTooManyDecimals
		}
		mant = mant[:point]
	} else {
		if point-len(mant) > 18 {
			return 0, FCTooLarge
		}
		mant += strings.Repeat("0", point-len(mant))
	}
	if mant == "" {
		return 0, ""
	}
	if len(mant) > 18 {
		return 0, FCTooLarge
	}
	v, err := strconv.ParseInt(mant, 10, 64)
	if err != nil {
		return 0, FCTooLarge
	}
	limit := int64(maxMajorUnits)
	for range exp {
		limit *= 10
	}
	if v > limit {
		return 0, FCTooLarge
	}
	if neg {
		v = -v
	}
	return v, ""
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// ParsePositiveAmount parses a JSON value (number or decimal string) as a
// strictly positive amount of currency and returns a field error on failure.
func ParsePositiveAmount(field string, raw []byte, currency string) (int64, *FieldError) {
	v, fe := parseAmount(field, raw, currency)
	if fe == nil && v <= 0 {
		return 0, &FieldError{Field: field, Code: FCMustBePositive, Message: field + " must be greater than zero"}
	}
	return v, fe
}

// ParseNonNegativeAmount is ParsePositiveAmount that also accepts zero.
func ParseNonNegativeAmount(field string, raw []byte, currency string) (int64, *FieldError) {
	v, fe := parseAmount(field, raw, currency)
	if fe == nil && v < 0 {
		return 0, &FieldError{Field: field, Code: FCOutOfRange, Message: field + " must not be negative"}
	}
	return v, fe
}

// parseAmount parses a JSON value (number or decimal string) as an amount
// of currency, of either sign.
func parseAmount(field string, raw []byte, currency string) (int64, *FieldError) {
	text := strings.TrimSpace(string(raw))
	if text == "" || text == "null" {
		return 0, &FieldError{Field: field, Code: FCRequired, Message: field + " is required"}
	}
	switch text[0] {
	case '"':
		s, err := strconv.Unquote(text)
		if err != nil {
			return 0, &FieldError{Field: field, Code: FCInvalidFormat, Message: field + " must be a decimal number"}
		}
		text = s
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
	default:
		return 0, &FieldError{Field: field, Code: FCInvalidType, Message: field + " must be a number or a decimal string"}
	}
	v, code := ParseAmountText(text, currency)
	switch {
	case code == FCTooManyDecimals:
		return 0, &FieldError{Field: field, Code: code, Message: field + " must have at most " + strconv.Itoa(CurrencyExponent(currency)) + " decimals for " + currency}
	case code == FCTooLarge:
		return 0, &FieldError{Field: field, Code: code, Message: field + " must be at most 1000000000 " + currency}
	case code != "":
		return 0, &FieldError{Field: field, Code: code, Message: field + " must be a decimal number"}
	}
	return v, nil
}
