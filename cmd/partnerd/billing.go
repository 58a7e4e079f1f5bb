package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

// billingRun runs the renewal sweep, the expired-reservation sweep and
// the usage snapshots once, as the server does by itself.
func billingRun(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("billing run", "", stdout)
	dbFlag := fs.db(getenv)
	if err := fs.parse(args); err != nil {
		return err
	}
	db, err := openStore(ctx, *dbFlag, getenv, nil, existing)
	if err != nil {
		return err
	}
	defer db.Close()
	now := time.Now()
	rep, err := db.RenewNumbers(ctx, now)
	if err != nil {
		return err
	}
	exp, err := db.ExpireReservations(ctx, now)
	if err != nil {
		return err
	}
	snaps, err := db.SnapshotUsage(ctx, now)
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(map[string]int{
		"periods_charged": rep.Charged, "numbers_suspended": rep.Suspended, "numbers_restored": rep.Restored,
		"reservations_released": exp.Released, "usage_snapshots_written": snaps,
	})
}

// renewalInterval is how often the server sweeps renewals. Each instance
// sweeps; a period is charged once whichever gets to it first.
const renewalInterval = time.Hour

// usageSnapshotInterval is how often the server brings the usage
// snapshots analytics reads up to yesterday: soon after a partner's
// midnight, the new day has its snapshot.
const usageSnapshotInterval = time.Minute

// startSweeps runs the server's sweeps until ctx ends or the returned stop
// is called: renewals at once and every renewalInterval, expired
// reservations at once and every partnerd.ReservationSweepInterval. stop
// waits for the sweeps under way, so the store can close after them.
func startSweeps(ctx context.Context, db *sqlstore.DB, log *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		every(ctx, renewalInterval, func() {
			rep, err := db.RenewNumbers(ctx, time.Now())
			switch {
			case err != nil && ctx.Err() == nil:
				log.Warn("renew numbers", "error", err.Error())
			case rep.Charged+rep.Suspended+rep.Restored > 0:
				log.Info("renewed numbers", "periods_charged", rep.Charged, "suspended", rep.Suspended, "restored", rep.Restored)
			}
		})
	})
	wg.Go(func() {
		every(ctx, partnerd.ReservationSweepInterval, func() {
			rep, err := db.ExpireReservations(ctx, time.Now())
			switch {
			case err != nil && ctx.Err() == nil:
				log.Warn("expire reservations", "error", err.Error())
			case rep.Released > 0:
				log.Info("released expired reservations", "count", rep.Released)
			}
		})
	})
	wg.Go(func() {
		every(ctx, usageSnapshotInterval, func() {
			n, err := db.SnapshotUsage(ctx, time.Now())
			switch {
			case err != nil && ctx.Err() == nil:
				log.Warn("snapshot usage", "error", err.Error())
			case n > 0:
				log.Info("snapshotted usage", "days", n)
			}
		})
	})
	return func() {
		cancel()
		wg.Wait()
	}
}

// every runs fn at once and then every interval until ctx ends.
func every(ctx context.Context, interval time.Duration, fn func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		fn()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
