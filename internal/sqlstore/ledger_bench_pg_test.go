package sqlstore_test

// The ledger benchmarks on PostgreSQL (issue: PostgreSQL backend and
// scale-out). They run when PARTNERD_TEST_POSTGRES names a server, on one
// fresh database per run, with the server's synchronous_commit setting
// (on, in the cluster .ci/postgres.sh starts):
//
//	PARTNERD_TEST_POSTGRES=… go test -run '^$' -bench 'PG' -benchtime 3s ./internal/sqlstore/
//
// The x3 variants spread the same callers over three store instances (three
// writers, three pools) on the one database, as three partnerd processes
// would: every transfer still debits the same partner row.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/httpapi"
	"github.com/partnerd/partnerd/internal/pgtest"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

type pgBenchEnv struct {
	*ledgerBenchEnv // dbs[0] and its HTTP server
	dsn             string
	dbs             []*sqlstore.DB
	urls            []string // one HTTP server per instance
}

var (
	pgBenchOnce   sync.Once
	pgBenchShared *pgBenchEnv
	pgBenchErr    error
)

func pgLedgerBench(b *testing.B) *pgBenchEnv {
	b.Helper()
	admin := os.Getenv(pgtest.EnvVar)
	if admin == "" {
		b.Skip(pgtest.EnvVar + " is not set")
	}
	pgBenchOnce.Do(func() { pgBenchShared, pgBenchErr = newPGBenchEnv(admin) })
	if pgBenchErr != nil {
		b.Fatalf("postgres bench setup: %v", pgBenchErr)
	}
	return pgBenchShared
}

func newPGBenchEnv(admin string) (*pgBenchEnv, error) {
	ctx := context.Background()
	// One database per benchmark process; an earlier run's is replaced.
	dsn, err := pgtest.Recreate(admin, "partnerd_bench_"+strconv.Itoa(os.Getpid()))
	if err != nil {
		return nil, err
	}
	e := &pgBenchEnv{dsn: dsn, ledgerBenchEnv: &ledgerBenchEnv{}}
	key := make([]byte, 32)
	for range 3 {
		db, err := sqlstore.Open(ctx, sqlstore.Source{Driver: "postgres", DSN: e.dsn}, sqlstore.Options{SecretKey: key})
		if err != nil {
			return nil, err
		}
		e.dbs = append(e.dbs, db)
		srv := httptest.NewServer(httpapi.NewServer(httpapi.Config{Accounts: db, Partners: db, Ledger: db, Idempotency: db}))
		e.urls = append(e.urls, srv.URL)
	}
	e.db = e.dbs[0]
	p, token, err := e.db.CreatePartner(ctx, partnerd.PartnerInput{Name: "Bench Partner", Email: "bench@partner.example"})
	if err != nil {
		return nil, err
	}
	e.partnerID, e.token = p.ID, token
	if _, err := e.db.FundPartner(ctx, p.ID, ledgerBenchFunds, nil); err != nil {
		return nil, err
	}
	e.customers = make([]string, 16)
	for i := range e.customers {
		a, err := e.db.CreateAccount(ctx, p.ID, partnerd.AccountInput{
			Name: fmt.Sprintf("Bench Customer %02d", i), Email: fmt.Sprintf("customer%02d@bench.example", i),
			Password: "SecurePass@123", Phone: "9431538535", Country: "IN",
		})
		if err != nil {
			return nil, err
		}
		e.customers[i] = a.AuthID
	}
	e.client = &http.Client{Transport: &http.Transport{
		MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: time.Minute, DisableCompression: true,
	}}
	return e, nil
}

func (e *pgBenchEnv) transferURL(instance, i int) string {
	return e.urls[instance%len(e.urls)] + "/api/v1/partner/accounts/" + e.customers[i%len(e.customers)] + "/transfer-balance"
}

// BenchmarkPGB0GuardedUpdate: one durable commit per guarded debit of the
// partner row, one caller.
func BenchmarkPGB0GuardedUpdate(b *testing.B) {
	e := pgLedgerBench(b)
	raw, err := sql.Open("pgx", e.dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	ctx := context.Background()
	ledgerBenchRun(b, 1, nil, func(int) error {
		res, err := raw.ExecContext(ctx, `UPDATE wallets SET balance = balance - $1 WHERE id = $2 AND balance >= $1`, 1, e.partnerID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return errors.Join(err, fmt.Errorf("guarded update hit %d rows", n))
		}
		return nil
	})
}

// writerCounts sums the writers' commits and the requests they answered.
func (e *pgBenchEnv) writerCounts() (commits, requests int64) {
	for _, db := range e.dbs {
		c, r := db.WriterCounts()
		commits, requests = commits+c, requests+r
	}
	return commits, requests
}

// reportBatches runs run and reports the writers' mean batch: write
// requests per commit, over all instances.
func (e *pgBenchEnv) reportBatches(b *testing.B, run func()) {
	c0, r0 := e.writerCounts()
	run()
	c1, r1 := e.writerCounts()
	if c1 > c0 {
		b.ReportMetric(float64(r1-r0)/float64(c1-c0), "requests/commit")
	}
}

func benchmarkPGB1(b *testing.B, callers, instances int) {
	e := pgLedgerBench(b)
	ctx := context.Background()
	e.reportBatches(b, func() {
		ledgerBenchRun(b, callers, nil, func(i int) error {
			db := e.dbs[i%instances]
			_, err := db.Transfer(ctx, e.partnerID, partnerd.TransferInput{AuthID: e.customers[i%len(e.customers)], Amount: 1})
			return err
		})
	})
}

// BenchmarkPGB1Mixed16x3 alternates transfers and withdrawals (16 callers,
// three instances): the withdrawals' combined statement, beside the
// transfers'.
func BenchmarkPGB1Mixed16x3(b *testing.B) {
	e := pgLedgerBench(b)
	ctx := context.Background()
	for _, c := range e.customers {
		if _, err := e.db.Transfer(ctx, e.partnerID, partnerd.TransferInput{AuthID: c, Amount: 1_000_000}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	e.reportBatches(b, func() {
		ledgerBenchRun(b, 16, nil, func(i int) error {
			db, in := e.dbs[i%3], partnerd.TransferInput{AuthID: e.customers[i%len(e.customers)], Amount: 1}
			var err error
			if i%2 == 0 {
				_, err = db.Transfer(ctx, e.partnerID, in)
			} else {
				_, err = db.Withdraw(ctx, e.partnerID, in)
			}
			return err
		})
	})
}

func BenchmarkPGB1Transfer16(b *testing.B)   { benchmarkPGB1(b, 16, 1) }
func BenchmarkPGB1Transfer64(b *testing.B)   { benchmarkPGB1(b, 64, 1) }
func BenchmarkPGB1Transfer16x3(b *testing.B) { benchmarkPGB1(b, 16, 3) }
func BenchmarkPGB1Transfer64x3(b *testing.B) { benchmarkPGB1(b, 64, 3) }

func benchmarkPGB4(b *testing.B, instances int) {
	e := pgLedgerBench(b)
	e.reportBatches(b, func() {
		ledgerBenchRun(b, 64, nil, func(i int) error {
			return e.post(e.client, e.transferURL(i%instances, i), ledgerBenchBody, "", false)
		})
	})
}

func BenchmarkPGB4HTTPTransfer64(b *testing.B)   { benchmarkPGB4(b, 1) }
func BenchmarkPGB4HTTPTransfer64x3(b *testing.B) { benchmarkPGB4(b, 3) }

// BenchmarkPGB5IdempotentReplay repeats one completed keyed transfer from
// 64 clients over the three instances.
func BenchmarkPGB5IdempotentReplay(b *testing.B) {
	e := pgLedgerBench(b)
	key := fmt.Sprintf("bench-pg-replay-%d", os.Getpid())
	e.replayOnce.Do(func() {
		e.replayErr = e.post(e.client, e.transferURL(0, 0), ledgerBenchBody, key, false)
	})
	if e.replayErr != nil {
		b.Fatal(e.replayErr)
	}
	ledgerBenchRun(b, 64, nil, func(i int) error {
		return e.post(e.client, e.transferURL(i%3, 0), ledgerBenchBody, key, true)
	})
}
