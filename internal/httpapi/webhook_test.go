package httpapi_test

import (
	"encoding/base64"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
)

var reSecret = regexp.MustCompile(`^whsec_[A-Za-z0-9+/]{43}=$`)

// TestWebhookEndpointsOverHTTP walks an endpoint's life through the API:
// created with its secret shown once, read without it, patched, its
// secret read and rotated, tested, its deliveries listed and one retried,
// and deleted.
func TestWebhookEndpointsOverHTTP(t *testing.T) {
	e := sharedEnv(t)
	c := e.mustPartner(t, "Hooks")
	const p = base + "/webhook-endpoints"
	r := e.post(t, p, c, map[string]any{"url": "https://hooks.example/partnerd", "event_types": []string{"balance.low", "balance.transferred", "balance.low"},
		"description": "billing"})
	if r.status != http.StatusCreated {
		t.Fatalf("POST = %d %s", r.status, r.raw)
	}
	id, secret := str(r.body["id"]), str(r.body["secret"])
	if !strings.HasPrefix(id, "we_") || !reSecret.MatchString(secret) || r.body["status"] != "enabled" || !reTime.MatchString(str(r.body["created_at"])) {
		t.Fatalf("created = %s", r.raw)
	}
	if raw, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_")); len(raw) != 32 {
		t.Errorf("secret holds %d bytes, want 32", len(raw))
	}
	if diff := cmp.Diff([]any{"balance.low", "balance.transferred"}, r.body["event_types"]); diff != "" {
		t.Errorf("event_types (-want +got):\n%s", diff)
	}
	got := e.get(t, p+"/"+id, c)
	if got.status != 200 || got.body["secret"] != nil || got.body["url"] != "https://hooks.example/partnerd" || got.body["description"] != "billing" {
		t.Errorf("GET = %d %s", got.status, got.raw)
	}
	if l := e.get(t, p, c); l.status != 200 || len(l.body["data"].([]any)) != 1 || l.body["data"].([]any)[0].(map[string]any)["secret"] != nil {
		t.Errorf("list = %s", l.raw)
	}
	if s := e.get(t, p+"/"+id+"/secret", c); s.status != 200 || s.body["secret"] != secret {
		t.Errorf("GET secret = %s", s.raw)
	}
	u := e.doJSON(t, http.MethodPatch, p+"/"+id, c, map[string]any{"status": "disabled", "event_types": []string{}, "description": nil}, nil)
	if u.status != 200 || u.body["status"] != "disabled" || u.body["description"] != nil || len(u.body["event_types"].([]any)) != 0 {
		t.Errorf("PATCH = %d %s", u.status, u.raw)
	}
	rot := e.post(t, p+"/"+id+"/rotate-secret", c, map[string]any{"expire_old_in_seconds": 3600})
	if rot.status != 200 || !reSecret.MatchString(str(rot.body["secret"])) || rot.body["secret"] == secret {
		t.Errorf("rotate = %d %s", rot.status, rot.raw)
	}
	if s := e.get(t, p+"/"+id+"/secret", c); s.body["secret"] != rot.body["secret"] {
		t.Errorf("secret after rotation = %s", s.raw)
	}
	// Disabled, the endpoint sends nothing: its test is refused.
	if off := e.post(t, p+"/"+id+"/test", c, nil); off.status != 409 || off.body["error"] != "endpoint_disabled" {
		t.Errorf("test of a disabled endpoint = %d %s, want 409 endpoint_disabled", off.status, off.raw)
	}
	if on := e.doJSON(t, http.MethodPatch, p+"/"+id, c, map[string]any{"status": "enabled"}, nil); on.status != 200 || on.body["status"] != "enabled" {
		t.Errorf("PATCH enabled = %d %s", on.status, on.raw)
	}
	ping := e.post(t, p+"/"+id+"/test", c, nil)
	if ping.status != 200 || ping.body["type"] != "ping" {
		t.Fatalf("test = %d %s", ping.status, ping.raw)
	}
	ds := e.get(t, p+"/"+id+"/deliveries?status=pending", c)
	rows, _ := ds.body["data"].([]any)
	if ds.status != 200 || len(rows) != 1 {
		t.Fatalf("deliveries = %d %s", ds.status, ds.raw)
	}
	d := rows[0].(map[string]any)
	if d["event_id"] != ping.body["id"] || d["status"] != "pending" || len(d["attempts"].([]any)) != 0 {
		t.Errorf("delivery = %v", d)
	}
	if ds := e.get(t, p+"/"+id+"/deliveries?status=dead", c); len(ds.body["data"].([]any)) != 0 {
		t.Errorf("dead deliveries = %s", ds.raw)
	}
	if rt := e.post(t, p+"/"+id+"/deliveries/"+str(d["id"])+"/retry", c, nil); rt.status != 200 || rt.body["id"] != d["id"] {
		t.Errorf("retry = %d %s", rt.status, rt.raw)
	}
	// Another partner sees none of it.
	other := e.mustPartner(t, "Hooks other")
	for _, path := range []string{p + "/" + id, p + "/" + id + "/secret", p + "/" + id + "/deliveries"} {
		wantError(t, e.get(t, path, other), http.StatusNotFound, partnerd.ECNotFound)
	}
	wantError(t, e.post(t, p+"/"+id+"/test", other, nil), http.StatusNotFound, partnerd.ECNotFound)
	wantError(t, e.send(t, http.MethodDelete, p+"/"+id, other, nil, nil), http.StatusNotFound, partnerd.ECNotFound)
	if del := e.send(t, http.MethodDelete, p+"/"+id, c, nil, nil); del.status != http.StatusNoContent {
		t.Errorf("DELETE = %d %s", del.status, del.raw)
	}
	wantError(t, e.get(t, p+"/"+id, c), http.StatusNotFound, partnerd.ECNotFound)
}

// TestWebhookEndpointsValidate gets 400 naming each bad field.
func TestWebhookEndpointsValidate(t *testing.T) {
	e := sharedEnv(t)
	c := e.mustPartner(t, "Hooks bad")
	const p = base + "/webhook-endpoints"
	for _, tc := range []struct {
		body   any
		fields []string
	}{
		{map[string]any{}, []string{"url"}},
		{map[string]any{"url": "ftp://hooks.example/x"}, []string{"url"}},
		{map[string]any{"url": "https://user:pw@hooks.example/x"}, []string{"url"}},
		{map[string]any{"url": "/relative"}, []string{"url"}},
		{map[string]any{"url": "https://hooks.example:99999/x"}, []string{"url"}},
		{map[string]any{"url": "https://hooks.example:0/x"}, []string{"url"}},
		{map[string]any{"url": "https://hooks.example", "event_types": []string{"balance.nope"}}, []string{"event_types"}},
		{map[string]any{"url": "https://hooks.example", "event_types": "balance.low"}, []string{"event_types"}},
		{map[string]any{"url": 7, "colour": "blue"}, []string{"colour", "url"}},
	} {
		r := e.post(t, p, c, tc.body)
		wantError(t, r, http.StatusBadRequest, partnerd.ECValidation)
		var got []string
		for _, f := range r.body["fields"].([]any) {
			got = append(got, str(f.(map[string]any)["field"]))
		}
		if diff := cmp.Diff(tc.fields, got); diff != "" {
			t.Errorf("%v: fields (-want +got):\n%s", tc.body, diff)
		}
	}
	id := str(e.post(t, p, c, map[string]any{"url": "https://hooks.example/ok"}).body["id"])
	for _, body := range []map[string]any{{"status": "paused"}, {"url": nil}, {"url": "gopher://x"}, {"url": "http://hooks.example:65536/"}} {
		wantError(t, e.doJSON(t, http.MethodPatch, p+"/"+id, c, body, nil), http.StatusBadRequest, partnerd.ECValidation)
	}
	for _, body := range []map[string]any{{"expire_old_in_seconds": -1}, {"expire_old_in_seconds": 604801}, {"expire_old_in_seconds": "60"}} {
		wantError(t, e.post(t, p+"/"+id+"/rotate-secret", c, body), http.StatusBadRequest, partnerd.ECValidation)
	}
	if r := e.post(t, p+"/"+id+"/rotate-secret", c, map[string]any{"expire_old_in_seconds": "60"}); !slices.Equal(fieldCodes(t, r),
		[]fieldCode{{"expire_old_in_seconds", partnerd.FCInvalidType}}) {
		t.Errorf("rotate with a string = %d %s, want invalid_type", r.status, r.raw)
	}
	// Its body may be left out, as test's: the old secret signs for a day.
	before := str(e.get(t, p+"/"+id+"/secret", c).body["secret"])
	if r := e.post(t, p+"/"+id+"/rotate-secret", c, nil); r.status != http.StatusOK || !reSecret.MatchString(str(r.body["secret"])) || r.body["secret"] == before {
		t.Errorf("rotate without a body = %d %s, want 200 with a new secret", r.status, r.raw)
	}
	wantError(t, e.get(t, p+"/"+id+"/deliveries?status=lost", c), http.StatusBadRequest, partnerd.ECValidation)
	// Test and retry take no body or an empty object, held to the rules of
	// every other body (API.md §1).
	ping := e.post(t, p+"/"+id+"/test", c, map[string]any{})
	if ping.status != http.StatusOK {
		t.Fatalf("test with {} = %d %s", ping.status, ping.raw)
	}
	delivery := str(data(t, e.get(t, p+"/"+id+"/deliveries", c))[0]["id"])
	if r := e.post(t, p+"/"+id+"/deliveries/"+delivery+"/retry", c, map[string]any{}); r.status != http.StatusOK {
		t.Errorf("retry with {} = %d %s", r.status, r.raw)
	}
	for _, path := range []string{p + "/" + id + "/test", p + "/" + id + "/deliveries/" + delivery + "/retry"} {
		wantError(t, e.doJSON(t, http.MethodPost, path, c, "hello", map[string]string{"Content-Type": "text/plain"}),
			http.StatusUnsupportedMediaType, partnerd.ECUnsupportedMedia)
		r := e.post(t, path, c, map[string]any{"url": 1})
		wantError(t, r, http.StatusBadRequest, partnerd.ECValidation)
		if got := fieldCodes(t, r); len(got) != 1 || got[0] != (fieldCode{"url", partnerd.FCUnknownField}) {
			t.Errorf("POST %s {\"url\":1}: fields = %v, want url unknown_field", path, got)
		}
		wantError(t, e.doJSON(t, http.MethodPost, path, c, "{", nil), http.StatusBadRequest, partnerd.ECInvalidJSON)
		wantError(t, e.doJSON(t, http.MethodPost, path+"?x=1", c, nil, nil), http.StatusBadRequest, partnerd.ECValidation)
	}
	wantError(t, e.post(t, p+"/"+id+"/deliveries/msgd_999999/retry", c, nil), http.StatusNotFound, partnerd.ECNotFound)
	wantError(t, e.post(t, p+"/"+id+"/deliveries/nope/retry", c, nil), http.StatusNotFound, partnerd.ECNotFound)
	wantError(t, e.get(t, p+"/we_nope", c), http.StatusNotFound, partnerd.ECNotFound)
}
