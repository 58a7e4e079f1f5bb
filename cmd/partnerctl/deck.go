package main

import (
	"context"
	"iter"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/wire"
)

// The partner's rate deck (API.md §5): a read-only list.

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

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
