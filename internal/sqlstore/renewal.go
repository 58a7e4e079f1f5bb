package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/wire"
)

// maxPeriodsPerRun bounds the periods one sweep charges for one number
// (a server that was down for years catches up over several runs).
const maxPeriodsPerRun = 120

// renewal is the outcome of one attempt to charge a number's next period.
type renewal struct {
	charged  bool // a period was charged
	restored bool // the number was suspended and is assigned again
	more     bool // another period is due
}

// errRenewalRaced means the number changed between the read and the
// write (another sweep renewed it, or it was released): read it again.
var errRenewalRaced = errors.New("number changed during its renewal")

// RenewNumbers charges every rented number whose period ended by now, one
// monthly_cost per period, each period once however many sweeps run at
// the same time on however many instances: the charge row of a period is
// written in the transaction of its charge and is unique. A number whose
// customer cannot pay is suspended; a later run that charges it restores it.
func (db *DB) RenewNumbers(ctx context.Context, now time.Time) (partnerd.RenewalReport, error) {
	var rep partnerd.RenewalReport
	due, err := db.dueNumbers(ctx, now)
	if err != nil {
		return rep, fmt.Errorf("renew numbers: %w", err)
	}
	for _, number := range due {
		for range maxPeriodsPerRun {
			r, err := db.renewOnce(ctx, number, now)
			if errors.Is(err, errRenewalRaced) {
				continue
			}
			if partnerd.ErrorCode(err) == partnerd.ECInsufficientBalance {
				suspended, err := db.suspendNumber(ctx, number, now)
				if err != nil {
					return rep, fmt.Errorf("renew numbers: suspend %s: %w", number, err)
				}
				if suspended {
					rep.Suspended++
				}
				break
			}
			if err != nil {
				return rep, fmt.Errorf("renew numbers: %s: %w", number, err)
			}
			if r.charged {
				rep.Charged++
			}
			if r.restored {
				rep.Restored++
			}
			if !r.more {
				break
			}
		}
	}
	return rep, nil
}

// dueNumbers lists the rented numbers whose period ended by now.
func (db *DB) dueNumbers(ctx context.Context, now time.Time) ([]string, error) {
	rows, err := db.query(ctx, `SELECT number FROM numbers WHERE account_auth_id IS NOT NULL AND paid_until <= ? ORDER BY paid_until, number`,
		now.Unix())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var due []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		due = append(due, n)
	}
	return due, rows.Err()
}

// renewOnce charges the next period of number if it ended by now.
func (db *DB) renewOnce(ctx context.Context, number string, now time.Time) (renewal, error) {
	txID := partnerd.NewTransactionID(db.Now())
	holder := func(tx *txn) ([]string, error) {
		var id sql.NullString
		err := tx.queryRow(`SELECT account_auth_id FROM numbers WHERE number = ?`, number).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) || err == nil && !id.Valid {
			return []string{}, nil
		}
		return []string{id.String}, err
	}
	return writeKeyed(ctx, db, holder, func(tx *txn) (renewal, error) {
		var periods int
		if err := tx.queryRow(`SELECT periods_paid FROM numbers WHERE number = ?`, number).Scan(&periods); err != nil {
			return renewal{}, err
		}
		n, err := scanNumber(tx.queryRow(`SELECT `+numberColumns+` `+numberFrom+` WHERE n.number = ?`, number))
		if err != nil {
			return renewal{}, err
		}
		if n.AccountAuthID == nil || n.AssignedAt == nil || n.PaidUntil == nil || n.PaidUntil.After(now) {
			return renewal{}, nil
		}
		start, end := periodEnd(*n.AssignedAt, periods), periodEnd(*n.AssignedAt, periods+1)
		err = db.chargePeriod(tx, n, *n.AccountAuthID, start, end, txID, partnerd.InitiatedBySystem, nil)
		if errors.Is(err, errPeriodCharged) {
			return renewal{}, errRenewalRaced
		}
		if err != nil {
			return renewal{}, err
		}
		res, err := tx.exec(`UPDATE numbers SET periods_paid = periods_paid + 1, paid_until = ?, status = 'assigned'
			WHERE number = ? AND account_auth_id = ? AND periods_paid = ?`, end.Unix(), number, *n.AccountAuthID, periods)
		if err != nil {
			return renewal{}, err
		}
		if k, err := res.RowsAffected(); err != nil || k != 1 {
			return renewal{}, errRenewalRaced
		}
		restored := n.Status == partnerd.NumberSuspended
		db.audit(tx, n.PartnerID, *n.AccountAuthID, partnerd.AuditNumberRenew, number)
		n.Status, n.PaidUntil = partnerd.NumberAssigned, &end
		if err := db.emit(tx, n.PartnerID, *n.AccountAuthID, partnerd.EventNumberRenewed, wire.NewNumberItem(n)); err != nil {
			return renewal{}, err
		}
		return renewal{charged: true, restored: restored, more: !end.After(now)}, nil
	})
}

// suspendNumber suspends a rented number whose renewal could not be
// charged. It reports false when the number was not assigned any more
// (already suspended, released, or renewed by another sweep meanwhile).
func (db *DB) suspendNumber(ctx context.Context, number string, now time.Time) (bool, error) {
	return write(ctx, db, func(tx *txn) (bool, error) {
		// Only while the period is still unpaid: another sweep may have
		// charged it since this one failed to.
		var partnerID, authID string
		err := tx.queryRow(`UPDATE numbers SET status = 'suspended'
			WHERE number = ? AND status = 'assigned' AND paid_until <= ? RETURNING partner_id, account_auth_id`,
			number, now.Unix()).Scan(&partnerID, &authID)
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		n, err := scanNumber(tx.queryRow(`SELECT `+numberColumns+` `+numberFrom+` WHERE n.number = ?`, number))
		if err != nil {
			return false, err
		}
		db.audit(tx, partnerID, authID, partnerd.AuditNumberSuspend, number)
		return true, db.emit(tx, partnerID, authID, partnerd.EventNumberSuspended, wire.NewNumberItem(n))
	})
}

// verifyNumberCharges finds a number rental transaction that no charged
// period names: a charge the one-per-period rule did not guard.
func verifyNumberCharges(tx *readTx) (string, error) {
	var id string
	err := tx.QueryRow(`SELECT t.id FROM ledger_transactions t WHERE t.kind = 'number_rental'
		AND NOT EXISTS (SELECT 1 FROM number_charges c WHERE c.transaction_id = t.id) ORDER BY t.seq LIMIT 1`).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("transaction %s charges a number rental for no recorded period", id), nil
}
