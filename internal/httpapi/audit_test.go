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
	"github.com/partnerd/partnerd/internal/httpapi"
	"github.com/partnerd/partnerd/internal/pgtest"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

// mutating returns the routes of the server that are not GETs.
func mutating(api *httpapi.Server) []string {
	var out []string
	for _, pattern := range api.Routes() {
		if method, _, _ := strings.Cut(pattern, " "); method != http.MethodGet && method != http.MethodHead {
			out = append(out, pattern)
		}
	}
	return out
}

// TestAuditEveryMutatingRouteDeclaresItsAction fails for a route that can
// change something and says nothing of its audit row: a new route must
// name its action in internal/httpapi/audit.go (or why it has none).
func TestAuditEveryMutatingRouteDeclaresItsAction(t *testing.T) {
	t.Parallel()
	routes := mutating(httpapi.NewServer(httpapi.Config{}))
	if len(routes) < 20 {
		t.Fatalf("only %d mutating routes found: %v", len(routes), routes)
	}
	for _, pattern := range routes {
		if _, ok := httpapi.AuditActions[pattern]; !ok {
			t.Errorf("route %q declares no audit action: add it to auditActions in audit.go", pattern)
		}
	}
	for pattern := range httpapi.AuditActions {
		if !slices.Contains(routes, pattern) {
			t.Errorf("auditActions names %q, which the server does not register (or is a GET)", pattern)
		}
	}
}

// TestAuditRouteWalk drives every mutating route once through HTTP, on
// both engines, and finds its audit row: the declared action, the
// partner as actor, the target, the request's X-Request-ID and
// Idempotency-Key; each request adds exactly one row (the switch's
// none).
func TestAuditRouteWalk(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		runAuditWalk(t, newEnv(t, nil))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		src := sqlstore.Source{Driver: "postgres", DSN: pgtest.FreshDSN(t)}
		e, closeEnv, err := openEnvWith(t.TempDir(), envOptions{src: &src})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(closeEnv)
		runAuditWalk(t, e)
	})
}

func runAuditWalk(t *testing.T, e *testEnv) {
	ctx := context.Background()
	p := e.mustPartner(t, "Audit Walk")
	e.mustFund(t, p, 100_000, nil)
	free := "+912271288001"
	e.mustAddNumber(t, p, free, 1000)
	_, switchToken := e.mustSwitchToken(t)
	deck := []partnerd.Rate{{Direction: partnerd.DirectionOutbound, Prefix: "1", PerMinute: 100, InitialIncrement: 60, SubsequentIncrement: 60}}
	if err := e.db.ReplaceRateDeck(ctx, p.ID, deck); err != nil {
		t.Fatal(err)
	}

	// Ids made along the walk, read from the answers.
	var authID, sipID, hookID, deliveryID string
	field := func(name string) func(r reply) string { return func(r reply) string { return str(r.body[name]) } }
	fixed := func(s *string) func(reply) string { return func(reply) string { return *s } }
	acct := func(rest string) func() string { return func() string { return base + "/accounts/" + authID + rest } }
	hook := func(rest string) func() string {
		return func() string { return base + "/webhook-endpoints/" + hookID + rest }
	}
	const a, h = base + "/accounts/{customer_auth_id}", base + "/webhook-endpoints/{endpoint_id}"
	steps := []struct {
		pattern string
		path    func() string
		body    any
		target  func(r reply) string
	}{
		{"POST " + base + "/accounts", func() string { return base + "/accounts" },
			validAccount("Walked", fmt.Sprintf("walked-%d@audit.example", partnerSeq.Add(1))), field("auth_id")},
		{"PATCH " + a, acct(""), map[string]any{"name": "Walked Again"}, fixed(&authID)},
		{"POST " + a + "/suspend", acct("/suspend"), map[string]any{}, fixed(&authID)},
		{"POST " + a + "/activate", acct("/activate"), map[string]any{}, fixed(&authID)},
		{"POST " + a + "/rotate-token", acct("/rotate-token"), map[string]any{}, fixed(&authID)},
		{"POST " + a + "/transfer-balance", acct("/transfer-balance"), map[string]any{"amount": "300.00"}, field("transaction_id")},
		{"POST " + a + "/withdraw-balance", acct("/withdraw-balance"), map[string]any{"amount": "1.00"}, field("transaction_id")},
		{"POST " + a + "/numbers", acct("/numbers"), map[string]any{"number": free}, func(reply) string { return free }},
		{"DELETE " + a + "/numbers/{number}", acct("/numbers/%2B912271288001"), nil, func(reply) string { return free }},
		{"PUT " + a + "/auto-topup", acct("/auto-topup"), map[string]any{"enabled": true, "threshold": "10.00", "target_balance": "50.00",
			"max_per_day": "100.00", "max_per_month": "1000.00", "max_count_per_day": 3}, fixed(&authID)},
		{"DELETE " + a + "/auto-topup", acct("/auto-topup"), nil, fixed(&authID)},
		{"POST " + a + "/sip-endpoints", acct("/sip-endpoints"),
			map[string]any{"username": sipUsername("walked"), "password": "SecurePass@123"}, field("endpoint_id")},
		{"POST " + a + "/sip-endpoints/{endpoint_id}/password", func() string { return acct("/sip-endpoints/" + sipID + "/password")() },
			map[string]any{"password": "N3w-secret!"}, fixed(&sipID)},
		{"DELETE " + a + "/sip-endpoints/{endpoint_id}", func() string { return acct("/sip-endpoints/" + sipID)() }, nil, fixed(&sipID)},
		{"POST " + base + "/webhook-endpoints", func() string { return base + "/webhook-endpoints" },
			map[string]any{"url": "https://hooks.walk.example/in"}, field("id")},
		{"PATCH " + h, hook(""), map[string]any{"description": "walked"}, fixed(&hookID)},
		{"POST " + h + "/rotate-secret", hook("/rotate-secret"), map[string]any{"expire_old_in_seconds": 0}, fixed(&hookID)},
		{"POST " + h + "/test", hook("/test"), map[string]any{}, fixed(&hookID)},
		{"POST " + h + "/deliveries/{delivery_id}/retry", func() string { return hook("/deliveries/" + deliveryID + "/retry")() },
			map[string]any{}, fixed(&deliveryID)},
		{"DELETE " + h, hook(""), nil, fixed(&hookID)},
		{"POST " + a + "/close", acct("/close"), map[string]any{}, fixed(&authID)},
		// The switch's requests record nothing.
		{"POST /api/v1/switch/authorize", func() string { return "/api/v1/switch/authorize" }, nil, nil},
		{"POST /api/v1/switch/cdrs", func() string { return "/api/v1/switch/cdrs" }, nil, nil},
	}
	walked := map[string]bool{}
	for i, st := range steps {
		walked[st.pattern] = true
		action, declared := httpapi.AuditActions[st.pattern]
		if !declared {
			t.Errorf("step %s: the route declares no audit action", st.pattern)
			continue
		}
		method, _, _ := strings.Cut(st.pattern, " ")
		reqID := fmt.Sprintf("req_walk_%d", i)
		hdr := map[string]string{"X-Request-ID": reqID}
		key := ""
		if method == http.MethodPost {
			key = fmt.Sprintf("walk-key-%d", i)
			hdr["Idempotency-Key"] = key
		}
		before := auditTotal(t, e)
		var r reply
		switch st.pattern {
		case "POST /api/v1/switch/authorize":
			r = e.doJSON(t, method, st.path(), noCreds, map[string]any{"call_uuid": "walk-call", "direction": "outbound",
				"from": "+912271260000", "to": "+15551234567", "account_auth_id": authID}, bearer(switchToken))
		case "POST /api/v1/switch/cdrs":
			r = e.doJSON(t, method, st.path(), noCreds, cdrBody("walk-call", authID, 30), bearer(switchToken))
		default:
			r = e.send(t, method, st.path(), p, st.body, hdr) // a DELETE answers 204 without a body
		}
		if r.status >= 300 {
			t.Fatalf("%s: %d %s", st.pattern, r.status, r.raw)
		}
		switch st.pattern {
		case "POST " + base + "/accounts":
			authID = str(r.body["auth_id"])
		case "POST " + a + "/sip-endpoints":
			sipID = str(r.body["endpoint_id"])
		case "POST " + base + "/webhook-endpoints":
			hookID = str(r.body["id"])
		case "POST " + h + "/test":
			ds, _, err := e.db.WebhookDeliveries(ctx, p.ID, hookID, partnerd.DeliveryFilter{Page: partnerd.Page{Page: 1, Size: 1}})
			if err != nil || len(ds) == 0 {
				t.Fatalf("the test ping's delivery: %v, %v", ds, err)
			}
			deliveryID = ds[0].ID
		}
		after := auditTotal(t, e)
		if action == "" {
			if after != before {
				t.Errorf("%s: %d audit rows added, want none", st.pattern, after-before)
			}
			continue
		}
		if after != before+1 {
			t.Errorf("%s: %d audit rows added, want 1", st.pattern, after-before)
		}
		// The partner reads its newest row through its own API.
		rows := data(t, e.get(t, base+"/audit-events?size=1", p))
		if len(rows) != 1 {
			t.Fatalf("%s: GET /audit-events has %d rows", st.pattern, len(rows))
		}
		row := rows[0]
		actor, _ := row["actor"].(map[string]any)
		got := fmt.Sprintf("actor=%s/%s action=%s target=%s request_id=%v idempotency_key=%v outcome=%s",
			str(actor["kind"]), str(actor["id"]), str(row["action"]), str(row["target"]), row["request_id"], row["idempotency_key"], str(row["outcome"]))
		wantKey := any(nil)
		if key != "" {
			wantKey = key
		}
		want := fmt.Sprintf("actor=partner/%s action=%s target=%s request_id=%v idempotency_key=%v outcome=ok",
			p.ID, action, st.target(r), reqID, wantKey)
		if got != want {
			t.Errorf("%s: newest audit row\n got %s\nwant %s", st.pattern, got, want)
		}
		if st.target(r) == "" {
			t.Errorf("%s: no target in the answer %s", st.pattern, r.raw)
		}
	}
	for _, pattern := range mutating(e.api) {
		if !walked[pattern] {
			t.Errorf("route %q is not walked: add a step for it", pattern)
		}
	}
	// The account filter finds the customer's rows, the action filter its one close.
	if rows := data(t, e.get(t, base+"/audit-events?action=account.close&account="+authID, p)); len(rows) != 1 {
		t.Errorf("?action=account.close&account=%s: %d rows, want 1", authID, len(rows))
	}
}

// auditTotal is how many audit rows the database holds.
func auditTotal(t *testing.T, e *testEnv) int {
	t.Helper()
	_, total, err := e.db.AuditLog(context.Background(), partnerd.AuditFilter{Page: partnerd.Page{Page: 1, Size: 1}})
	if err != nil {
		t.Fatal(err)
	}
	return total
}

// TestAuditListQuery checks GET /audit-events' parameters: bad ones are
// 400 naming the field; another partner's customer matches nothing.
func TestAuditListQuery(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	p := e.mustPartner(t, "Audit Query")
	other := e.mustPartner(t, "Audit Other")
	theirs := str(e.mustCreateAccount(t, other, validAccount("Theirs", fmt.Sprintf("theirs-%d@audit.example", partnerSeq.Add(1))))["auth_id"])
	for _, tc := range []struct{ query, field string }{
		{"action=Account.Create", "action"},
		{"action=account", "action"},
		{"account=PA_12345678", "account"},
		{"from_date=2026-13-01", "from_date"},
		{"from_date=2026-03-02&to_date=2026-03-01", "to_date"},
		{"size=101", "size"},
		{"colour=blue", "colour"},
	} {
		r := e.get(t, base+"/audit-events?"+tc.query, p)
		wantError(t, r, http.StatusBadRequest, partnerd.ECValidation)
		if fc := fieldCodes(t, r); len(fc) != 1 || fc[0].Field != tc.field {
			t.Errorf("?%s: fields %+v, want one on %s", tc.query, fc, tc.field)
		}
	}
	if rows := data(t, e.get(t, base+"/audit-events?account="+theirs, p)); len(rows) != 0 {
		t.Errorf("another partner's customer: %d rows, want none", len(rows))
	}
	if rows := data(t, e.get(t, base+"/audit-events?account="+theirs, other)); len(rows) != 1 {
		t.Errorf("its own customer: %d rows, want 1 (account.create)", len(rows))
	}
}

// TestAuditHoldsNoSecret makes every change that creates or shows a
// secret (customer tokens, SIP passwords, webhook signing secrets, their
// rotations) and searches every audit row, whole, for any of them, on
// both engines.
func TestAuditHoldsNoSecret(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, nil)
		checkAuditSecrets(t, e, "sqlite", e.dbPath)
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
		checkAuditSecrets(t, e, "pgx", dsn)
	})
}

func checkAuditSecrets(t *testing.T, e *testEnv, driver, dsn string) {
	p := e.mustPartner(t, "Secretive")
	secrets := []string{p.Token}
	passwords := []string{"Str0ng!pass", "SecurePass@123", "N3w-secret!"}
	secrets = append(secrets, passwords...)
	for i := range 3 {
		a := e.mustCreateAccount(t, p, validAccount("Secret Keeper", fmt.Sprintf("keeper-%d@audit.example", partnerSeq.Add(1))))
		id := str(a["auth_id"])
		secrets = append(secrets, str(a["auth_token"]))
		r := e.post(t, accountPath(id, "rotate-token"), p, map[string]any{})
		secrets = append(secrets, str(r.body["auth_token"]))
		ep := e.mustEndpoint(t, p, id, map[string]any{"username": sipUsername("keeper"), "password": passwords[1]})
		if r := e.post(t, accountPath(id, "sip-endpoints/"+str(ep["endpoint_id"])+"/password"), p,
			map[string]any{"password": passwords[2]}); r.status != http.StatusOK {
			t.Fatalf("SIP password = %d %s", r.status, r.raw)
		}
		hook := e.post(t, base+"/webhook-endpoints", p, map[string]any{"url": fmt.Sprintf("https://hooks.keeper.example/%d", i)})
		if hook.status != http.StatusCreated {
			t.Fatalf("webhook create = %d %s", hook.status, hook.raw)
		}
		secrets = append(secrets, str(hook.body["secret"]))
		rot := e.post(t, base+"/webhook-endpoints/"+str(hook.body["id"])+"/rotate-secret", p, map[string]any{"expire_old_in_seconds": 60})
		secrets = append(secrets, str(rot.body["secret"]))
	}
	for _, s := range secrets {
		if len(s) < 8 {
			t.Fatalf("secret %q too short to search for: the answers changed shape", s)
		}
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT * FROM audit_events`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	n := 0
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		text := fmt.Sprintf("%s", vals)
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("audit row %s holds a secret", text)
			}
		}
		n++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n < 3*6 {
		t.Errorf("%d audit rows searched, want at least 18", n)
	}
}
