package main

import (
	"context"
	"fmt"
	"iter"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/wire"
)

// Events (API.md §8): what changed, newest first, kept 30 days.

func eventsList(ctx context.Context, args []string, env environment) error {
	f := newFlags("events list", "", env)
	typ := f.String("type", "", "only events of this type, such as balance.transferred")
	account := f.String("account", "", "only events of this customer (MA_…)")
	days := addDays(f)
	p := addPaging(f)
	if _, err := f.parse(args); err != nil {
		return err
	}
	filter := partnerd.EventFilter{Type: *typ, Account: *account}
	var err error
	if filter.From, filter.To, err = days.span(); err != nil {
		return err
	}
	c, err := f.client()
	if err != nil {
		return err
	}
	return list[*partnerd.Event]{
		fetch: func(p partnerd.Page) ([]*partnerd.Event, int, error) {
			filter.Page = p
			return c.Events(ctx, "", filter)
		},
		seq:    func() iter.Seq2[*partnerd.Event, error] { return c.EventsSeq(ctx, "", filter) },
		render: func(e *partnerd.Event) any { return wire.NewEvent(e) },
		header: []string{"ID", "TYPE", "ACCOUNT", "SEQUENCE", "CREATED_AT"},
		cols: func(e *partnerd.Event) []string {
			return []string{e.ID, e.Type, opt(e.AccountAuthID), itoa(int(e.Sequence)), ts(e.CreatedAt)}
		},
	}.print(f, p, env)
}

func eventsGet(ctx context.Context, args []string, env environment) error {
	f := newFlags("events get", "EVENT_ID", env)
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if !partnerd.IsEventID(pos[0]) {
		// The client refuses it unsent; a mistake in the command line.
		return usageError{fmt.Sprintf("EVENT_ID %q must be an event id, such as evt_…\n\n%s", pos[0], f.usage())}
	}
	c, err := f.client()
	if err != nil {
		return err
	}
	e, err := c.Event(ctx, "", pos[0])
	if err != nil {
		return err
	}
	return printRecord(f, env.stdout, wire.NewEvent(e), [][2]string{
		{"id", e.ID}, {"type", e.Type}, {"account_auth_id", opt(e.AccountAuthID)}, {"sequence", itoa(int(e.Sequence))},
		{"created_at", ts(e.CreatedAt)}, {"data", string(e.Data)},
	})
}
