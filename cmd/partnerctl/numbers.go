package main

import (
	"context"
	"fmt"
	"iter"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/wire"
)

func numbersList(ctx context.Context, args []string, env environment) error {
	f := newFlags("numbers list", "", env)
	account := f.String("account", "", "one customer's numbers (MA_…); default: the partner's whole pool")
	status := f.String("status", "", "pool only: assigned or available")
	search := f.String("search", "", "only numbers containing this")
	p := addPaging(f)
	_, c, err := f.parseClient(args)
	if err != nil {
		return err
	}
	filter := partnerd.NumberFilter{Search: *search, Status: *status}
	l := list[*partnerd.Number]{
		fetch: func(p partnerd.Page) ([]*partnerd.Number, int, error) {
			filter.Page = p
			return c.ListNumbers(ctx, "", filter)
		},
		seq:    func() iter.Seq2[*partnerd.Number, error] { return c.NumbersSeq(ctx, "", filter) },
		render: func(n *partnerd.Number) any { return wire.NewNumberItem(n) },
		header: []string{"NUMBER", "TYPE", "COUNTRY", "STATUS", "MONTHLY_COST", "CURRENCY", "ACCOUNT", "ASSIGNED_AT"},
		cols: func(n *partnerd.Number) []string {
			return []string{n.Number, n.Type, n.Country, n.Status, money(n.MonthlyCost, n.Currency), n.Currency,
				opt(n.AccountAuthID), optTime(n.AssignedAt)}
		},
	}
	if *account != "" {
		if *status != "" {
			return usageError{"--status filters the pool, not one customer's numbers\n\n" + f.usage()}
		}
		l.fetch = func(p partnerd.Page) ([]*partnerd.Number, int, error) {
			filter.Page = p
			return c.ListAccountNumbers(ctx, "", *account, filter)
		}
		l.seq = func() iter.Seq2[*partnerd.Number, error] { return c.AccountNumbersSeq(ctx, "", *account, filter) }
		l.render = func(n *partnerd.Number) any { return wire.NewNumber(n) }
	}
	return l.print(f, p, env)
}

func numbersAssign(ctx context.Context, args []string, env environment) error {
	f := newFlags("numbers assign", "MA_… NUMBER", env)
	key := idempotencyKey(f)
	pos, c, err := f.parseClient(args)
	if err != nil {
		return err
	}
	n, err := c.AssignNumber(withKey(ctx, *key), "", pos[0], pos[1])
	if err != nil {
		return err
	}
	return printRecord(f, env.stdout, wire.NewNumber(n), [][2]string{
		{"number", n.Number}, {"number_type", n.Type}, {"country", n.Country}, {"status", n.Status},
		{"monthly_cost", money(n.MonthlyCost, n.Currency)}, {"currency", n.Currency}, {"assigned_at", optTime(n.AssignedAt)},
	})
}

func numbersRelease(ctx context.Context, args []string, env environment) error {
	f := newFlags("numbers release", "MA_… NUMBER", env)
	pos, c, err := f.parseClient(args)
	if err != nil {
		return err
	}
	if err := c.ReleaseNumber(ctx, "", pos[0], pos[1]); err != nil {
		return err
	}
	if f.json() {
		return nil // the API answers 204: no JSON
	}
	fmt.Fprintf(env.stdout, "released %s from %s\n", pos[1], pos[0])
	return nil
}
