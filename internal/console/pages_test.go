package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/webhook"
)

// TestEveryAnswerIsSafe: every console answer (pages, redirects, the 404
// page, assets, a refused form) carries the CSP and security headers of
// API.md §9, and no page holds inline script or style.
func TestEveryAnswerIsSafe(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite", 1)
	p, _, b := e.mustPartner(t, "Headers")
	a := e.mustCustomer(t, p.ID, "Shown")
	anon := e.browser(t, 0)
	answers := []*page{anon.get("/console/login"), anon.get("/console/"), anon.get("/console/setup/unknown"),
		anon.get("/console/static/console.css"), anon.get("/console/static/favicon.svg"), anon.get("/console/no-such-page"),
		anon.post("/console/login", url.Values{"email": {"x@y.example"}, "password": {"nope"}})}
	for _, path := range append(consolePages, "/console/customers/"+a.AuthID) {
		answers = append(answers, b.wantStatus(b.get(path), http.StatusOK))
	}
	answers = append(answers, b.post("/console/customers/"+a.AuthID+"/transfer", url.Values{"amount": {"x"}}))
	want := map[string]string{
		"Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "same-origin",
	}
	inline := regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]|<script>|\sstyle=|<style|\son[a-z]+=`)
	for _, r := range answers {
		for k, v := range want {
			if got := r.header.Get(k); got != v {
				t.Errorf("%s: %s = %q, want %q", r.path, k, got, v)
			}
		}
		wantCache := "no-store"
		if strings.HasPrefix(r.path, "/console/static/") {
			wantCache = "public, max-age=3600"
		}
		if got := r.header.Get("Cache-Control"); got != wantCache {
			t.Errorf("%s: Cache-Control %q, want %q", r.path, got, wantCache)
		}
		if strings.HasPrefix(r.header.Get("Content-Type"), "text/html") && r.status != http.StatusSeeOther {
			if m := inline.FindString(r.body); m != "" {
				t.Errorf("%s holds inline script or style: %q", r.path, m)
			}
			if n := strings.Count(r.body, "<h1"); n != 1 {
				t.Errorf("%s has %d h1, want 1", r.path, n)
			}
		}
	}
}

// TestEmptyPages: a partner with nothing yet sees every page, each
// saying so.
func TestEmptyPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite", 1)
	_, _, b := e.mustPartner(t, "Empty")
	for path, want := range map[string]string{
		"/console/":             "No customer is suspended.",
		"/console/customers":    "No customers.",
		"/console/numbers":      "No numbers.",
		"/console/calls":        "No calls match",
		"/console/transactions": "No transactions match.",
		"/console/webhooks":     "No webhook endpoints.",
		"/console/settings":     "<h1>Settings</h1>",
	} {
		wantIn(t, b.wantStatus(b.get(path), http.StatusOK), want)
	}
	wantIn(t, b.get("/console/customers?page=0"), fmt.Sprintf("page must be an integer from 1 to %d", partnerd.MaxPage))
}

// TestWebhooks: endpoints are created (a bad URL refused in the API's
// words), shown with their secret, disabled, rotated, pinged and deleted.
func TestWebhooks(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite", 1)
	ctx := context.Background()
	p, _, b := e.mustPartner(t, "Hooks")
	bad := b.wantStatus(b.submit("/console/webhooks", "/console/webhooks", url.Values{"url": {"ftp://x"}}), http.StatusBadRequest)
	wantIn(t, bad, "url must be an absolute https:// or http:// URL")
	ok := b.wantStatus(b.submit("/console/webhooks", "/console/webhooks", url.Values{"url": {"https://hooks.example/in"},
		"event_types": {"balance.low", "account.created"}, "description": {"Billing"}}), http.StatusSeeOther)
	path := ok.header.Get("Location")
	path = path[:strings.Index(path, "?")]
	eps, _, _ := e.db.WebhookEndpoints(ctx, p.ID, partnerd.Page{Page: 1, Size: 10})
	if len(eps) != 1 || path != "/console/webhooks/"+eps[0].ID {
		t.Fatalf("endpoints %v, redirect %q", eps, path)
	}
	secret, _ := e.db.WebhookEndpointSecret(ctx, p.ID, eps[0].ID)
	wantIn(t, b.get(path), "https://hooks.example/in", "account.created, balance.low", secret.Secret)
	wantIn(t, b.get("/console/webhooks"), "https://hooks.example/in", "Billing")
	badEdit := b.wantStatus(b.post(path, url.Values{"url": {"nope"}}), http.StatusBadRequest)
	wantIn(t, badEdit, "url must be an absolute https:// or http:// URL")
	b.wantStatus(b.post(path, url.Values{"url": {"https://hooks.example/v2"}, "event_types": {"account.closed"}}), http.StatusSeeOther)
	if got, _ := e.db.WebhookEndpoint(ctx, p.ID, eps[0].ID); got.URL != "https://hooks.example/v2" || len(got.EventTypes) != 1 || got.Description != nil {
		t.Errorf("after the edit: %+v", got)
	}
	b.wantStatus(b.post(path+"/status", url.Values{"status": {"disabled"}}), http.StatusSeeOther)
	wantIn(t, b.get(path), "disabled")
	badRotate := b.wantStatus(b.submit(path, path+"/rotate-secret", url.Values{"expire_old_in_seconds": {"9999999"}}), http.StatusBadRequest)
	wantIn(t, badRotate, "expire_old_in_seconds must be an integer from 0 to 604800")
	for _, v := range []string{"1.5", "abc"} {
		bad := b.wantStatus(b.submit(path, path+"/rotate-secret", url.Values{"expire_old_in_seconds": {v}}), http.StatusBadRequest)
		wantIn(t, bad, "expire_old_in_seconds must be a whole number")
	}
	b.wantStatus(b.submit(path, path+"/rotate-secret", url.Values{"expire_old_in_seconds": {"60"}}), http.StatusSeeOther)
	again, _ := e.db.WebhookEndpointSecret(ctx, p.ID, eps[0].ID)
	if again.Secret == secret.Secret {
		t.Errorf("the secret did not change")
	}
	// Left empty, as the API's body left out: rotated, the old one signing a day.
	b.wantStatus(b.submit(path, path+"/rotate-secret", url.Values{"expire_old_in_seconds": {""}}), http.StatusSeeOther)
	if third, _ := e.db.WebhookEndpointSecret(ctx, p.ID, eps[0].ID); third.Secret == again.Secret {
		t.Errorf("the secret did not change with the field left empty")
	}
	b.wantStatus(b.post(path+"/status", url.Values{"status": {"enabled"}}), http.StatusSeeOther)
	// A ping to a receiver that fails: its attempt shows the status once,
	// and how long it took.
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusInternalServerError) }))
	defer failing.Close()
	b.wantStatus(b.post(path, url.Values{"url": {failing.URL + "/in"}, "event_types": {"account.closed"}}), http.StatusSeeOther)
	b.wantStatus(b.submit(path, path+"/test", nil), http.StatusSeeOther)
	if err := (&webhook.Dispatcher{Queue: e.db, AllowPrivate: true}).RunOnce(ctx); err != nil {
		t.Fatalf("Dispatcher.RunOnce: %v", err)
	}
	tried := b.get(path)
	wantIn(t, tried, "ping", "HTTP 500, ", " ms</div>")
	if strings.Contains(tried.body, "HTTP 500HTTP 500") {
		t.Errorf("the attempt shows its status twice: %s", tried.body)
	}
	b.wantStatus(b.post(path+"/delete", url.Values{}), http.StatusSeeOther)
	b.wantStatus(b.get(path), http.StatusNotFound)
}

// TestSettings: the API token is rotated only when confirmed, shown once
// and works at once on the API; the console password and the time zone
// change with the API's messages for bad values.
func TestSettings(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite", 1)
	ctx := context.Background()
	p, oldToken, b := e.mustPartner(t, "Settler")
	wantIn(t, b.get("/console/settings"), p.ID)
	api := e.browser(t, 0)
	api.header.Set("X-Auth-ID", p.ID)
	api.header.Set("X-Auth-Token", oldToken)
	api.wantStatus(api.get("/api/v1/partner/me"), http.StatusOK) // the instance now remembers it
	wantIn(t, b.wantStatus(b.post("/console/settings/rotate-token", url.Values{}), http.StatusBadRequest), "tick the box")
	r := b.wantStatus(b.post("/console/settings/rotate-token", url.Values{"confirm": {"yes"}}), http.StatusOK)
	m := regexp.MustCompile(`id="new-token">(sk_live_[A-Za-z0-9]+)<`).FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("the new token is not shown:\n%s", excerpt(r.body))
	}
	api.header.Set("X-Auth-Token", m[1])
	api.wantStatus(api.get("/api/v1/partner/me"), http.StatusOK)
	api.header.Set("X-Auth-Token", oldToken)
	api.wantStatus(api.get("/api/v1/partner/me"), http.StatusUnauthorized)

	wrong := b.wantStatus(b.post("/console/settings/password", url.Values{"current_password": {"Nope@1234"},
		"password": {"New@Pass12"}, "password_again": {"New@Pass12"}}), http.StatusBadRequest)
	wantIn(t, wrong, "current_password is wrong")
	weak := b.wantStatus(b.post("/console/settings/password", url.Values{"current_password": {partnerPassword},
		"password": {"weakweak"}, "password_again": {"weakweak"}}), http.StatusBadRequest)
	wantIn(t, weak, "password must be at least 8 characters")
	b.wantStatus(b.post("/console/settings/password", url.Values{"current_password": {partnerPassword},
		"password": {"New@Pass12"}, "password_again": {"New@Pass12"}}), http.StatusSeeOther)
	other := e.browser(t, 0)
	other.signIn(p.Email, partnerPassword, http.StatusUnauthorized)
	other.signIn(p.Email, "New@Pass12", http.StatusSeeOther)

	badTZ := b.wantStatus(b.post("/console/settings/timezone", url.Values{"timezone": {"Mars/Base"}}), http.StatusBadRequest)
	wantIn(t, badTZ, "timezone must be an IANA time zone name such as Asia/Kolkata")
	b.wantStatus(b.post("/console/settings/timezone", url.Values{"timezone": {"Asia/Kolkata"}}), http.StatusSeeOther)
	if got, _ := e.db.Partner(ctx, p.ID); got.Timezone != "Asia/Kolkata" {
		t.Errorf("time zone = %q", got.Timezone)
	}
	a := e.mustCustomer(t, p.ID, "Zoned")
	wantIn(t, b.get("/console/customers/"+a.AuthID), " IST")
}

// TestOverviewSaysWhenListsAreCut: the overview lists ten low-balance
// customers, and says how many there are when there are more.
func TestOverviewSaysWhenListsAreCut(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite", 1)
	p, _, b := e.mustPartner(t, "Crowded")
	for i := range 12 {
		e.mustCustomer(t, p.ID, fmt.Sprintf("Low %02d", i)) // 0.00: under 100.00
	}
	wantIn(t, b.wantStatus(b.get("/console/"), http.StatusOK), "The newest 10 of 12 customers under your threshold.")
}

// TestPasswordFieldsNeverEcho: a refused form shows again without the
// password typed into it, and every password field tells the browser it
// takes a new password (never the partner's own, autofilled), except the
// current password's.
func TestPasswordFieldsNeverEcho(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite", 1)
	_, _, b := e.mustPartner(t, "Echoless")
	list := b.wantStatus(b.get("/console/customers"), http.StatusOK)
	list.body = list.body[strings.Index(list.body, `<form method="post"`):]
	form := b.formOf(list, "/console/customers")
	for k, v := range (url.Values{"name": {"No Echo"}, "email": {"not-an-email"}, "password": {"Typed@Secret42"},
		"phone": {"9431538535"}, "country": {"IN"}}) {
		form[k] = v
	}
	refused := b.wantStatus(b.post("/console/customers", form), http.StatusBadRequest)
	if strings.Contains(refused.body, "Typed@Secret42") {
		t.Errorf("the refused form shows the password typed into it")
	}
	wantIn(t, refused, `name="password" type="password" autocomplete="new-password"`)
	wantIn(t, b.wantStatus(b.get("/console/settings"), http.StatusOK),
		`name="current_password" type="password" autocomplete="current-password"`, `name="password_again" type="password" autocomplete="new-password"`)
}
