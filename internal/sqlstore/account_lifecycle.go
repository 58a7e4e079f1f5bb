package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/secret"
	"github.com/partnerd/partnerd/internal/wire"
)

var _ partnerd.AccountLifecycleService = (*DB)(nil)

// SuspendAccount implements partnerd.AccountLifecycleService.
func (db *DB) SuspendAccount(ctx context.Context, partnerID, authID string, in partnerd.SuspendInput) (*partnerd.Account, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	return db.setAccountStatus(ctx, "suspend account", partnerID, authID, partnerd.StatusSuspended, in.Reason)
}

// ActivateAccount implements partnerd.AccountLifecycleService.
func (db *DB) ActivateAccount(ctx context.Context, partnerID, authID string) (*partnerd.Account, error) {
	return db.setAccountStatus(ctx, "activate account", partnerID, authID, partnerd.StatusActive, nil)
}

// setAccountStatus moves a customer that is not closed to status. The
// guard in the UPDATE makes "not closed" atomic with the change, so a
// concurrent close on another instance is never undone.
func (db *DB) setAccountStatus(ctx context.Context, op, partnerID, authID, status string, reason *string) (*partnerd.Account, error) {
	defer db.forgetSIPCredentials() // its endpoints authenticate, or not, from now
	a, err := write(ctx, db, func(tx *txn) (*partnerd.Account, error) {
		// Only a change is written and announced: suspending a suspended
		// account with the reason it has, or activating an active one,
		// answers the account as it is (API.md §8 announces changes).
		res, err := tx.exec(`UPDATE accounts SET status = ?, status_reason = ?, updated_at = ?
			WHERE auth_id = ? AND partner_id = ? AND status <> 'closed'
				AND (status <> ? OR status_reason IS DISTINCT FROM ?)`,
			status, reason, db.now().Unix(), authID, partnerID, status, reason)
		if err != nil {
			return nil, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return nil, err
		}
		if n == 0 {
			if err := writableAccount(tx, partnerID, authID); err != nil {
				return nil, err
			}
		}
		a, err := db.accountIn(tx, partnerID, authID)
		if err != nil {
			return nil, err
		}
		typ, action := partnerd.EventAccountActivated, partnerd.AuditAccountActivate
		if status == partnerd.StatusSuspended {
			typ, action = partnerd.EventAccountSuspended, partnerd.AuditAccountSuspend
		}
		db.audit(tx, partnerID, authID, action, authID)
		if n == 0 {
			return a, nil
		}
		return a, db.emit(tx, partnerID, authID, typ, wire.NewAccountItem(a))
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return a, nil
}

// accountIn reads one of the partner's accounts in a write, with its
// token decrypted, as Account does: the result a lifecycle change
// answers (and an idempotent request stores) is the account as it
// committed.
func (db *DB) accountIn(tx *txn, partnerID, authID string) (*partnerd.Account, error) {
	var enc []byte
	a, err := scanAccount(tx.queryRow(`SELECT `+accountColumns+`, a.token_enc
		FROM accounts a JOIN wallets w ON w.id = a.auth_id
		WHERE a.auth_id = ? AND a.partner_id = ?`, authID, partnerID), &enc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, partnerd.ErrAccountNotFound(authID)
	}
	if err != nil {
		return nil, err
	}
	if err := db.openToken(a, enc); err != nil {
		return nil, err
	}
	return a, nil
}

// openToken decrypts a customer's token into a.AuthToken.
func (db *DB) openToken(a *partnerd.Account, enc []byte) error {
	if db.box == nil {
		return errors.New("sqlstore: no secret key configured")
	}
	token, err := db.box.OpenWith(enc, []byte(a.AuthID))
	if err != nil {
		return fmt.Errorf("decrypt token of %s (is PARTNERD_SECRET_KEY the key this database was created with?): %w", a.AuthID, err)
	}
	a.AuthToken = string(token)
	return nil
}

// CloseAccount implements partnerd.AccountLifecycleService. The locks are
// taken in the order every other write takes them (the account's row,
// then the partner's wallet, then the customer's, as a transfer does), so
// that a close running beside transfers, calls and CDRs on other
// instances waits for them, or they for it, and never deadlocks.
func (db *DB) CloseAccount(ctx context.Context, partnerID, authID string) (*partnerd.Account, error) {
	txID := partnerd.NewTransactionID(db.Now())
	defer db.forgetSIPCredentials() // its endpoints stop authenticating
	a, err := writeKeyed(ctx, db, theseKeys(partnerID, authID), func(tx *txn) (*partnerd.Account, error) {
		now := db.now()
		// The status guard makes the close happen once: of concurrent
		// closes, on any instance, one finds the account open.
		res, err := tx.exec(`UPDATE accounts SET status = 'closed', status_reason = NULL, updated_at = ?
			WHERE auth_id = ? AND partner_id = ? AND status <> 'closed'`, now.Unix(), authID, partnerID)
		if err != nil {
			return nil, err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			if err := writableAccount(tx, partnerID, authID); err != nil {
				return nil, err
			}
			return nil, fmt.Errorf("%d accounts closed", n)
		}
		// Lock the partner's wallet before the customer's (a no-op
		// update holds the row until commit on PostgreSQL).
		if _, err := tx.exec(`UPDATE wallets SET updated_at = updated_at WHERE id = ?`, partnerID); err != nil {
			return nil, err
		}
		var open []string
		if err := tx.scanRows(func(rows *sql.Rows) error {
			var uuid string
			err := rows.Scan(&uuid)
			open = append(open, uuid)
			return err
		}, `SELECT call_uuid FROM authorizations WHERE account_auth_id = ? AND released_at IS NULL AND amount > 0`, authID); err != nil {
			return nil, err
		}
		for _, uuid := range open {
			if _, _, err := releaseReservation(tx, uuid, now); err != nil {
				return nil, err
			}
		}
		// Its numbers go back to the pool, each announced as a release is.
		var numbers []string
		if err := tx.scanRows(func(rows *sql.Rows) error {
			var n string
			err := rows.Scan(&n)
			numbers = append(numbers, n)
			return err
		}, `UPDATE numbers SET status = 'available', account_auth_id = NULL, assigned_at = NULL,
				periods_paid = 0, paid_until = NULL
			WHERE account_auth_id = ? AND partner_id = ? RETURNING number`, authID, partnerID); err != nil {
			return nil, err
		}
		slices.Sort(numbers)
		for _, n := range numbers {
			if err := db.emit(tx, partnerID, authID, partnerd.EventNumberReleased, numberReleased{Number: n, AccountAuthID: authID}); err != nil {
				return nil, err
			}
		}
		var balance, reserved int64
		if err := tx.queryRow(`UPDATE wallets SET updated_at = updated_at WHERE id = ? RETURNING balance, reserved`,
			authID).Scan(&balance, &reserved); err != nil {
			return nil, err
		}
		if reserved != 0 {
			return nil, fmt.Errorf("close %s: %d still reserved after releasing its calls", authID, reserved)
		}
		if balance > 0 {
			pid, description := partnerID, partnerd.CloseDescription
			tx.closing = authID // a closed account has no balance to alert on or top up
			defer func() { tx.closing = "" }()
			if _, err := db.post(tx, ledgerTx{
				id: txID, partnerID: pid, kind: "withdrawal", description: &description,
				initiatedBy: pid, createdAt: now,
			}, claimKeyOf(ctx), []posting{
				{walletID: pid, walletKind: "partner", partnerID: &pid, typ: partnerd.TxTransferIn, amount: balance},
				{walletID: authID, walletKind: "customer", partnerID: &pid, typ: partnerd.TxWithdrawal, amount: -balance},
			}); err != nil {
				return nil, err
			}
			// The balance went back to the partner: a withdrawal, announced
			// as one.
			t := partnerd.Transfer{TransactionID: txID, FromAccount: authID, ToAccount: pid, Amount: balance,
				Description: &description, Status: "completed", Timestamp: now}
			if err := tx.queryRow(`SELECT w.currency, w.balance, p.balance FROM wallets w, wallets p WHERE w.id = ? AND p.id = ?`,
				authID, pid).Scan(&t.Currency, &t.CustomerBalanceAfter, &t.PartnerBalanceAfter); err != nil {
				return nil, err
			}
			if err := db.emit(tx, partnerID, authID, partnerd.EventBalanceTransferred, wire.NewTransfer(&t)); err != nil {
				return nil, err
			}
		}
		a, err := db.accountIn(tx, partnerID, authID)
		if err != nil {
			return nil, err
		}
		db.audit(tx, partnerID, authID, partnerd.AuditAccountClose, authID)
		return a, db.emit(tx, partnerID, authID, partnerd.EventAccountClosed, wire.NewAccountItem(a))
	})
	if err != nil {
		return nil, fmt.Errorf("close account: %w", err)
	}
	return a, nil
}

// UpdateAccount implements partnerd.AccountLifecycleService. The account
// is read and changed in one write, so concurrent updates apply one after
// the other, each checked against the account the other left.
func (db *DB) UpdateAccount(ctx context.Context, partnerID, authID string, in partnerd.AccountUpdate) (*partnerd.Account, error) {
	if err := in.Check(); err != nil {
		// Every bad field at once: those only the account can tell too.
		if cur, rerr := db.Account(ctx, partnerID, authID); rerr == nil {
			_, err = in.Apply(cur)
		}
		return nil, err
	}
	// Hashing is slow on purpose (argon2id): before the write, never in it.
	var pwHash *string
	if in.Password.Set {
		h, err := secret.HashPassword(*in.Password.Value)
		if err != nil {
			return nil, fmt.Errorf("update account: %w", err)
		}
		pwHash = &h
	}
	a, err := write(ctx, db, func(tx *txn) (*partnerd.Account, error) {
		cur, err := db.accountIn(tx, partnerID, authID)
		if err != nil {
			return nil, err
		}
		if cur.Status == partnerd.StatusClosed {
			return nil, partnerd.ErrAccountClosed(authID)
		}
		a, err := in.Apply(cur)
		if err != nil {
			return nil, err
		}
		if pwHash == nil && reflect.DeepEqual(a, cur) {
			// Nothing changes (an empty body, the values it has): no
			// write, no account.updated (API.md §8 announces changes).
			db.audit(tx, partnerID, authID, partnerd.AuditAccountUpdate, authID)
			return cur, nil
		}
		if a.Email != cur.Email {
			var n int
			if err := tx.queryRow(`SELECT COUNT(*) FROM accounts WHERE email = ?`, a.Email).Scan(&n); err != nil {
				return nil, err
			}
			if n > 0 {
				return nil, errEmailTaken(a.Email)
			}
		}
		a.UpdatedAt = db.now()
		_, err = tx.exec(`UPDATE accounts SET name = ?, name_lower = ?, email = ?, password_hash = COALESCE(?, password_hash),
				phone = ?, description = ?, company = ?, address = ?, city = ?, state = ?, zip_code = ?, timezone = ?,
				gstin = ?, gst_status = ?, account_type = ?, updated_at = ?, low_balance_threshold = ?
			WHERE auth_id = ? AND partner_id = ? AND status <> 'closed'`,
			a.Name, strings.ToLower(a.Name), a.Email, pwHash, a.Phone, a.Description, a.Company, a.Address, a.City,
			a.State, a.ZipCode, a.Timezone, a.GSTIN, a.GSTStatus, a.AccountType, a.UpdatedAt.Unix(), ownLowBalance(a),
			authID, partnerID)
		if isUniqueViolation(err) {
			// Another instance took the email after the check above.
			return nil, errEmailTaken(a.Email)
		}
		if err != nil {
			return nil, err
		}
		a, err = db.accountIn(tx, partnerID, authID)
		if err != nil {
			return nil, err
		}
		db.audit(tx, partnerID, authID, partnerd.AuditAccountUpdate, authID)
		return a, db.emit(tx, partnerID, authID, partnerd.EventAccountUpdated, wire.NewAccountItem(a))
	})
	if err != nil {
		return nil, fmt.Errorf("update account: %w", err)
	}
	if in.LowBalanceThreshold.Set {
		db.alertConfigChanged(ctx, authID)
	}
	return a, nil
}

// ownLowBalance is the low_balance_threshold column of a: NULL when the
// partner's applies.
func ownLowBalance(a *partnerd.Account) *int64 {
	if !a.OwnLowBalance {
		return nil
	}
	return &a.LowBalanceThreshold
}

// RotateAccountToken implements partnerd.AccountLifecycleService.
func (db *DB) RotateAccountToken(ctx context.Context, partnerID, authID string) (*partnerd.Account, error) {
	if db.box == nil {
		return nil, errors.New("rotate account token: no secret key configured")
	}
	token := secret.NewToken()
	a, err := write(ctx, db, func(tx *txn) (*partnerd.Account, error) {
		res, err := tx.exec(`UPDATE accounts SET token_hash = ?, token_enc = ?, updated_at = ?
			WHERE auth_id = ? AND partner_id = ? AND status <> 'closed'`,
			secret.HashToken(token), db.box.SealWith([]byte(token), []byte(authID)), db.now().Unix(), authID, partnerID)
		if err != nil {
			return nil, err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			if err := writableAccount(tx, partnerID, authID); err != nil {
				return nil, err
			}
			return nil, fmt.Errorf("%d accounts updated", n)
		}
		db.audit(tx, partnerID, authID, partnerd.AuditTokenRotate, authID)
		return db.accountIn(tx, partnerID, authID)
	})
	if err != nil {
		return nil, fmt.Errorf("rotate account token: %w", err)
	}
	return a, nil
}

// AccountCredential implements partnerd.AccountLifecycleService.
func (db *DB) AccountCredential(ctx context.Context, authID string) (*partnerd.AccountCredential, error) {
	var c partnerd.AccountCredential
	p := &c.Partner
	var created int64
	var low sql.NullInt64
	err := db.queryRow(ctx, `SELECT a.auth_id, a.status, a.token_hash, p.id, p.name, p.email, p.company, p.status, p.currency,
			p.created_at, p.timezone, p.low_balance, p.rate_limit
		FROM accounts a JOIN partners p ON p.id = a.partner_id WHERE a.auth_id = ?`, authID).
		Scan(&c.AuthID, &c.Status, &c.TokenHash, &p.ID, &p.Name, &p.Email, &p.Company, &p.Status, &p.Currency,
			&created, &p.Timezone, &low, &p.RateLimit)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, partnerd.Errorf(partnerd.ECNotFound, "No customer %q exists.", authID)
	}
	if err != nil {
		return nil, fmt.Errorf("account credential: %w", err)
	}
	p.CreatedAt = time.Unix(created, 0).UTC()
	p.LowBalance = lowBalance(low, p.Currency)
	return &c, nil
}
