package main

import (
	"context"
	"iter"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/wire"
)

// The partner's audit log (API.md §7): a read-only list, newest first.

func auditList(ctx context.Context, args []string, env environment) error {
	f := newFlags("audit-events list", "", env)
	action := f.String("action", "", "only rows of this action, such as balance.transfer")
	account := f.String("account", "", "only rows about this customer (MA_…)")
	days := addDays(f)
	p := addPaging(f)
	if _, err := f.parse(args); err != nil {
		return err
	}
	filter := partnerd.AuditFilter{Action: *action, Account: *account}
	var err error
	if filter.From, filter.To, err = days.span(); err != nil {
		return err
	}
	c, err := f.client()
	if err != nil {
		return err
	}
	return list[*partnerd.AuditEvent]{
		fetch: func(p partnerd.Page) ([]*partnerd.AuditEvent, int, error) {
			filter.Page = p
			return c.AuditEvents(ctx, "", filter)
		},
		seq:    func() iter.Seq2[*partnerd.AuditEvent, error] { return c.AuditEventsSeq(ctx, "", filter) },
		render: func(e *partnerd.AuditEvent) any { return wire.NewAuditEvent(e) },
		header: []string{"ID", "AT", "ACTOR", "ACTION", "TARGET", "ACCOUNT", "REQUEST_ID"},
		cols: func(e *partnerd.AuditEvent) []string {
			return []string{e.ID, ts(e.At), e.Actor.Kind + ":" + e.Actor.ID, e.Action, e.Target, orDash(e.Account), orDash(e.RequestID)}
		},
	}.print(f, p, env)
}

// orDash writes a text that may be empty, "-" when it is.
