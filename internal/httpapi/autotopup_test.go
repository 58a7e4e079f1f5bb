package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
)

// TestAutoTopupOverHTTP sets, reads and turns off a customer's auto
// top-up, with every cap required and named when missing.
func TestAutoTopupOverHTTP(t *testing.T) {
	e := sharedEnv(t)
	c := e.mustPartner(t, "Topup")
	id := str(e.mustCreateAccount(t, c, validAccount("Top", "top@topup-http.example"))["auth_id"])
	path := base + "/accounts/" + id + "/auto-topup"
	wantError(t, e.get(t, path, c), http.StatusNotFound, partnerd.ECNotFound)
	body := map[string]any{"enabled": true, "threshold": 100.00, "target_balance": "500.00", "max_per_day": 2000,
		"max_per_month": 20000.00, "max_count_per_day": 5}
	r := e.doJSON(t, http.MethodPut, path, c, body, nil)
	if r.status != http.StatusOK {
		t.Fatalf("PUT = %d %s", r.status, r.raw)
	}
	want := map[string]any{"auth_id": id, "enabled": true, "threshold": json.Number("100.00"), "target_balance": json.Number("500.00"),
		"max_per_day": json.Number("2000.00"), "max_per_month": json.Number("20000.00"), "max_count_per_day": json.Number("5"),
		"currency": "INR", "usage": map[string]any{
			"today":      map[string]any{"amount": json.Number("0.00"), "count": json.Number("0")},
			"this_month": map[string]any{"amount": json.Number("0.00"), "count": json.Number("0")},
		}}
	got := r.body
	delete(got, "updated_at")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("PUT body (-want +got):\n%s", diff)
	}
	if g := e.get(t, path, c); g.status != 200 || g.body["enabled"] != true || !reTime.MatchString(str(g.body["updated_at"])) {
		t.Errorf("GET = %d %s", g.status, g.raw)
	}
	if d := e.send(t, http.MethodDelete, path, c, nil, nil); d.status != 200 || d.body["enabled"] != false {
		t.Errorf("DELETE = %d %s", d.status, d.raw)
	}
	// Every field is required; target above threshold.
	r = e.doJSON(t, http.MethodPut, path, c, map[string]any{"threshold": 100, "target_balance": 50}, nil)
	wantError(t, r, http.StatusBadRequest, partnerd.ECValidation)
	var fields []string
	for _, f := range r.body["fields"].([]any) {
		fields = append(fields, str(f.(map[string]any)["field"]))
	}
	if diff := cmp.Diff([]string{"enabled", "max_per_day", "max_per_month", "max_count_per_day", "target_balance"}, fields); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	// Every bad field at once, each with its own code: those that do not
	// decode beside those the settings' rules refuse.
	for _, tt := range []struct {
		body map[string]any
		want []fieldCode // sorted by field, as fieldCodes sorts
	}{
		{map[string]any{"enabled": true, "threshold": -1, "target_balance": 200, "max_per_day": 10, "max_per_month": 10, "max_count_per_day": -1},
			[]fieldCode{{"max_count_per_day", partnerd.FCOutOfRange}, {"threshold", partnerd.FCMustBePositive}}},
		{map[string]any{"enabled": true, "threshold": 100, "target_balance": 100, "max_per_day": 10, "max_per_month": 10, "max_count_per_day": json.Number("99999999999999999999")},
			[]fieldCode{{"max_count_per_day", partnerd.FCOutOfRange}, {"target_balance", partnerd.FCOutOfRange}}},
		{map[string]any{"enabled": "yes", "threshold": 0, "target_balance": 100, "max_per_day": 10, "max_per_month": 10, "max_count_per_day": "3"},
			[]fieldCode{{"enabled", partnerd.FCInvalidType}, {"max_count_per_day", partnerd.FCInvalidType}, {"threshold", partnerd.FCMustBePositive}}},
		{map[string]any{"enabled": true, "threshold": 100, "target_balance": 500, "max_per_day": 10, "max_per_month": 10, "max_count_per_day": 1.5},
			[]fieldCode{{"max_count_per_day", partnerd.FCInvalidType}}},
	} {
		r := e.doJSON(t, http.MethodPut, path, c, tt.body, nil)
		wantError(t, r, http.StatusBadRequest, partnerd.ECValidation)
		if diff := cmp.Diff(tt.want, fieldCodes(t, r)); diff != "" {
			t.Errorf("PUT %v fields (-want +got):\n%s", tt.body, diff)
		}
		for _, f := range r.body["fields"].([]any) {
			if m := str(f.(map[string]any)["message"]); strings.Contains(m, "required") {
				t.Errorf("PUT %v: a given field reported as missing: %q", tt.body, m)
			}
		}
	}
	bad := map[string]any{"enabled": true, "threshold": 100, "target_balance": 100, "max_per_day": 1, "max_per_month": 1, "max_count_per_day": 0}
	r = e.doJSON(t, http.MethodPut, path, c, bad, nil)
	wantError(t, r, http.StatusBadRequest, partnerd.ECValidation)
	if n := len(r.body["fields"].([]any)); n != 2 {
		t.Errorf("target_balance and max_count_per_day: %s", r.raw)
	}
	other := e.mustPartner(t, "Topup other")
	wantError(t, e.doJSON(t, http.MethodPut, path, other, body, nil), http.StatusNotFound, partnerd.ECAccountNotFound)
	wantError(t, e.get(t, path, other), http.StatusNotFound, partnerd.ECAccountNotFound)
}
