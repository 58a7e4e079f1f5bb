package httpapi_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
)

// mustDeck replaces the deck of the partner c.
func (e *testEnv) mustDeck(t *testing.T, c creds, deck ...partnerd.Rate) {
	t.Helper()
	if err := e.db.ReplaceRateDeck(context.Background(), c.ID, deck); err != nil {
		t.Fatalf("ReplaceRateDeck: %v", err)
	}
}

// rateRow is a rate of a test deck.
func rateRow(direction, prefix string, perMinute int64, initial, sub int) partnerd.Rate {
	return partnerd.Rate{Direction: direction, Prefix: prefix, PerMinute: perMinute, InitialIncrement: initial, SubsequentIncrement: sub}
}

// ratePrefixes returns "direction prefix" of each row.
func ratePrefixes(rows []map[string]any) []string {
	out := []string{}
	for _, r := range rows {
		out = append(out, str(r["direction"])+" "+str(r["prefix"]))
	}
	return out
}

func TestRateList(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	c := e.mustPartner(t, "Rates")
	e.mustDeck(t, c,
		rateRow(partnerd.DirectionOutbound, "91", 4500, 60, 60),
		rateRow(partnerd.DirectionOutbound, "9122", 75, 1, 1),
		rateRow(partnerd.DirectionOutbound, "1", 1_000_000_000*10_000, 30, 6),
		rateRow(partnerd.DirectionInbound, "912271264217", 0, 1, 1),
	)
	other := e.mustPartner(t, "Rates Elsewhere")
	e.mustDeck(t, other, rateRow(partnerd.DirectionOutbound, "44", 9000, 60, 60))

	r := e.get(t, base+"/rates", c)
	if r.status != http.StatusOK {
		t.Fatalf("GET /rates = %d; body: %s", r.status, r.raw)
	}
	// The whole body, byte for byte: rates with exactly four decimals, in
	// the order of direction and prefix, priced in the partner's currency.
	want := `{"data":[` +
		`{"direction":"inbound","prefix":"912271264217","rate_per_minute":0.0000,"initial_increment":1,"subsequent_increment":1,"currency":"INR"},` +
		`{"direction":"outbound","prefix":"1","rate_per_minute":1000000000.0000,"initial_increment":30,"subsequent_increment":6,"currency":"INR"},` +
		`{"direction":"outbound","prefix":"91","rate_per_minute":0.4500,"initial_increment":60,"subsequent_increment":60,"currency":"INR"},` +
		`{"direction":"outbound","prefix":"9122","rate_per_minute":0.0075,"initial_increment":1,"subsequent_increment":1,"currency":"INR"}],` +
		`"meta":{"total":4,"page":1,"size":20,"per_page":20,"total_pages":1}}` + "\n"
	if diff := cmp.Diff(want, r.raw); diff != "" {
		t.Errorf("GET /rates body (-want +got):\n%s", diff)
	}

	tests := []struct {
		query string
		want  []string
		meta  map[string]any
	}{
		{"?direction=outbound", []string{"outbound 1", "outbound 91", "outbound 9122"}, nil},
		{"?direction=inbound", []string{"inbound 912271264217"}, nil},
		{"?prefix=91", []string{"inbound 912271264217", "outbound 91", "outbound 9122"}, nil},
		{"?prefix=%2B912", []string{"inbound 912271264217", "outbound 9122"}, nil},
		{"?prefix=912&direction=outbound", []string{"outbound 9122"}, nil},
		{"?prefix=44", []string{}, map[string]any{"total": "0", "page": "1", "size": "20", "per_page": "20", "total_pages": "0"}},
		// An empty value is an absent parameter (API.md §1).
		{"?prefix=&direction=", []string{"inbound 912271264217", "outbound 1", "outbound 91", "outbound 9122"}, nil},
		{"?page=2&size=3", []string{"outbound 9122"}, map[string]any{"total": "4", "page": "2", "size": "3", "per_page": "3", "total_pages": "2"}},
		{"?page=1&per_page=1", []string{"inbound 912271264217"}, map[string]any{"total": "4", "page": "1", "size": "1", "per_page": "1", "total_pages": "4"}},
		{"?page=3&size=3", []string{}, map[string]any{"total": "4", "page": "3", "size": "3", "per_page": "3", "total_pages": "2"}},
	}
	for _, tc := range tests {
		r := e.get(t, base+"/rates"+tc.query, c)
		if r.status != http.StatusOK {
			t.Errorf("GET /rates%s = %d; body: %s", tc.query, r.status, r.raw)
			continue
		}
		if diff := cmp.Diff(tc.want, ratePrefixes(data(t, r))); diff != "" {
			t.Errorf("GET /rates%s rows (-want +got):\n%s", tc.query, diff)
		}
		if tc.meta != nil {
			meta, _ := r.body["meta"].(map[string]any)
			got := map[string]any{}
			for k, v := range meta {
				got[k] = num(v)
			}
			if diff := cmp.Diff(tc.meta, got); diff != "" {
				t.Errorf("GET /rates%s meta (-want +got):\n%s", tc.query, diff)
			}
		}
	}

	// Another partner sees its own deck only.
	r = e.get(t, base+"/rates", other)
	if got := ratePrefixes(data(t, r)); !cmp.Equal(got, []string{"outbound 44"}) {
		t.Errorf("the other partner's GET /rates = %v, want its one rate", got)
	}
	// A partner without a deck gets an empty list.
	r = e.get(t, base+"/rates", e.mustPartner(t, "No Rates"))
	if r.status != http.StatusOK || r.raw != `{"data":[],"meta":{"total":0,"page":1,"size":20,"per_page":20,"total_pages":0}}`+"\n" {
		t.Errorf("GET /rates without a deck = %d %s", r.status, r.raw)
	}
}

func TestRateListRefuses(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	c := e.mustPartner(t, "Rates Strict")
	tests := []struct {
		query  string
		fields []fieldCode
	}{
		{"?direction=sideways", []fieldCode{{"direction", partnerd.FCInvalidValue}}},
		{"?direction=OUTBOUND", []fieldCode{{"direction", partnerd.FCInvalidValue}}},
		{"?prefix=9x", []fieldCode{{"prefix", partnerd.FCInvalidFormat}}},
		// An unencoded + is a space in a query string.
		{"?prefix=+91", []fieldCode{{"prefix", partnerd.FCInvalidFormat}}},
		{"?prefix=1234567890123456", []fieldCode{{"prefix", partnerd.FCInvalidFormat}}},
		{"?size=0&page=x", []fieldCode{{"page", partnerd.FCInvalidFormat}, {"size", partnerd.FCOutOfRange}}},
		{"?size=5&per_page=6", []fieldCode{{"per_page", partnerd.FCInvalidValue}}},
		{"?search=91", []fieldCode{{"search", partnerd.FCUnknownField}}},
		{"?prefix=91&prefix=92", []fieldCode{{"prefix", partnerd.FCNotAllowed}}},
		{"?prefix=%zz", []fieldCode{{"prefix", partnerd.FCInvalidFormat}}},
		{"?direction=in&prefix=a&size=101", []fieldCode{
			{"direction", partnerd.FCInvalidValue}, {"prefix", partnerd.FCInvalidFormat}, {"size", partnerd.FCOutOfRange}}},
	}
	for _, tc := range tests {
		r := e.get(t, base+"/rates"+tc.query, c)
		wantError(t, r, http.StatusBadRequest, partnerd.ECValidation)
		if diff := cmp.Diff(sortedFields(tc.fields...), fieldCodes(t, r)); diff != "" {
			t.Errorf("GET /rates%s fields (-want +got):\n%s", tc.query, diff)
		}
	}
	wantError(t, e.get(t, base+"/rates", noCreds), http.StatusUnauthorized, partnerd.ECMissingCredentials)
	wantError(t, e.get(t, base+"/rates", creds{ID: c.ID, Token: c.Token + "x"}), http.StatusUnauthorized, partnerd.ECInvalidCredentials)
	r := e.post(t, base+"/rates", c, map[string]any{})
	wantError(t, r, http.StatusMethodNotAllowed, partnerd.ECMethodNotAllowed)
	if allow := r.header.Get("Allow"); allow != "GET, HEAD" {
		t.Errorf("POST /rates: Allow = %q, want GET, HEAD", allow)
	}
}
