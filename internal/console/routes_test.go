package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestRoutesAnswerAsHTTP: a route asked with a method it does not take
// is 405 with Allow; the assets' folder is no listing; a page past the
// last says so and links to the last, never "Page 5 of 2".
func TestRoutesAnswerAsHTTP(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite", 1)
	p, _, b := e.mustPartner(t, "Router")
	for _, c := range []struct{ method, path, allow string }{
		{http.MethodGet, "/console/logout", "POST"},
		{http.MethodPut, "/console/logout", "POST"},
		{http.MethodDelete, "/console/customers/MA_12345678/suspend", "POST"},
		{http.MethodPut, "/console/settings", "GET, HEAD"},
	} {
		r := b.do(c.method, c.path, url.Values{})
		if r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") != c.allow {
			t.Errorf("%s %s = %d, Allow %q; want 405, Allow %q", c.method, c.path, r.status, r.header.Get("Allow"), c.allow)
		}
	}
	b.wantStatus(b.get("/console/no-such-page"), http.StatusNotFound)
	b.wantStatus(b.get("/console/static/"), http.StatusNotFound)

	e.mustCustomer(t, p.ID, "One")
	e.mustCustomer(t, p.ID, "Two")
	past := b.wantStatus(b.get("/console/customers?size=1&page=5"), http.StatusOK)
	wantIn(t, past, "Page 5 is past the last page", `href="/console/customers?page=2&amp;size=1"`)
	if strings.Contains(past.body, "Page 5 of 2") {
		t.Errorf("the page past the last says Page 5 of 2")
	}
}
