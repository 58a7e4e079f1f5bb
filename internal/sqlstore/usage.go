package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
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
	// The CDR lists' filter counts (cdrcount.go).
	causes  map[causeKey]causeCounts
	billsec map[billsecKey]int64
	numbers map[numberKey]numberCounts
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
	a := b.accountSums(accountUsageKey{partnerID, day, authID})
	a.calls++
	a.cost += cost
}

func (b *usageBatch) accountSums(k accountUsageKey) *accountUsageSums {
	if b.account == nil {
		b.account = make(map[accountUsageKey]*accountUsageSums)
	}
	a, ok := b.account[k]
	if !ok {
		a = &accountUsageSums{}
		b.account[k] = a
		b.aorder = append(b.aorder, k)
	}
	return a
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

// addUsage records a write's usage in its transaction, to be added to the
// aggregates with every other write's just before the transaction commits
// (flushUsage). Their rows are few and shared by every write of a partner:
// taken last, after every wallet, and in one order, they cannot close a
// cycle of locks with another transaction's wallets (PostgreSQL).
func (t *txn) addUsage(b *usageBatch) {
	t.usage = append(t.usage, b)
}

// flushUsage writes the usage the transaction's writes recorded since the
// last flush, summed, in key order.
func (t *txn) flushUsage() error {
	pending := t.usage[t.usageWritten:]
	if len(pending) == 0 {
		return nil
	}
	var all usageBatch
	for _, b := range pending {
		all.merge(b)
	}
	slices.SortFunc(all.order, func(x, y usageKey) int {
		return cmp.Or(strings.Compare(x.partnerID, y.partnerID), cmp.Compare(x.day, y.day), strings.Compare(x.kind, y.kind))
	})
	slices.SortFunc(all.aorder, func(x, y accountUsageKey) int {
		return cmp.Or(strings.Compare(x.partnerID, y.partnerID), cmp.Compare(x.day, y.day), strings.Compare(x.authID, y.authID))
	})
	if err := all.write(t); err != nil {
		return err
	}
	t.usageWritten = len(t.usage)
	return nil
}

// merge adds o's usage to b's.
func (b *usageBatch) merge(o *usageBatch) {
	for _, k := range o.order {
		s, add := b.sums(k), o.partner[k]
		s.calls += add.calls
		s.answered += add.answered
		s.failed += add.failed
		s.noAnswer += add.noAnswer
		s.busy += add.busy
		s.duration += add.duration
		s.cost += add.cost
		s.spend += add.spend
	}
	for _, k := range o.aorder {
		a := b.accountSums(k)
		a.calls += o.account[k].calls
		a.cost += o.account[k].cost
	}
	if len(o.causes) > 0 && b.causes == nil {
		b.causes = make(map[causeKey]causeCounts)
		b.billsec = make(map[billsecKey]int64)
		b.numbers = make(map[numberKey]numberCounts)
	}
	for k, c := range o.causes {
		sum := b.causes[k]
		sum.calls += c.calls
		sum.answered += c.answered
		b.causes[k] = sum
	}
	for k, n := range o.billsec {
		b.billsec[k] += n
	}
	for k, c := range o.numbers {
		sum := b.numbers[k]
		sum.from += c.from
		sum.to += c.to
		b.numbers[k] = sum
	}
}

// write adds the batch to the aggregates, and to the snapshots of its
// customers' usage that its days are already in.
func (b *usageBatch) write(tx *txn) error {
	partners := b.accountPartners()
	for _, p := range partners {
		if err := lockUsage(tx, p, false); err != nil {
			return fmt.Errorf("usage: %w", err)
		}
	}
	// Multi-row upserts (execRows), rows in first-touch order: a batch of
	// calls of many customers is a few statements, not one per customer.
	args := make([]any, 0, 11*len(b.order))
	for _, k := range b.order {
		s := b.partner[k]
		args = append(args, k.partnerID, k.day, k.kind, s.calls, s.answered, s.failed, s.noAnswer, s.busy, s.duration, s.cost, s.spend)
	}
	if _, err := tx.execRows(`INSERT INTO usage_daily (partner_id, day, kind, calls, answered, failed, no_answer, busy, duration, cost, spend)`, 11,
		` ON CONFLICT (partner_id, day, kind) DO UPDATE SET calls = usage_daily.calls + excluded.calls,
				answered = usage_daily.answered + excluded.answered, failed = usage_daily.failed + excluded.failed,
				no_answer = usage_daily.no_answer + excluded.no_answer, busy = usage_daily.busy + excluded.busy,
				duration = usage_daily.duration + excluded.duration, cost = usage_daily.cost + excluded.cost,
				spend = usage_daily.spend + excluded.spend`, args); err != nil {
		return fmt.Errorf("usage: %w", err)
	}
	if err := b.writeAccounts(tx); err != nil {
		return fmt.Errorf("usage: %w", err)
	}
	if err := b.writeFilterCounts(tx); err != nil {
		return fmt.Errorf("usage: %w", err)
	}
	for _, p := range partners {
		if err := b.addToSnapshots(tx, p); err != nil {
			return fmt.Errorf("usage snapshots: %w", err)
		}
	}
	return nil
}

// accountUpsert adds to a customer's row of a day.
const accountUpsert = ` ON CONFLICT (partner_id, day, account_auth_id) DO UPDATE SET calls = usage_daily_account.calls + excluded.calls,
	cost = usage_daily_account.cost + excluded.cost`

// writeAccounts adds the batch's customers' usage to their rows: on
// PostgreSQL in one statement over arrays (a batch of calls of a hundred
// customers was four round trips of multi-row VALUES), on SQLite in
// multi-row statements.
func (b *usageBatch) writeAccounts(tx *txn) error {
	if len(b.aorder) == 0 {
		return nil
	}
	if tx.dialect.dollarParams {
		n := len(b.aorder)
		partners, days, auths, calls, costs := make([]string, n), make([]int64, n), make([]string, n), make([]int64, n), make([]int64, n)
		for i, k := range b.aorder {
			s := b.account[k]
			partners[i], days[i], auths[i], calls[i], costs[i] = k.partnerID, k.day, k.authID, s.calls, s.cost
		}
		_, err := tx.exec(`INSERT INTO usage_daily_account (partner_id, day, account_auth_id, calls, cost)
			SELECT * FROM unnest(?::text[], ?::bigint[], ?::text[], ?::bigint[], ?::bigint[])`+accountUpsert,
			partners, days, auths, calls, costs)
		return err
	}
	args := make([]any, 0, 5*len(b.aorder))
	for _, k := range b.aorder {
		s := b.account[k]
		args = append(args, k.partnerID, k.day, k.authID, s.calls, s.cost)
	}
	_, err := tx.execRows(`INSERT INTO usage_daily_account (partner_id, day, account_auth_id, calls, cost)`, 5, accountUpsert, args)
	return err
}

// accountPartners lists the partners whose customers' usage the batch
// adds to, sorted: the order their locks are taken in.
func (b *usageBatch) accountPartners() []string {
	var ps []string
	for _, k := range b.aorder {
		if !slices.Contains(ps, k.partnerID) {
			ps = append(ps, k.partnerID)
		}
	}
	slices.Sort(ps)
	return ps
}

// addToSnapshots adds the batch's usage of partnerID's customers to the
// snapshots of the days it falls in and of every day after: a late CDR.
// Usually no snapshot is that recent, and one query says so.
func (b *usageBatch) addToSnapshots(tx *txn, partnerID string) error {
	var last sql.NullInt64
	if err := tx.queryRow(`SELECT MAX(day) FROM usage_snapshots WHERE partner_id = ?`, partnerID).Scan(&last); err != nil {
		return err
	}
	for _, k := range b.aorder {
		if k.partnerID != partnerID || !last.Valid || k.day > last.Int64 {
			continue
		}
		s := b.account[k]
		if _, err := tx.exec(`INSERT INTO usage_account_totals (partner_id, day, account_auth_id, calls, cost)
			SELECT partner_id, day, CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS BIGINT) FROM usage_snapshots
			WHERE partner_id = ? AND day >= ?
			ON CONFLICT (partner_id, day, account_auth_id) DO UPDATE SET calls = usage_account_totals.calls + excluded.calls,
				cost = usage_account_totals.cost + excluded.cost`,
			k.authID, s.calls, s.cost, partnerID, k.day); err != nil {
			return err
		}
	}
	return nil
}

// usageSnapshotDays is how many of the latest days before today each
// partner has a snapshot of its customers' usage for: enough for the
// default analytics span of 30 days (API.md §5) to start at one.
// Snapshots a few days older than that are kept until the next sweep, so
// a reader that chose one never finds it gone.
const usageSnapshotDays = 40

// lockUsage serialises, on PostgreSQL, a partner's usage snapshots
// against the charges that add to its customers' usage: charges share the
// lock and a snapshot holds it alone, so no charge commits unseen by a
// snapshot and unaware of it. SQLite's one writer serialises them already.
func lockUsage(tx *txn, partnerID string, exclusive bool) error {
	if tx.dialect.name != postgresDialect.name {
		return nil
	}
	fn := "pg_advisory_xact_lock_shared"
	if exclusive {
		fn = "pg_advisory_xact_lock"
	}
	_, err := tx.exec(`SELECT `+fn+`(hashtextextended('usage:' || CAST(? AS TEXT), 0))`, partnerID)
	return err
}

// snapshotUsage writes the snapshot of day (days since 1970-01-01 in the
// partner's zone) of the partner's customers' usage, from the latest
// snapshot before it and the days in between, unless it exists. It
// reports whether it wrote one.
func snapshotUsage(tx *txn, partnerID string, day int64) (bool, error) {
	if err := lockUsage(tx, partnerID, true); err != nil {
		return false, err
	}
	var n int
	if err := tx.queryRow(`SELECT COUNT(*) FROM usage_snapshots WHERE partner_id = ? AND day = ?`, partnerID, day).Scan(&n); err != nil || n > 0 {
		return false, err
	}
	var prev sql.NullInt64
	if err := tx.queryRow(`SELECT MAX(day) FROM usage_snapshots WHERE partner_id = ? AND day < ?`, partnerID, day).Scan(&prev); err != nil {
		return false, err
	}
	if !prev.Valid {
		prev.Int64 = math.MinInt32 // every day up to day
	}
	if _, err := tx.exec(`INSERT INTO usage_account_totals (partner_id, day, account_auth_id, calls, cost)
		SELECT CAST(? AS TEXT), CAST(? AS BIGINT), account_auth_id, SUM(calls), SUM(cost) FROM (
			SELECT account_auth_id, calls, cost FROM usage_account_totals WHERE partner_id = ? AND day = ?
			UNION ALL
			SELECT account_auth_id, calls, cost FROM usage_daily_account WHERE partner_id = ? AND day > ? AND day <= ?
		) u GROUP BY account_auth_id`, partnerID, day, partnerID, prev.Int64, partnerID, prev.Int64, day); err != nil {
		return false, err
	}
	_, err := tx.exec(`INSERT INTO usage_snapshots (partner_id, day) VALUES (?, ?)`, partnerID, day)
	return err == nil, err
}

// dropUsageSnapshots deletes the partner's snapshots of the days before
// day (all of them if day is nil).
func dropUsageSnapshots(tx *txn, partnerID string, before *int64) error {
	if err := lockUsage(tx, partnerID, true); err != nil {
		return err
	}
	for _, table := range []string{"usage_account_totals", "usage_snapshots"} {
		q, args := `DELETE FROM `+table+` WHERE partner_id = ?`, []any{partnerID}
		if before != nil {
			q, args = q+` AND day < ?`, append(args, *before)
		}
		if _, err := tx.exec(q, args...); err != nil {
			return err
		}
	}
	return nil
}

// SnapshotUsage brings every partner's usage snapshots up to the day
// before now's day in its time zone, for the last usageSnapshotDays days,
// and drops older ones; serve runs it every minute and billing run on
// demand. It returns how many snapshots it wrote.
func (db *DB) SnapshotUsage(ctx context.Context, now time.Time) (written int, err error) {
	defer wrapErr("snapshot usage", &err)
	type partner struct {
		id     string
		loc    *time.Location
		days   map[int64]bool // the days it has a snapshot of
		oldest int64
	}
	// Every partner and its snapshot days, in one read.
	var ps []*partner
	if err := db.scanRows(ctx, func(rows *sql.Rows) error {
		var id, tz string
		var day sql.NullInt64
		if err := rows.Scan(&id, &tz, &day); err != nil {
			return err
		}
		if len(ps) == 0 || ps[len(ps)-1].id != id {
			ps = append(ps, &partner{id: id, loc: partnerd.LoadLocation(tz), days: map[int64]bool{}, oldest: math.MaxInt64})
		}
		if p := ps[len(ps)-1]; day.Valid {
			p.days[day.Int64] = true
			p.oldest = min(p.oldest, day.Int64)
		}
		return nil
	}, `SELECT p.id, p.timezone, s.day FROM partners p LEFT JOIN usage_snapshots s ON s.partner_id = p.id ORDER BY p.id`); err != nil {
		return 0, err
	}
	for _, p := range ps {
		today := partnerd.LocalDay(now, p.loc)
		for day := today - usageSnapshotDays; day < today; day++ {
			if p.days[day] {
				continue
			}
			ok, err := write(ctx, db, func(tx *txn) (bool, error) { return snapshotUsage(tx, p.id, day) })
			if err != nil {
				return written, err
			}
			if ok {
				written++
			}
		}
		keep := today - usageSnapshotDays - 2
		if p.oldest < keep {
			if _, err := write(ctx, db, func(tx *txn) (struct{}, error) { return struct{}{}, dropUsageSnapshots(tx, p.id, &keep) }); err != nil {
				return written, err
			}
		}
	}
	return written, nil
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
	// The usage of earlier writes of the transaction goes in first: the
	// rebuild recounts their rows, and replaces what they added.
	if err := tx.flushUsage(); err != nil {
		return err
	}
	// The snapshots count days in the old zone; the sweep writes new ones.
	if err := dropUsageSnapshots(tx, partnerID, nil); err != nil {
		return err
	}
	for _, table := range []string{"usage_daily", "usage_daily_account", "usage_daily_cause", "usage_daily_billsec", "usage_daily_number"} {
		if _, err := tx.exec(`DELETE FROM `+table+` WHERE partner_id = ?`, partnerID); err != nil {
			return err
		}
	}
	var b usageBatch
	if err := tx.scanRows(func(rows *sql.Rows) error {
		var authID, direction, from, to string
		var start, charged, cost, unbilled int64
		var billsec, duration int
		var cause *string
		if err := rows.Scan(&authID, &direction, &start, &billsec, &cause, &duration, &cost, &unbilled, &charged, &from, &to); err != nil {
			return err
		}
		day := partnerd.LocalDay(time.Unix(start, 0), loc)
		b.addCall(partnerID, authID, day, partnerd.LocalDay(time.Unix(charged, 0), loc), direction,
			partnerd.CallStatus(billsec, cause), duration, cost, cost-unbilled)
		b.addCallFilters(partnerID, day, direction, from, to, cause, billsec)
		return nil
	}, `SELECT account_auth_id, direction, start_time, billsec, hangup_cause, duration_seconds, cost, unbilled_amount, created_at,
			from_number, to_number
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

// rebuildUsageName is the meta row a migration writes when the aggregates it
// adds must be made from the CDRs already recorded (in each partner's
// time zone, which SQL cannot apply).
const rebuildUsageName = "rebuild_usage"

// rebuildPendingUsage rebuilds every partner's aggregates, once, when a
// migration asked for it: in one write, whose first statement takes the
// request away, so an instance starting at the same time waits for it
// and then finds nothing to do.
func (db *DB) rebuildPendingUsage(ctx context.Context) error {
	var n int
	if err := db.read.QueryRowContext(ctx, db.dialect.rebind(`SELECT COUNT(*) FROM meta WHERE name = ?`), rebuildUsageName).Scan(&n); err != nil || n == 0 {
		return err
	}
	return db.update(ctx, func(tx *txn) error {
		res, err := tx.exec(`DELETE FROM meta WHERE name = ?`, rebuildUsageName)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		type partner struct{ id, tz string }
		var ps []partner
		if err := tx.scanRows(func(rows *sql.Rows) error {
			var p partner
			ps = append(ps, p)
			return rows.Scan(&ps[len(ps)-1].id, &ps[len(ps)-1].tz)
		}, `SELECT id, timezone FROM partners ORDER BY id`); err != nil {
			return err
		}
		for _, p := range ps {
			if err := rebuildUsage(tx, p.id, partnerd.LoadLocation(p.tz)); err != nil {
				return fmt.Errorf("partner %s: %w", p.id, err)
			}
		}
		return nil
	})
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
	// The customers' figures read the accounts from their (partner_id,
	// status, auth_id) index alone (00021), not from the wide rows; the
	// partner as a range keeps PostgreSQL on it (an equality with half
	// the rows one partner's made it scan the table: 11 ms against 6.5 ms
	// for 10,000 customers).
	err = db.queryRow(ctx, `SELECT COALESCE(SUM(CASE WHEN a.status = 'active' THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN a.status = 'suspended' THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN a.status = 'active' AND w.balance < ? THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(w.balance), 0)
		FROM accounts a JOIN wallets w ON w.id = a.auth_id WHERE a.partner_id >= ? AND a.partner_id <= ?`, p.LowBalance, partnerID, partnerID).
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
	a.TopCustomers, err = db.topCustomers(ctx, partnerID, first, last, partnerd.LocalDay(db.Now(), from.Location()))
	if err != nil {
		return nil, err
	}
	return a, nil
}

// topCustomers returns the partner's customers who cost the most over the
// days first to last. With a snapshot of the day before first, that is
// the difference of two snapshots plus the days after the later one, a
// few rows per customer; otherwise it sums every customer-day of the span.
// today is the day the caller's clock is in, which tells how recent a
// snapshot must be to still be there (SnapshotUsage drops old ones).
func (db *DB) topCustomers(ctx context.Context, partnerID string, first, last, today int64) (_ []partnerd.TopCustomer, err error) {
	// One snapshot of the database for the choice and the sums.
	tx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: db.dialect.snapshot})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var before, upto sql.NullInt64
	if first-1 >= today-usageSnapshotDays {
		err = tx.QueryRowContext(ctx, db.dialect.rebind(`SELECT
				(SELECT day FROM usage_snapshots WHERE partner_id = ? AND day = ?),
				(SELECT MAX(day) FROM usage_snapshots WHERE partner_id = ? AND day >= ? AND day <= ?)`),
			partnerID, first-1, partnerID, first-1, last).Scan(&before, &upto)
		if err != nil {
			return nil, err
		}
	}
	sums, args := `SELECT account_auth_id, calls, cost FROM usage_daily_account WHERE partner_id = ? AND day >= ? AND day <= ?`,
		[]any{partnerID, first, last}
	if before.Valid && upto.Valid {
		sums = `SELECT account_auth_id, calls, cost FROM usage_account_totals WHERE partner_id = ? AND day = ?
			UNION ALL
			SELECT account_auth_id, -calls, -cost FROM usage_account_totals WHERE partner_id = ? AND day = ?
			UNION ALL
			SELECT account_auth_id, calls, cost FROM usage_daily_account WHERE partner_id = ? AND day > ? AND day <= ?`
		args = []any{partnerID, upto.Int64, partnerID, before.Int64, partnerID, upto.Int64, last}
	}
	rows, err := tx.QueryContext(ctx, db.dialect.rebind(`SELECT u.account_auth_id, a.name, u.calls, u.cost FROM (
			SELECT account_auth_id, SUM(calls) AS calls, SUM(cost) AS cost FROM (`+sums+`) s
			GROUP BY account_auth_id HAVING SUM(calls) <> 0
			ORDER BY SUM(cost) DESC, SUM(calls) DESC, account_auth_id LIMIT ?
		) u JOIN accounts a ON a.auth_id = u.account_auth_id ORDER BY u.cost DESC, u.calls DESC, u.account_auth_id`),
		append(args, partnerd.MaxTopCustomers)...)
	if err != nil {
		return nil, err
	}
	top := []partnerd.TopCustomer{}
	err = scanAll(rows, func(rows *sql.Rows) error {
		var c partnerd.TopCustomer
		err := rows.Scan(&c.AuthID, &c.Name, &c.Calls, &c.Cost)
		top = append(top, c)
		return err
	})
	return top, err
}
