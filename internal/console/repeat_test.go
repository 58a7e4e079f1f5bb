package console_test

import (
	"context"
	"crypto/sha256"
	"net/http"
	"net/url"
	"regexp"
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

// TestFormWhileFirstRuns: a form submitted again while its first
// submission still runs (two tabs, a slow server) is refused with 409 and
// shown again with the same key, so that submitting it once more shows
// the first one's outcome instead of moving money twice.
func TestFormWhileFirstRuns(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite", 1)
	ctx := context.Background()
	p, _, b := e.mustPartner(t, "Hurried")
	if _, err := e.db.FundPartner(ctx, p.ID, 100_000, nil); err != nil {
		t.Fatal(err)
	}
	a := e.mustCustomer(t, p.ID, "Waited")
	path := "/console/customers/" + a.AuthID
	form := b.formOf(b.wantStatus(b.get(path), http.StatusOK), path+"/transfer")
	form.Set("amount", "5.00")
	key := form.Get("idempotency_key")
	if key == "" {
		t.Fatal("the transfer form carries no idempotency key")
	}
	// The first submission, still running: its claim holds the key.
	body := url.Values{}
	for k, v := range form {
		if k != "idempotency_key" {
			body[k] = v
		}
	}
	fp := sha256.Sum256([]byte(http.MethodPost + "\x00" + path + "/transfer\x00" + body.Encode()))
	_, first, err := e.db.ClaimIdempotencyKey(ctx, partnerd.IdempotencyRequest{PartnerID: p.ID, Key: "console:" + key, Fingerprint: fp[:]})
	if err != nil || first == nil {
		t.Fatalf("claim the form's key: %v", err)
	}
	again := b.wantStatus(b.post(path+"/transfer", form), http.StatusConflict)
	wantIn(t, again, "still being processed")
	if got := b.formOf(again, path+"/transfer").Get("idempotency_key"); got != key {
		t.Errorf("the form is shown again with key %q, want the first submission's %q", got, key)
	}
	if strings.Contains(again.body, "console:") {
		t.Errorf("the page shows the stored key's prefix:\n%s", excerpt(again.body))
	}
	// A key no rendered form carries (a hand-edited one) is refused, not
	// ignored.
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("idempotency_key", strings.Repeat("k", 201))
	wantIn(t, b.wantStatus(b.post(path+"/transfer", bad), http.StatusBadRequest), "idempotency_key must be")
	if err := e.db.ReleaseIdempotencyKey(ctx, first); err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"transferred", "replayed"} {
		r := b.wantStatus(b.post(path+"/transfer", form), http.StatusSeeOther)
		if got := r.header.Get("Location"); got != path+"?done="+want {
			t.Errorf("submission %d redirects to %q, want done=%s", i+2, got, want)
		}
	}
	if bal, err := e.db.AccountBalance(ctx, p.ID, a.AuthID); err != nil || bal.Balance != 500 {
		t.Errorf("balance = %+v, %v; want 5.00, moved once", bal, err)
	}
}

// TestRotateTokenTwice: the settings' "Rotate API token" form submitted
// twice rotates once; the token the first answer shows keeps working.
func TestRotateTokenTwice(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite", 1)
	p, _, b := e.mustPartner(t, "Rotor")
	form := b.formOf(b.wantStatus(b.get("/console/settings"), http.StatusOK), "/console/settings/rotate-token")
	if form.Get("idempotency_key") == "" {
		t.Fatal("the rotate-token form carries no idempotency key")
	}
	form.Set("confirm", "yes")
	r := b.wantStatus(b.post("/console/settings/rotate-token", form), http.StatusOK)
	m := regexp.MustCompile(`id="new-token">(sk_live_[A-Za-z0-9]+)<`).FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("the new token is not shown:\n%s", excerpt(r.body))
	}
	again := b.wantStatus(b.post("/console/settings/rotate-token", form), http.StatusSeeOther)
	if got := again.header.Get("Location"); got != "/console/settings?done=replayed" {
		t.Errorf("the second submission redirects to %q, want the replayed notice", got)
	}
	api := e.browser(t, 0)
	api.header.Set("X-Auth-ID", p.ID)
	api.header.Set("X-Auth-Token", m[1])
	api.wantStatus(api.get("/api/v1/partner/me"), http.StatusOK)
}
