package main

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/partnerd/partnerd/internal/sqlstore"
	"github.com/partnerd/partnerd/internal/webhook"
)

// webhookOptions are serve's webhook flags.
type webhookOptions struct {
	allowPrivate *bool
	concurrency  *int
	lease        *time.Duration
}

// webhookFlags adds serve's webhook flags with their environment twins.
func webhookFlags(fs *cmdFlags, getenv func(string) string) webhookOptions {
	o := webhookOptions{
		allowPrivate: fs.Bool("webhook-allow-private", false,
			"let webhooks reach loopback, private and link-local addresses, for tests and closed networks"),
		concurrency: fs.Int("webhook-concurrency", webhook.DefaultConcurrency, "webhook attempts in flight per endpoint on this instance"),
		lease: fs.Duration("webhook-lease", webhook.DefaultLease,
			"how long a claimed delivery is this instance's; after an instance dies, its claims wait this long"),
	}
	fs.twin(getenv, "webhook-allow-private", "PARTNERD_WEBHOOK_ALLOW_PRIVATE")
	fs.twin(getenv, "webhook-concurrency", "PARTNERD_WEBHOOK_CONCURRENCY")
	fs.twin(getenv, "webhook-lease", "PARTNERD_WEBHOOK_LEASE")
	return o
}

// startWebhooks runs this instance's webhook dispatcher, the auto
// top-ups of pending crossings (at once after this instance wrote one,
// and every second for the rest: other instances' crossings, partners
// funded since, cap windows rolled over) and the hourly purge of events
// past their retention, until the returned stop is called
// (it waits for the attempts in flight). Each attempt's result is
// counted by observe.
func startWebhooks(ctx context.Context, db *sqlstore.DB, log *slog.Logger, o webhookOptions, observe func(result string)) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	// serve checked the concurrency and the lease (serveConfig.check).
	d := &webhook.Dispatcher{Queue: db, AllowPrivate: *o.allowPrivate, Concurrency: *o.concurrency, Log: log,
		Lease: *o.lease, Observe: observe}
	var wg sync.WaitGroup
	wg.Go(func() { d.Run(ctx) })
	wg.Go(func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			if _, err := db.RunAutoTopups(ctx, time.Now()); err != nil && ctx.Err() == nil {
				log.Warn("auto top-ups", "error", err.Error())
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			case <-db.TopupsCrossed():
			}
		}
	})
	wg.Go(func() {
		every(ctx, time.Hour, func() {
			if n, err := db.PurgeEvents(ctx); err != nil && ctx.Err() == nil {
				log.Warn("purge events", "error", err.Error())
			} else if n > 0 {
				log.Info("purged events", "count", n)
			}
		})
	})
	return func() {
		cancel()
		wg.Wait()
	}
}
