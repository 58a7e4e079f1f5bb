package httpapi_test

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

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
	logFile, err := os.Create(filepath.Join(b.TempDir(), "access.log"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { logFile.Close() })
	real := httpapi.NewServer(httpapi.Config{
		Accounts: db, Partners: db, Ledger: db, Idempotency: db, Switches: db, SIP: db,
		Logger: slog.New(slog.NewJSONHandler(logFile, nil)), AccessLog: logFile, Ping: db.Ping,
	})
	bareBody := []byte(`{"username":"desk100","realm":"partnerd.local","ha1":"939e7578ed9e3c518a452acee763bce9",` +
		`"ha1_sha256":"7987c64c30e25f1b74be53f966b49b90f2808aa92faf9a00262392d7b4794232","account_auth_id":"MA_48149cf4","endpoint_id":"EP_ABCDEFGH"}` + "\n")
	bare := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Write(bareBody)
	})}
	realAddr := mustServe(b, real.HTTPServer(httpapi.HTTPOptions{}))
	bareAddr := mustServe(b, bare)
	const path = "/api/v1/switch/sip-credentials/desk100"
	auth := "Authorization: Bearer " + token + "\r\n"
	realLoad := mustLoader(b, realAddr, []byte("GET "+path+" HTTP/1.1\r\nHost: "+realAddr+"\r\n"+auth+"Accept: application/json\r\n\r\n"))
	bareLoad := mustLoader(b, bareAddr, []byte("GET "+path+" HTTP/1.1\r\nHost: "+bareAddr+"\r\n"+auth+"Accept: application/json\r\n\r\n"))
	bareLoad.mustRun(b, 10*loadConns)
	realLoad.mustRun(b, 10*loadConns)
	b.ResetTimer()
	var bareTime, realTime time.Duration
	for done := 0; done < b.N; done += loadRound {
		n := min(loadRound, b.N-done)
		bareTime += bareLoad.mustRun(b, n)
		realTime += realLoad.mustRun(b, n)
	}
	b.StopTimer()
	bareRate := float64(b.N) / bareTime.Seconds()
	realRate := float64(b.N) / realTime.Seconds()
	b.ReportMetric(bareRate, "bare-req/s")
	b.ReportMetric(realRate, "sip-req/s")
	b.ReportMetric(realRate/bareRate, "sip-ratio")
}
