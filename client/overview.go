package client

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/wire"
)

// Dashboard returns the partner's overview (GET /dashboard): its
// customers now, its calls and spend today and this month, days counted
// in the partner's time zone. Today and MonthStarted stay zero: the
// answer does not carry them.
func (c *Client) Dashboard(ctx context.Context) (*partnerd.Dashboard, error) {
	var out wire.Dashboard
	if err := c.do(ctx, http.MethodGet, "/dashboard", nil, nil, &out); err != nil {
		return nil, err
	}
	d := &partnerd.Dashboard{
		ActiveAccounts: out.ActiveAccounts, Currency: out.Currency, CallsToday: out.CallsToday,
		CallsThisMonth: out.CallsThisMonth, AccountsLowBalance: out.AccountsLowBalance, AccountsSuspended: out.AccountsSuspended,
	}
	var err error
	if d.TotalBalance, err = wire.ParseMoney(out.TotalBalance, out.Currency); err != nil {
		return nil, err
	}
	if d.SpendThisMonth, err = wire.ParseMoney(out.SpendThisMonth, out.Currency); err != nil {
		return nil, err
	}
	return d, nil
}

// Analytics sums the partner's calls from the day of from to the day of
// to, both included (GET /analytics?from_date&to_date). Each day is the
// date from or to falls on in its own location, which the server reads in
// the partner's time zone; a zero from or to takes the server's default
// (the last 30 days). The answer's From and To are midnights in UTC of
// the days the server summed.
func (c *Client) Analytics(ctx context.Context, from, to time.Time) (*partnerd.Analytics, error) {
	q := url.Values{}
	if !from.IsZero() {
		q.Set("from_date", from.Format(time.DateOnly))
	}
	if !to.IsZero() {
		q.Set("to_date", to.Format(time.DateOnly))
	}
	var out wire.Analytics
	if err := c.do(ctx, http.MethodGet, "/analytics", q, nil, &out); err != nil {
		return nil, err
	}
	cur := out.Totals.Currency
	a := &partnerd.Analytics{
		Currency: cur,
		Totals: partnerd.CallTotals{Calls: out.Totals.TotalCalls, Answered: out.Totals.AnsweredCalls,
			Failed: out.Totals.FailedCalls, DurationSeconds: out.Totals.TotalDurationSeconds},
		ByDirection:  map[string]partnerd.CallTotals{},
		TopCustomers: make([]partnerd.TopCustomer, 0, len(out.TopCustomers)),
	}
	var err error
	if a.From, err = time.Parse(time.DateOnly, out.Period.From); err != nil {
		return nil, err
	}
	if a.To, err = time.Parse(time.DateOnly, out.Period.To); err != nil {
		return nil, err
	}
	if a.Totals.Cost, err = wire.ParseMoney(out.Totals.TotalCost, cur); err != nil {
		return nil, err
	}
	for dir, t := range out.ByDirection {
		cost, err := wire.ParseMoney(t.Cost, cur)
		if err != nil {
			return nil, err
		}
		a.ByDirection[dir] = partnerd.CallTotals{Calls: t.Calls, Cost: cost}
	}
	for _, tc := range out.TopCustomers {
		cost, err := wire.ParseMoney(tc.Cost, cur)
		if err != nil {
			return nil, err
		}
		a.TopCustomers = append(a.TopCustomers, partnerd.TopCustomer{AuthID: tc.AuthID, Name: tc.Name, Calls: tc.Calls, Cost: cost})
	}
	return a, nil
}
