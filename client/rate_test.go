package client_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/client"
	"github.com/partnerd/partnerd/internal/httpapi"
)

// TestListRates reads a deck through the client from a real server, and
// refuses a rate that no partnerd server writes.
func TestListRates(t *testing.T) {
	ctx := context.Background()
	db := mustOpenSQLite(t)
	srv := httptest.NewServer(httpapi.NewServer(httpapi.Config{Accounts: db, Partners: db, Ledger: db, Rates: db}))
	t.Cleanup(srv.Close)
	p, token, err := db.CreatePartner(ctx, partnerd.PartnerInput{Name: "Rated", Email: "ops@rated.example", Currency: "JPY"})
	if err != nil {
		t.Fatal(err)
	}
	deck := []partnerd.Rate{
		{Direction: partnerd.DirectionInbound, Prefix: "81", PerMinute: 0, InitialIncrement: 1, SubsequentIncrement: 1},
		{Direction: partnerd.DirectionOutbound, Prefix: "81", PerMinute: 15_000, InitialIncrement: 60, SubsequentIncrement: 60},
		{Direction: partnerd.DirectionOutbound, Prefix: "8190", PerMinute: 1, InitialIncrement: 30, SubsequentIncrement: 6},
	}
	if err := db.ReplaceRateDeck(ctx, p.ID, deck); err != nil {
		t.Fatal(err)
	}
	c := client.New(srv.URL, p.ID, token)
	tests := []struct {
		f         partnerd.RateFilter
		want      []partnerd.Rate
		wantTotal int
	}{
		{partnerd.RateFilter{}, deck, 3},
		{partnerd.RateFilter{Direction: partnerd.DirectionOutbound}, deck[1:], 2},
		{partnerd.RateFilter{Prefix: "819"}, deck[2:], 1},
		{partnerd.RateFilter{Page: partnerd.Page{Page: 2, Size: 2}}, deck[2:], 3},
	}
	for _, tc := range tests {
		got, total, err := c.ListRates(ctx, "", tc.f)
		if err != nil {
			t.Fatalf("ListRates(%+v): %v", tc.f, err)
		}
		var rates []partnerd.Rate
		for _, r := range got {
			rates = append(rates, *r)
		}
		if diff := cmp.Diff(tc.want, rates); diff != "" || total != tc.wantTotal {
			t.Errorf("ListRates(%+v): total %d, want %d; (-want +got):\n%s", tc.f, total, tc.wantTotal, diff)
		}
	}
	if _, _, err := c.ListRates(ctx, "", partnerd.RateFilter{Direction: "sideways"}); partnerd.ErrorCode(err) != partnerd.ECValidation {
		t.Errorf("ListRates(sideways): %v, want %s", err, partnerd.ECValidation)
	}
	if _, _, err := c.ListRates(ctx, "PA_OTHER000", partnerd.RateFilter{}); err == nil {
		t.Errorf("ListRates for another partner id: no error")
	}

	// Rates the server would never write are errors, not guesses.
	for _, rate := range []string{"0.45", "0.45000", "-0.4500", "4.5e-1", `"0.4500"`, "00.4500", "null"} {
		fake := mustFake(t, func(w http.ResponseWriter, r *http.Request) {
			answer(w, http.StatusOK, `{"data":[{"direction":"outbound","prefix":"91","rate_per_minute":`+rate+
				`,"initial_increment":60,"subsequent_increment":60,"currency":"INR"}],"meta":{"total":1,"page":1,"size":20,"per_page":20,"total_pages":1}}`)
		})
		if _, _, err := fake.ListRates(ctx, "", partnerd.RateFilter{}); err == nil {
			t.Errorf("ListRates answered rate_per_minute %s: no error", rate)
		}
	}
}
