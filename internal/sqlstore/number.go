package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/wire"
)

var _ partnerd.NumberService = (*DB)(nil)

// AddNumber adds one number to a partner's pool (the operator's `number add`).
func (db *DB) AddNumber(ctx context.Context, partnerID string, in partnerd.NumberInput) (*partnerd.Number, error) {
	ns, err := db.AddNumbers(ctx, partnerID, []partnerd.NumberInput{in})
	if err != nil {
		var pe *partnerd.Error
		if errors.As(err, &pe) && len(pe.Fields) == 1 && pe.Code != partnerd.ECNotFound {
			// One number: name its fields as the input does, not as a list's.
			f := strings.TrimPrefix(pe.Fields[0].Field, "numbers[0]")
			pe.Fields[0].Field = cmp.Or(strings.TrimPrefix(f, "."), "number")
		}
		return nil, err
	}
	return ns[0], nil
}

// AddNumbers adds numbers to a partner's pool, all or none. A bad input
// is reported as the field numbers[i].name, each number already in a pool
// (any partner's: numbers are unique server-wide) as numbers[i] of a
// number_exists error.
func (db *DB) AddNumbers(ctx context.Context, partnerID string, ins []partnerd.NumberInput) ([]*partnerd.Number, error) {
	var fe partnerd.FieldErrors
	seen := make(map[string]int, len(ins))
	for i := range ins {
		if err := ins[i].Validate(); err != nil {
			var pe *partnerd.Error
			if !errors.As(err, &pe) {
				return nil, err
			}
			for _, f := range pe.Fields {
				fe.Add(fmt.Sprintf("numbers[%d].%s", i, f.Field), f.Code, f.Message)
			}
			continue
		}
		if j, ok := seen[ins[i].Number]; ok {
			fe.Add(fmt.Sprintf("numbers[%d].number", i), partnerd.FCNotAllowed,
				fmt.Sprintf("number %s is listed twice (first as numbers[%d])", ins[i].Number, j))
		}
		seen[ins[i].Number] = i
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	now := db.now()
	out, err := write(ctx, db, func(tx *txn) ([]*partnerd.Number, error) {
		var currency string
		err := tx.queryRow(`SELECT currency FROM partners WHERE id = ?`, partnerID).Scan(&currency)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, partnerd.Errorf(partnerd.ECNotFound, "No partner %q exists.", partnerID)
		}
		if err != nil {
			return nil, err
		}
		var taken partnerd.FieldErrors
		out := make([]*partnerd.Number, 0, len(ins))
		for i, in := range ins {
			n := &partnerd.Number{
				Number: in.Number, PartnerID: partnerID, Type: in.Type, Country: partnerd.NumberCountry(in.Number),
				Region: in.Region, MonthlyCost: in.MonthlyCost, Currency: currency, Status: partnerd.NumberAvailable,
			}
			// DO NOTHING rather than a unique violation, which would abort
			// the whole transaction on PostgreSQL: every taken number is
			// reported at once.
			res, err := tx.exec(`INSERT INTO numbers (number, partner_id, type, country, region, monthly_cost, status, created_at)
				VALUES (?, ?, ?, ?, ?, ?, 'available', ?) ON CONFLICT (number) DO NOTHING`,
				n.Number, partnerID, n.Type, n.Country, n.Region, n.MonthlyCost, now.Unix())
			if err != nil {
				return nil, err
			}
			if k, err := res.RowsAffected(); err != nil || k != 1 {
				addTaken(&taken, i, in.Number)
			}
			db.audit(tx, partnerID, "", partnerd.AuditNumberAdd, n.Number)
			out = append(out, n)
		}
		if err := takenError(taken); err != nil {
			return nil, err
		}
		return out, nil
	})
	if err != nil {
		return nil, fmt.Errorf("add numbers: %w", err)
	}
	return out, nil
}

// CheckNewNumbers reports the numbers (E.164) already in a pool, any
// partner's, as AddNumbers would refuse them: numbers[i] of a
// number_exists error; nil when none is. It reads them with one query,
// whatever their number, so that an import reports them with the other
// problems of its file; AddNumbers still checks them as it adds them.
func (db *DB) CheckNewNumbers(ctx context.Context, numbers []string) (err error) {
	defer wrapErr("check new numbers", &err)
	if len(numbers) == 0 {
		return nil
	}
	cond, arg := inList(db.dialect, "number", numbers)
	pooled := map[string]bool{}
	if err := db.scanRows(ctx, func(rows *sql.Rows) error {
		var n string
		err := rows.Scan(&n)
		pooled[n] = true
		return err
	}, `SELECT number FROM numbers WHERE `+cond, arg); err != nil {
		return err
	}
	var taken partnerd.FieldErrors
	for i, n := range numbers {
		if pooled[n] {
			addTaken(&taken, i, n)
		}
	}
	return takenError(taken)
}

// addTaken reports numbers[i], number, as already in a pool.
func addTaken(taken *partnerd.FieldErrors, i int, number string) {
	taken.Add(fmt.Sprintf("numbers[%d]", i), partnerd.FCTaken, fmt.Sprintf("number %s is already in a pool", number))
}

// takenError is the number_exists error of the numbers taken names, or
// nil when it names none.
func takenError(taken partnerd.FieldErrors) error {
	if len(taken) == 0 {
		return nil
	}
	msg := taken[0].Message + "."
	if len(taken) > 1 {
		msg = fmt.Sprintf("%d numbers are already in a pool.", len(taken))
	}
	return &partnerd.Error{Code: partnerd.ECNumberExists, Message: msg, Fields: taken}
}

// assignable reads a customer that may rent a number: ErrAccountNotFound
// for another partner's, account_closed for a closed one.
func assignable(tx *txn, partnerID, authID string) (name, currency string, err error) {
	var status string
	err = tx.queryRow(`SELECT a.name, a.status, w.currency FROM accounts a JOIN wallets w ON w.id = a.auth_id
		WHERE a.auth_id = ? AND a.partner_id = ?`, authID, partnerID).Scan(&name, &status, &currency)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", partnerd.ErrAccountNotFound(authID)
	}
	if err == nil && status == partnerd.StatusClosed {
		err = partnerd.Errorf(partnerd.ECAccountClosed, "Customer account %s is closed.", authID)
	}
	return name, currency, err
}

// AssignNumber rents a free number of the partner's pool to its customer,
// charging the first month in the same transaction.
func (db *DB) AssignNumber(ctx context.Context, partnerID, authID, number string) (*partnerd.Number, error) {
	now := db.now()
	txID := partnerd.NewTransactionID(db.Now())
	idemKey := claimKeyOf(ctx)
	n, err := writeKeyed(ctx, db, theseKeys(authID), func(tx *txn) (*partnerd.Number, error) {
		name, _, err := assignable(tx, partnerID, authID)
		if err != nil {
			return nil, err
		}
		n, err := scanNumber(tx.queryRow(`SELECT `+numberColumns+` `+numberFrom+` WHERE n.number = ? AND n.partner_id = ?`,
			number, partnerID))
		if errors.Is(err, sql.ErrNoRows) {
			return nil, partnerd.ErrNumberNotFound(number)
		}
		if err != nil {
			return nil, err
		}
		if n.Status != partnerd.NumberAvailable {
			return nil, partnerd.ErrNumberAssigned(number)
		}
		paidUntil := periodEnd(now, 1)
		// Guarded by the status: on PostgreSQL another instance may have
		// assigned it since the read.
		res, err := tx.exec(`UPDATE numbers SET status = 'assigned', account_auth_id = ?, assigned_at = ?, periods_paid = 1, paid_until = ?
			WHERE number = ? AND status = 'available'`, authID, now.Unix(), paidUntil.Unix(), number)
		if err != nil {
			return nil, err
		}
		if k, err := res.RowsAffected(); err != nil || k != 1 {
			return nil, partnerd.ErrNumberAssigned(number)
		}
		err = db.chargePeriod(tx, n, authID, now, paidUntil, txID, partnerID, idemKey)
		if errors.Is(err, errPeriodCharged) {
			// Released and assigned again within the second its last
			// rental started: that period was charged already.
			return nil, partnerd.Errorf(partnerd.ECNumberAssigned, "Number %s was released a moment ago; retry in a second.", number)
		}
		if err != nil {
			return nil, err
		}
		n.Status, n.AccountAuthID, n.AccountName, n.AssignedAt, n.PaidUntil = partnerd.NumberAssigned, &authID, &name, &now, &paidUntil
		db.audit(tx, partnerID, authID, partnerd.AuditNumberAssign, number)
		if err := db.emit(tx, partnerID, authID, partnerd.EventNumberAssigned, wire.NewNumberItem(n)); err != nil {
			return nil, err
		}
		return n, nil
	})
	if err != nil {
		return nil, fmt.Errorf("assign number: %w", err)
	}
	return n, nil
}

// errPeriodCharged reports a period of a number's rent that was charged
// already (by another sweep, on this instance or another).
var errPeriodCharged = errors.New("period already charged")

// chargePeriod records the period [start, end) of n's rent to authID as
// charged and, for a number that is not free, debits its monthly cost
// from the customer to the usage wallet, as ledger transaction txID. It
// returns errPeriodCharged when the period was charged already, and
// insufficient_balance when the customer cannot pay.
func (db *DB) chargePeriod(tx *txn, n *partnerd.Number, authID string, start, end time.Time, txID, initiatedBy string, idemKey *string) error {
	// The charge row first: a second sweep over the same period stops
	// here (on PostgreSQL it waits for the first one's commit, then finds
	// its row), before it touches the wallet.
	res, err := tx.exec(`INSERT INTO number_charges (number, period_start, period_end, account_auth_id, transaction_id)
		VALUES (?, ?, ?, ?, NULL) ON CONFLICT (number, period_start) DO NOTHING`, n.Number, start.Unix(), end.Unix(), authID)
	if err != nil {
		return err
	}
	if k, err := res.RowsAffected(); err != nil || k != 1 {
		return errPeriodCharged
	}
	if n.MonthlyCost == 0 {
		return nil
	}
	now := db.now()
	usage, err := systemWallet(tx, "usage", n.Currency, now)
	if err != nil {
		return err
	}
	desc, number, pid := partnerd.MonthlyRental(n.Number), n.Number, n.PartnerID
	_, err = db.post(tx, ledgerTx{
		id: txID, partnerID: pid, kind: "number_rental", description: &desc,
		initiatedBy: initiatedBy, reference: &number, createdAt: now,
	}, idemKey, []posting{
		{walletID: authID, walletKind: "customer", partnerID: &pid, typ: partnerd.TxDebit, amount: -n.MonthlyCost},
		{walletID: usage, walletKind: "system", typ: partnerd.TxDebit, amount: n.MonthlyCost},
	})
	var od *errOverdraft
	if errors.As(err, &od) {
		return insufficient("Customer", od, n.MonthlyCost, n.Currency, "number rental")
	}
	if err != nil {
		return err
	}
	// The ledger row exists now: the charge row names it.
	if _, err = tx.exec(`UPDATE number_charges SET transaction_id = ? WHERE number = ? AND period_start = ?`, txID, n.Number, start.Unix()); err != nil {
		return err
	}
	loc, err := partnerLocation(tx, pid)
	if err != nil {
		return err
	}
	var stats usageBatch
	stats.addRental(pid, partnerd.LocalDay(now, loc), n.MonthlyCost)
	tx.addUsage(&stats)
	return nil
}

// periodEnd is the end of the k-th monthly period from start: calendar
// months, counted from the start each time so that a 31st does not drift.
func periodEnd(start time.Time, k int) time.Time {
	return start.AddDate(0, k, 0)
}

// ReleaseNumber returns a customer's number to the partner's pool.
func (db *DB) ReleaseNumber(ctx context.Context, partnerID, authID, number string) error {
	err := db.update(ctx, func(tx *txn) error {
		if _, _, err := assignable(tx, partnerID, authID); err != nil && partnerd.ErrorCode(err) != partnerd.ECAccountClosed {
			return err
		}
		res, err := tx.exec(`UPDATE numbers SET status = 'available', account_auth_id = NULL, assigned_at = NULL,
				periods_paid = 0, paid_until = NULL
			WHERE number = ? AND partner_id = ? AND account_auth_id = ?`, number, partnerID, authID)
		if err != nil {
			return err
		}
		if k, err := res.RowsAffected(); err != nil || k != 1 {
			return partnerd.ErrNumberNotHeld(authID, number)
		}
		db.audit(tx, partnerID, authID, partnerd.AuditNumberRelease, number)
		return db.emit(tx, partnerID, authID, partnerd.EventNumberReleased, numberReleased{Number: number, AccountAuthID: authID})
	})
	if err != nil {
		return fmt.Errorf("release number: %w", err)
	}
	return nil
}

// numberReleased is the data of number.released.
type numberReleased struct {
	Number        string `json:"number"`
	AccountAuthID string `json:"account_auth_id"`
}

// numberColumns and numberFrom are what scanNumber reads: the number,
// its partner's currency and its customer, if any.
const (
	numberColumns = `n.number, n.partner_id, n.type, n.country, n.region, n.monthly_cost, p.currency, n.status,
	n.account_auth_id, a.name, n.assigned_at, n.paid_until`
	numberFrom = `FROM numbers n JOIN partners p ON p.id = n.partner_id LEFT JOIN accounts a ON a.auth_id = n.account_auth_id`
)

func scanNumber(s scanner) (*partnerd.Number, error) {
	var n partnerd.Number
	var assigned, paid sql.NullInt64
	if err := s.Scan(&n.Number, &n.PartnerID, &n.Type, &n.Country, &n.Region, &n.MonthlyCost, &n.Currency, &n.Status,
		&n.AccountAuthID, &n.AccountName, &assigned, &paid); err != nil {
		return nil, err
	}
	n.AssignedAt, n.PaidUntil = unixPtr(assigned), unixPtr(paid)
	return &n, nil
}

func unixPtr(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := time.Unix(v.Int64, 0).UTC()
	return &t
}

// ListNumbers returns one page of the partner's numbers, newest first.
func (db *DB) ListNumbers(ctx context.Context, partnerID string, f partnerd.NumberFilter) (_ []*partnerd.Number, _ int, err error) {
	defer wrapErr("list numbers", &err)
	return db.listNumbers(ctx, `n.partner_id = ?`, []any{partnerID}, f)
}

// ListAccountNumbers returns one page of a customer's numbers, newest first.
func (db *DB) ListAccountNumbers(ctx context.Context, partnerID, authID string, f partnerd.NumberFilter) (_ []*partnerd.Number, _ int, err error) {
	defer wrapErr("list account numbers", &err)
	var n int
	if err := db.queryRow(ctx, `SELECT COUNT(*) FROM accounts WHERE auth_id = ? AND partner_id = ?`, authID, partnerID).Scan(&n); err != nil {
		return nil, 0, err
	}
	if n == 0 {
		return nil, 0, partnerd.ErrAccountNotFound(authID)
	}
	return db.listNumbers(ctx, `n.partner_id = ? AND n.account_auth_id = ?`, []any{partnerID, authID}, f)
}

// listNumbers pages through the numbers that where (on numbers n) and f
// select.
func (db *DB) listNumbers(ctx context.Context, where string, args []any, f partnerd.NumberFilter) ([]*partnerd.Number, int, error) {
	if f.Status != "" {
		where += ` AND n.status = ?`
		args = append(args, f.Status)
	}
	if f.Search != "" {
		// A substring of the number (written with or without its +).
		where += ` AND n.number LIKE ? ESCAPE '\'`
		args = append(args, "%"+escapeLike(strings.TrimPrefix(f.Search, "+"))+"%")
	}
	var total int
	if err := db.queryRow(ctx, `SELECT COUNT(*) FROM numbers n WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	if total == 0 || f.Page.Offset() >= total {
		return []*partnerd.Number{}, total, nil
	}
	rows, err := db.query(ctx, `SELECT `+numberColumns+` `+numberFrom+` WHERE `+where+` ORDER BY n.seq DESC LIMIT ? OFFSET ?`,
		append(args, f.Page.Size, f.Page.Offset())...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := make([]*partnerd.Number, 0, f.Page.Size)
	for rows.Next() {
		n, err := scanNumber(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, n)
	}
	return out, total, rows.Err()
}
