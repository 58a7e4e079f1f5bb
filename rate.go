package partnerd

import (
	"context"
	"math"
	"math/bits"
	"strings"
)

// Call directions: which number a rate's prefix is matched on (API.md §5,
// Rates).
const (
	// DirectionInbound rates a call to one of the customer's DIDs, matched
	// on the DID called.
	DirectionInbound = "inbound"
	// DirectionOutbound rates a call the customer places, matched on the
	// dialled number.
	DirectionOutbound = "outbound"
)

// Directions are the call directions, in the order rate lists show them.
var Directions = []string{DirectionInbound, DirectionOutbound}

// ECNoRate refuses a call whose number no prefix of the partner's deck
// matches (the switch's authorize reason no_rate).
const ECNoRate = "no_rate"

// FCDuplicate marks a row that repeats the key of an earlier one (a rate
// deck's direction and prefix).
const FCDuplicate = "duplicate"

// Limits of a rate deck.
const (
	// RateDecimals is how many decimals of the currency's major unit a
	// rate per minute may have: Rate.PerMinute counts 1/10,000 of it.
	RateDecimals = 4
	// MaxPrefixLen is the longest prefix: a whole E.164 number.
	MaxPrefixLen = 15
	// MaxIncrement bounds a billing increment, in seconds.
	MaxIncrement = 3600
	// MaxCallSeconds caps the duration authorize grants (four hours).
	MaxCallSeconds = 14_400
)

// Rate prices the calls of one direction whose number starts with Prefix.
// The cost of a call is PerMinute × its billable seconds / 60, rounded up
// to the currency's minor unit; billable seconds are InitialIncrement for
// the first slice of the call and whole SubsequentIncrement slices after
// it (60/60, 1/1, 30/6).
type Rate struct {
	Direction string
	Prefix    string
	// PerMinute is the price of a minute in 1/10,000 of the currency's
	// major unit, whatever the currency: 0.45 INR a minute is 4500. Rates
	// are finer than money (sub-paisa per second); only a call's cost is
	// rounded, once.
	PerMinute           int64
	InitialIncrement    int
	SubsequentIncrement int
}

// BillableSeconds returns the seconds a call of billsec seconds is billed
// for: none for an unanswered call (billsec ≤ 0), else the first increment
// and as many subsequent increments as the rest of the call starts. An
// absurd billsec saturates at math.MaxInt.
func (r Rate) BillableSeconds(billsec int) int {
	if billsec <= 0 {
		return 0
	}
	initial, sub := max(r.InitialIncrement, 1), max(r.SubsequentIncrement, 1)
	if billsec <= initial {
		return initial
	}
	rest := billsec - initial
	slices := rest / sub
	if rest%sub != 0 {
		slices++
	}
	if slices > (math.MaxInt-initial)/sub {
		return math.MaxInt
	}
	return initial + slices*sub
}

// Cost returns what a call of billsec seconds costs, in minor units of
// currency, rounded up. The product is computed in 128 bits, so no rate or
// duration overflows silently; a cost beyond int64 (no wallet holds it)
// saturates at math.MaxInt64.
func (r Rate) Cost(billsec int, currency string) int64 {
	return r.costOfBillable(r.BillableSeconds(billsec), currency)
}

// costOfBillable is ⌈PerMinute × billable × 10^exponent / (60 × 10^4)⌉.
func (r Rate) costOfBillable(billable int, currency string) int64 {
	if r.PerMinute <= 0 || billable <= 0 {
		return 0
	}
	scale := uint64(1)
	for range CurrencyExponent(currency) {
		scale *= 10
	}
	// rate × billable as 128 bits, then × scale.
	hi, lo := bits.Mul64(uint64(r.PerMinute), uint64(billable))
	overflow, hiScaled := bits.Mul64(hi, scale)
	carry, lo := bits.Mul64(lo, scale)
	hi, c := bits.Add64(hiScaled, carry, 0)
	const perMinuteUnits = 60 * 10_000 // seconds a minute × rate units a major unit
	if overflow != 0 || c != 0 || hi >= perMinuteUnits {
		return math.MaxInt64
	}
	q, rem := bits.Div64(hi, lo, perMinuteUnits)
	if q >= math.MaxInt64 {
		return math.MaxInt64
	}
	if rem != 0 {
		q++
	}
	return int64(q)
}

// MaxDuration returns the longest call, in seconds and at most
// MaxCallSeconds, whose cost in currency is at most available (minor
// units): 0 when even the first increment costs more. It is consistent
// with Cost by construction: it searches the increments' boundaries with
// Cost itself. Cost(MaxDuration(a)) ≤ a, and below the cap one second more
// would cost more than a.
func (r Rate) MaxDuration(available int64, currency string) int {
	initial, sub := max(r.InitialIncrement, 1), max(r.SubsequentIncrement, 1)
	afford := func(k int) bool { return r.costOfBillable(initial+k*sub, currency) <= available }
	// The boundary that covers a call of MaxCallSeconds: k slices after
	// the first increment.
	last := 0
	if MaxCallSeconds > initial {
		last = (MaxCallSeconds - initial + sub - 1) / sub
	}
	switch {
	case available < 0 || !afford(0):
		return 0
	case afford(last):
		return MaxCallSeconds
	}
	// Cost grows with k: find the last affordable boundary below last.
	lo, hi := 0, last // afford(lo), !afford(hi)
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if afford(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return initial + lo*sub
}

// DialledDigits returns the digits a number is rated on: the number
// without a leading "+", cut to MaxPrefixLen digits (no prefix is longer).
// ok is false unless what remains is one or more ASCII digits.
func DialledDigits(number string) (digits string, ok bool) {
	digits = strings.TrimPrefix(number, "+")
	if !isDigits(digits) {
		return "", false
	}
	return digits[:min(len(digits), MaxPrefixLen)], true
}

// isDigits reports whether s is one or more ASCII digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// MatchRate returns the rate of deck for a call of direction to or from
// number: the one with the longest prefix of its digits. A number that no
// prefix matches, or that is not a number, is ErrNoRate.
func MatchRate(deck []Rate, direction, number string) (*Rate, error) {
	digits, ok := DialledDigits(number)
	var best *Rate
	for i := range deck {
		r := &deck[i]
		if ok && r.Direction == direction && strings.HasPrefix(digits, r.Prefix) &&
			(best == nil || len(r.Prefix) > len(best.Prefix)) {
			best = r
		}
	}
	if best == nil {
		return nil, ErrNoRate(direction, number)
	}
	rate := *best
	return &rate, nil
}

// ErrNoRate answers a number that no rate of the deck matches.
func ErrNoRate(direction, number string) *Error {
	return Errorf(ECNoRate, "No %s rate of this partner's deck matches %q.", direction, number)
}

// RateFilter selects a page of a partner's rate deck, ordered by direction
// and prefix. Direction, when not empty, is one of Directions; Prefix, when
// not empty, keeps the rates whose prefix starts with it.
type RateFilter struct {
	Direction string
	Prefix    string
	Page      Page
}

// RateParams is a rate list's filter as a query string carries it: the
// text of each parameter, nil when absent.
type RateParams struct {
	Page      PageParams
	Direction *string
	Prefix    *string
}

// RateService reads a partner's rate deck (GET /rates).
type RateService interface {
	// ListRates returns one page of the deck and the number of rates f
	// matches.
	ListRates(ctx context.Context, partnerID string, f RateFilter) ([]*Rate, int, error)
}

// RateDeckService is the store's side of rating: the operator replaces
// decks, the switch matches calls. Every method is scoped to partnerID.
type RateDeckService interface {
	RateService
	// ReplaceRateDeck makes deck the partner's whole deck, atomically. It
	// refuses (validation_error, naming rates[i] fields) a deck with an
	// invalid or repeated rate, and changes nothing then.
	ReplaceRateDeck(ctx context.Context, partnerID string, deck []Rate) error
	// MatchRate is MatchRate over the partner's stored deck.
	MatchRate(ctx context.Context, partnerID, direction, number string) (*Rate, error)
}
