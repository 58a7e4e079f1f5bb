package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/console"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

// newConsole is the web console on the store the API serves (API.md §9).
// forget is told the partners whose credentials a console action
// changed (the API server's ForgetCredentials).
func newConsole(db *sqlstore.DB, realm string, log *slog.Logger, forget func(partnerID string)) *console.Server {
	return console.New(console.Config{
		Accounts: db, Lifecycle: db, Partners: db, Ledger: db, Numbers: db, SIP: db, CDRs: db, Overview: db,
		Webhooks: db, AutoTopups: db, Idempotency: db, Console: db, Audit: db, SIPRealm: realm, Logger: log, ForgetCredentials: forget,
		Unavailable: sqlstore.Unavailable,
	})
}

// partnerConsoleLink prints a one-time link where the partner sets its
// console password (valid 24 hours; only the token's hash is stored).
func partnerConsoleLink(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("partner console-link", "PA_…", stdout)
	dbFlag := fs.db(getenv)
	base := fs.String("url", "http://127.0.0.1:8080", "the server's address as the partner's browser reaches it")
	if err := fs.parse(args); err != nil {
		return err
	}
	partnerID := fs.Arg(0)
	if !partnerd.IsPartnerID(partnerID) {
		return usageError{"partner console-link: " + partnerID + " is not a partner id (PA_ and 8 upper-case letters or digits)\n\n" + fs.usage()}
	}
	db, err := openStore(ctx, *dbFlag, getenv, nil, existing)
	if err != nil {
		return err
	}
	defer db.Close()
	token, expires, err := db.CreateConsoleSetupToken(ctx, partnerID)
	if err != nil {
		return describe(err)
	}
	return json.NewEncoder(stdout).Encode(struct {
		AuthID    string `json:"auth_id"`
		URL       string `json:"url"`
		ExpiresAt string `json:"expires_at"`
	}{partnerID, strings.TrimRight(*base, "/") + "/console/setup/" + token, expires.UTC().Format(time.RFC3339)})
}
