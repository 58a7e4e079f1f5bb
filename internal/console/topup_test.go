package console_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
)

// TestAutoTopupFormValidatesAsAPI: the auto top-up form refuses what PUT
// …/auto-topup refuses (a threshold of zero among them), in the API's
// words, every bad field at once, and saves nothing.
func TestAutoTopupFormValidatesAsAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite", 1)
	p, _, b := e.mustPartner(t, "Topups")
	a := e.mustCustomer(t, p.ID, "Topped Customer")
	path := "/console/customers/" + a.AuthID
	bad := b.wantStatus(b.post(path+"/auto-topup", url.Values{"threshold": {"0"}, "target_balance": {"500"}, "max_per_day": {"0"},
		"max_per_month": {"5000"}, "max_count_per_day": {"0"}}), http.StatusBadRequest)
	wantIn(t, bad, "3 fields are invalid.", "threshold must be greater than zero", "max_per_day must be greater than zero",
		"max_count_per_day must be an integer from 1 to 1000")
	if got, err := e.db.AutoTopup(context.Background(), p.ID, a.AuthID); err == nil {
		t.Errorf("after a refused form the auto top-up is %+v, want none", got)
	}
	// The target below the threshold joins a bad number elsewhere.
	both := b.wantStatus(b.post(path+"/auto-topup", url.Values{"threshold": {"100"}, "target_balance": {"50"}, "max_per_day": {"x"},
		"max_per_month": {"5000"}, "max_count_per_day": {"3"}}), http.StatusBadRequest)
	wantIn(t, both, "2 fields are invalid.", "target_balance must be greater than threshold")
	// A count that is not a whole number, or none, in the API's words.
	for v, want := range map[string]string{"1.5": "max_count_per_day must be a whole number", "": "max_count_per_day is required"} {
		bad := b.wantStatus(b.post(path+"/auto-topup", url.Values{"threshold": {"100"}, "target_balance": {"500"}, "max_per_day": {"1000"},
			"max_per_month": {"5000"}, "max_count_per_day": {v}}), http.StatusBadRequest)
		wantIn(t, bad, want)
	}
}
