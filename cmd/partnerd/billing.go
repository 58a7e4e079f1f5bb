package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/partnerd/partnerd/internal/sqlstore"
)

// billingRun runs the renewal sweep once, as the server does hourly.
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
	rep, err := db.RenewNumbers(ctx, time.Now())
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(map[string]int{
		"periods_charged": rep.Charged, "numbers_suspended": rep.Suspended, "numbers_restored": rep.Restored,
	})
}

// renewalInterval is how often the server sweeps renewals. Each instance
// sweeps; a period is charged once whichever gets to it first.
const renewalInterval = time.Hour

// startRenewals sweeps renewals at once and then every renewalInterval
// until ctx ends or the returned stop is called; stop waits for a sweep
// under way, so the store can close after it.
func startRenewals(ctx context.Context, db *sqlstore.DB, log *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(renewalInterval)
		defer t.Stop()
		for {
			rep, err := db.RenewNumbers(ctx, time.Now())
			switch {
			case err != nil && ctx.Err() == nil:
				log.Warn("renew numbers", "error", err.Error())
			case rep.Charged+rep.Suspended+rep.Restored > 0:
				log.Info("renewed numbers", "periods_charged", rep.Charged, "suspended", rep.Suspended, "restored", rep.Restored)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	})
	return func() {
		cancel()
		wg.Wait()
	}
}
