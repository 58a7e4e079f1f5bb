package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
)

var rateTests = []test{
	{"ReplaceAndList", testRateReplaceAndList},
	{"ReplaceRefusesBadDeck", testRateReplaceRefusesBadDeck},
	{"ListFiltersAndPages", testRateListFiltersAndPages},
	{"MatchLongestPrefix", testRateMatchLongestPrefix},
	{"MatchAgreesWithDomain", testRateMatchAgreesWithDomain},
	{"LargeDeck", testRateLargeDeck},
}

// rateStore returns s as the rate deck service every store implements.
func rateStore(t *testing.T, s Store) partnerd.RateDeckService {
	t.Helper()
	rs, ok := s.(partnerd.RateDeckService)
	if !ok {
		t.Fatalf("%T does not implement partnerd.RateDeckService", s)
	}
	return rs
}

// mustReplaceDeck replaces the partner's deck.
func mustReplaceDeck(t *testing.T, s partnerd.RateDeckService, partnerID string, deck []partnerd.Rate) {
	t.Helper()
	if err := s.ReplaceRateDeck(context.Background(), partnerID, deck); err != nil {
		t.Fatalf("ReplaceRateDeck(%d rates): %v", len(deck), err)
	}
}

// mustListRates lists one page of rates (every rate, when f.Page is zero).
func mustListRates(t *testing.T, s partnerd.RateDeckService, partnerID string, f partnerd.RateFilter) ([]partnerd.Rate, int) {
	t.Helper()
	if f.Page == (partnerd.Page{}) {
		f.Page = partnerd.Page{Page: 1, Size: partnerd.MaxPageSize}
	}
	got, total, err := s.ListRates(context.Background(), partnerID, f)
	if err != nil {
		t.Fatalf("ListRates(%+v): %v", f, err)
	}
	if got == nil {
		t.Errorf("ListRates(%+v) returned a nil slice, want an empty one", f)
	}
	out := make([]partnerd.Rate, len(got))
	for i, r := range got {
		out[i] = *r
	}
	return out, total
}

// r is a rate of the tests' decks.
func r(direction, prefix string, perMinute int64, initial, sub int) partnerd.Rate {
	return partnerd.Rate{Direction: direction, Prefix: prefix, PerMinute: perMinute, InitialIncrement: initial, SubsequentIncrement: sub}
}

// sortedDeck is deck in the order lists give: by direction, then prefix.
func sortedDeck(deck []partnerd.Rate) []partnerd.Rate {
	out := slices.Clone(deck)
	slices.SortFunc(out, func(a, b partnerd.Rate) int {
		return strings.Compare(a.Direction+" "+a.Prefix, b.Direction+" "+b.Prefix)
	})
	return out
}

func testRateReplaceAndList(t *testing.T, s Store) {
	rs := rateStore(t, s)
	p, _ := mustPartner(t, s, "rates")
	other, _ := mustPartner(t, s, "otherrates")
	if got, total := mustListRates(t, rs, p.ID, partnerd.RateFilter{}); len(got) != 0 || total != 0 {
		t.Errorf("a new partner's deck = %d rates (total %d), want none", len(got), total)
	}
	first := []partnerd.Rate{
		r(partnerd.DirectionOutbound, "91", 4500, 60, 60),
		r(partnerd.DirectionOutbound, "1", 100, 6, 6),
		r(partnerd.DirectionInbound, "91", 0, 1, 1),
		r(partnerd.DirectionOutbound, "9122", 1, 30, 6),
		// The largest rate round-trips (a BIGINT on PostgreSQL).
		r(partnerd.DirectionOutbound, "123456789012345", 1_000_000_000*10_000, 3600, 3600),
	}
	mustReplaceDeck(t, rs, p.ID, first)
	mustReplaceDeck(t, rs, other.ID, []partnerd.Rate{r(partnerd.DirectionOutbound, "44", 9000, 60, 60)})
	got, total := mustListRates(t, rs, p.ID, partnerd.RateFilter{})
	if diff := cmp.Diff(sortedDeck(first), got); diff != "" || total != len(first) {
		t.Errorf("ListRates after replace: total %d, want %d; (-want +got):\n%s", total, len(first), diff)
	}

	// A second deck replaces the first entirely; the other partner's stays.
	second := []partnerd.Rate{r(partnerd.DirectionOutbound, "91", 3000, 1, 1), r(partnerd.DirectionOutbound, "92", 5000, 60, 1)}
	mustReplaceDeck(t, rs, p.ID, second)
	if got, total := mustListRates(t, rs, p.ID, partnerd.RateFilter{}); !cmp.Equal(second, got) || total != 2 {
		t.Errorf("ListRates after a second replace = %+v (total %d), want %+v", got, total, second)
	}
	if got, total := mustListRates(t, rs, other.ID, partnerd.RateFilter{}); total != 1 || got[0].Prefix != "44" {
		t.Errorf("the other partner's deck = %+v (total %d), want its one rate for 44", got, total)
	}
	// Tenancy: a partner's deck prices only its own calls.
	if _, err := rs.MatchRate(context.Background(), other.ID, partnerd.DirectionOutbound, "+919876543210"); partnerd.ErrorCode(err) != partnerd.ECNoRate {
		t.Errorf("MatchRate under the other partner: %v, want %s", err, partnerd.ECNoRate)
	}

	// An empty deck empties it.
	mustReplaceDeck(t, rs, p.ID, nil)
	if got, total := mustListRates(t, rs, p.ID, partnerd.RateFilter{}); len(got) != 0 || total != 0 {
		t.Errorf("deck after an empty replace = %d rates (total %d), want none", len(got), total)
	}
	if _, err := rs.MatchRate(context.Background(), p.ID, partnerd.DirectionOutbound, "+919876543210"); partnerd.ErrorCode(err) != partnerd.ECNoRate {
		t.Errorf("MatchRate on an empty deck: %v, want %s", err, partnerd.ECNoRate)
	}
}

func testRateReplaceRefusesBadDeck(t *testing.T, s Store) {
	ctx := context.Background()
	rs := rateStore(t, s)
	p, _ := mustPartner(t, s, "badrates")
	deck := []partnerd.Rate{r(partnerd.DirectionOutbound, "91", 4500, 60, 60), r(partnerd.DirectionInbound, "91", 0, 1, 1)}
	mustReplaceDeck(t, rs, p.ID, deck)
	for _, tc := range []struct {
		name string
		deck []partnerd.Rate
	}{
		{"duplicate", []partnerd.Rate{r(partnerd.DirectionOutbound, "1", 100, 1, 1), r(partnerd.DirectionOutbound, "1", 200, 1, 1)}},
		{"bad direction", []partnerd.Rate{r(partnerd.DirectionOutbound, "1", 100, 1, 1), r("both", "2", 100, 1, 1)}},
		{"bad prefix", []partnerd.Rate{r(partnerd.DirectionOutbound, "+1", 100, 1, 1)}},
		{"negative rate", []partnerd.Rate{r(partnerd.DirectionOutbound, "1", -1, 1, 1)}},
		{"zero increment", []partnerd.Rate{r(partnerd.DirectionOutbound, "1", 100, 0, 1)}},
	} {
		wantCode(t, "ReplaceRateDeck("+tc.name+")", rs.ReplaceRateDeck(ctx, p.ID, tc.deck), partnerd.ECValidation)
	}
	wantCode(t, "ReplaceRateDeck(unknown partner)", rs.ReplaceRateDeck(ctx, "PA_NOSUCH00", deck), partnerd.ECNotFound)
	// Nothing changed.
	if got, _ := mustListRates(t, rs, p.ID, partnerd.RateFilter{}); !cmp.Equal(sortedDeck(deck), got) {
		t.Errorf("deck after refused replaces = %+v, want %+v", got, sortedDeck(deck))
	}
}

func testRateListFiltersAndPages(t *testing.T, s Store) {
	rs := rateStore(t, s)
	p, _ := mustPartner(t, s, "pagedrates")
	var deck []partnerd.Rate
	for _, prefix := range []string{"1", "19", "2", "91", "910", "9122", "919", "92", "99"} {
		deck = append(deck, r(partnerd.DirectionOutbound, prefix, 100, 1, 1), r(partnerd.DirectionInbound, prefix, 50, 60, 60))
	}
	mustReplaceDeck(t, rs, p.ID, deck)
	prefixes := func(rates []partnerd.Rate) []string {
		var out []string
		for _, r := range rates {
			out = append(out, r.Direction[:2]+r.Prefix)
		}
		return out
	}
	tests := []struct {
		f         partnerd.RateFilter
		want      []string
		wantTotal int
	}{
		{partnerd.RateFilter{Direction: partnerd.DirectionOutbound}, []string{"ou1", "ou19", "ou2", "ou91", "ou910", "ou9122", "ou919", "ou92", "ou99"}, 9},
		{partnerd.RateFilter{Prefix: "91"}, []string{"in91", "in910", "in9122", "in919", "ou91", "ou910", "ou9122", "ou919"}, 8},
		{partnerd.RateFilter{Direction: partnerd.DirectionInbound, Prefix: "9"}, []string{"in91", "in910", "in9122", "in919", "in92", "in99"}, 6},
		{partnerd.RateFilter{Prefix: "99"}, []string{"in99", "ou99"}, 2},
		{partnerd.RateFilter{Prefix: "3"}, nil, 0},
		{partnerd.RateFilter{Prefix: "9122712"}, nil, 0},
		// Pages: the order is total, so pages neither overlap nor skip.
		{partnerd.RateFilter{Page: partnerd.Page{Page: 1, Size: 4}}, []string{"in1", "in19", "in2", "in91"}, 18},
		{partnerd.RateFilter{Page: partnerd.Page{Page: 2, Size: 4}}, []string{"in910", "in9122", "in919", "in92"}, 18},
		{partnerd.RateFilter{Page: partnerd.Page{Page: 5, Size: 4}}, []string{"ou92", "ou99"}, 18},
		{partnerd.RateFilter{Page: partnerd.Page{Page: 6, Size: 4}}, nil, 18},
		{partnerd.RateFilter{Direction: partnerd.DirectionOutbound, Prefix: "91", Page: partnerd.Page{Page: 2, Size: 3}}, []string{"ou919"}, 4},
	}
	for _, tc := range tests {
		got, total := mustListRates(t, rs, p.ID, tc.f)
		if diff := cmp.Diff(tc.want, prefixes(got)); diff != "" || total != tc.wantTotal {
			t.Errorf("ListRates(%+v): total %d, want %d; rates (-want +got):\n%s", tc.f, total, tc.wantTotal, diff)
		}
	}
}

func testRateMatchLongestPrefix(t *testing.T, s Store) {
	ctx := context.Background()
	rs := rateStore(t, s)
	p, _ := mustPartner(t, s, "matchrates")
	mustReplaceDeck(t, rs, p.ID, []partnerd.Rate{
		r(partnerd.DirectionOutbound, "9", 9, 1, 1),
		r(partnerd.DirectionOutbound, "91", 91, 60, 60),
		r(partnerd.DirectionOutbound, "9122", 9122, 30, 6),
		r(partnerd.DirectionOutbound, "912271264217", 1, 1, 1),
		r(partnerd.DirectionOutbound, "123456789012345", 15, 1, 1),
		r(partnerd.DirectionInbound, "912271", 5, 60, 60),
	})
	tests := []struct {
		direction, number string
		want              partnerd.Rate // zero: no_rate
	}{
		{partnerd.DirectionOutbound, "+912271264217", r(partnerd.DirectionOutbound, "912271264217", 1, 1, 1)},
		{partnerd.DirectionOutbound, "+912271264218", r(partnerd.DirectionOutbound, "9122", 9122, 30, 6)},
		{partnerd.DirectionOutbound, "919876543210", r(partnerd.DirectionOutbound, "91", 91, 60, 60)},
		{partnerd.DirectionOutbound, "+9", r(partnerd.DirectionOutbound, "9", 9, 1, 1)},
		{partnerd.DirectionOutbound, "+999", r(partnerd.DirectionOutbound, "9", 9, 1, 1)},
		{partnerd.DirectionOutbound, "1234567890123456789", r(partnerd.DirectionOutbound, "123456789012345", 15, 1, 1)},
		{partnerd.DirectionInbound, "+912271264217", r(partnerd.DirectionInbound, "912271", 5, 60, 60)},
		{partnerd.DirectionInbound, "+919876543210", partnerd.Rate{}},
		{partnerd.DirectionOutbound, "+14155550100", partnerd.Rate{}},
		{partnerd.DirectionOutbound, "+91 22", partnerd.Rate{}},
		{partnerd.DirectionOutbound, "", partnerd.Rate{}},
		{"sideways", "+912271264217", partnerd.Rate{}},
	}
	for _, tc := range tests {
		got, err := rs.MatchRate(ctx, p.ID, tc.direction, tc.number)
		if tc.want == (partnerd.Rate{}) {
			wantCode(t, fmt.Sprintf("MatchRate(%s, %q)", tc.direction, tc.number), err, partnerd.ECNoRate)
			continue
		}
		if err != nil {
			t.Errorf("MatchRate(%s, %q): %v", tc.direction, tc.number, err)
			continue
		}
		if diff := cmp.Diff(tc.want, *got); diff != "" {
			t.Errorf("MatchRate(%s, %q) (-want +got):\n%s", tc.direction, tc.number, diff)
		}
	}
}

// testRateMatchAgreesWithDomain matches random numbers against a random
// deck of overlapping prefixes in the store and with partnerd.MatchRate.
func testRateMatchAgreesWithDomain(t *testing.T, s Store) {
	ctx := context.Background()
	rs := rateStore(t, s)
	p, _ := mustPartner(t, s, "agreerates")
	rng := rand.New(rand.NewPCG(3, 4))
	digits := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('1' + rng.IntN(3)) // few digits: many overlaps
		}
		return string(b)
	}
	seen := map[string]bool{}
	var deck []partnerd.Rate
	for len(deck) < 200 {
		d := partnerd.Directions[rng.IntN(2)]
		rate := r(d, digits(1+rng.IntN(6)), rng.Int64N(100_000), 1+rng.IntN(60), 1+rng.IntN(60))
		if !seen[rate.RateKey()] {
			seen[rate.RateKey()] = true
			deck = append(deck, rate)
		}
	}
	mustReplaceDeck(t, rs, p.ID, deck)
	for range 300 {
		d, number := partnerd.Directions[rng.IntN(2)], "+"+digits(1+rng.IntN(12))
		want, wantErr := partnerd.MatchRate(deck, d, number)
		got, err := rs.MatchRate(ctx, p.ID, d, number)
		if partnerd.ErrorCode(err) != partnerd.ErrorCode(wantErr) || (err == nil) != (wantErr == nil) {
			t.Fatalf("MatchRate(%s, %s): store %v, domain %v", d, number, err, wantErr)
		}
		if err == nil && *got != *want {
			t.Fatalf("MatchRate(%s, %s): store %+v, domain %+v", d, number, *got, *want)
		}
	}
}

// testRateLargeDeck replaces a deck of several insert statements' worth
// of rates, twice, and reads every page of it.
func testRateLargeDeck(t *testing.T, s Store) {
	rs := rateStore(t, s)
	p, _ := mustPartner(t, s, "largerates")
	deck := make([]partnerd.Rate, 0, 2_345)
	for i := range cap(deck) {
		deck = append(deck, r(partnerd.Directions[i%2], fmt.Sprintf("%d", 10_000+i), int64(i), 1+i%3600, 1+i%60))
	}
	mustReplaceDeck(t, rs, p.ID, deck[:1_000])
	mustReplaceDeck(t, rs, p.ID, deck)
	var got []partnerd.Rate
	for page := 1; ; page++ {
		rates, total := mustListRates(t, rs, p.ID, partnerd.RateFilter{Page: partnerd.Page{Page: page, Size: partnerd.MaxPageSize}})
		if total != len(deck) {
			t.Fatalf("total = %d, want %d", total, len(deck))
		}
		if len(rates) == 0 {
			break
		}
		got = append(got, rates...)
	}
	if diff := cmp.Diff(sortedDeck(deck), got); diff != "" {
		t.Errorf("every page of a large deck (-want +got):\n%s", diff)
	}
}
