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

var _ partnerd.AutoTopupService = (*DB)(nil)

// SetAutoTopup stores an account's auto top-up settings.
func (db *DB) SetAutoTopup(ctx context.Context, partnerID, authID string, in partnerd.AutoTopupInput) (_ *partnerd.AutoTopup, err error) {
	defer wrapErr("set auto top-up", &err)
	if err := in.Validate(); err != nil {
		return nil, err
	}
	now := db.now()
	a, err := write(ctx, db, func(tx *txn) (*partnerd.AutoTopup, error) {
		if _, _, err := assignable(tx, partnerID, authID); err != nil {
			return nil, err
		}
		_, err := tx.exec(`INSERT INTO autotopup_settings (auth_id, partner_id, enabled, threshold, target_balance, max_per_day,
				max_per_month, max_count_per_day, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (auth_id) DO UPDATE SET enabled = excluded.enabled, threshold = excluded.threshold,
				target_balance = excluded.target_balance, max_per_day = excluded.max_per_day,
				max_per_month = excluded.max_per_month, max_count_per_day = excluded.max_count_per_day, updated_at = excluded.updated_at`,
			authID, partnerID, boolInt(in.Enabled), in.Threshold, in.TargetBalance, in.MaxPerDay, in.MaxPerMonth, in.MaxCountPerDay, now.Unix())
		if err != nil {
			return nil, err
		}
		// Turned on (or kept on) below its threshold, the balance has
		// crossed it as far as auto top-up is concerned: otherwise a
		// customer who fell below while it was off would wait at any
		// balance, down to zero, for a crossing that never comes.
		if in.Enabled {
			var balance int64
			if err := tx.queryRow(readBalance, authID).Scan(&balance); err != nil {
				return nil, err
			}
			if balance < in.Threshold {
				if err := db.crossTopup(tx, authID, partnerID); err != nil {
					return nil, err
				}
			}
		}
		db.audit(tx, partnerID, authID, partnerd.AuditAutoTopupUpdate, authID)
		return readAutoTopup(tx, authID, now)
	})
	if err == nil {
		db.alertConfigChanged(ctx, authID)
	}
	return a, err
}

// AutoTopup reads an account's settings and usage; not_found when never set.
func (db *DB) AutoTopup(ctx context.Context, partnerID, authID string) (_ *partnerd.AutoTopup, err error) {
	defer wrapErr("get auto top-up", &err)
	now := db.now()
	return write(ctx, db, func(tx *txn) (*partnerd.AutoTopup, error) {
		tx.readOnly()
		if _, _, err := assignable(tx, partnerID, authID); err != nil && partnerd.ErrorCode(err) != partnerd.ECAccountClosed {
			return nil, err
		}
		return readAutoTopup(tx, authID, now)
	})
}

// DisableAutoTopup turns auto top-up off; a pending crossing is dropped
// by its next attempt.
func (db *DB) DisableAutoTopup(ctx context.Context, partnerID, authID string) (_ *partnerd.AutoTopup, err error) {
	defer wrapErr("disable auto top-up", &err)
	now := db.now()
	a, err := write(ctx, db, func(tx *txn) (*partnerd.AutoTopup, error) {
		if _, _, err := assignable(tx, partnerID, authID); err != nil && partnerd.ErrorCode(err) != partnerd.ECAccountClosed {
			return nil, err
		}
		if _, err := tx.exec(`UPDATE autotopup_settings SET enabled = 0, updated_at = ? WHERE auth_id = ?`, now.Unix(), authID); err != nil {
			return nil, err
		}
		db.audit(tx, partnerID, authID, partnerd.AuditAutoTopupDelete, authID)
		return readAutoTopup(tx, authID, now)
	})
	if err == nil {
		db.alertConfigChanged(ctx, authID)
	}
	return a, err
}

// readAutoTopup reads the settings and the caps' usage at now.
func readAutoTopup(tx *txn, authID string, now time.Time) (*partnerd.AutoTopup, error) {
	a := &partnerd.AutoTopup{AuthID: authID}
	var enabled, updated int64
	var partnerID string
	err := tx.queryRow(`SELECT s.partner_id, s.enabled, s.threshold, s.target_balance, s.max_per_day, s.max_per_month, s.max_count_per_day,
			s.updated_at, p.currency FROM autotopup_settings s JOIN partners p ON p.id = s.partner_id WHERE s.auth_id = ?`, authID).
		Scan(&partnerID, &enabled, &a.Threshold, &a.TargetBalance, &a.MaxPerDay, &a.MaxPerMonth, &a.MaxCountPerDay, &updated, &a.Currency)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, partnerd.Errorf(partnerd.ECNotFound, "Auto top-up was never set up for customer account %s.", authID)
	}
	if err != nil {
		return nil, err
	}
	a.Enabled, a.UpdatedAt = enabled == 1, time.Unix(updated, 0).UTC()
	u, err := topupUsage(tx, partnerID, authID, now)
	if err != nil {
		return nil, err
	}
	a.UsedToday, a.CountToday, a.UsedThisMonth, a.CountThisMonth = u.day, u.dayCount, u.month, u.monthCount
	return a, nil
}

// usage is what an account's top-ups used of its caps.
type usage struct {
	day, month           int64
	dayCount, monthCount int
}

// topupUsage sums the account's top-ups of the day and the month of now,
// as the partner's time zone counts them.
func topupUsage(tx *txn, partnerID, authID string, now time.Time) (usage, error) {
	loc, err := partnerLocation(tx, partnerID)
	if err != nil {
		return usage{}, err
	}
	local := now.In(loc)
	day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
	month := time.Date(local.Year(), local.Month(), 1, 0, 0, 0, 0, loc)
	var u usage
	err = tx.queryRow(`SELECT COALESCE(SUM(CASE WHEN done_at >= ? THEN amount ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN done_at >= ? THEN 1 ELSE 0 END), 0), COALESCE(SUM(amount), 0), COUNT(*)
		FROM autotopup_crossings WHERE auth_id = ? AND state = 'done' AND done_at >= ? AND done_at < ?`,
		day.Unix(), day.Unix(), authID, month.Unix(), month.AddDate(0, 1, 0).Unix()).Scan(&u.day, &u.dayCount, &u.month, &u.monthCount)
	return u, err
}

// autoTopupEvent is the data of auto_topup.succeeded and auto_topup.failed.
type autoTopupEvent struct {
	AuthID        string         `json:"auth_id"`
	CrossingID    string         `json:"crossing_id"`
	TransactionID *string        `json:"transaction_id,omitempty"`
	Amount        partnerd.Money `json:"amount"`
	Currency      string         `json:"currency"`
	Reason        string         `json:"reason,omitempty"`
}

// RunAutoTopups tries the top-up of every pending crossing (at now, whose
// day and month the caps count). It returns how many top-ups it made.
func (db *DB) RunAutoTopups(ctx context.Context, now time.Time) (int, error) {
	var ids []string
	err := db.scanRows(ctx, func(rows *sql.Rows) error {
		var id string
		ids = append(ids, id)
		return rows.Scan(&ids[len(ids)-1])
	}, `SELECT id FROM autotopup_crossings WHERE state = 'pending' ORDER BY created_at, id LIMIT 1000`)
	if err != nil {
		return 0, fmt.Errorf("auto top-ups: %w", err)
	}
	done := 0
	var errs []error
	for _, id := range ids {
		ok, err := db.topUp(ctx, id, now)
		if err != nil {
			// Rolled back; the next run tries it again. The others go on.
			errs = append(errs, fmt.Errorf("auto top-up %s: %w", id, err))
		}
		if ok {
			done++
		}
	}
	return done, errors.Join(errs...)
}

// TopupsCrossed is signalled when this process wrote an auto top-up crossing.
func (db *DB) TopupsCrossed() <-chan struct{} { return db.topupWake.c() }

// topUp makes the top-up of one pending crossing, or records why it
// cannot (once: auto_topup.failed). The crossing's row is locked first
// and the top-up moves it to done in the same transaction, so however
// many instances try it, one transfer is made.
func (db *DB) topUp(ctx context.Context, crossingID string, now time.Time) (bool, error) {
	txID := partnerd.NewTransactionID(db.Now())
	at := now.UTC().Truncate(time.Second)
	wallets := func(tx *txn) ([]string, error) {
		var authID, partnerID string
		err := tx.queryRow(`SELECT auth_id, partner_id FROM autotopup_crossings WHERE id = ?`, crossingID).Scan(&authID, &partnerID)
		if errors.Is(err, sql.ErrNoRows) {
			return []string{}, nil
		}
		return []string{partnerID, authID}, err
	}
	return writeKeyed(ctx, db, wallets, func(tx *txn) (bool, error) {
		var authID, partnerID string
		err := tx.queryRow(`UPDATE autotopup_crossings SET state = 'pending' WHERE id = ? AND state = 'pending'
			RETURNING auth_id, partner_id`, crossingID).Scan(&authID, &partnerID)
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil // done by another instance meanwhile
		}
		if err != nil {
			return false, err
		}
		skip := func() (bool, error) {
			_, err := tx.exec(`UPDATE autotopup_crossings SET state = 'skipped', done_at = ? WHERE id = ?`, at.Unix(), crossingID)
			return false, err
		}
		var enabled, threshold, target, perDay, perMonth, countPerDay int64
		err = tx.queryRow(`SELECT enabled, threshold, target_balance, max_per_day, max_per_month, max_count_per_day
			FROM autotopup_settings WHERE auth_id = ?`, authID).Scan(&enabled, &threshold, &target, &perDay, &perMonth, &countPerDay)
		if errors.Is(err, sql.ErrNoRows) || enabled == 0 {
			return skip()
		}
		if err != nil {
			return false, err
		}
		var balance int64
		var status, currency string
		if err := tx.queryRow(`SELECT w.balance, a.status, w.currency FROM wallets w JOIN accounts a ON a.auth_id = w.id WHERE w.id = ?`,
			authID).Scan(&balance, &status, &currency); err != nil {
			return false, err
		}
		if status == partnerd.StatusClosed || balance >= threshold {
			return skip() // closed, or the balance recovered without it
		}
		amount := target - balance
		u, err := topupUsage(tx, partnerID, authID, at)
		if err != nil {
			return false, err
		}
		var partnerAvailable int64
		if err := tx.queryRow(`SELECT balance - reserved FROM wallets WHERE id = ?`, partnerID).Scan(&partnerAvailable); err != nil {
			return false, err
		}
		reason := ""
		switch {
		case u.dayCount+1 > int(countPerDay):
			reason = partnerd.TopupDailyCount
		case u.day+amount > perDay:
			reason = partnerd.TopupDailyCap
		case u.month+amount > perMonth:
			reason = partnerd.TopupMonthlyCap
		case partnerAvailable < amount:
			reason = partnerd.TopupPartnerInsufficient
		}
		money := partnerd.Money{Minor: amount, Currency: currency}
		if reason != "" {
			// Announced once per crossing; tried again by later runs.
			res, err := tx.exec(`UPDATE autotopup_crossings SET failed_reason = ? WHERE id = ? AND failed_reason IS NULL`, reason, crossingID)
			if err != nil {
				return false, err
			}
			if k, err := res.RowsAffected(); err != nil || k != 1 {
				return false, err
			}
			return false, db.emit(tx, partnerID, authID, partnerd.EventAutoTopupFailed, autoTopupEvent{AuthID: authID,
				CrossingID: crossingID, Amount: money, Currency: currency, Reason: reason})
		}
		desc, ref, pid := "Auto top-up", crossingID, partnerID
		afters, err := db.post(tx, ledgerTx{id: txID, partnerID: pid, kind: "transfer", description: &desc,
			initiatedBy: partnerd.InitiatedByAutoTopup, reference: &ref, createdAt: at}, nil, []posting{
			{walletID: pid, walletKind: "partner", partnerID: &pid, typ: partnerd.TxTransferOut, amount: -amount},
			{walletID: authID, walletKind: "customer", partnerID: &pid, typ: partnerd.TxRecharge, amount: amount},
		})
		if err != nil {
			return false, err // a race with another debit of the partner: the next run tries again
		}
		if _, err := tx.exec(`UPDATE autotopup_crossings SET state = 'done', amount = ?, transaction_id = ?, done_at = ? WHERE id = ?`,
			amount, txID, at.Unix(), crossingID); err != nil {
			return false, err
		}
		if err := db.emit(tx, partnerID, authID, partnerd.EventAutoTopupSucceeded, autoTopupEvent{AuthID: authID,
			CrossingID: crossingID, TransactionID: &txID, Amount: money, Currency: currency}); err != nil {
			return false, err
		}
		db.audit(tx, partnerID, authID, partnerd.AuditBalanceAutoTopup, txID)
		t := partnerd.Transfer{TransactionID: txID, FromAccount: pid, ToAccount: authID, Amount: amount, Currency: currency,
			Description: &desc, Status: "completed", PartnerBalanceAfter: afters[0], CustomerBalanceAfter: afters[1], Timestamp: at}
		return true, db.emit(tx, partnerID, authID, partnerd.EventBalanceTransferred, wire.NewTransfer(&t))
	})
}
