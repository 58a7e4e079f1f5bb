package wire

import (
	"encoding/json"
	"time"

	"github.com/partnerd/partnerd"
)

// Dashboard is the body of GET /dashboard.
type Dashboard struct {
	ActiveAccounts     int             `json:"active_accounts"`
	TotalBalance       json.RawMessage `json:"total_balance"`
	Currency           string          `json:"currency"`
	CallsToday         int             `json:"calls_today"`
	CallsThisMonth     int             `json:"calls_this_month"`
	SpendThisMonth     json.RawMessage `json:"total_spend_this_month"`
	AccountsLowBalance int             `json:"accounts_low_balance"`
	AccountsSuspended  int             `json:"accounts_suspended"`
}

// NewDashboard renders a partner's overview.
func NewDashboard(d *partnerd.Dashboard) Dashboard {
	return Dashboard{
		ActiveAccounts: d.ActiveAccounts, TotalBalance: Money(d.TotalBalance, d.Currency), Currency: d.Currency,
		CallsToday: d.CallsToday, CallsThisMonth: d.CallsThisMonth, SpendThisMonth: Money(d.SpendThisMonth, d.Currency),
		AccountsLowBalance: d.AccountsLowBalance, AccountsSuspended: d.AccountsSuspended,
	}
}

// Analytics is the body of GET /analytics.
type Analytics struct {
	Period       Period                     `json:"period"`
	Totals       AnalyticsTotals            `json:"totals"`
	ByDirection  map[string]DirectionTotals `json:"by_direction"`
	TopCustomers []TopCustomer              `json:"top_customers"`
}

// Period is the days analytics covers, both included.
type Period struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// AnalyticsTotals sums every call of the period.
type AnalyticsTotals struct {
	TotalCalls           int             `json:"total_calls"`
	AnsweredCalls        int             `json:"answered_calls"`
	FailedCalls          int             `json:"failed_calls"`
	TotalDurationSeconds int64           `json:"total_duration_seconds"`
	TotalCost            json.RawMessage `json:"total_cost"`
	Currency             string          `json:"currency"`
}

// DirectionTotals sums the calls of one direction.
type DirectionTotals struct {
	Calls int             `json:"calls"`
	Cost  json.RawMessage `json:"cost"`
}

// TopCustomer is one row of analytics' top customers.
type TopCustomer struct {
	AuthID string          `json:"auth_id"`
	Name   string          `json:"name"`
	Calls  int             `json:"calls"`
	Cost   json.RawMessage `json:"cost"`
}

// NewAnalytics renders a partner's analytics.
func NewAnalytics(a *partnerd.Analytics) Analytics {
	out := Analytics{
		Period: Period{From: a.From.Format(time.DateOnly), To: a.To.Format(time.DateOnly)},
		Totals: AnalyticsTotals{
			TotalCalls: a.Totals.Calls, AnsweredCalls: a.Totals.Answered, FailedCalls: a.Totals.Failed,
			TotalDurationSeconds: a.Totals.DurationSeconds, TotalCost: Money(a.Totals.Cost, a.Currency), Currency: a.Currency,
		},
		ByDirection:  map[string]DirectionTotals{},
		TopCustomers: make([]TopCustomer, 0, len(a.TopCustomers)),
	}
	for _, d := range partnerd.Directions {
		t := a.ByDirection[d]
		out.ByDirection[d] = DirectionTotals{Calls: t.Calls, Cost: Money(t.Cost, a.Currency)}
	}
	for _, c := range a.TopCustomers {
		out.TopCustomers = append(out.TopCustomers, TopCustomer{AuthID: c.AuthID, Name: c.Name, Calls: c.Calls, Cost: Money(c.Cost, a.Currency)})
	}
	return out
}
