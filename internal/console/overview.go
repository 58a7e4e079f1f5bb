package console

import (
	"net/http"
	"time"

	"github.com/partnerd/partnerd"
)

// chartDays is the span of the overview's charts.
const chartDays = 30

// maxBalanceEntries bounds how much of the wallet's log the balance chart
// reads back: days older than that are drawn as unknown.
const maxBalanceEntries = 5000

type overviewDay struct {
	Day     time.Time
	Calls   int
	Spend   int64
	Balance int64
	Known   bool // the balance at the day's end is known
}

type overviewPage struct {
	Dashboard  *partnerd.Dashboard
	Partner    *partnerd.Partner
	Days       []overviewDay
	Spend      barChart
	Calls      barChart
	Balance    lineChart
	LowBalance []*partnerd.Account
	Suspended  []*partnerd.Account
}

func (s *Server) handleOverview(w http.ResponseWriter, r *http.Request, ss *session) error {
	ctx, p := r.Context(), ss.partner
	loc := p.Location()
	now := s.c.Now()
	d, err := s.c.Overview.Dashboard(ctx, p.ID, now)
	if err != nil {
		return err
	}
	to := partnerd.DayIn(now.In(loc), loc)
	from := to.AddDate(0, 0, -(chartDays - 1))
	usage, err := s.c.Console.DailyUsage(ctx, p.ID, from, to)
	if err != nil {
		return err
	}
	// The dashboard counted both lists: each is read only when it has
	// someone (reading it scans the partner's customers).
	var low, suspended []*partnerd.Account
	if d.AccountsLowBalance > 0 {
		if low, err = s.c.Console.LowBalanceAccounts(ctx, p.ID, 10); err != nil {
			return err
		}
	}
	if d.AccountsSuspended > 0 {
		f := partnerd.AccountFilter{Status: partnerd.StatusSuspended, Page: partnerd.Page{Page: 1, Size: 10}}
		if suspended, _, err = s.c.Accounts.ListAccounts(ctx, p.ID, f); err != nil {
			return err
		}
	}
	days := make([]overviewDay, len(usage))
	for i, u := range usage {
		days[i] = overviewDay{Day: u.Day, Calls: u.Calls, Spend: u.Spend}
	}
	if err := s.balanceHistory(r, p, days); err != nil {
		return err
	}
	money := func(v int64) string { return formatMoney(v, p.Currency) }
	count := func(v int64) string { return formatInt(int(v)) }
	dayTimes := make([]time.Time, len(days))
	spend, calls, bal := make([]int64, len(days)), make([]int64, len(days)), make([]int64, len(days))
	known := make([]bool, len(days))
	for i, d := range days {
		dayTimes[i], spend[i], calls[i], bal[i], known[i] = d.Day, d.Spend, int64(d.Calls), d.Balance, d.Known
	}
	return s.render(w, r, http.StatusOK, "overview", ss, overviewPage{
		Dashboard: d, Partner: p, Days: days, LowBalance: low, Suspended: suspended,
		Spend:   newBarChart("Daily spend, last 30 days", dayTimes, spend, money, loc),
		Calls:   newBarChart("Daily calls, last 30 days", dayTimes, calls, count, loc),
		Balance: newLineChart("Wallet balance at the end of each day", dayTimes, bal, known, money, loc),
	})
}

// balanceHistory fills each day's closing balance of the partner's
// master wallet from its log, newest first: a day closes with the balance
// after its last entry, or after the last entry before it. At most
// maxBalanceEntries entries are read; older days stay unknown.
func (s *Server) balanceHistory(r *http.Request, p *partnerd.Partner, days []overviewDay) error {
	i := len(days) - 1
	rest := p.Balance // before every entry read so far
	read := 0
	for e, err := range s.c.Ledger.PartnerEntriesSeq(r.Context(), p.ID, partnerd.EntryFilter{From: days[0].Day}) {
		if err != nil {
			return err
		}
		for i >= 0 && e.CreatedAt.Before(days[i].Day.AddDate(0, 0, 1)) {
			days[i].Balance, days[i].Known = e.BalanceAfter, true
			i--
		}
		rest = e.BalanceBefore
		if read++; read >= maxBalanceEntries {
			return nil
		}
	}
	for ; i >= 0; i-- {
		days[i].Balance, days[i].Known = rest, true
	}
	return nil
}
