package main

import (
	"context"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/wire"
)

// auditJSON is one row of partnerd audit list: the row as GET
// /audit-events shows it, and its partner (null for a change of no
// partner's, as a switch token).
type auditJSON struct {
	PartnerID *string `json:"partner_id"`
	wire.AuditEvent
}

// auditList prints the audit log of every partner (or one), newest
// first, one JSON object per line, as the other list commands do.
func auditList(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("audit list", "", stdout)
	dbFlag := fs.db(getenv)
	partner := fs.String("partner", "", "only this partner's rows, PA_…")
	action := fs.String("action", "", "only rows of this action, as account.create or balance.transfer")
	account := fs.String("account", "", "only rows about this customer, MA_…")
	from := fs.String("from-date", "", "only rows from this day on, YYYY-MM-DD (UTC)")
	to := fs.String("to-date", "", "only rows up to this day, YYYY-MM-DD (UTC)")
	limit := fs.Int("limit", 100, "print at most this many rows, newest first (0: all)")
	if err := fs.parse(args); err != nil {
		return err
	}
	if *limit < 0 {
		return usageError{"--limit must be 0 or more\n\n" + fs.usage()}
	}
	if *partner != "" && !partnerd.IsPartnerID(*partner) {
		return usageError{"--partner must be a partner id, PA_ and 8 characters\n\n" + fs.usage()}
	}
	set := func(name string, v *string) *string {
		if fs.Lookup(name).Value.String() == "" {
			return nil
		}
		return v
	}
	f, err := partnerd.AuditParams{Action: set("action", action), Account: set("account", account),
		FromDate: set("from-date", from), ToDate: set("to-date", to)}.Filter(time.UTC)
	var e *partnerd.Error
	if errors.As(err, &e) {
		for i := range e.Fields { // the flags' names: from_date is --from-date
			e.Fields[i].Field = strings.ReplaceAll(e.Fields[i].Field, "_", "-")
		}
	}
	if err != nil {
		return describe(err)
	}
	f.Partner = *partner
	db, err := openStore(ctx, *dbFlag, getenv, nil, reading)
	if err != nil {
		return err
	}
	defer db.Close()
	var rows []*partnerd.AuditEvent
	for page := 1; *limit == 0 || len(rows) < *limit; page++ {
		f.Page = partnerd.Page{Page: page, Size: partnerd.MaxPageSize}
		got, _, err := db.AuditLog(ctx, f)
		if err != nil {
			return err
		}
		rows = append(rows, got...)
		if len(got) < partnerd.MaxPageSize {
			break
		}
	}
	if *limit > 0 && len(rows) > *limit {
		rows = rows[:*limit]
	}
	return printLines(stdout, stderr, "no audit rows", rows, func(e *partnerd.AuditEvent) any {
		var p *string
		if e.PartnerID != "" {
			p = &e.PartnerID
		}
		return auditJSON{PartnerID: p, AuditEvent: wire.NewAuditEvent(e)}
	})
}
