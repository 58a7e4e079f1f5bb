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
	"sync"
	"testing"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/benchtest"
	"github.com/partnerd/partnerd/internal/pgtest"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

type pgBenchEnv struct {
	*benchtest.Ledger // on dbs[0]
	dsn               string
	dbs               []*sqlstore.DB
}

var (
	pgBenchOnce   sync.Once
	pgBenchShared *pgBenchEnv
	pgBenchErr    error
)

func pgLedgerBench(b *testing.B) *pgBenchEnv {
	b.Helper()
	admin := pgtest.Require(b)
	pgBenchOnce.Do(func() { pgBenchShared, pgBenchErr = newPGBenchEnv(admin) })
	if pgBenchErr != nil {
		b.Fatalf("postgres bench setup: %v", pgBenchErr)
	}
	return pgBenchShared
}

func newPGBenchEnv(admin string) (*pgBenchEnv, error) {
	ctx := context.Background()
	dsn, dbs, err := benchtest.OpenPostgres(ctx, admin, "partnerd_bench", 3)
	if err != nil {
		return nil, err
	}
	e := &pgBenchEnv{dsn: dsn, dbs: dbs}
	if e.Ledger, err = benchtest.NewLedger(ctx, dbs[0], 16); err != nil {
		return nil, err
	}
	return e, nil
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
		res, err := raw.ExecContext(ctx, `UPDATE wallets SET balance = balance - $1 WHERE id = $2 AND balance >= $1`, 1, e.PartnerID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return errors.Join(err, fmt.Errorf("guarded update hit %d rows", n))
		}
		return nil
	})
}

// reportBatches runs run and reports the writers' mean batch: write
// requests per commit, over all instances.
func (e *pgBenchEnv) reportBatches(b *testing.B, run func()) {
	benchtest.ReportBatches(b, e.dbs, false, run)
}

func benchmarkPGB1(b *testing.B, callers, instances int) {
	e := pgLedgerBench(b)
	ctx := context.Background()
	e.reportBatches(b, func() {
		ledgerBenchRun(b, callers, nil, func(i int) error {
			db := e.dbs[i%instances]
			_, err := db.Transfer(ctx, e.PartnerID, partnerd.TransferInput{AuthID: e.Customers[i%len(e.Customers)], Amount: 1})
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
	for _, c := range e.Customers {
		if _, err := e.DB.Transfer(ctx, e.PartnerID, partnerd.TransferInput{AuthID: c, Amount: 1_000_000}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	e.reportBatches(b, func() {
		ledgerBenchRun(b, 16, nil, func(i int) error {
			db, in := e.dbs[i%3], partnerd.TransferInput{AuthID: e.Customers[i%len(e.Customers)], Amount: 1}
			var err error
			if i%2 == 0 {
				_, err = db.Transfer(ctx, e.PartnerID, in)
			} else {
				_, err = db.Withdraw(ctx, e.PartnerID, in)
			}
			return err
		})
	})
}

func BenchmarkPGB1Transfer16(b *testing.B)   { benchmarkPGB1(b, 16, 1) }
func BenchmarkPGB1Transfer64(b *testing.B)   { benchmarkPGB1(b, 64, 1) }
func BenchmarkPGB1Transfer16x3(b *testing.B) { benchmarkPGB1(b, 16, 3) }
func BenchmarkPGB1Transfer64x3(b *testing.B) { benchmarkPGB1(b, 64, 3) }
