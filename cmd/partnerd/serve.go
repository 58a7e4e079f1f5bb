package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/httpapi"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", "", stdout)
	dbFlag := fs.db(getenv)
	addrDefault := getenv("PARTNERD_ADDR")
	if addrDefault == "" {
		addrDefault = "127.0.0.1:8080"
	}
	addr := fs.String("addr", addrDefault, "listen address (env PARTNERD_ADDR)")
	sipRealm := fs.String("sip-realm", partnerd.DefaultSIPRealm, "SIP digest realm (the customers' sip_domain) that new SIP passwords are hashed in")
	hooks := webhookFlags(fs, getenv)
	if err := fs.parse(args); err != nil {
		return err
	}
	if !partnerd.ValidSIPRealm(*sipRealm) {
		return usageError{fmt.Sprintf("--sip-realm %q must be a host name (letters, digits, '.' and '-')\n\n%s", *sipRealm, fs.usage())}
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil))

	db, err := openStore(ctx, *dbFlag, getenv, log, serving)
	if err != nil {
		return err
	}
	defer db.Close()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	if err := firstStart(ctx, db, ln.Addr().String(), stdout); err != nil {
		ln.Close()
		return err
	}

	api := httpapi.NewServer(httpapi.Config{
		Accounts: db, Lifecycle: db, Partners: db, Ledger: db, Idempotency: db, Logger: log, AccessLog: stderr, Ping: db.Ping,
		Numbers:  db,
		Rates:    db,
		Switches: db, SIP: db, SIPRealm: *sipRealm, Calls: db, CDRs: db, Overview: db, Events: db, Webhooks: db, AutoTopups: db,
	})
	defer api.Close() // after the HTTP server has stopped: the last access lines
	srv := api.HTTPServer(httpapi.HTTPOptions{})
	go purgeIdempotencyKeys(ctx, db, log)
	defer startSweeps(ctx, db, log)()          // stopped before the store closes
	defer startWebhooks(ctx, db, log, hooks)() // likewise
	log.Info("listening", "addr", ln.Addr().String(), "db", *dbFlag)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	// In-flight requests get a bounded time to finish; then the store
	// closes, which commits or fails every queued write before returning.
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		// Requests were cut off: say so with a non-zero exit.
		srv.Close()
		return fmt.Errorf("shutdown: in-flight requests did not finish in time: %w", err)
	}
	return nil
}

// firstStart creates a partner on an empty database and prints its
// credentials once, with a curl command to try.
func firstStart(ctx context.Context, db *sqlstore.DB, addr string, stdout io.Writer) error {
	p, token, err := db.CreateFirstPartner(ctx, partnerd.PartnerInput{Name: "Default partner", Email: "partner@example.com"})
	if err != nil || p == nil {
		return err
	}
	fmt.Fprintf(stdout, `partnerd: created the first partner on this empty database. Save its token now: it is not shown again.

  X-Auth-ID:    %s
  X-Auth-Token: %s

Try it:

  curl -s http://%s/api/v1/partner/me -H "X-Auth-ID: %s" -H "X-Auth-Token: %s" -H "Accept: application/json"

`, p.ID, token, addr, p.ID, token)
	return nil
}

// purgeIdempotencyKeys deletes expired idempotency keys at start and then
// hourly, until ctx ends.
func purgeIdempotencyKeys(ctx context.Context, db *sqlstore.DB, log *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if n, err := db.PurgeIdempotencyKeys(ctx); err != nil && ctx.Err() == nil {
			log.Warn("purge idempotency keys", "error", err.Error())
		} else if n > 0 {
			log.Info("purged idempotency keys", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
