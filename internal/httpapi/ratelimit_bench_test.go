package httpapi_test

// The cost of metrics, rate limits and the audit log (API.md §7), and the
// isolation the limits give:
//
//	OpsB4Transfer64/{off,on}  B4's transfers through a bare server (no metrics, no limits,
//	                          no audit rows) and one with metrics, rate limits (high enough
//	                          never to refuse) and an audit row per transfer; audit: the
//	                          audit rows alone
//	OpsBalance64/{off,on}     GET /accounts/{id}/balance from 64 keep-alive clients, the same pair
//	OpsNeighbour/{idle,noisy} a quiet partner's requests (p50/p99), alone and while
//	                          another partner sends ten times its limit
//
// Goals: on/off >= 0.9 for transfers/s; noisy p99 / idle p99 <= 2. Run once:
//
//	go test -run '^$' -bench 'Ops' -benchtime 3s ./internal/httpapi/

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/benchtest"
	"github.com/partnerd/partnerd/internal/httpapi"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

var (
	opsOnce, opsOffOnce sync.Once
	opsURL, opsOffURL   string
)

// opsOffServer serves the hot SQLite store bare: no metrics, no limits,
// and no audit context, so its writes record no audit row.
func opsOffServer(db *sqlstore.DB) string {
	opsOffOnce.Do(func() {
		srv := httptest.NewServer(httpapi.WithoutAudit(httpapi.NewServer(httpapi.Config{Accounts: db, Partners: db, Ledger: db, Idempotency: db})))
		opsOffURL = srv.URL
	})
	return opsOffURL
}

// opsServer serves the hot SQLite store again, with metrics (wired as
// serve wires them), every limit on, each far above the load, and the
// audit log (an audit row per change, as always unless turned off for
// opsOffServer).
func opsServer(db *sqlstore.DB) string {
	opsOnce.Do(func() {
		m := httpapi.NewMetrics()
		m.RegisterPools(db.PoolStats())
		db.ObserveBatches(m.ObserveBatch)
		srv := httptest.NewServer(httpapi.NewServer(httpapi.Config{Accounts: db, Partners: db, Ledger: db, Idempotency: db,
			Metrics: m, MetricsAllow: loopback,
			RateLimits: httpapi.RateLimits{Partner: 1_000_000, Switch: 1_000_000, AuthFailures: 30}}))
		opsURL = srv.URL
	})
	return opsURL
}

func BenchmarkOpsB4Transfer64(b *testing.B) {
	e := hotSQLite(b)
	// audit: the bare server of B4, which records the audit rows alone.
	for _, v := range []struct{ name, url string }{{"off", opsOffServer(e.dbs[0])}, {"audit", e.urls[0]}, {"on", opsServer(e.dbs[0])}} {
		b.Run(v.name, func(b *testing.B) {
			benchtest.RunConcurrent(b, 64, func(i int) error {
				return e.post(v.url+"/api/v1/partner/accounts/"+e.Customers[i%len(e.Customers)]+"/transfer-balance", "", false)
			})
		})
	}
}

// get sends one GET as partnerID and drains the answer, which must be
// want.
func (e *hotEnv) get(url, partnerID, token string, want int) error {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("X-Auth-ID", partnerID)
	req.Header.Set("X-Auth-Token", token)
	resp, err := e.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if want != 0 && resp.StatusCode != want {
		return fmt.Errorf("GET %s: %s, want %d", url, resp.Status, want)
	}
	return nil
}

func BenchmarkOpsBalance64(b *testing.B) {
	e := hotSQLite(b)
	for _, v := range []struct{ name, url string }{{"off", opsOffServer(e.dbs[0])}, {"on", opsServer(e.dbs[0])}} {
		b.Run(v.name, func(b *testing.B) {
			benchtest.RunConcurrent(b, 64, func(i int) error {
				return e.get(v.url+"/api/v1/partner/accounts/"+e.Customers[i%len(e.Customers)]+"/balance", e.PartnerID, e.Token, http.StatusOK)
			})
		})
	}
}

// BenchmarkOpsNeighbour times a quiet partner's balance reads from 4
// clients, with the default limit of 100/s (its own 10,000/s), alone and
// while a noisy partner sends 1,000 requests a second, ten times the
// default, and is refused most of them.
func BenchmarkOpsNeighbour(b *testing.B) {
	e := hotSQLite(b)
	ctx := context.Background()
	noisy, noisyToken, err := e.DB.CreatePartner(ctx, partnerd.PartnerInput{Name: "Noisy", Email: fmt.Sprintf("noisy-%d@bench.example", time.Now().UnixNano())})
	if err != nil {
		b.Fatal(err)
	}
	quiet := e.PartnerID
	srv := httptest.NewServer(httpapi.NewServer(httpapi.Config{Accounts: e.DB, Partners: e.DB, Ledger: e.DB,
		Metrics: httpapi.NewMetrics(), RateLimits: httpapi.RateLimits{Partner: 100, PartnerRate: func(p *partnerd.Partner) int {
			if p.ID == quiet {
				return 10_000
			}
			return 0
		}}}))
	defer srv.Close()
	balance := srv.URL + "/api/v1/partner/accounts/" + e.Customers[0] + "/balance"
	for _, noise := range []bool{false, true} {
		name := "idle"
		if noise {
			name = "noisy"
		}
		b.Run(name, func(b *testing.B) {
			stop := make(chan struct{})
			var wg sync.WaitGroup
			if noise {
				// 1,000 requests a second from 4 senders, on a ticker each.
				for range 4 {
					wg.Go(func() {
						t := time.NewTicker(4 * time.Millisecond)
						defer t.Stop()
						for {
							select {
							case <-stop:
								return
							case <-t.C:
								e.get(srv.URL+"/api/v1/partner/me", noisy.ID, noisyToken, 0)
							}
						}
					})
				}
			}
			benchtest.RunConcurrentLatency(b, 4, func(i int) error {
				return e.get(balance, e.PartnerID, e.Token, http.StatusOK)
			})
			close(stop)
			wg.Wait()
		})
	}
}
