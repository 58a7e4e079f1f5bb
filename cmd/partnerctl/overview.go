package main

import (
	"context"
	"fmt"
	"sort"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/wire"
)

func dashboard(ctx context.Context, args []string, env environment) error {
	f := newFlags("dashboard", "", env)
	_, c, err := f.parseClient(args)
	if err != nil {
		return err
	}
	d, err := c.Dashboard(ctx)
	if err != nil {
		return err
	}
	return printRecord(f, env.stdout, wire.NewDashboard(d), [][2]string{
		{"active_accounts", itoa(d.ActiveAccounts)}, {"total_balance", money(d.TotalBalance, d.Currency)},
		{"currency", d.Currency}, {"calls_today", itoa(d.CallsToday)}, {"calls_this_month", itoa(d.CallsThisMonth)},
		{"total_spend_this_month", money(d.SpendThisMonth, d.Currency)},
		{"accounts_low_balance", itoa(d.AccountsLowBalance)}, {"accounts_suspended", itoa(d.AccountsSuspended)},
	})
}

func analytics(ctx context.Context, args []string, env environment) error {
	f := newFlags("analytics", "", env)
	fromText := f.String("from-date", "", "first day, YYYY-MM-DD, in the partner's time zone (default: 29 days before --to-date)")
	toText := f.String("to-date", "", "last day, YYYY-MM-DD (default: today)")
	if _, err := f.parse(args); err != nil {
		return err
	}
	from, err := day("from-date", *fromText)
	if err != nil {
		return err
	}
	to, err := day("to-date", *toText)
	if err != nil {
		return err
	}
	c, err := f.client()
	if err != nil {
		return err
	}
	a, err := c.Analytics(ctx, from, to)
	if err != nil {
		return err
	}
	if f.json() {
		return printJSON(env.stdout, wire.NewAnalytics(a))
	}
	cur := a.Currency
	t := newTable(env.stdout)
	t.row("period", a.From.Format("2006-01-02")+" to "+a.To.Format("2006-01-02"))
	t.row("total_calls", itoa(a.Totals.Calls))
	t.row("answered_calls", itoa(a.Totals.Answered))
	t.row("failed_calls", itoa(a.Totals.Failed))
	t.row("total_duration_seconds", fmt.Sprint(a.Totals.DurationSeconds))
	t.row("total_cost", money(a.Totals.Cost, cur)+" "+cur)
	dirs := make([]string, 0, len(a.ByDirection))
	for d := range a.ByDirection {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	for _, d := range dirs {
		t.row(d, fmt.Sprintf("%s, %s %s", partnerd.Count(a.ByDirection[d].Calls, "call", "calls"), money(a.ByDirection[d].Cost, cur), cur))
	}
	if err := t.flush(); err != nil {
		return err
	}
	if len(a.TopCustomers) == 0 {
		return nil
	}
	fmt.Fprintln(env.stdout, "\nTop customers:")
	t = newTable(env.stdout, "AUTH_ID", "NAME", "CALLS", "COST")
	for _, tc := range a.TopCustomers {
		t.row(tc.AuthID, tc.Name, itoa(tc.Calls), money(tc.Cost, cur))
	}
	return t.flush()
}
