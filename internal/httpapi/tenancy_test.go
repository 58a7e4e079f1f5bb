package httpapi_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/pgtest"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

// routeKind is who a route serves, which decides the answers the matrix
// expects.
type routeKind int

const (
	publicRoute   routeKind = iota // no credentials, no data (health)
	partnerRoute                   // X-Auth-ID PA_… and token
	customerRoute                  // X-Auth-ID MA_… and token, the customer's own API
	switchRoute                    // Authorization: Bearer switch token
)

// tenancyRow is how the matrix calls one route against the victim's
// resources.
type tenancyRow struct {
	kind   routeKind
	path   string
	body   any
	scoped bool // the path names a resource of the victim
}

// victim is the foreign partner whose resources the matrix attacks.
type victim struct {
	partner        creds
	oldToken       string // its partner token before a rotation
	authID         string
	customerToken  string
	oldCustomer    string // the customer's token before a rotation
	number, free   string // a DID assigned to the customer, one in the pool
	endpointID     string
	callUUID       string
	webhookID      string   // its webhook endpoint
	eventID        string   // one of its events
	deliveryID     string   // a delivery of that event to its endpoint
	markers        []string // text only the victim's data holds
	switchToken    string
	attacker       creds
	attackerClient creds // a customer of the attacker
}

// tenancyRows is the matrix: one row for every route the server
// registers, keyed by its pattern.
func tenancyRows(v *victim) map[string]tenancyRow {
	const p = base
	acct := p + "/accounts/" + v.authID
	own := "/api/v1/Account/" + v.authID
	hook := p + "/webhook-endpoints/" + v.webhookID
	return map[string]tenancyRow{
		"GET /healthz": {kind: publicRoute, path: "/healthz"},
		"GET /readyz":  {kind: publicRoute, path: "/readyz"},

		"GET /api/v1/openapi.json": {kind: publicRoute, path: "/api/v1/openapi.json"},

		"GET " + p + "/me":              {kind: partnerRoute, path: p + "/me"},
		"GET " + p + "/me/transactions": {kind: partnerRoute, path: p + "/me/transactions"},
		"POST " + p + "/accounts": {kind: partnerRoute, path: p + "/accounts",
			body: validAccount("Intruder", fmt.Sprintf("intruder-%d@tenancy.example", partnerSeq.Add(1)))},
		"GET " + p + "/accounts":                                  {kind: partnerRoute, path: p + "/accounts"},
		"GET " + p + "/accounts/{customer_auth_id}":               {kind: partnerRoute, path: acct, scoped: true},
		"PATCH " + p + "/accounts/{customer_auth_id}":             {kind: partnerRoute, path: acct, scoped: true, body: map[string]any{"name": "Hijacked"}},
		"GET " + p + "/accounts/{customer_auth_id}/balance":       {kind: partnerRoute, path: acct + "/balance", scoped: true},
		"POST " + p + "/accounts/{customer_auth_id}/suspend":      {kind: partnerRoute, path: acct + "/suspend", scoped: true, body: map[string]any{}},
		"POST " + p + "/accounts/{customer_auth_id}/activate":     {kind: partnerRoute, path: acct + "/activate", scoped: true, body: map[string]any{}},
		"POST " + p + "/accounts/{customer_auth_id}/close":        {kind: partnerRoute, path: acct + "/close", scoped: true, body: map[string]any{}},
		"POST " + p + "/accounts/{customer_auth_id}/rotate-token": {kind: partnerRoute, path: acct + "/rotate-token", scoped: true, body: map[string]any{}},
		"POST " + p + "/accounts/{customer_auth_id}/transfer-balance": {kind: partnerRoute, path: acct + "/transfer-balance", scoped: true,
			body: map[string]any{"amount": "1.00"}},
		"POST " + p + "/accounts/{customer_auth_id}/withdraw-balance": {kind: partnerRoute, path: acct + "/withdraw-balance", scoped: true,
			body: map[string]any{"amount": "1.00"}},
		"GET " + p + "/accounts/{customer_auth_id}/transactions": {kind: partnerRoute, path: acct + "/transactions", scoped: true},
		"GET " + p + "/transactions":                             {kind: partnerRoute, path: p + "/transactions"},
		"POST " + p + "/accounts/{customer_auth_id}/numbers": {kind: partnerRoute, path: acct + "/numbers", scoped: true,
			body: map[string]any{"number": v.free}},
		"GET " + p + "/accounts/{customer_auth_id}/numbers":             {kind: partnerRoute, path: acct + "/numbers", scoped: true},
		"DELETE " + p + "/accounts/{customer_auth_id}/numbers/{number}": {kind: partnerRoute, path: acct + "/numbers/" + strings.ReplaceAll(v.number, "+", "%2B"), scoped: true},
		"GET " + p + "/numbers":                                         {kind: partnerRoute, path: p + "/numbers"},
		"GET " + p + "/rates":                                           {kind: partnerRoute, path: p + "/rates"},
		"GET " + p + "/accounts/{customer_auth_id}/cdrs":                {kind: partnerRoute, path: acct + "/cdrs", scoped: true},
		"GET " + p + "/accounts/{customer_auth_id}/cdrs/{call_uuid}":    {kind: partnerRoute, path: acct + "/cdrs/" + v.callUUID, scoped: true},
		"GET " + p + "/cdrs":                                            {kind: partnerRoute, path: p + "/cdrs?start_date=2026-03-01&end_date=2026-03-31"},
		"GET " + p + "/dashboard":                                       {kind: partnerRoute, path: p + "/dashboard"},
		"GET " + p + "/analytics":                                       {kind: partnerRoute, path: p + "/analytics?from_date=2026-03-01&to_date=2026-03-31"},
		"POST " + p + "/accounts/{customer_auth_id}/sip-endpoints": {kind: partnerRoute, path: acct + "/sip-endpoints", scoped: true,
			body: map[string]any{"username": sipUsername("intruder"), "password": "SecurePass@123"}},
		"GET " + p + "/accounts/{customer_auth_id}/sip-endpoints":                  {kind: partnerRoute, path: acct + "/sip-endpoints", scoped: true},
		"GET " + p + "/accounts/{customer_auth_id}/sip-endpoints/{endpoint_id}":    {kind: partnerRoute, path: acct + "/sip-endpoints/" + v.endpointID, scoped: true},
		"DELETE " + p + "/accounts/{customer_auth_id}/sip-endpoints/{endpoint_id}": {kind: partnerRoute, path: acct + "/sip-endpoints/" + v.endpointID, scoped: true},
		"POST " + p + "/accounts/{customer_auth_id}/sip-endpoints/{endpoint_id}/password": {kind: partnerRoute,
			path: acct + "/sip-endpoints/" + v.endpointID + "/password", scoped: true, body: map[string]any{"password": "N3w-secret!"}},

		"GET /api/v1/switch/sip-credentials/{username}": {kind: switchRoute, path: "/api/v1/switch/sip-credentials/victim-phone"},
		"POST /api/v1/switch/authorize": {kind: switchRoute, path: "/api/v1/switch/authorize", body: map[string]any{
			"call_uuid": "intruder-call", "direction": "outbound", "from": "+912271260000", "to": "+15551234567", "account_auth_id": v.authID}},
		"POST /api/v1/switch/cdrs": {kind: switchRoute, path: "/api/v1/switch/cdrs", body: cdrBody("intruder-cdr", v.authID, 60)},

		"GET " + p + "/events":            {kind: partnerRoute, path: p + "/events"},
		"GET " + p + "/events/{event_id}": {kind: partnerRoute, path: p + "/events/" + v.eventID, scoped: true},
		// Filtered on the victim's customer: another partner gets an empty page.
		"GET " + p + "/audit-events": {kind: partnerRoute, path: p + "/audit-events?account=" + v.authID},
		"PUT " + p + "/accounts/{customer_auth_id}/auto-topup": {kind: partnerRoute, path: acct + "/auto-topup", scoped: true,
			body: map[string]any{"enabled": true, "threshold": "10.00", "target_balance": "50.00", "max_per_day": "100.00",
				"max_per_month": "1000.00", "max_count_per_day": 3}},
		"GET " + p + "/accounts/{customer_auth_id}/auto-topup":    {kind: partnerRoute, path: acct + "/auto-topup", scoped: true},
		"DELETE " + p + "/accounts/{customer_auth_id}/auto-topup": {kind: partnerRoute, path: acct + "/auto-topup", scoped: true},
		"POST " + p + "/webhook-endpoints": {kind: partnerRoute, path: p + "/webhook-endpoints",
			body: map[string]any{"url": "https://hooks.attacker.example/in"}},
		"GET " + p + "/webhook-endpoints":                                               {kind: partnerRoute, path: p + "/webhook-endpoints"},
		"GET " + p + "/webhook-endpoints/{endpoint_id}":                                 {kind: partnerRoute, path: hook, scoped: true},
		"PATCH " + p + "/webhook-endpoints/{endpoint_id}":                               {kind: partnerRoute, path: hook, scoped: true, body: map[string]any{"description": "hijacked"}},
		"DELETE " + p + "/webhook-endpoints/{endpoint_id}":                              {kind: partnerRoute, path: hook, scoped: true},
		"GET " + p + "/webhook-endpoints/{endpoint_id}/secret":                          {kind: partnerRoute, path: hook + "/secret", scoped: true},
		"POST " + p + "/webhook-endpoints/{endpoint_id}/rotate-secret":                  {kind: partnerRoute, path: hook + "/rotate-secret", scoped: true, body: map[string]any{"expire_old_in_seconds": 0}},
		"POST " + p + "/webhook-endpoints/{endpoint_id}/test":                           {kind: partnerRoute, path: hook + "/test", scoped: true, body: map[string]any{}},
		"GET " + p + "/webhook-endpoints/{endpoint_id}/deliveries":                      {kind: partnerRoute, path: hook + "/deliveries", scoped: true},
		"POST " + p + "/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/retry": {kind: partnerRoute, path: hook + "/deliveries/" + v.deliveryID + "/retry", scoped: true, body: map[string]any{}},

		"GET /api/v1/Account/{auth_id}":               {kind: customerRoute, path: own},
		"GET /api/v1/Account/{auth_id}/{$}":           {kind: customerRoute, path: own + "/"},
		"GET /api/v1/Account/{auth_id}/balance":       {kind: customerRoute, path: own + "/balance"},
		"GET /api/v1/Account/{auth_id}/transactions":  {kind: customerRoute, path: own + "/transactions"},
		"GET /api/v1/Account/{auth_id}/cdrs":          {kind: customerRoute, path: own + "/cdrs?start_date=2026-03-01&end_date=2026-03-31"},
		"GET /api/v1/Account/{auth_id}/numbers":       {kind: customerRoute, path: own + "/numbers"},
		"GET /api/v1/Account/{auth_id}/sip-endpoints": {kind: customerRoute, path: own + "/sip-endpoints"},
	}
}

// attempt is one kind of wrong credentials.
type attempt struct {
	name string
	c    creds
	hdr  map[string]string
}

// TestTenancyMatrix tries every route the server registers with another
// partner's credentials, another customer's, a switch token, rotated
// tokens and none, against a foreign partner's resources: every answer is
// 401 or 404 as API.md says (or, for a route that names nothing of the
// victim's, the caller's own data), never the victim's data, and the
// victim's account and ledger rows are the same afterwards.
func TestTenancyMatrix(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, nil)
		runTenancyMatrix(t, e, "sqlite", e.dbPath)
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		dsn := pgtest.FreshDSN(t)
		src := sqlstore.Source{Driver: "postgres", DSN: dsn}
		e, closeEnv, err := openEnvWith(t.TempDir(), envOptions{src: &src})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(closeEnv)
		runTenancyMatrix(t, e, "pgx", dsn)
	})
}

func runTenancyMatrix(t *testing.T, e *testEnv, driver, dsn string) {
	v := mustVictim(t, e)
	rows := tenancyRows(v)
	routes := e.api.Routes()
	for _, pattern := range routes {
		if _, ok := rows[pattern]; !ok {
			t.Errorf("route %q has no row in the tenancy matrix: add one", pattern)
		}
	}
	for pattern := range rows {
		if !slices.Contains(routes, pattern) {
			t.Errorf("the tenancy matrix has a row for %q, which the server does not register", pattern)
		}
	}
	attempts := []attempt{
		{"another partner", v.attacker, nil},
		{"another customer", v.attackerClient, nil},
		{"a switch token", noCreds, bearer(v.switchToken)},
		{"a rotated partner token", creds{v.partner.ID, v.oldToken}, nil},
		{"a rotated customer token", creds{v.authID, v.oldCustomer}, nil},
		{"no credentials", noCreds, nil},
	}
	before := snapshot(t, driver, dsn, v)
	for _, pattern := range routes {
		row, ok := rows[pattern]
		if !ok {
			continue
		}
		method, _, _ := strings.Cut(pattern, " ")
		for _, a := range attempts {
			if row.kind == switchRoute && a.name == "a switch token" {
				continue // the switch serves every partner: its own answers are tested in switch_test.go
			}
			r := e.send(t, method, row.path, a.c, row.body, a.hdr)
			what := fmt.Sprintf("%s with %s", pattern, a.name)
			if r.status >= 500 {
				t.Errorf("%s: %d, want no 5xx; body: %s", what, r.status, r.raw)
			}
			for _, m := range v.markers {
				if strings.Contains(r.raw, m) {
					t.Errorf("%s: the answer shows the victim's %q: %s", what, m, r.raw)
				}
			}
			want := wantTenancy(row, a)
			switch {
			case want == 0: // the caller's own view: any answer without the victim's data
			case r.status != want:
				t.Errorf("%s: %d, want %d; body: %s", what, r.status, want, r.raw)
			case want == http.StatusNotFound && !slices.Contains([]string{partnerd.ECAccountNotFound, partnerd.ECNotFound}, str(r.body["error"])):
				t.Errorf("%s: error %q, want account_not_found or not_found", what, r.body["error"])
			}
		}
	}
	if after := snapshot(t, driver, dsn, v); after != before {
		t.Errorf("the victim's rows changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// wantTenancy is the status API.md gives row's route for attempt a; 0
// when the route names nothing of the victim's and answers the caller
// with the caller's own data (or its own refusal of the body).
func wantTenancy(row tenancyRow, a attempt) int {
	switch row.kind {
	case publicRoute:
		return http.StatusOK
	case partnerRoute:
		if a.name == "another partner" {
			if row.scoped {
				return http.StatusNotFound
			}
			return 0
		}
		return http.StatusUnauthorized
	case customerRoute:
		if a.name == "another customer" {
			return http.StatusNotFound
		}
		return http.StatusUnauthorized
	}
	return http.StatusUnauthorized // switchRoute
}

// mustVictim sets up the victim partner with a customer holding money, a
// number, a SIP endpoint and a call; rotated tokens; an attacker partner
// with a customer of its own; and a switch token.
func mustVictim(t *testing.T, e *testEnv) *victim {
	t.Helper()
	ctx := context.Background()
	v := &victim{}
	p, token, err := e.db.CreatePartner(ctx, partnerd.PartnerInput{Name: "Victim Telecom", Email: "noc@victim-telecom.example"})
	if err != nil {
		t.Fatal(err)
	}
	v.oldToken = token
	fresh, err := e.db.RotatePartnerToken(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	e.api.ForgetCredentials(p.ID)
	v.partner = creds{p.ID, fresh}
	// A webhook endpoint first, so that the victim's events are delivered
	// to it (no dispatcher runs here: the deliveries stay pending).
	victimURL := "https://hooks.victim-telecom.example/partnerd"
	hookEP, err := e.db.CreateWebhookEndpoint(ctx, p.ID, partnerd.WebhookEndpointInput{URL: victimURL})
	if err != nil {
		t.Fatal(err)
	}
	v.webhookID = hookEP.ID
	a := e.mustCreateAccount(t, v.partner, validAccount("Victimized Customer", "secret-victim@victim-telecom.example"))
	v.authID, v.oldCustomer = str(a["auth_id"]), str(a["auth_token"])
	r := e.post(t, accountPath(v.authID, "rotate-token"), v.partner, map[string]any{})
	v.customerToken = str(r.body["auth_token"])
	e.mustFund(t, v.partner, 50_000, nil)
	if _, err := e.db.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: v.authID, Amount: 20_000}); err != nil {
		t.Fatal(err)
	}
	deck := []partnerd.Rate{{Direction: partnerd.DirectionOutbound, Prefix: "1", PerMinute: 100, InitialIncrement: 60, SubsequentIncrement: 60}}
	if err := e.db.ReplaceRateDeck(ctx, p.ID, deck); err != nil {
		t.Fatal(err)
	}
	v.number, v.free = "+912271289001", "+912271289002"
	e.mustAddNumber(t, v.partner, v.number, 1000)
	e.mustAddNumber(t, v.partner, v.free, 1000)
	if r := e.post(t, accountPath(v.authID, "numbers"), v.partner, map[string]any{"number": v.number}); r.status != http.StatusCreated {
		t.Fatalf("assign = %d %s", r.status, r.raw)
	}
	ep := e.mustEndpoint(t, v.partner, v.authID, map[string]any{"username": "victim-phone", "password": "SecurePass@123", "alias": "victim-desk"})
	v.endpointID = str(ep["endpoint_id"])
	_, v.switchToken = e.mustSwitchToken(t)
	v.callUUID = "victim-call-1"
	call := cdrBody(v.callUUID, v.authID, 90)
	call["to_number"] = "+15559871234"
	results(t, e.switchPost(t, "/cdrs", v.switchToken, call))

	if _, err := e.db.SetAutoTopup(ctx, p.ID, v.authID, partnerd.AutoTopupInput{Enabled: true, Threshold: 5_00, TargetBalance: 20_00,
		MaxPerDay: 100_00, MaxPerMonth: 1000_00, MaxCountPerDay: 2}); err != nil {
		t.Fatal(err)
	}
	ds, _, err := e.db.WebhookDeliveries(ctx, p.ID, v.webhookID, partnerd.DeliveryFilter{Page: partnerd.Page{Page: 1, Size: 1}})
	if err != nil || len(ds) == 0 {
		t.Fatalf("the victim's deliveries: %v, %v", ds, err)
	}
	v.deliveryID, v.eventID = ds[0].ID, ds[0].EventID

	ap, atoken, err := e.db.CreatePartner(ctx, partnerd.PartnerInput{Name: "Attacker", Email: "ops@attacker.example"})
	if err != nil {
		t.Fatal(err)
	}
	v.attacker = creds{ap.ID, atoken}
	ac := e.mustCreateAccount(t, v.attacker, validAccount("Attacker Customer", "client@attacker.example"))
	v.attackerClient = creds{str(ac["auth_id"]), str(ac["auth_token"])}
	v.markers = []string{"Victim Telecom", "victim-telecom.example", "Victimized Customer", "victim-desk", "+15559871234",
		v.oldToken, fresh, v.oldCustomer, v.customerToken, "200.00", "90.00", victimURL, hookEP.Secret}
	return v
}

// snapshot renders the victim's rows (its partner and wallets, its
// customer, numbers, endpoints, calls) and the whole ledger.
func snapshot(t *testing.T, driver, dsn string, v *victim) string {
	t.Helper()
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// The ids are generated (PA_, MA_ and digits), so they are safe as
	// literals, which spares the engines' placeholder differences.
	pid, aid := "'"+v.partner.ID+"'", "'"+v.authID+"'"
	var b strings.Builder
	for _, q := range []string{
		`SELECT * FROM partners WHERE id = ` + pid,
		`SELECT * FROM accounts WHERE partner_id = ` + pid + ` ORDER BY seq`,
		`SELECT * FROM wallets WHERE id IN (` + pid + `, ` + aid + `) ORDER BY id`,
		`SELECT * FROM ledger_transactions ORDER BY seq`,
		`SELECT * FROM ledger_entries ORDER BY seq`,
		`SELECT * FROM numbers WHERE partner_id = ` + pid + ` ORDER BY seq`,
		`SELECT * FROM sip_endpoints WHERE account_id = ` + aid + ` ORDER BY seq`,
		`SELECT * FROM authorizations ORDER BY call_uuid`,
		`SELECT * FROM cdrs ORDER BY seq`,
		`SELECT * FROM webhook_endpoints WHERE partner_id = ` + pid + ` ORDER BY seq`,
		`SELECT * FROM webhook_deliveries WHERE partner_id = ` + pid + ` ORDER BY seq`,
		`SELECT * FROM autotopup_settings WHERE auth_id = ` + aid,
		`SELECT * FROM events WHERE partner_id = ` + pid + ` ORDER BY seq`,
		// A refused attempt on the victim's data records no audit row.
		`SELECT * FROM audit_events WHERE partner_id = ` + pid + ` OR account_auth_id = ` + aid + ` ORDER BY seq`,
	} {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		cols, _ := rows.Columns()
		fmt.Fprintf(&b, "%s\n", q)
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "  %v\n", vals)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	return b.String()
}
