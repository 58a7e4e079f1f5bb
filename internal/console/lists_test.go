package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestFilterErrorsNameEachField: a refused filter names every bad field
// with its own message, as the API's fields array does, on the page and
// on its CSV download.
func TestFilterErrorsNameEachField(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite", 1)
	_, _, b := e.mustPartner(t, "Filterer")
	want := []string{"2 fields are invalid", `call_direction must be "inbound" or "outbound"`, "status must be one of"}
	page := b.wantStatus(b.get("/console/calls?call_direction=sideways&status=nope"), http.StatusBadRequest)
	wantIn(t, page, want...)
	csv := b.wantStatus(b.get("/console/calls.csv?call_direction=sideways&status=nope"), http.StatusBadRequest)
	wantIn(t, csv, want...)
	wantIn(t, b.wantStatus(b.get("/console/numbers?status=nope&page=0"), http.StatusBadRequest), "2 fields are invalid", "status must be")
	// Paging as the API's: per_page is size's alias; a bad page or status
	// of the webhook pages is refused too.
	wantIn(t, b.wantStatus(b.get("/console/calls?per_page=abc"), http.StatusBadRequest), "per_page")
	wantIn(t, b.wantStatus(b.get("/console/webhooks?page=0"), http.StatusBadRequest), "page must be")
	hook := b.wantStatus(b.submit("/console/webhooks", "/console/webhooks", url.Values{"url": {"https://hooks.example/filtered"}}), http.StatusSeeOther)
	hookPath := strings.SplitN(hook.header.Get("Location"), "?", 2)[0]
	wantIn(t, b.wantStatus(b.get(hookPath+"?status=bogus"), http.StatusBadRequest), "status must be one of pending, succeeded, failed, dead")
	// One bad field: its message once, not "message: message."
	one := b.wantStatus(b.get("/console/calls?min_duration=x"), http.StatusBadRequest)
	if n := strings.Count(one.body, "min_duration must be"); n != 1 {
		t.Errorf("the refused filter's message appears %d times, want once:\n%s", n, excerpt(one.body))
	}
}
