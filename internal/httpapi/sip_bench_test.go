package httpapi_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/httpapi"
	"github.com/partnerd/partnerd/internal/pgtest"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

// BenchmarkSIPCredentials measures the switch's credential lookup as
// BenchmarkReadPath measures the balance read, with the same load driver:
// 64 keep-alive connections send GET /api/v1/switch/sip-credentials/{u}
// with a switch token to the real server (SQLite, and PostgreSQL when
// PARTNERD_TEST_POSTGRES is set), alternately with a bare net/http handler
// answering a body of the same size. The goal (issue 10) is
// sip-ratio ≥ 0.5.
//
//	go test -run '^$' -bench SIPCredentials -benchtime 100000x ./internal/httpapi/
func BenchmarkSIPCredentials(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) {
		db := mustOpenStore(b, sqlstore.Source{Driver: "sqlite", Path: filepath.Join(b.TempDir(), "p.db")})
		benchSIPCredentials(b, db)
	})
	b.Run("postgres", func(b *testing.B) {
		dsn := pgtest.FreshDSN(b)
		db := mustOpenStore(b, sqlstore.Source{Driver: "postgres", DSN: dsn})
		benchSIPCredentials(b, db)
	})
}

func benchSIPCredentials(b *testing.B, db *sqlstore.DB) {
	ctx := context.Background()
	p, _, err := db.CreatePartner(ctx, partnerd.PartnerInput{Name: "Load", Email: "ops@load.example"})
	if err != nil {
		b.Fatal(err)
	}
	a, err := db.CreateAccount(ctx, p.ID, partnerd.AccountInput{
		Name: "Credresolve", Email: "admin@credresolve.com", Password: "SecurePass@123", Phone: "9431538535", Country: "IN",
	})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := db.CreateSIPEndpoint(ctx, p.ID, a.AuthID, partnerd.DefaultSIPRealm,
		partnerd.SIPEndpointInput{Username: "desk100", Password: "SecurePass@123"}); err != nil {
		b.Fatal(err)
	}
	_, token, err := db.CreateSwitchToken(ctx, partnerd.SwitchTokenInput{})
	if err != nil {
		b.Fatal(err)
	}
	real := newBenchServer(b, httpapi.Config{
		Accounts: db, Partners: db, Ledger: db, Idempotency: db, Switches: db, SIP: db, Ping: db.Ping,
	})
	bareBody := []byte(`{"username":"desk100","realm":"partnerd.local","ha1":"939e7578ed9e3c518a452acee763bce9",` +
		`"ha1_sha256":"7987c64c30e25f1b74be53f966b49b90f2808aa92faf9a00262392d7b4794232","account_auth_id":"MA_48149cf4","endpoint_id":"EP_ABCDEFGH"}` + "\n")
	runAgainstBare(b, real, bareBody, "/api/v1/switch/sip-credentials/desk100", "Authorization: Bearer "+token+"\r\n", "sip")
}
