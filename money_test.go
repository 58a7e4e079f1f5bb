package partnerd

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseAmountText(t *testing.T) {
	tests := []struct {
		in       string
		currency string
		want     int64
		wantCode string
	}{
		{"500", "INR", 50000, ""},
		{"500.5", "INR", 50050, ""},
		{"500.50", "INR", 50050, ""},
		{"500.505", "INR", 0, "too_many_decimals"},
		{"500.500", "INR", 0, "too_many_decimals"},
		{"0.01", "INR", 1, ""},
		{"0.5", "INR", 50, ""},
		{"0", "INR", 0, ""},
		{"0.00", "INR", 0, ""},
		{"-0", "INR", 0, ""},
		{"-1", "INR", -100, ""},
		{"-12.45", "INR", -1245, ""},
		{"2450.00", "INR", 245000, ""},

		// Exponent forms must reduce to an exact amount.
		{"5e2", "INR", 50000, ""},
		{"5E2", "INR", 50000, ""},
		{"5e+2", "INR", 50000, ""},
		{"1.5e1", "INR", 1500, ""},
		{"12.340e1", "INR", 12340, ""},
		{"1e-2", "INR", 1, ""},
		{"1e-3", "INR", 0, "too_many_decimals"},
		{"10e-3", "INR", 1, ""},
		{"100.00e-2", "INR", 100, ""},
		{"1.005e2", "INR", 10050, ""},
		{"0e400", "INR", 0, ""},
		{"1e9", "INR", 100000000000, ""},
		{"1e400", "INR", 0, "too_large"},
		{"1e-400", "INR", 0, "too_many_decimals"},
		{"1e99999", "INR", 0, FCInvalidFormat},
		{"1e", "INR", 0, FCInvalidFormat},
		{"1e+", "INR", 0, FCInvalidFormat},
		{"1e2.5", "INR", 0, FCInvalidFormat},

		// The upper bound is 1,000,000,000.00 in major units, either sign.
		{"1000000000", "INR", 100000000000, ""},
		{"1000000000.00", "INR", 100000000000, ""},
		{"1000000000.01", "INR", 0, "too_large"},
		{"-1000000000.00", "INR", -100000000000, ""},
		{"-1000000000.01", "INR", 0, "too_large"},
		{"1.00000001e9", "INR", 0, "too_large"},
		{"9223372036854775807", "INR", 0, "too_large"},
		{"99999999999999999999999", "INR", 0, "too_large"},

		// Not JSON numbers.
		{"", "INR", 0, FCInvalidFormat},
		{"-", "INR", 0, FCInvalidFormat},
		{"NaN", "INR", 0, FCInvalidFormat},
		{"Infinity", "INR", 0, FCInvalidFormat},
		{"-Infinity", "INR", 0, FCInvalidFormat},
		{"01", "INR", 0, FCInvalidFormat},
		{"00.5", "INR", 0, FCInvalidFormat},
		{"1.", "INR", 0, FCInvalidFormat},
		{".5", "INR", 0, FCInvalidFormat},
		{"+5", "INR", 0, FCInvalidFormat},
		{" 5", "INR", 0, FCInvalidFormat},
		{"5 ", "INR", 0, FCInvalidFormat},
		{"1,000", "INR", 0, FCInvalidFormat},
		{"1_000", "INR", 0, FCInvalidFormat},
		{"0x10", "INR", 0, FCInvalidFormat},
		{"--1", "INR", 0, FCInvalidFormat},
		{"１", "INR", 0, FCInvalidFormat}, // full-width digit

		// JPY has no minor unit.
		{"100", "JPY", 100, ""},
		{"1.5", "JPY", 0, "too_many_decimals"},
		{"1.0", "JPY", 0, "too_many_decimals"},
		{"1.5e1", "JPY", 15, ""},
		{"1e-1", "JPY", 0, "too_many_decimals"},
		{"1000000000", "JPY", 1000000000, ""},
		{"1000000001", "JPY", 0, "too_large"},

		// KWD has three decimals.
		{"1.234", "KWD", 1234, ""},
		{"0.001", "KWD", 1, ""},
		{"1.2345", "KWD", 0, "too_many_decimals"},
		{"1e-3", "KWD", 1, ""},
		{"1000000000.000", "KWD", 1000000000000, ""},
		{"1000000000.001", "KWD", 0, "too_large"},
	}
	for _, tt := range tests {
		got, code := ParseAmountText(tt.in, tt.currency)
		if got != tt.want || code != tt.wantCode {
			t.Errorf("ParseAmountText(%q, %s) = %d, %q; want %d, %q", tt.in, tt.currency, got, code, tt.want, tt.wantCode)
		}
	}
}

func TestParsePositiveAmount(t *testing.T) {
	tests := []struct {
		raw      string // a JSON value as it appears in the body
		currency string
		want     int64
		wantCode string // "" for success
	}{
		{`500`, "INR", 50000, ""},
		{`500.5`, "INR", 50050, ""},
		{`"12.34"`, "INR", 1234, ""},
		{`"500"`, "INR", 50000, ""},
		{` 7.25 `, "INR", 725, ""},
		{`5e2`, "INR", 50000, ""},
		{`1e-2`, "INR", 1, ""},
		{`0.01`, "INR", 1, ""},
		{`1000000000.00`, "INR", 100000000000, ""},
		{`"\u0035"`, "INR", 500, ""},
		{`100`, "JPY", 100, ""},
		{`1.234`, "KWD", 1234, ""},

		{``, "INR", 0, FCRequired},
		{`null`, "INR", 0, FCRequired},
		{`true`, "INR", 0, FCInvalidType},
		{`false`, "INR", 0, FCInvalidType},
		{`{}`, "INR", 0, FCInvalidType},
		{`[]`, "INR", 0, FCInvalidType},
		{`[5]`, "INR", 0, FCInvalidType},
		{`0`, "INR", 0, "must_be_positive"},
		{`0.00`, "INR", 0, "must_be_positive"},
		{`"0.00"`, "INR", 0, "must_be_positive"},
		{`-1`, "INR", 0, "must_be_positive"},
		{`"-5.00"`, "INR", 0, "must_be_positive"},
		{`500.505`, "INR", 0, "too_many_decimals"},
		{`"500.505"`, "INR", 0, "too_many_decimals"},
		{`1e-3`, "INR", 0, "too_many_decimals"},
		{`1.5`, "JPY", 0, "too_many_decimals"},
		{`1000000000.01`, "INR", 0, "too_large"},
		{`"NaN"`, "INR", 0, FCInvalidFormat},
		{`"Infinity"`, "INR", 0, FCInvalidFormat},
		{`""`, "INR", 0, FCInvalidFormat},
		{`"abc"`, "INR", 0, FCInvalidFormat},
		{`"01"`, "INR", 0, FCInvalidFormat},
		{`"1."`, "INR", 0, FCInvalidFormat},
		{`".5"`, "INR", 0, FCInvalidFormat},
		{`"+5"`, "INR", 0, FCInvalidFormat},
		{`"12.34`, "INR", 0, FCInvalidFormat},
	}
	for _, tt := range tests {
		got, fe := ParsePositiveAmount("amount", json.RawMessage(tt.raw), tt.currency)
		var code string
		if fe != nil {
			code = fe.Code
			if fe.Field != "amount" {
				t.Errorf("ParsePositiveAmount(%s).Field = %q, want %q", tt.raw, fe.Field, "amount")
			}
			if fe.Message == "" {
				t.Errorf("ParsePositiveAmount(%s) has an empty message", tt.raw)
			}
		}
		if got != tt.want || code != tt.wantCode {
			t.Errorf("ParsePositiveAmount(%s, %s) = %d, %q; want %d, %q", tt.raw, tt.currency, got, code, tt.want, tt.wantCode)
		}
	}
}

func TestFormatMinor(t *testing.T) {
	tests := []struct {
		minor    int64
		currency string
		want     string
	}{
		{0, "INR", "0.00"},
		{5, "INR", "0.05"},
		{-5, "INR", "-0.05"},
		{50, "INR", "0.50"},
		{100, "INR", "1.00"},
		{-1245, "INR", "-12.45"},
		{245000, "INR", "2450.00"},
		{100000000000, "INR", "1000000000.00"},
		{100, "JPY", "100"},
		{0, "JPY", "0"},
		{-7, "JPY", "-7"},
		{1234, "KWD", "1.234"},
		{5, "KWD", "0.005"},
		{0, "KWD", "0.000"},
		{5, "XYZ", "0.05"}, // unknown currencies use two decimals
		{math.MaxInt64, "INR", "92233720368547758.07"},
		{math.MinInt64, "INR", "-92233720368547758.08"},
		{math.MinInt64, "JPY", "-9223372036854775808"},
	}
	for _, tt := range tests {
		if got := FormatMinor(tt.minor, tt.currency); got != tt.want {
			t.Errorf("FormatMinor(%d, %s) = %q, want %q", tt.minor, tt.currency, got, tt.want)
		}
	}
}

// TestFormatParseRoundTrip checks that every amount partnerd writes reads
// back as the same amount.
func TestFormatParseRoundTrip(t *testing.T) {
	for _, currency := range []string{"INR", "JPY", "KWD"} {
		for _, minor := range []int64{0, 1, -1, 9, 10, 99, 100, 101, 245000, -1245, 123456789} {
			s := FormatMinor(minor, currency)
			got, code := ParseAmountText(s, currency)
			if got != minor || code != "" {
				t.Errorf("ParseAmountText(FormatMinor(%d, %s) = %q) = %d, %q; want %d", minor, currency, s, got, code, minor)
			}
		}
	}
}

func TestMoneyJSON(t *testing.T) {
	body := struct {
		Balance Money `json:"balance"`
		Price   Money `json:"price"`
	}{Money{245000, "INR"}, Money{100, "JPY"}}
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatalf("json.Marshal: %v", err)
	}
	if got, want := string(b), `{"balance":2450.00,"price":100}`; got != want {
		t.Errorf("json.Marshal = %s, want %s", got, want)
	}
	if got, want := (Money{-1245, "INR"}).String(), "-12.45 INR"; got != want {
		t.Errorf("Money.String() = %q, want %q", got, want)
	}
}

func TestNormalizeCurrency(t *testing.T) {
	type result struct {
		Code string
		OK   bool
	}
	tests := map[string]result{
		"INR":   {"INR", true},
		"inr":   {"INR", true},
		" usd ": {"USD", true},
		"jpy":   {"JPY", true},
		"XYZ":   {"XYZ", false},
		"":      {"", false},
	}
	for in, want := range tests {
		code, ok := NormalizeCurrency(in)
		if diff := cmp.Diff(want, result{code, ok}); diff != "" {
			t.Errorf("NormalizeCurrency(%q) mismatch (-want +got):\n%s", in, diff)
		}
	}
}
