package client_test

import (
	"context"
	"crypto/rand"
	"io"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/client"
	"github.com/partnerd/partnerd/internal/httpapi"
	"github.com/partnerd/partnerd/internal/pgtest"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

// fullEnv is the whole partner and customer API on a real store.
type fullEnv struct {
	db  *sqlstore.DB
	url string
}

// onEngines runs f against a server on SQLite and one on PostgreSQL
// (skipped without PARTNERD_TEST_POSTGRES, failed under CI=true).
func onEngines(t *testing.T, f func(t *testing.T, e *fullEnv)) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			f(t, newFullEnv(t, driver))
		})
	}
}

// newFullEnv serves every route on a fresh database of driver.
func newFullEnv(t *testing.T, driver string) *fullEnv {
	t.Helper()
	src := sqlstore.Source{Driver: "sqlite", Path: filepath.Join(t.TempDir(), "p.db")}
	if driver == "postgres" {
		src = sqlstore.Source{Driver: "postgres", DSN: pgtest.FreshDSN(t)}
	}
	key := make([]byte, 32)
	rand.Read(key)
	db, err := sqlstore.Open(context.Background(), src, sqlstore.Options{SecretKey: key})
	if err != nil {
		t.Fatalf("sqlstore.Open(%s): %v", driver, err)
	}
	t.Cleanup(func() { db.Close() })
	api := httpapi.NewServer(httpapi.Config{Accounts: db, Lifecycle: db, Partners: db, Ledger: db, Numbers: db,
		Rates: db, Idempotency: db, Switches: db, SIP: db, Calls: db, CDRs: db, Overview: db, Events: db,
		Webhooks: db, AutoTopups: db, Audit: db})
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close) // before the store closes: cleanups run last first
	return &fullEnv{db: db, url: srv.URL}
}

// mustPartner creates a partner in INR with fund minor units in its master
// wallet and returns a client of it, its id and its token.
func (e *fullEnv) mustPartner(t *testing.T, name string, fund int64) (*client.Client, string, string) {
	t.Helper()
	ctx := context.Background()
	p, token, err := e.db.CreatePartner(ctx, partnerd.PartnerInput{Name: name, Email: strings.ToLower(name) + "@partner.example"})
	if err != nil {
		t.Fatalf("CreatePartner(%s): %v", name, err)
	}
	if fund > 0 {
		if _, err := e.db.FundPartner(ctx, p.ID, fund, nil); err != nil {
			t.Fatalf("FundPartner: %v", err)
		}
	}
	return client.New(e.url, p.ID, token), p.ID, token
}

// mustAccount creates a customer through c, with balance minor units
// transferred to it if balance > 0.
func mustAccount(t *testing.T, c *client.Client, name string, balance int64) *partnerd.Account {
	t.Helper()
	ctx := context.Background()
	a, err := c.CreateAccount(ctx, "", partnerd.AccountInput{Name: name, Email: strings.ToLower(name) + "@customer.example",
		Password: "SecurePass@123", Phone: "9431538535", Country: "IN"})
	if err != nil {
		t.Fatalf("CreateAccount(%s): %v", name, err)
	}
	if balance > 0 {
		if _, err := c.Transfer(ctx, "", partnerd.TransferInput{AuthID: a.AuthID, Amount: balance}); err != nil {
			t.Fatalf("Transfer: %v", err)
		}
	}
	return a
}

// readAll reads and closes the stream open returns.
func readAll(t *testing.T, open func() (io.ReadCloser, error)) string {
	t.Helper()
	rc, err := open()
	if err != nil {
		t.Fatalf("opening the stream: %v", err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading the stream: %v", err)
	}
	return string(b)
}

// wantCode fails the test unless err is a server error of code.
func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := partnerd.ErrorCode(err); got != code {
		t.Errorf("%s: error %v (code %q), want code %q", what, err, got, code)
	}
}
