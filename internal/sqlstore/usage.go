package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/partnerd/partnerd"
)

var _ partnerd.OverviewService = (*DB)(nil)

// Usage aggregates (migration 00014): every charge adds to the partner's
// row of its day and kind and, for a call, to its customer's row of the
// day, in the charge's transaction. The dashboard and analytics read them
// instead of the CDRs.

type usageKey struct {
	partnerID string
	day       int64
	kind      string // inbound, outbound or rental
}

type usageSums struct {
	calls, answered, failed, noAnswer, busy, duration, cost, spend int64
}

type accountUsageKey struct {
	partnerID string
	day       int64
	authID    string
}

type accountUsageSums struct {
	calls, cost int64
}

// usageBatch gathers the usage of one write, so that it is written with
// one statement per row touched, however many charges it sums.
type usageBatch struct {
	partner map[usageKey]*usageSums
	account map[accountUsageKey]*accountUsageSums
	order   []usageKey        // first-touch order: one lock order per batch
	aorder  []accountUsageKey // likewise
}

// addCall counts one call of a customer on the day it started (day), and
// what was charged of its rated cost on the day it was charged
// (chargeDay): spend is money, counted when it moved, like the ledger.
func (b *usageBatch) addCall(partnerID, authID string, day, chargeDay int64, direction, status string, duration int, cost, charged int64) {
	b.sums(usageKey{partnerID, chargeDay, direction}).spend += charged
	s := b.sums(usageKey{partnerID, day, direction})
	s.calls++
	switch status {
	case partnerd.CallAnswered:
		s.answered++
	case partnerd.CallFailed:
		s.failed++
	case partnerd.CallNoAnswer:
		s.noAnswer++
	case partnerd.CallBusy:
		s.busy++
	}
	s.duration += int64(duration)
	s.cost += cost
	k := accountUsageKey{partnerID, day, authID}
	if b.account == nil {
		b.account = make(map[accountUsageKey]*accountUsageSums)
	}
	a, ok := b.account[k]
	if !ok {
		a = &accountUsageSums{}
		b.account[k] = a
		b.aorder = append(b.aorder, k)
	}
	a.calls++
	a.cost += cost
}

// addRental counts one period of a number's rent.
func (b *usageBatch) addRental(partnerID string, day int64, charged int64) {
	b.sums(usageKey{partnerID, day, "rental"}).spend += charged
}

func (b *usageBatch) sums(k usageKey) *usageSums {
	if b.partner == nil {
		b.partner = make(map[usageKey]*usageSums)
	}
	s, ok := b.partner[k]
	if !ok {
		s = &usageSums{}
		b.partner[k] = s
		b.order = append(b.order, k)
	}
	return s
}

// write adds the batch to the aggregates.
func (b *usageBatch) write(tx *txn) error {
	for _, k := range b.order {
		s := b.partner[k]
		if _, err := tx.exec(`INSERT INTO usage_daily (partner_id, day, kind, calls, answered, failed, no_answer, busy, duration, cost, spend)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (partner_id, day, kind) DO UPDATE SET calls = usage_daily.calls + excluded.calls,
				answered = usage_daily.answered + excluded.answered, failed = usage_daily.failed + excluded.failed,
				no_answer = usage_daily.no_answer + excluded.no_answer, busy = usage_daily.busy + excluded.busy,
				duration = usage_daily.duration + excluded.duration, cost = usage_daily.cost + excluded.cost,
				spend = usage_daily.spend + excluded.spend`,
			k.partnerID, k.day, k.kind, s.calls, s.answered, s.failed, s.noAnswer, s.busy, s.duration, s.cost, s.spend); err != nil {
			return fmt.Errorf("usage: %w", err)
		}
	}
	for _, k := range b.aorder {
		s := b.account[k]
		if _, err := tx.exec(`INSERT INTO usage_daily_account (partner_id, day, account_auth_id, calls, cost) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (partner_id, day, account_auth_id) DO UPDATE SET calls = usage_daily_account.calls + excluded.calls,
				cost = usage_daily_account.cost + excluded.cost`,
			k.partnerID, k.day, k.authID, s.calls, s.cost); err != nil {
			return fmt.Errorf("usage: %w", err)
		}
	}
	return nil
}

// partnerLocation reads the time zone a partner's days are counted in.
func partnerLocation(tx *txn, partnerID string) (*time.Location, error) {
	var tz string
	if err := tx.queryRow(`SELECT timezone FROM partners WHERE id = ?`, partnerID).Scan(&tz); err != nil {
		return nil, err
	}
	return partnerd.LoadLocation(tz), nil
}

// rebuildUsage recomputes a partner's aggregates from its CDRs and its
// customers' rent, with days in loc: after its time zone changed.
func rebuildUsage(tx *txn, partnerID string, loc *time.Location) error {
	for _, table := range []string{"usage_daily", "usage_daily_account"} {
		if _, err := tx.exec(`DELETE FROM `+table+` WHERE partner_id = ?`, partnerID); err != nil {
			return err
		}
	}
	var b usageBatch
	if err := tx.scanRows(func(rows *sql.Rows) error {
		var authID, direction string
		var start, charged, cost, unbilled int64
		var billsec, duration int
		var cause *string
		if err := rows.Scan(&authID, &direction, &start, &billsec, &cause, &duration, &cost, &unbilled, &charged); err != nil {
			return err
		}
		b.addCall(partnerID, authID, partnerd.LocalDay(time.Unix(start, 0), loc), partnerd.LocalDay(time.Unix(charged, 0), loc), direction,
			partnerd.CallStatus(billsec, cause), duration, cost, cost-unbilled)
		return nil
	}, `SELECT account_auth_id, direction, start_time, billsec, hangup_cause, duration_seconds, cost, unbilled_amount, created_at
		FROM cdrs WHERE partner_id = ?`, partnerID); err != nil {
		return err
	}
	if err := tx.scanRows(func(rows *sql.Rows) error {
		var at, charged int64
		if err := rows.Scan(&at, &charged); err != nil {
			return err
		}
		b.addRental(partnerID, partnerd.LocalDay(time.Unix(at, 0), loc), charged)
		return nil
	}, `SELECT e.created_at, -e.amount FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.transaction_id
		WHERE e.partner_id = ? AND e.wallet_kind = 'customer' AND t.kind = 'number_rental'`, partnerID); err != nil {
		return err
	}
	return b.write(tx)
}

// Dashboard returns the partner's overview at now.
func (db *DB) Dashboard(ctx context.Context, partnerID string, now time.Time) (_ *partnerd.Dashboard, err error) {
	defer wrapErr("dashboard", &err)
	p, err := db.Partner(ctx, partnerID)
	if err != nil {
		return nil, err
	}
	loc := p.Location()
	d := &partnerd.Dashboard{Currency: p.Currency, Today: partnerd.DayIn(now.In(loc), loc)}
	d.MonthStarted = time.Date(d.Today.Year(), d.Today.Month(), 1, 0, 0, 0, 0, loc)
	err = db.queryRow(ctx, `SELECT COALESCE(SUM(CASE WHEN a.status = 'active' THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN a.status = 'suspended' THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN a.status = 'active' AND w.balance < ? THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(w.balance), 0)
		FROM accounts a JOIN wallets w ON w.id = a.auth_id WHERE a.partner_id = ?`, p.LowBalance, partnerID).
		Scan(&d.ActiveAccounts, &d.AccountsSuspended, &d.AccountsLowBalance, &d.TotalBalance)
	if err != nil {
		return nil, err
	}
	today, month := partnerd.LocalDay(d.Today, loc), partnerd.LocalDay(d.MonthStarted, loc)
	next := partnerd.LocalDay(d.MonthStarted.AddDate(0, 1, 0), loc)
	err = db.queryRow(ctx, `SELECT COALESCE(SUM(CASE WHEN day = ? THEN calls ELSE 0 END), 0), COALESCE(SUM(calls), 0),
			COALESCE(SUM(spend), 0)
		FROM usage_daily WHERE partner_id = ? AND day >= ? AND day < ?`, today, partnerID, month, next).
		Scan(&d.CallsToday, &d.CallsThisMonth, &d.SpendThisMonth)
	if err != nil {
		return nil, err
	}
	return d, nil
}

// Analytics sums the partner's calls of the days from to to (local
// midnights in the partner's time zone).
func (db *DB) Analytics(ctx context.Context, partnerID string, from, to time.Time) (_ *partnerd.Analytics, err error) {
	defer wrapErr("analytics", &err)
	var currency string
	err = db.queryRow(ctx, `SELECT currency FROM partners WHERE id = ?`, partnerID).Scan(&currency)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, partnerd.Errorf(partnerd.ECNotFound, "No partner %q exists.", partnerID)
	}
	if err != nil {
		return nil, err
	}
	first, last := partnerd.LocalDay(from, from.Location()), partnerd.LocalDay(to, to.Location())
	a := &partnerd.Analytics{From: from, To: to, Currency: currency, ByDirection: map[string]partnerd.CallTotals{},
		TopCustomers: []partnerd.TopCustomer{}}
	err = db.scanRows(ctx, func(rows *sql.Rows) error {
		var kind string
		var t partnerd.CallTotals
		if err := rows.Scan(&kind, &t.Calls, &t.Answered, &t.Failed, &t.DurationSeconds, &t.Cost); err != nil {
			return err
		}
		a.ByDirection[kind] = t
		a.Totals.Calls += t.Calls
		a.Totals.Answered += t.Answered
		a.Totals.Failed += t.Failed
		a.Totals.DurationSeconds += t.DurationSeconds
		a.Totals.Cost += t.Cost
		return nil
	}, `SELECT kind, SUM(calls), SUM(answered), SUM(failed), SUM(duration), SUM(cost) FROM usage_daily
		WHERE partner_id = ? AND day >= ? AND day <= ? AND kind <> 'rental' GROUP BY kind`, partnerID, first, last)
	if err != nil {
		return nil, err
	}
	err = db.scanRows(ctx, func(rows *sql.Rows) error {
		var c partnerd.TopCustomer
		err := rows.Scan(&c.AuthID, &c.Name, &c.Calls, &c.Cost)
		a.TopCustomers = append(a.TopCustomers, c)
		return err
	}, `SELECT u.account_auth_id, a.name, u.calls, u.cost FROM (
			SELECT account_auth_id, SUM(calls) AS calls, SUM(cost) AS cost FROM usage_daily_account
			WHERE partner_id = ? AND day >= ? AND day <= ? GROUP BY account_auth_id
			ORDER BY SUM(cost) DESC, SUM(calls) DESC, account_auth_id LIMIT ?
		) u JOIN accounts a ON a.auth_id = u.account_auth_id ORDER BY u.cost DESC, u.calls DESC, u.account_auth_id`,
		partnerID, first, last, partnerd.MaxTopCustomers)
	if err != nil {
		return nil, err
	}
	return a, nil
}

// usageCount is the number of the partner's calls that f selects, from
// the aggregates, when f filters on nothing but its days, direction and
// status (ok false otherwise): the total of a CDR list without counting
// its rows. f's days are local midnights in the partner's zone, which the
// aggregates' days are counted in.
func (db *DB) usageCount(ctx context.Context, partnerID string, f partnerd.CDRFilter) (n int, ok bool, err error) {
	if f.From.IsZero() || f.To.IsZero() || f.FromNumber != "" || f.ToNumber != "" || f.HangupCause != "" ||
		f.MinBillsec != nil || f.MaxBillsec != nil || f.Search != "" {
		return 0, false, nil
	}
	column := map[string]string{"": "calls", partnerd.CallAnswered: "answered", partnerd.CallFailed: "failed",
		partnerd.CallNoAnswer: "no_answer", partnerd.CallBusy: "busy"}[f.Status]
	if column == "" {
		return 0, false, nil
	}
	where, args := `partner_id = ? AND day >= ? AND day < ? AND kind <> 'rental'`,
		[]any{partnerID, partnerd.LocalDay(f.From, f.From.Location()), partnerd.LocalDay(f.To, f.To.Location())}
	if f.Direction != "" {
		where += ` AND kind = ?`
		args = append(args, f.Direction)
	}
	err = db.queryRow(ctx, `SELECT COALESCE(SUM(`+column+`), 0) FROM usage_daily WHERE `+where, args...).Scan(&n)
	return n, err == nil, err
}
