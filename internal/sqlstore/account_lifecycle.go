package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/partnerd/partnerd"
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
	a, err := write(ctx, db, func(tx *txn) (*partnerd.Account, error) {
		res, err := tx.exec(`UPDATE accounts SET status = ?, status_reason = ?, updated_at = ?
			WHERE auth_id = ? AND partner_id = ? AND status <> 'closed'`,
			status, reason, db.now().Unix(), authID, partnerID)
		if err != nil {
			return nil, err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			if err := writableAccount(tx, partnerID, authID); err != nil {
				return nil, err
			}
			return nil, fmt.Errorf("%d accounts updated", n)
		}
		return db.accountIn(tx, partnerID, authID)
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
