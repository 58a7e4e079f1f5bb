package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/partnerd/partnerd"
)

// TestRepeatedSubmissions: a delete or release sent twice (a double
// click, a reload) answers the second time as the first, with the same
// notice; one of an id that never existed is the 404 page; a replayed
// "create" form shows what the first submission created.
func TestRepeatedSubmissions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite", 1)
	ctx := context.Background()
	p, _, b := e.mustPartner(t, "Repeater")
	a := e.mustCustomer(t, p.ID, "Twice")
	path := "/console/customers/" + a.AuthID
	twice := func(action, wantLocation string) {
		t.Helper()
		for i := range 2 {
			r := b.wantStatus(b.post(action, url.Values{}), http.StatusSeeOther)
			if got := r.header.Get("Location"); got != wantLocation {
				t.Errorf("POST %s (%d) redirects to %q, want %q", action, i+1, got, wantLocation)
			}
		}
	}

	b.wantStatus(b.submit(path, path+"/sip-endpoints", url.Values{"username": {"twice.one"}, "password": {"Sip@Secret9"}}), http.StatusSeeOther)
	eps, _, _ := e.db.ListSIPEndpoints(ctx, p.ID, a.AuthID, partnerd.Page{Page: 1, Size: 10})
	if len(eps) != 1 {
		t.Fatalf("SIP endpoints = %d, want 1", len(eps))
	}
	twice(path+"/sip-endpoints/"+eps[0].ID+"/delete", path+"?done=sip_deleted")
	b.wantStatus(b.post(path+"/sip-endpoints/EP_00000000000000000000000000/delete", url.Values{}), http.StatusNotFound)

	if _, err := e.db.AddNumber(ctx, p.ID, partnerd.NumberInput{Number: "+912271264299", MonthlyCost: 0}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.AssignNumber(ctx, p.ID, a.AuthID, "+912271264299"); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		r := b.wantStatus(b.post(path+"/numbers/release", url.Values{"number": {"+912271264299"}}), http.StatusSeeOther)
		if got := r.header.Get("Location"); got != path+"?done=released" {
			t.Errorf("release (%d) redirects to %q, want the released notice", i+1, got)
		}
	}
	b.wantStatus(b.post(path+"/numbers/release", url.Values{"number": {"+912271264298"}}), http.StatusNotFound)

	hook := b.wantStatus(b.submit("/console/webhooks", "/console/webhooks", url.Values{"url": {"https://hooks.example/twice"}}), http.StatusSeeOther)
	hookPath := strings.SplitN(hook.header.Get("Location"), "?", 2)[0]
	twice(hookPath+"/delete", "/console/webhooks?done=webhook_deleted")
	b.wantStatus(b.post("/console/webhooks/WE_00000000000000000000000000/delete", url.Values{}), http.StatusNotFound)

	list := b.wantStatus(b.get("/console/customers"), http.StatusOK)
	list.body = list.body[strings.Index(list.body, `<form method="post"`):] // past the filters' GET form
	form := b.formOf(list, "/console/customers")
	for k, v := range (url.Values{"name": {"Once Only"}, "email": {"once@customer.example"}, "password": {"SecurePass@123"},
		"phone": {"9431538535"}, "country": {"IN"}}) {
		form[k] = v
	}
	first := b.wantStatus(b.post("/console/customers", form), http.StatusSeeOther)
	created := first.header.Get("Location")
	if !strings.HasPrefix(created, "/console/customers/MA_") {
		t.Fatalf("create redirects to %q", created)
	}
	again := b.wantStatus(b.post("/console/customers", form), http.StatusSeeOther)
	if want := strings.Replace(created, "done=created", "done=replayed", 1); again.header.Get("Location") != want {
		t.Errorf("the replayed create redirects to %q, want %q", again.header.Get("Location"), want)
	}
}
