package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
)

func TestDashboardAndAnalyticsShapes(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	f := mustCDRFixture(t, e, "overview", 40, 5)
	r := e.get(t, base+"/dashboard", f.p)
	if r.status != http.StatusOK {
		t.Fatalf("GET /dashboard = %d %s", r.status, r.raw)
	}
	if diff := cmp.Diff([]string{"accounts_low_balance", "accounts_suspended", "active_accounts", "calls_this_month", "calls_today",
		"currency", "total_balance", "total_spend_this_month"}, keys(r.body)); diff != "" {
		t.Errorf("dashboard keys (-want +got):\n%s", diff)
	}
	if r.body["active_accounts"] != json.Number("1") || r.body["currency"] != "INR" {
		t.Errorf("dashboard = %v", r.body)
	}
	r = e.get(t, base+"/analytics", f.p)
	if r.status != http.StatusOK {
		t.Fatalf("GET /analytics = %d %s", r.status, r.raw)
	}
	if diff := cmp.Diff([]string{"by_direction", "period", "top_customers", "totals"}, keys(r.body)); diff != "" {
		t.Errorf("analytics keys (-want +got):\n%s", diff)
	}
	today := time.Now().UTC()
	wantPeriod := map[string]any{"from": today.AddDate(0, 0, -29).Format(time.DateOnly), "to": today.Format(time.DateOnly)}
	if diff := cmp.Diff(wantPeriod, r.body["period"]); diff != "" {
		t.Errorf("default period (-want +got):\n%s", diff)
	}
	totals := r.body["totals"].(map[string]any)
	if diff := cmp.Diff([]string{"answered_calls", "currency", "failed_calls", "total_calls", "total_cost", "total_duration_seconds"}, keys(totals)); diff != "" {
		t.Errorf("totals keys (-want +got):\n%s", diff)
	}
	// The totals are those of the default window's calls.
	var calls int
	for _, c := range f.calls {
		if !c.StartTime.Before(time.Date(today.Year(), today.Month(), today.Day()-29, 0, 0, 0, 0, time.UTC)) {
			calls++
		}
	}
	if totals["total_calls"] != json.Number(strconv.Itoa(calls)) {
		t.Errorf("total_calls = %v, want %d", totals["total_calls"], calls)
	}
	dirs := r.body["by_direction"].(map[string]any)
	if diff := cmp.Diff([]string{"inbound", "outbound"}, keys(dirs)); diff != "" {
		t.Errorf("by_direction keys (-want +got):\n%s", diff)
	}
	top := r.body["top_customers"].([]any)
	if len(top) != 1 || top[0].(map[string]any)["auth_id"] != f.authID {
		t.Errorf("top_customers = %v, want the one customer", top)
	}
	wantError(t, e.get(t, base+"/analytics?from_date=2025-01-01&to_date=2026-03-01", f.p), http.StatusBadRequest, partnerd.ECValidation)
	// Up to today: the date the request gave is the one named.
	r = e.get(t, base+"/analytics?from_date=2024-01-01", f.p)
	wantError(t, r, http.StatusBadRequest, partnerd.ECValidation)
	if fc := fieldCodes(t, r); len(fc) != 1 || fc[0].Field != "from_date" || fc[0].Code != partnerd.FCOutOfRange {
		t.Errorf("analytics?from_date=2024-01-01: fields %v, want from_date out_of_range", fc)
	}
	wantError(t, e.get(t, base+"/analytics?from_date=yesterday", f.p), http.StatusBadRequest, partnerd.ECValidation)
	wantError(t, e.get(t, base+"/dashboard?x=1", f.p), http.StatusBadRequest, partnerd.ECValidation)
}
