package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"testing"

	"github.com/partnerd/partnerd"
)

// TestLowBalanceThreshold sets a customer's own low-balance threshold on
// create and PATCH (API.md §8), reads it back in the profile, returns it
// to the partner's with null, refuses bad values naming the field, and
// shows balance.low firing at the customer's threshold, not the partner's,
// as soon as a PATCH changes it.
func TestLowBalanceThreshold(t *testing.T) {
	onEngines(t, func(t *testing.T, e *testEnv) {
		ctx := context.Background()
		p := e.mustPartner(t, "Thresholds")
		email := func(n string) string { return fmt.Sprintf("%s-%d@threshold.example", n, partnerSeq.Add(1)) }
		body := validAccount("Own", email("own"))
		body["low_balance_threshold"] = 500
		own := str(e.mustCreateAccount(t, p, body)["auth_id"])
		dflt := str(e.mustCreateAccount(t, p, validAccount("Default", email("default")))["auth_id"])

		threshold := func(id string) string {
			t.Helper()
			r := e.get(t, base+"/accounts/"+id, p)
			if r.status != http.StatusOK {
				t.Fatalf("GET /accounts/%s = %d %s", id, r.status, r.raw)
			}
			return num(r.body["low_balance_threshold"])
		}
		if got := threshold(own); got != "500.00" {
			t.Errorf("created with 500: profile threshold %s, want 500.00", got)
		}
		if got := threshold(dflt); got != "100.00" {
			t.Errorf("created without: profile threshold %s, want the partner's 100.00", got)
		}

		// Money moves around each threshold: 600.00 in, 150.00 out leaves
		// 450.00, under the own 500.00 and over the default 100.00.
		if _, err := e.db.FundPartner(ctx, p.ID, 10_000_00, nil); err != nil {
			t.Fatal(err)
		}
		move := func(id, kind, amount string) {
			t.Helper()
			r := e.post(t, base+"/accounts/"+id+"/"+kind+"-balance", p, map[string]any{"amount": amount})
			if r.status != http.StatusOK {
				t.Fatalf("%s %s %s = %d %s", kind, amount, id, r.status, r.raw)
			}
		}
		lows := func(id string) int {
			t.Helper()
			r := e.get(t, base+"/events?type=balance.low&account="+id, p)
			if r.status != http.StatusOK {
				t.Fatalf("GET /events = %d %s", r.status, r.raw)
			}
			return len(data(t, r))
		}
		for _, id := range []string{own, dflt} {
			move(id, "transfer", "600.00")
			move(id, "withdraw", "150.00")
		}
		if n := lows(own); n != 1 {
			t.Errorf("own threshold 500.00, balance 450.00: %d balance.low events, want 1", n)
		}
		// The alert is news of the withdrawal that raised it, so it comes
		// after it in the account's sequence (a receiver that drops stale
		// news by sequence keeps it).
		var types []string
		var seqs []int64
		seqOf := func(ev map[string]any) int64 {
			n, err := strconv.ParseInt(num(ev["sequence"]), 10, 64)
			if err != nil {
				t.Fatalf("event sequence %v: %v", ev["sequence"], err)
			}
			return n
		}
		for _, ev := range data(t, e.get(t, base+"/events?size=2&account="+own, p)) {
			types, seqs = append(types, str(ev["type"])), append(seqs, seqOf(ev))
		}
		if len(types) != 2 || types[0] != "balance.low" || types[1] != "balance.transferred" || seqs[0] <= seqs[1] {
			t.Errorf("newest events of the withdrawal: %v, sequences %v; want balance.low after balance.transferred", types, seqs)
		}
		if n := lows(dflt); n != 0 {
			t.Errorf("partner's threshold 100.00, balance 450.00: %d balance.low events, want 0", n)
		}

		// A PATCH applies at once: the next debit crosses the new level.
		r := e.patch(t, base+"/accounts/"+dflt, p, map[string]any{"low_balance_threshold": "449.5"})
		if r.status != http.StatusOK || num(r.body["low_balance_threshold"]) != "449.50" {
			t.Fatalf("PATCH threshold 449.5 = %d %s", r.status, r.raw)
		}
		move(dflt, "withdraw", "1.00")
		if n := lows(dflt); n != 1 {
			t.Errorf("after PATCH to 449.50, 450.00 to 449.00: %d balance.low events, want 1", n)
		}

		// null returns it to the partner's, whatever that is now.
		low := int64(70_00)
		if _, err := e.db.SetPartner(ctx, p.ID, partnerd.PartnerSettings{LowBalance: &low}); err != nil {
			t.Fatal(err)
		}
		if r := e.patch(t, base+"/accounts/"+own, p, map[string]any{"low_balance_threshold": nil}); r.status != http.StatusOK {
			t.Fatalf("PATCH threshold null = %d %s", r.status, r.raw)
		}
		if got := threshold(own); got != "70.00" {
			t.Errorf("after PATCH null: threshold %s, want the partner's 70.00", got)
		}
		// Zero is a threshold (never low); other PATCH fields leave it be.
		if r := e.patch(t, base+"/accounts/"+own, p, map[string]any{"low_balance_threshold": 0}); r.status != http.StatusOK {
			t.Fatalf("PATCH threshold 0 = %d %s", r.status, r.raw)
		}
		if r := e.patch(t, base+"/accounts/"+own, p, map[string]any{"name": "Renamed"}); r.status != http.StatusOK ||
			num(r.body["low_balance_threshold"]) != "0.00" {
			t.Errorf("PATCH name: %d, threshold %v, want 0.00 kept", r.status, r.body["low_balance_threshold"])
		}

		for _, tc := range []struct {
			value any
			code  string
		}{
			{-1, partnerd.FCOutOfRange}, {"-0.01", partnerd.FCOutOfRange}, {"abc", partnerd.FCInvalidFormat},
			{true, partnerd.FCInvalidType}, {1.234, partnerd.FCTooManyDecimals}, {"2000000000", partnerd.FCTooLarge},
		} {
			body := validAccount("Bad", email("bad"))
			body["low_balance_threshold"] = tc.value
			for name, r := range map[string]reply{
				"POST":  e.post(t, base+"/accounts", p, body),
				"PATCH": e.patch(t, base+"/accounts/"+own, p, map[string]any{"low_balance_threshold": tc.value}),
			} {
				wantError(t, r, http.StatusBadRequest, partnerd.ECValidation)
				if got := fieldCodes(t, r); len(got) != 1 || got[0] != (fieldCode{"low_balance_threshold", tc.code}) {
					t.Errorf("%s low_balance_threshold %v: fields %v, want [low_balance_threshold %s]", name, tc.value, got, tc.code)
				}
			}
		}
	})
}
