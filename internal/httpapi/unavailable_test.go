package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/pgtest"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

// TestDatabaseUnavailable: while the database refuses connections, the
// API answers 503 unavailable with Retry-After (to be retried, as the
// client and partnerctl do), never 500; once it takes them again, 200.
func TestDatabaseUnavailable(t *testing.T) {
	t.Parallel()
	dsn := pgtest.FreshDSN(t)
	src := sqlstore.Source{Driver: "postgres", DSN: dsn}
	e, closeEnv, err := openEnvWith(t.TempDir(), envOptions{src: &src})
	if err != nil {
		t.Fatal(err)
	}
	defer closeEnv()
	p := e.mustPartner(t, "Unavailable")
	if r := e.get(t, base+"/me", p); r.status != http.StatusOK {
		t.Fatalf("GET /me = %d %s", r.status, r.raw)
	}
	c, acct := e.mustCustomer(t, "UnavailableWriter")
	pgtest.Refuse(t, dsn, true)
	// A write (credentials checked a moment ago, so remembered): the
	// writer's connection was cut.
	r := e.send(t, http.MethodPost, base+"/accounts/"+acct+"/transfer-balance", c, map[string]any{"amount": 1}, nil)
	if r.status != http.StatusServiceUnavailable || str(r.body["error"]) != partnerd.ECUnavailable || r.header.Get("Retry-After") == "" {
		t.Errorf("a transfer with the database refusing connections = %d %s (Retry-After %q), want 503 unavailable with Retry-After",
			r.status, r.raw, r.header.Get("Retry-After"))
	}
	// Credentials the server has not seen: their check needs the database.
	r = e.send(t, http.MethodGet, base+"/me", creds{"PA_NOTSEEN1", "sk_live_nothing"}, nil, nil)
	if r.status != http.StatusServiceUnavailable || str(r.body["error"]) != partnerd.ECUnavailable || r.header.Get("Retry-After") == "" {
		t.Errorf("GET /me with the database refusing connections = %d %s (Retry-After %q), want 503 unavailable with Retry-After",
			r.status, r.raw, r.header.Get("Retry-After"))
	}
	pgtest.Refuse(t, dsn, false)
	if r := e.get(t, base+"/me", p); r.status != http.StatusOK {
		t.Errorf("GET /me once the database is back = %d %s", r.status, r.raw)
	}
}
