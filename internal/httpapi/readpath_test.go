package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/httpapi"
	"github.com/partnerd/partnerd/internal/pgtest"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

// BenchmarkReadPath measures the read path the way a load tool does from
// outside: 64 keep-alive connections on loopback send
// GET /accounts/{id}/balance to the real server (SQLite, and PostgreSQL
// when PARTNERD_TEST_POSTGRES is set) and a constant JSON body to a bare
// net/http handler, alternately in short rounds, b.N requests each. It reports the req/s
// of both and their ratio: the goal is balance-ratio ≥ 0.6 on SQLite and
// ≥ 0.4 on PostgreSQL. The load driver writes pre-built requests and reads
// responses with a few byte scans, so that its own cost stays small beside
// the server's (both share the machine's cores).
//
//	go test -run '^$' -bench ReadPath -benchtime 100000x ./internal/httpapi/
//
// The server logs its access lines to a file, as in production (stderr).
func BenchmarkReadPath(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) {
		db := mustOpenStore(b, sqlstore.Source{Driver: "sqlite", Path: filepath.Join(b.TempDir(), "p.db")})
		benchReadPath(b, db)
	})
	b.Run("postgres", func(b *testing.B) {
		dsn := pgtest.FreshDSN(b)
		db := mustOpenStore(b, sqlstore.Source{Driver: "postgres", DSN: dsn})
		benchReadPath(b, db)
	})
}

// loadConns is the number of concurrent keep-alive connections.
const loadConns = 64

func mustOpenStore(b *testing.B, src sqlstore.Source) *sqlstore.DB {
	b.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	db, err := sqlstore.Open(context.Background(), src, sqlstore.Options{SecretKey: key})
	if err != nil {
		b.Fatalf("sqlstore.Open: %v", err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

func benchReadPath(b *testing.B, db *sqlstore.DB) {
	ctx := context.Background()
	p, token, err := db.CreatePartner(ctx, partnerd.PartnerInput{Name: "Load", Email: "ops@load.example"})
	if err != nil {
		b.Fatal(err)
	}
	a, err := db.CreateAccount(ctx, p.ID, partnerd.AccountInput{
		Name: "Credresolve", Email: "admin@credresolve.com", Password: "SecurePass@123", Phone: "9431538535", Country: "IN",
	})
	if err != nil {
		b.Fatal(err)
	}
	// As cmd/partnerd serve wires it, stderr being a file here.
	real := newBenchServer(b, httpapi.Config{Accounts: db, Partners: db, Ledger: db, Idempotency: db, Ping: db.Ping})
	bareBody := []byte(`{"auth_id":"MA_48149cf4","name":"Credresolve","balance":0.00,"currency":"INR","last_updated":"2026-03-25T10:00:00Z"}` + "\n")
	path := "/api/v1/partner/accounts/" + a.AuthID + "/balance"
	auth := "X-Auth-ID: " + p.ID + "\r\nX-Auth-Token: " + token + "\r\n"
	runAgainstBare(b, real, bareBody, path, auth, "balance")
}

// newBenchServer is the API server of c, logging to a file as serve logs
// to stderr.
func newBenchServer(b *testing.B, c httpapi.Config) *httpapi.Server {
	b.Helper()
	logFile, err := os.Create(filepath.Join(b.TempDir(), "access.log"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { logFile.Close() })
	c.Logger, c.AccessLog = slog.New(slog.NewJSONHandler(logFile, nil)), logFile
	return httpapi.NewServer(c)
}

// runAgainstBare serves api as serve serves it (its limits, timeouts and
// connection wrapper) and, on a plain http.Server, a bare handler
// answering bareBody; it sends b.N GETs of path with headers to each,
// alternately in short rounds so that a change in the load the machine's
// other users put on it hits both alike, and reports both rates and their
// ratio as name-ratio.
func runAgainstBare(b *testing.B, api *httpapi.Server, bareBody []byte, path, headers, name string) {
	b.Helper()
	bare := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Write(bareBody)
	})}
	realAddr := mustServe(b, api.HTTPServer(httpapi.HTTPOptions{}))
	bareAddr := mustServe(b, bare)
	request := func(addr string) []byte {
		return []byte("GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\n" + headers + "Accept: application/json\r\n\r\n")
	}
	bareLoad := mustLoader(b, bareAddr, request(bareAddr))
	realLoad := mustLoader(b, realAddr, request(realAddr))
	// Warm-up: connections, prepared statements, caches.
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
	b.ReportMetric(realRate, name+"-req/s")
	b.ReportMetric(realRate/bareRate, name+"-ratio")
}

// loadRound is the number of requests sent to one server before switching
// to the other.
const loadRound = 2000

// mustServe runs srv on a loopback port until the benchmark ends.
func mustServe(b *testing.B, srv interface {
	Serve(net.Listener) error
	Close() error
}) string {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// loader keeps loadConns keep-alive connections to one server.
type loader struct {
	req   []byte
	conns []net.Conn
	rds   []*bufio.Reader
}

func mustLoader(b *testing.B, addr string, req []byte) *loader {
	b.Helper()
	l := &loader{req: req}
	for range loadConns {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { c.Close() })
		l.conns = append(l.conns, c)
		l.rds = append(l.rds, bufio.NewReaderSize(c, 16<<10))
	}
	return l
}

// mustRun sends n requests over all the connections at once and returns
// the time it took. Every answer must be a 200.
func (l *loader) mustRun(b *testing.B, n int) time.Duration {
	b.Helper()
	var left atomic.Int64
	left.Store(int64(n))
	errs := make(chan error, loadConns)
	var wg sync.WaitGroup
	start := time.Now()
	for i, c := range l.conns {
		rd := l.rds[i]
		wg.Go(func() {
			for left.Add(-1) >= 0 {
				if _, err := c.Write(l.req); err != nil {
					errs <- err
					return
				}
				if err := readResponse(rd); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	d := time.Since(start)
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	return d
}

// readResponse reads one HTTP/1.1 response with a Content-Length and fails
// on any status but 200.
func readResponse(rd *bufio.Reader) error {
	line, err := rd.ReadSlice('\n')
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(line, []byte("HTTP/1.1 200 ")) {
		return fmt.Errorf("status line %q, want 200", bytes.TrimSpace(line))
	}
	length := -1
	for {
		line, err = rd.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(line) <= 2 {
			break
		}
		if name, value, ok := bytes.Cut(line, []byte(":")); ok && string(name) == "Content-Length" {
			if length, err = strconv.Atoi(string(bytes.TrimSpace(value))); err != nil {
				return err
			}
		}
	}
	if length < 0 {
		return errors.New("response without Content-Length")
	}
	_, err = rd.Discard(length)
	return err
}
