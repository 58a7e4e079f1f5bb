package main

import (
	"context"
	"iter"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/wire"
)

// The partner's rate deck (API.md §5) and audit log (API.md §7): read-only
// lists.

func ratesList(ctx context.Context, args []string, env environment) error {
	f := newFlags("rates list", "", env)
	direction := f.String("direction", "", "only rates of this direction: inbound or outbound")
	prefix := f.String("prefix", "", "only rates whose prefix starts with these digits")
	p := addPaging(f)
	_, c, err := f.parseClient(args)
	if err != nil {
		return err
	}
	if err := p.check(f); err != nil {
		return err
	}
	// Rates carry no currency: they are priced in the partner's.
	me, err := c.Me(ctx)
	if err != nil {
		return err
	}
	filter := partnerd.RateFilter{Direction: *direction, Prefix: *prefix}
	return list[*partnerd.Rate]{
		fetch: func(p partnerd.Page) ([]*partnerd.Rate, int, error) {
			filter.Page = p
			return c.ListRates(ctx, "", filter)
		},
		seq:    func() iter.Seq2[*partnerd.Rate, error] { return c.RatesSeq(ctx, "", filter) },
		render: func(r *partnerd.Rate) any { return wire.NewRate(r, me.Currency) },
		header: []string{"DIRECTION", "PREFIX", "RATE_PER_MINUTE", "CURRENCY", "INITIAL_INCREMENT", "SUBSEQUENT_INCREMENT"},
		cols: func(r *partnerd.Rate) []string {
			return []string{r.Direction, r.Prefix, string(wire.RatePerMinute(r.PerMinute)), me.Currency,
				itoa(r.InitialIncrement), itoa(r.SubsequentIncrement)}
		},
	}.print(f, p, env)
}

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
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
