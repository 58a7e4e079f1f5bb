package benchtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/pgtest"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

// Funds is what NewLedger credits the partner with: minor units that never
// run out.
const Funds = int64(1) << 52

// Ledger is a funded partner with customers on a store, for the
// benchmarks of the hot partner row.
type Ledger struct {
	DB        *sqlstore.DB
	PartnerID string
	Token     string
	Customers []string
}

// NewLedger creates a partner on db, funds it with Funds and creates n
// customers. Password hashing (argon2id) dominates account creation, so a
// few run at a time.
func NewLedger(ctx context.Context, db *sqlstore.DB, n int) (*Ledger, error) {
	p, token, err := db.CreatePartner(ctx, partnerd.PartnerInput{Name: "Bench Partner", Email: "bench@partner.example", Currency: "INR"})
	if err != nil {
		return nil, fmt.Errorf("CreatePartner: %w", err)
	}
	if _, err := db.FundPartner(ctx, p.ID, Funds, nil); err != nil {
		return nil, fmt.Errorf("FundPartner: %w", err)
	}
	l := &Ledger{DB: db, PartnerID: p.ID, Token: token, Customers: make([]string, n)}
	var wg sync.WaitGroup
	errs := make([]error, n)
	sem := make(chan struct{}, 4)
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			a, err := db.CreateAccount(ctx, p.ID, partnerd.AccountInput{
				Name: fmt.Sprintf("Bench Customer %02d", i), Email: fmt.Sprintf("customer%02d@bench.example", i),
				Password: "SecurePass@123", Phone: "9431538535", Country: "IN",
			})
			if err != nil {
				errs[i] = fmt.Errorf("CreateAccount %d: %w", i, err)
				return
			}
			l.Customers[i] = a.AuthID
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return l, nil
}

// Dir makes a fresh directory for one benchmark process's database under
// $PARTNERD_BENCH_DIR (default: the system temp dir, which must be a real
// disk for fsync to mean anything), first removing those of earlier runs
// whose process is gone. It is never removed by this process: the
// database lives as long as the test binary.
func Dir(prefix string) (string, error) {
	parent := os.Getenv("PARTNERD_BENCH_DIR")
	if parent == "" {
		parent = os.TempDir()
	}
	dirs, _ := filepath.Glob(filepath.Join(parent, prefix+"-*-*"))
	for _, d := range dirs {
		f := strings.SplitN(strings.TrimPrefix(filepath.Base(d), prefix+"-"), "-", 2)
		pid, err := strconv.Atoi(f[0])
		if err != nil || pid == os.Getpid() {
			continue
		}
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			os.RemoveAll(d)
		}
	}
	return os.MkdirTemp(parent, prefix+"-"+strconv.Itoa(os.Getpid())+"-")
}

// OpenPostgres replaces the database name (one per benchmark process) on
// the server of the admin DSN and opens n stores on it, as n partnerd
// instances would be: each with its own writer and pools.
func OpenPostgres(ctx context.Context, admin, name string, n int) (dsn string, dbs []*sqlstore.DB, err error) {
	dsn, err = recreatePostgres(admin, name+"_"+strconv.Itoa(os.Getpid()))
	if err != nil {
		return "", nil, err
	}
	key := make([]byte, 32)
	for range n {
		db, err := sqlstore.Open(ctx, sqlstore.Source{Driver: "postgres", DSN: dsn}, sqlstore.Options{SecretKey: key})
		if err != nil {
			return "", nil, err
		}
		dbs = append(dbs, db)
	}
	return dsn, dbs, nil
}

// The PostgreSQL databases this process created for its benchmarks, named
// by its pid, which no later process reuses: DropPostgres drops them.
var pgCreated struct {
	sync.Mutex
	dbs []struct{ admin, name string }
}

// recreatePostgres is pgtest.Recreate, remembered for DropPostgres.
func recreatePostgres(admin, name string) (string, error) {
	dsn, err := pgtest.Recreate(admin, name)
	if err == nil {
		pgCreated.Lock()
		pgCreated.dbs = append(pgCreated.dbs, struct{ admin, name string }{admin, name})
		pgCreated.Unlock()
	}
	return dsn, err
}

// DropPostgres drops the databases the benchmarks of this process created
// (a package's TestMain calls it after the run): left behind, one per run,
// they filled the test cluster, and autovacuum kept visiting them.
func DropPostgres() error {
	pgCreated.Lock()
	defer pgCreated.Unlock()
	var errs []error
	for _, d := range pgCreated.dbs {
		errs = append(errs, pgtest.Drop(d.admin, d.name))
	}
	pgCreated.dbs = nil
	return errors.Join(errs...)
}
