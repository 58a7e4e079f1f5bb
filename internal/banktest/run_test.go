package banktest_test

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/banktest"
	"github.com/partnerd/partnerd/internal/httpapi"
	"github.com/partnerd/partnerd/internal/pgtest"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

// The full-size bank runs, over HTTP against the real stores.

// TestBank runs the bank test against the real SQLite store behind two
// HTTP servers sharing it, as two instances share one database, then
// verifies the ledger.
func TestBank(t *testing.T) {
	key := make([]byte, 32)
	rand.Read(key)
	db := mustOpenStore(t, sqlstore.Source{Driver: "sqlite", Path: filepath.Join(t.TempDir(), "bank.db")}, key)
	runBank(t, []*sqlstore.DB{db, db})
}

// TestPostgresBank runs the bank test against three stores on one
// PostgreSQL database, each with its own writer and pools, as three
// instances of partnerd would be; every request goes to a random one and
// idempotent retries to another.
func TestPostgresBank(t *testing.T) {
	src := sqlstore.Source{Driver: "postgres", DSN: pgtest.FreshDSN(t)}
	key := make([]byte, 32)
	rand.Read(key)
	var dbs []*sqlstore.DB
	for range 3 {
		dbs = append(dbs, mustOpenStore(t, src, key))
	}
	runBank(t, dbs)
}

// mustOpenStore opens a store, closed when the test ends.
func mustOpenStore(t *testing.T, src sqlstore.Source, key []byte) *sqlstore.DB {
	t.Helper()
	db, err := sqlstore.Open(t.Context(), src, sqlstore.Options{SecretKey: key})
	if err != nil {
		t.Fatalf("Open(%s): %v", src.Driver, err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

// runBank funds a partner, creates its customers, serves each store on its
// own HTTP server and runs the bank test across them.
func runBank(t *testing.T, dbs []*sqlstore.DB) {
	// 800 operations take about 25 s under -race on two cores, where the
	// one SQLite writer is the bottleneck.
	customers, workers, ops := 50, 32, 25
	if testing.Short() {
		customers, workers, ops = 10, 8, 15
	}
	const funded = 50_000_00 // 50,000.00 INR in paise
	ctx := t.Context()
	db := dbs[0]
	p, token, err := db.CreatePartner(ctx, partnerd.PartnerInput{Name: "Bank Partner", Email: "bank@bank.example"})
	if err != nil {
		t.Fatalf("CreatePartner: %v", err)
	}
	if _, err := db.FundPartner(ctx, p.ID, funded, nil); err != nil {
		t.Fatalf("FundPartner: %v", err)
	}
	ids := mustCreateCustomers(t, db, p.ID, customers)

	var urls []string
	for _, db := range dbs {
		srv := httptest.NewServer(httpapi.NewServer(httpapi.Config{Accounts: db, Partners: db, Ledger: db, Idempotency: db}))
		t.Cleanup(srv.Close)
		urls = append(urls, srv.URL+"/api/v1/partner")
	}
	res := banktest.Run(t, banktest.Config{
		BaseURLs: urls, PartnerID: p.ID, Token: token, Customers: ids, Funded: funded,
		Workers: workers, Ops: ops,
	})
	if !testing.Short() && (res.Acknowledged == 0 || res.Replays == 0 || res.Codes[partnerd.ECInsufficientBalance] == 0) {
		t.Errorf("the run exercised too little: %d acknowledged, %d replays, %d insufficient_balance; want some of each",
			res.Acknowledged, res.Replays, res.Codes[partnerd.ECInsufficientBalance])
	}

	var out bytes.Buffer
	if err := db.VerifyLedger(ctx, &out); err != nil {
		t.Errorf("VerifyLedger: %v\n%s", err, out.String())
	}
}

// mustCreateCustomers creates n customers of partnerID. Password hashing
// is slow on purpose, so a few goroutines share the work.
func mustCreateCustomers(t *testing.T, db *sqlstore.DB, partnerID string, n int) []string {
	t.Helper()
	ids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	next := make(chan int)
	for range 4 {
		wg.Go(func() {
			for i := range next {
				a, err := db.CreateAccount(t.Context(), partnerID, partnerd.AccountInput{
					Name: fmt.Sprintf("Customer %02d", i), Email: fmt.Sprintf("c%02d@bank.example", i),
					Password: "SecurePass@123", Phone: "9431538535", Country: "IN",
				})
				if err != nil {
					errs[i] = err
					continue
				}
				ids[i] = a.AuthID
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("CreateAccount %d: %v", i, err)
		}
	}
	return ids
}
