package banktest_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/banktest"
	"github.com/partnerd/partnerd/internal/httpapi"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

// These tests check the bank test itself: that it copes with an instance
// dying mid-run, and that it fails on a server that breaks idempotency or
// loses money. The full-size runs are in run_test.go.

const testFunded = 5_000_00

// bank is a small SQLite-backed partner ready for a run.
type bank struct {
	db  *sqlstore.DB
	cfg banktest.Config
}

// newBank creates a funded partner with n customers and serves it through
// one httptest server per wrapper (nil wrappers serve the API as is).
func newBank(t *testing.T, n int, wrappers ...func(http.Handler) http.Handler) *bank {
	t.Helper()
	ctx := t.Context()
	key := make([]byte, 32)
	rand.Read(key)
	db, err := sqlstore.Open(ctx, sqlstore.Source{Driver: "sqlite", Path: filepath.Join(t.TempDir(), "bank.db")},
		sqlstore.Options{SecretKey: key})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	p, token, err := db.CreatePartner(ctx, partnerd.PartnerInput{Name: "Small Bank", Email: "small@bank.example"})
	if err != nil {
		t.Fatalf("CreatePartner: %v", err)
	}
	if _, err := db.FundPartner(ctx, p.ID, testFunded, nil); err != nil {
		t.Fatalf("FundPartner: %v", err)
	}
	ids := make([]string, n)
	for i := range ids {
		a, err := db.CreateAccount(ctx, p.ID, partnerd.AccountInput{
			Name: fmt.Sprintf("Customer %d", i), Email: fmt.Sprintf("c%d@small.example", i),
			Password: "SecurePass@123", Phone: "9431538535", Country: "IN",
		})
		if err != nil {
			t.Fatalf("CreateAccount: %v", err)
		}
		ids[i] = a.AuthID
	}
	api := httpapi.NewServer(httpapi.Config{Accounts: db, Partners: db, Ledger: db, Idempotency: db})
	b := &bank{db: db, cfg: banktest.Config{PartnerID: p.ID, Token: token, Customers: ids, Funded: testFunded,
		Workers: 4, Ops: 15, Seed: 1}}
	for _, wrap := range wrappers {
		var h http.Handler = api
		if wrap != nil {
			h = wrap(api)
		}
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		b.cfg.BaseURLs = append(b.cfg.BaseURLs, srv.URL+"/api/v1/partner")
	}
	return b
}

func (b *bank) mustVerify(t *testing.T) {
	t.Helper()
	var out bytes.Buffer
	if err := b.db.VerifyLedger(t.Context(), &out); err != nil {
		t.Errorf("VerifyLedger: %v\n%s", err, out.String())
	}
}

// mortal serves like an instance until it dies; then it drops every
// connection, and for half the POSTs only after running them, as a
// process killed between its commit and its answer.
type mortal struct {
	h      http.Handler
	dead   atomic.Bool
	served atomic.Int64
	posts  atomic.Int64
}

func (m *mortal) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !m.dead.Load() {
		m.served.Add(1)
		m.h.ServeHTTP(w, r)
		return
	}
	if r.Method == http.MethodPost && m.posts.Add(1)%2 == 0 {
		m.h.ServeHTTP(httptest.NewRecorder(), r)
	}
	panic(http.ErrAbortHandler)
}

func TestBankLostResponses(t *testing.T) {
	var m *mortal
	b := newBank(t, 5, nil, func(h http.Handler) http.Handler {
		m = &mortal{h: h}
		return m
	})
	b.cfg.Workers, b.cfg.Ops = 6, 20
	b.cfg.DuringRun = func(ctx context.Context) {
		for ctx.Err() == nil && m.served.Load() < 30 {
			time.Sleep(time.Millisecond)
		}
		m.dead.Store(true)
	}
	res := banktest.Run(t, b.cfg)
	if !m.dead.Load() || m.posts.Load() == 0 || res.Transport == 0 {
		t.Errorf("the instance died %v after %d requests; %d POSTs to it and %d transport errors after; want it to die mid-run",
			m.dead.Load(), m.served.Load(), m.posts.Load(), res.Transport)
	}
	b.mustVerify(t)
}

// recordingTB collects the failures of a run that is meant to fail.
type recordingTB struct {
	testing.TB
	mu     sync.Mutex
	errors []string
}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recordingTB) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}

// mustFail runs cfg against a broken server and returns its failures,
// requiring one that contains want.
func mustFail(t *testing.T, cfg banktest.Config, want string) {
	t.Helper()
	rec := &recordingTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		banktest.Run(rec, cfg)
	}()
	<-done
	for _, e := range rec.errors {
		if strings.Contains(e, want) {
			t.Logf("caught: %s", e)
			return
		}
	}
	t.Errorf("the run against a broken server reported %d errors, none containing %q:\n%s",
		len(rec.errors), want, strings.Join(rec.errors, "\n"))
}

func TestBankCatchesDoubleExecution(t *testing.T) {
	// The broken server forgets every key it has seen, so a retry runs again.
	var seen sync.Map
	forget := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if k := r.Header.Get("Idempotency-Key"); k != "" {
				if _, dup := seen.LoadOrStore(k, true); dup {
					r.Header.Del("Idempotency-Key")
				}
			}
			h.ServeHTTP(w, r)
		})
	}
	b := newBank(t, 5, forget)
	mustFail(t, b.cfg, "without Idempotent-Replayed")
}

// skew adds one minor unit to the first balance of GET path while on is
// set: a server whose reads disagree with its ledger.
func skew(path string, on *atomic.Bool) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, path) || !on.Load() {
				h.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			body := rec.Body.Bytes()
			var v map[string]any
			if rec.Code == http.StatusOK && json.Unmarshal(body, &v) == nil {
				body = bumpFirstBalance(body)
			}
			w.Header().Set("Content-Type", rec.Header().Get("Content-Type"))
			w.WriteHeader(rec.Code)
			w.Write(body)
		})
	}
}

// bumpFirstBalance rewrites the first "balance":X.YY in body to X.YY+0.01.
func bumpFirstBalance(body []byte) []byte {
	const key = `"balance":`
	i := bytes.Index(body, []byte(key))
	if i < 0 {
		return body
	}
	start := i + len(key)
	end := start + bytes.IndexAny(body[start:], ",}")
	var minor int64
	var whole, frac int64
	fmt.Sscanf(string(body[start:end]), "%d.%d", &whole, &frac)
	minor = whole*100 + frac + 1
	out := append([]byte{}, body[:start]...)
	out = fmt.Appendf(out, "%d.%02d", minor/100, minor%100)
	return append(out, body[end:]...)
}

func TestBankCatchesSkewedReads(t *testing.T) {
	for _, tt := range []struct {
		path, want string
	}{
		{"/accounts", "money was created or lost"},
		{"/me", "GET /me says the partner holds"},
	} {
		t.Run(strings.TrimPrefix(tt.path, "/"), func(t *testing.T) {
			// Skewed only while money moves, so only the readers can see it.
			var on atomic.Bool
			b := newBank(t, 4, skew(tt.path, &on))
			b.cfg.DuringRun = func(ctx context.Context) {
				on.Store(true)
				<-ctx.Done()
				on.Store(false)
			}
			mustFail(t, b.cfg, tt.want)
		})
	}
}
