package main

import (
	"context"
	"fmt"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/client"
	"github.com/partnerd/partnerd/internal/wire"
)

// Auto top-up (API.md §8): get, set and off, each printing the settings
// with what today's and this month's top-ups used.

func autoTopupGet(ctx context.Context, args []string, env environment) error {
	return autoTopupRead(ctx, "auto-topup get", args, env, (*client.Client).AutoTopup)
}

func autoTopupOff(ctx context.Context, args []string, env environment) error {
	return autoTopupRead(ctx, "auto-topup off", args, env, (*client.Client).DisableAutoTopup)
}

func autoTopupRead(ctx context.Context, name string, args []string, env environment,
	op func(*client.Client, context.Context, string, string) (*partnerd.AutoTopup, error)) error {
	f := newFlags(name, "MA_…", env)
	pos, c, err := f.parseClient(args)
	if err != nil {
		return err
	}
	a, err := op(c, ctx, "", pos[0])
	if err != nil {
		return err
	}
	return printAutoTopup(f, env, a)
}

func autoTopupSet(ctx context.Context, args []string, env environment) error {
	f := newFlags("auto-topup set", "MA_…", env)
	threshold := f.String("threshold", "", "top up when the balance falls below this amount (required)")
	target := f.String("target-balance", "", "top up to this balance, above --threshold (required)")
	perDay := f.String("max-per-day", "", "the most topped up in one day (required)")
	perMonth := f.String("max-per-month", "", "the most topped up in one month (required)")
	count := f.Int("max-count-per-day", 0, "the most top-ups in one day, 1 to 1000 (required)")
	disabled := f.Bool("disabled", false, "store the settings but leave auto top-up off")
	pos, c, err := f.parseClient(args)
	if err != nil {
		return err
	}
	p, err := c.Me(ctx)
	if err != nil {
		return err
	}
	in := partnerd.AutoTopupInput{Enabled: !*disabled, MaxCountPerDay: *count}
	for _, a := range []struct {
		name string
		text string
		dst  *int64
	}{
		{"threshold", *threshold, &in.Threshold}, {"target-balance", *target, &in.TargetBalance},
		{"max-per-day", *perDay, &in.MaxPerDay}, {"max-per-month", *perMonth, &in.MaxPerMonth},
	} {
		v, code := partnerd.ParseAmountText(a.text, p.Currency)
		if code != "" || v <= 0 {
			return usageError{fmt.Sprintf("--%s %q must be a positive decimal with at most %d decimals (up to 1000000000) in %s\n\n%s",
				a.name, a.text, partnerd.CurrencyExponent(p.Currency), p.Currency, f.usage())}
		}
		*a.dst = v
	}
	c, err = f.client(client.WithCurrency(p.Currency))
	if err != nil {
		return err
	}
	a, err := c.SetAutoTopup(ctx, "", pos[0], in)
	if err != nil {
		return err
	}
	return printAutoTopup(f, env, a)
}

func printAutoTopup(f *cmdFlags, env environment, a *partnerd.AutoTopup) error {
	m := func(v int64) string { return money(v, a.Currency) }
	return printRecord(f, env.stdout, wire.NewAutoTopup(a), [][2]string{
		{"auth_id", a.AuthID}, {"enabled", fmt.Sprint(a.Enabled)}, {"threshold", m(a.Threshold)},
		{"target_balance", m(a.TargetBalance)}, {"max_per_day", m(a.MaxPerDay)}, {"max_per_month", m(a.MaxPerMonth)},
		{"max_count_per_day", itoa(a.MaxCountPerDay)}, {"currency", a.Currency},
		{"used_today", fmt.Sprintf("%s in %d", m(a.UsedToday), a.CountToday)},
		{"used_this_month", fmt.Sprintf("%s in %d", m(a.UsedThisMonth), a.CountThisMonth)},
		{"updated_at", ts(a.UpdatedAt)},
	})
}
