package httpapi_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
)

// TestEventsOverHTTP reads the events of an account's creation and a
// transfer through GET /events and GET /events/{id}: the transfer's event
// carries the transfer response, byte for byte the same fields.
func TestEventsOverHTTP(t *testing.T) {
	e := sharedEnv(t)
	c := e.mustPartner(t, "Events")
	e.mustFund(t, c, 100_000, nil)
	id := str(e.mustCreateAccount(t, c, validAccount("Ev", "ev@events-http.example"))["auth_id"])
	tr := e.post(t, base+"/accounts/"+id+"/transfer-balance", c, map[string]any{"amount": "250.00", "description": "april"})
	if tr.status != http.StatusOK {
		t.Fatalf("transfer = %d %s", tr.status, tr.raw)
	}
	r := e.get(t, base+"/events?size=1", c)
	if r.status != http.StatusOK {
		t.Fatalf("GET /events = %d %s", r.status, r.raw)
	}
	if diff := cmp.Diff(map[string]any{"total": json.Number("2"), "page": json.Number("1"), "size": json.Number("1"),
		"per_page": json.Number("1"), "total_pages": json.Number("2")}, r.body["meta"]); diff != "" {
		t.Errorf("meta (-want +got):\n%s", diff)
	}
	newest := r.body["data"].([]any)[0].(map[string]any)
	if newest["type"] != partnerd.EventBalanceTransferred || newest["account_auth_id"] != id || newest["sequence"] != json.Number("2") ||
		!reTime.MatchString(str(newest["created_at"])) {
		t.Errorf("newest event = %v", newest)
	}
	if diff := cmp.Diff(tr.body, newest["data"]); diff != "" {
		t.Errorf("balance.transferred data differs from the transfer response (-response +data):\n%s", diff)
	}
	one := e.get(t, base+"/events/"+str(newest["id"]), c)
	if one.status != http.StatusOK || !cmp.Equal(one.body, newest) {
		t.Errorf("GET /events/{id} = %d %v, want %v", one.status, one.body, newest)
	}
	r = e.get(t, base+"/events?type=account.created&account="+id, c)
	var list struct {
		Data []struct {
			Type     string         `json:"type"`
			Sequence int64          `json:"sequence"`
			Data     map[string]any `json:"data"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(r.raw), &list); err != nil || len(list.Data) != 1 || list.Data[0].Sequence != 1 ||
		list.Data[0].Data["auth_id"] != id {
		t.Errorf("account.created of %s: %s (%v)", id, r.raw, err)
	}
	// Another partner: not found, and an empty list.
	other := e.mustPartner(t, "Events other")
	wantError(t, e.get(t, base+"/events/"+str(newest["id"]), other), http.StatusNotFound, partnerd.ECNotFound)
	if r := e.get(t, base+"/events", other); r.status != http.StatusOK || len(r.body["data"].([]any)) != 0 {
		t.Errorf("other partner's events: %d %s", r.status, r.raw)
	}
}

// TestEventsBadQuery gets 400 naming the field for each bad parameter.
func TestEventsBadQuery(t *testing.T) {
	e := sharedEnv(t)
	c := e.mustPartner(t, "Events bad")
	for _, tc := range []struct{ query, field string }{
		{"type=balance.nope", "type"},
		{"account=PA_ABCDEFGH", "account"},
		{"from_date=2026-13-01", "from_date"},
		{"from_date=2026-03-02&to_date=2026-03-01", "to_date"},
		{"page=0", "page"},
		{"size=101", "size"},
		{"colour=blue", "colour"},
	} {
		r := e.get(t, base+"/events?"+tc.query, c)
		wantError(t, r, http.StatusBadRequest, partnerd.ECValidation)
		fields, _ := r.body["fields"].([]any)
		if len(fields) != 1 || fields[0].(map[string]any)["field"] != tc.field {
			t.Errorf("?%s: fields %v, want one on %s", tc.query, r.body["fields"], tc.field)
		}
	}
	wantError(t, e.get(t, base+"/events/evt_nope", c), http.StatusNotFound, partnerd.ECNotFound)
	wantError(t, e.get(t, base+"/events/evt_0000000000000000000000000000000a", c), http.StatusNotFound, partnerd.ECNotFound)
}
