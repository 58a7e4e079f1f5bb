package partnerd

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// rate is a rate per minute given in major units × 10,000 and its increments.
func rate(perMinute int64, initial, sub int) Rate {
	return Rate{Direction: DirectionOutbound, Prefix: "91", PerMinute: perMinute, InitialIncrement: initial, SubsequentIncrement: sub}
}

func TestBillableSeconds(t *testing.T) {
	tests := []struct {
		name         string
		initial, sub int
		billsec      int
		want         int
	}{
		// API.md §5's worked examples.
		{"60/60 61 s", 60, 60, 61, 120},
		{"1/1 61 s", 1, 1, 61, 61},
		{"30/6 31 s", 30, 6, 31, 36},
		// Unanswered calls bill nothing.
		{"0 s", 60, 60, 0, 0},
		{"negative", 30, 6, -5, 0},
		// A short call bills the whole first increment.
		{"60/60 1 s", 60, 60, 1, 60},
		{"30/6 1 s", 30, 6, 1, 30},
		// Exactly one increment, and one second over.
		{"60/60 60 s", 60, 60, 60, 60},
		{"30/6 30 s", 30, 6, 30, 30},
		{"30/6 36 s", 30, 6, 36, 36},
		{"30/6 37 s", 30, 6, 37, 42},
		{"60/60 120 s", 60, 60, 120, 120},
		{"60/60 121 s", 60, 60, 121, 180},
		{"60/1 61 s", 60, 1, 61, 61},
		{"1/60 2 s", 1, 60, 2, 61},
		// Long calls.
		{"60/60 14400 s", 60, 60, 14_400, 14_400},
		{"30/7 14400 s", 30, 7, 14_400, 14_401},
		{"1/1 14401 s", 1, 1, 14_401, 14_401},
		// Far beyond any call: saturates instead of wrapping.
		{"saturates", 60, 3600, math.MaxInt - 10, math.MaxInt},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := rate(4500, tc.initial, tc.sub).BillableSeconds(tc.billsec); got != tc.want {
				t.Errorf("BillableSeconds(%d) with %d/%d = %d, want %d", tc.billsec, tc.initial, tc.sub, got, tc.want)
			}
		})
	}
}

func TestCost(t *testing.T) {
	tests := []struct {
		name         string
		perMinute    int64 // 1/10,000 of the major unit
		initial, sub int
		billsec      int
		currency     string
		want         int64 // minor units
	}{
		// API.md §5: 0.45/min, 1/1, 61 s → 0.4575 → 0.46.
		{"worked example", 4500, 1, 1, 61, "INR", 46},
		{"60/60 61 s bills two minutes", 4500, 60, 60, 61, "INR", 90},
		{"30/6 31 s bills 36 s", 10_000, 30, 6, 31, "INR", 60},
		{"0 s costs nothing", 4500, 60, 60, 0, "INR", 0},
		{"exactly one increment", 4500, 60, 60, 60, "INR", 45},
		{"one second over", 4500, 60, 60, 61, "USD", 90},
		{"exact paise are not rounded", 6000, 1, 1, 1, "INR", 1},
		{"1/1 one second", 4500, 1, 1, 1, "INR", 1}, // 0.0075 → 0.01
		// Sub-paisa rates round up, once, on the call's total.
		{"sub-paisa rate, one second", 1, 1, 1, 1, "INR", 1},
		{"sub-paisa rate, an hour", 1, 1, 1, 3600, "INR", 1},    // 0.006 → 0.01
		{"0.0001 a minute, 100 min", 1, 60, 60, 6000, "INR", 1}, // 0.01 exactly
		{"0.0001 a minute, 101 min", 1, 60, 60, 6060, "INR", 2}, // 0.0101 → 0.02
		{"0.0099 a minute, 1 min", 99, 60, 60, 60, "INR", 1},
		// Long calls.
		{"four hours at 2.50", 25_000, 60, 60, 14_400, "INR", 60_000},
		{"four hours 1/1 at 0.4567", 4567, 1, 1, 14_400, "INR", 10_961}, // 109.608 → 109.61
		// A free destination.
		{"zero rate", 0, 60, 60, 14_400, "INR", 0},
		// JPY has no minor unit: costs round up to whole yen.
		{"JPY 0.45 1/1 61 s", 4500, 1, 1, 61, "JPY", 1},
		{"JPY 1.5 60/60 61 s", 15_000, 60, 60, 61, "JPY", 3},
		{"JPY 10 1/1 6 s", 100_000, 1, 1, 6, "JPY", 1},
		{"JPY 10 1/1 7 s", 100_000, 1, 1, 7, "JPY", 2},
		// KWD has three decimals.
		{"KWD 0.45 1/1 61 s", 4500, 1, 1, 61, "KWD", 458},
		// The largest rate for a very long call does not overflow.
		{"largest rate, a day", maxRatePerMinute, 1, 1, 86_400, "INR", 144_000_000_000_000},
		{"beyond int64 saturates", maxRatePerMinute, 1, 1, math.MaxInt / 2, "KWD", math.MaxInt64},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := rate(tc.perMinute, tc.initial, tc.sub).Cost(tc.billsec, tc.currency); got != tc.want {
				t.Errorf("Cost(%d s at %s/min, %d/%d, %s) = %d, want %d", tc.billsec, FormatRatePerMinute(tc.perMinute),
					tc.initial, tc.sub, tc.currency, got, tc.want)
			}
		})
	}
}

func TestMaxDuration(t *testing.T) {
	tests := []struct {
		name         string
		perMinute    int64
		initial, sub int
		available    int64
		currency     string
		want         int
	}{
		{"nothing available", 4500, 60, 60, 0, "INR", 0},
		{"negative available", 4500, 60, 60, -100, "INR", 0},
		{"first increment unaffordable", 4500, 60, 60, 44, "INR", 0},
		{"exactly the first increment", 4500, 60, 60, 45, "INR", 60},
		{"just short of the second", 4500, 60, 60, 89, "INR", 60},
		{"two minutes", 4500, 60, 60, 90, "INR", 120},
		{"1/1 one paisa", 4500, 1, 1, 1, "INR", 1},  // 1 s costs 0.0075 → 0.01; 2 s 0.015 → 0.02
		{"1/1 46 paise", 4500, 1, 1, 46, "INR", 61}, // the worked example, backwards
		{"30/6", 10_000, 30, 6, 59, "INR", 30},
		{"30/6 one more slice", 10_000, 30, 6, 60, "INR", 36},
		{"capped at four hours", 4500, 60, 60, 1_000_000, "INR", MaxCallSeconds},
		{"exactly four hours", 25_000, 60, 60, 60_000, "INR", MaxCallSeconds},
		{"a paisa short of four hours", 25_000, 60, 60, 59_999, "INR", 14_340},
		// The boundary covering 14,400 s is 14,401 s: affording it grants the cap.
		{"boundary past the cap, affordable", 60_000, 30, 7, 144_010, "INR", MaxCallSeconds},
		{"boundary past the cap, not affordable", 60_000, 30, 7, 144_009, "INR", 14_394},
		{"free", 0, 60, 60, 0, "INR", MaxCallSeconds},
		{"JPY", 15_000, 60, 60, 5, "JPY", 180}, // 3 min cost 4.5 → 5 yen
		{"JPY one yen short", 15_000, 60, 60, 4, "JPY", 120},
		{"huge balance, huge rate", maxRatePerMinute, 1, 1, math.MaxInt64, "KWD", MaxCallSeconds},
		{"huge rate", maxRatePerMinute, 60, 60, 100_000_000, "INR", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := rate(tc.perMinute, tc.initial, tc.sub)
			got := r.MaxDuration(tc.available, tc.currency)
			if got != tc.want {
				t.Errorf("MaxDuration(%d) = %d, want %d", tc.available, got, tc.want)
			}
			checkMaxDuration(t, r, tc.available, tc.currency, got)
		})
	}
}

// checkMaxDuration checks d against Cost: the call it grants is paid for,
// and below the cap one second more is not.
func checkMaxDuration(t *testing.T, r Rate, available int64, currency string, d int) {
	t.Helper()
	if d < 0 || d > MaxCallSeconds {
		t.Fatalf("MaxDuration(%d) = %d, want 0 to %d", available, d, MaxCallSeconds)
	}
	if d > 0 {
		if c := r.Cost(d, currency); c > available {
			t.Errorf("%+v: Cost(MaxDuration(%d) = %d s) = %d, more than available", r, available, d, c)
		}
	}
	if d < MaxCallSeconds {
		if c := r.Cost(d+1, currency); c <= available {
			t.Errorf("%+v: MaxDuration(%d) = %d s, but %d s costs only %d", r, available, d, d+1, c)
		}
	}
}

// TestMaxDurationAgreesWithCost compares MaxDuration with a search of
// every second up to the cap, for random rates, increments and balances.
func TestMaxDurationAgreesWithCost(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	increments := []int{1, 6, 7, 30, 60, 3600}
	for range 300 {
		r := rate(rng.Int64N(200_000), increments[rng.IntN(len(increments))], increments[rng.IntN(len(increments))])
		currency := []string{"INR", "JPY", "KWD"}[rng.IntN(3)]
		available := rng.Int64N(r.Cost(MaxCallSeconds, currency) + 2)
		want := 0
		for s := 1; s <= MaxCallSeconds; s++ {
			if r.Cost(s, currency) <= available {
				want = s
			}
		}
		if got := r.MaxDuration(available, currency); got != want {
			t.Fatalf("%+v in %s: MaxDuration(%d) = %d, want %d (the longest call Cost allows)", r, currency, available, got, want)
		}
	}
}

func TestMatchRate(t *testing.T) {
	deck := []Rate{
		{Direction: DirectionOutbound, Prefix: "1", PerMinute: 100, InitialIncrement: 6, SubsequentIncrement: 6},
		{Direction: DirectionOutbound, Prefix: "91", PerMinute: 4500, InitialIncrement: 60, SubsequentIncrement: 60},
		{Direction: DirectionOutbound, Prefix: "9122", PerMinute: 3000, InitialIncrement: 1, SubsequentIncrement: 1},
		{Direction: DirectionOutbound, Prefix: "912271", PerMinute: 2000, InitialIncrement: 30, SubsequentIncrement: 6},
		{Direction: DirectionOutbound, Prefix: "447", PerMinute: 90_000, InitialIncrement: 60, SubsequentIncrement: 1},
		{Direction: DirectionInbound, Prefix: "91", PerMinute: 500, InitialIncrement: 60, SubsequentIncrement: 60},
		{Direction: DirectionInbound, Prefix: "912271264217", PerMinute: 0, InitialIncrement: 1, SubsequentIncrement: 1},
	}
	tests := []struct {
		direction, number string
		wantPrefix        string // "" for no_rate
	}{
		{DirectionOutbound, "+912271264217", "912271"},
		{DirectionOutbound, "912271264217", "912271"},
		{DirectionOutbound, "+912212345678", "9122"},
		{DirectionOutbound, "+919876543210", "91"},
		{DirectionOutbound, "+14155550100", "1"},
		{DirectionOutbound, "+447700900123", "447"},
		{DirectionOutbound, "+442071234567", ""},
		{DirectionOutbound, "91", "91"},
		{DirectionOutbound, "9", ""},
		// The same number inbound uses the inbound deck.
		{DirectionInbound, "+912271264217", "912271264217"},
		{DirectionInbound, "+912271264218", "91"},
		{DirectionInbound, "+14155550100", ""},
		// Not numbers.
		{DirectionOutbound, "", ""},
		{DirectionOutbound, "+", ""},
		{DirectionOutbound, "+91 22 7126", ""},
		{DirectionOutbound, "sip:912271264217@example.com", ""},
		{DirectionOutbound, "++912271264217", ""},
		{"sideways", "+912271264217", ""},
		// Digits beyond the longest prefix do not matter.
		{DirectionOutbound, "+9122712642170000000000", "912271"},
	}
	for _, tc := range tests {
		got, err := MatchRate(deck, tc.direction, tc.number)
		if tc.wantPrefix == "" {
			if code := ErrorCode(err); err == nil || code != ECNoRate {
				t.Errorf("MatchRate(%s, %q) = %+v, %v; want %s", tc.direction, tc.number, got, err, ECNoRate)
			}
			continue
		}
		if err != nil {
			t.Errorf("MatchRate(%s, %q): %v", tc.direction, tc.number, err)
			continue
		}
		if got.Prefix != tc.wantPrefix || got.Direction != tc.direction {
			t.Errorf("MatchRate(%s, %q) = %s %s, want %s %s", tc.direction, tc.number, got.Direction, got.Prefix, tc.direction, tc.wantPrefix)
		}
	}
	// The match is a copy: changing it leaves the deck alone.
	got, _ := MatchRate(deck, DirectionOutbound, "+91")
	got.PerMinute = 1
	if deck[1].PerMinute != 4500 {
		t.Errorf("changing a match changed the deck")
	}
}

func TestRateTextRate(t *testing.T) {
	good := RateText{"outbound", "91", "0.45", "60", "60"}
	tests := []struct {
		name string
		text RateText
		want Rate
		errs []FieldError // field and code only
	}{
		{"good", good, Rate{DirectionOutbound, "91", 4500, 60, 60}, nil},
		{"spaces trimmed", RateText{" inbound ", " 912271 ", " 0.0001 ", " 1 ", " 1 "}, Rate{DirectionInbound, "912271", 1, 1, 1}, nil},
		{"four decimals", RateText{"outbound", "1", "12.3456", "30", "6"}, Rate{DirectionOutbound, "1", 123_456, 30, 6}, nil},
		{"zero rate", RateText{"outbound", "1", "0", "1", "1"}, Rate{DirectionOutbound, "1", 0, 1, 1}, nil},
		{"largest", RateText{"outbound", "123456789012345", "1000000000", "3600", "3600"},
			Rate{DirectionOutbound, "123456789012345", maxRatePerMinute, 3600, 3600}, nil},
		{"all empty", RateText{}, Rate{}, []FieldError{
			{Field: "rate_per_minute", Code: FCRequired}, {Field: "initial_increment", Code: FCRequired},
			{Field: "subsequent_increment", Code: FCRequired}, {Field: "direction", Code: FCInvalidValue},
			{Field: "prefix", Code: FCInvalidFormat}}},
		{"upper-case direction", RateText{"OUTBOUND", "91", "0.45", "60", "60"}, Rate{}, []FieldError{{Field: "direction", Code: FCInvalidValue}}},
		{"plus in prefix", RateText{"outbound", "+91", "0.45", "60", "60"}, Rate{}, []FieldError{{Field: "prefix", Code: FCInvalidFormat}}},
		{"prefix too long", RateText{"outbound", "1234567890123456", "0.45", "60", "60"}, Rate{}, []FieldError{{Field: "prefix", Code: FCInvalidFormat}}},
		{"five decimals", RateText{"outbound", "91", "0.45001", "60", "60"}, Rate{}, []FieldError{{Field: "rate_per_minute", Code: FCTooManyDecimals}}},
		{"negative rate", RateText{"outbound", "91", "-0.45", "60", "60"}, Rate{}, []FieldError{{Field: "rate_per_minute", Code: FCOutOfRange}}},
		{"rate too large", RateText{"outbound", "91", "1000000000.0001", "60", "60"}, Rate{}, []FieldError{{Field: "rate_per_minute", Code: FCTooLarge}}},
		{"rate not a number", RateText{"outbound", "91", "0,45", "60", "60"}, Rate{}, []FieldError{{Field: "rate_per_minute", Code: FCInvalidFormat}}},
		{"rate NaN", RateText{"outbound", "91", "NaN", "60", "60"}, Rate{}, []FieldError{{Field: "rate_per_minute", Code: FCInvalidFormat}}},
		{"zero increment", RateText{"outbound", "91", "0.45", "0", "60"}, Rate{}, []FieldError{{Field: "initial_increment", Code: FCOutOfRange}}},
		{"increment too long", RateText{"outbound", "91", "0.45", "60", "3601"}, Rate{}, []FieldError{{Field: "subsequent_increment", Code: FCOutOfRange}}},
		{"increment huge", RateText{"outbound", "91", "0.45", "99999999999999999999", "60"}, Rate{}, []FieldError{{Field: "initial_increment", Code: FCOutOfRange}}},
		{"fractional increment", RateText{"outbound", "91", "0.45", "1.5", "+6"}, Rate{}, []FieldError{
			{Field: "initial_increment", Code: FCInvalidFormat}, {Field: "subsequent_increment", Code: FCInvalidFormat}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.text.Rate()
			if tc.errs == nil {
				if err != nil {
					t.Fatalf("Rate(): %v", err)
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("Rate() (-want +got):\n%s", diff)
				}
				return
			}
			if diff := cmp.Diff(tc.errs, fieldCodes(t, err)); diff != "" {
				t.Errorf("Rate() field errors (-want +got):\n%s", diff)
			}
		})
	}
}

// fieldCodes returns the fields and codes of a validation_error.
func fieldCodes(t *testing.T, err error) []FieldError {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Code != ECValidation {
		t.Fatalf("error %v, want a validation_error", err)
	}
	out := make([]FieldError, len(e.Fields))
	for i, f := range e.Fields {
		out[i] = FieldError{Field: f.Field, Code: f.Code}
	}
	return out
}

func TestValidateDeck(t *testing.T) {
	ok := func(dir, prefix string) Rate { return Rate{dir, prefix, 4500, 60, 60} }
	if err := ValidateDeck(nil); err != nil {
		t.Errorf("ValidateDeck(empty) = %v, want nil", err)
	}
	if err := ValidateDeck([]Rate{ok(DirectionOutbound, "91"), ok(DirectionInbound, "91"), ok(DirectionOutbound, "9")}); err != nil {
		t.Errorf("ValidateDeck(good) = %v, want nil", err)
	}
	deck := []Rate{
		ok(DirectionOutbound, "91"),
		{DirectionOutbound, "x", -1, 0, 3601},
		ok(DirectionOutbound, "91"),
		ok(DirectionInbound, "91"),
		ok("both", "1"),
		ok(DirectionOutbound, "91"),
	}
	want := []FieldError{
		{Field: "rates[1].prefix", Code: FCInvalidFormat},
		{Field: "rates[1].rate_per_minute", Code: FCOutOfRange},
		{Field: "rates[1].initial_increment", Code: FCOutOfRange},
		{Field: "rates[1].subsequent_increment", Code: FCOutOfRange},
		{Field: "rates[2].prefix", Code: FCDuplicate},
		{Field: "rates[4].direction", Code: FCInvalidValue},
		{Field: "rates[5].prefix", Code: FCDuplicate},
	}
	if diff := cmp.Diff(want, fieldCodes(t, ValidateDeck(deck))); diff != "" {
		t.Errorf("ValidateDeck field errors (-want +got):\n%s", diff)
	}
}

func TestFormatRatePerMinute(t *testing.T) {
	for v, want := range map[int64]string{
		0: "0.0000", 1: "0.0001", 4500: "0.4500", 10_000: "1.0000", 123_456: "12.3456", maxRatePerMinute: "1000000000.0000",
	} {
		if got := FormatRatePerMinute(v); got != want {
			t.Errorf("FormatRatePerMinute(%d) = %q, want %q", v, got, want)
		}
		// What is written reads back as itself.
		var fe FieldErrors
		if back := parseRatePerMinute(&fe, want); back != v || fe != nil {
			t.Errorf("parseRatePerMinute(%q) = %d %v, want %d", want, back, fe, v)
		}
	}
}

func TestRateParamsFilter(t *testing.T) {
	s := func(v string) *string { return &v }
	tests := []struct {
		name   string
		params RateParams
		want   RateFilter
		errs   []FieldError
	}{
		{"defaults", RateParams{}, RateFilter{Page: Page{1, DefaultPageSize}}, nil},
		{"all", RateParams{Page: PageParams{Page: s("2"), Size: s("5")}, Direction: s("inbound"), Prefix: s("+91")},
			RateFilter{Direction: DirectionInbound, Prefix: "91", Page: Page{2, 5}}, nil},
		{"bad", RateParams{Page: PageParams{Size: s("101")}, Direction: s("Outbound"), Prefix: s("91x")}, RateFilter{}, []FieldError{
			{Field: "size", Code: FCOutOfRange}, {Field: "direction", Code: FCInvalidValue}, {Field: "prefix", Code: FCInvalidFormat}}},
		{"prefix too long", RateParams{Prefix: s("1234567890123456")}, RateFilter{}, []FieldError{{Field: "prefix", Code: FCInvalidFormat}}},
		{"prefix only a plus", RateParams{Prefix: s("+")}, RateFilter{}, []FieldError{{Field: "prefix", Code: FCInvalidFormat}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.params.Filter()
			if tc.errs == nil {
				if err != nil {
					t.Fatalf("Filter(): %v", err)
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("Filter() (-want +got):\n%s", diff)
				}
				return
			}
			if diff := cmp.Diff(tc.errs, fieldCodes(t, err)); diff != "" {
				t.Errorf("Filter() field errors (-want +got):\n%s", diff)
			}
		})
	}
}
