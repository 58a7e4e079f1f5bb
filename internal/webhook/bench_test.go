package webhook_test

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/webhook"
)

// BenchmarkDispatchSQLite delivers b.N events to one local receiver with
// the dispatcher's loop (default concurrency, real clock) on SQLite, and
// reports webhooks/s (API.md §8 asks ≥ 2,000). The events are made
// before the timer starts.
func BenchmarkDispatchSQLite(b *testing.B) {
	e := newEnv(b)
	e.db.Now = time.Now
	rcv := newReceiver(b, status(http.StatusNoContent))
	e.mustEndpoint(b, rcv.URL)
	ctx := context.Background()
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for range 64 {
		wg.Go(func() {
			for next.Add(1) <= int64(b.N) {
				if _, err := e.db.Transfer(ctx, e.partner, partnerd.TransferInput{AuthID: e.customer, Amount: 1}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	var done atomic.Int64
	all := make(chan struct{})
	d := &webhook.Dispatcher{Queue: e.db, AllowPrivate: true, Observe: func(string) {
		if done.Add(1) == int64(b.N) {
			close(all)
		}
	}}
	runCtx, cancel := context.WithCancel(ctx)
	b.ResetTimer()
	start := time.Now()
	go d.Run(runCtx)
	<-all
	elapsed := time.Since(start)
	b.StopTimer()
	cancel()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "webhooks/s")
	if got := len(rcv.requests()); got < b.N {
		b.Errorf("receiver got %d of %d", got, b.N)
	}
}
