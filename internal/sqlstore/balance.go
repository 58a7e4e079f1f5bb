package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/partnerd/partnerd"
)

// AccountBalance returns one of the partner's customers' wallets: only
// the columns GET /accounts/{id}/balance shows, and no token to decrypt.
// It is the hottest read of the API, so it reads four columns rather than
// the profile's twenty-odd (the driver's per-column work dominated).
func (db *DB) AccountBalance(ctx context.Context, partnerID, authID string) (*partnerd.Account, error) {
	a := &partnerd.Account{AuthID: authID, PartnerID: partnerID}
	var updated int64
	// A point read by unique key takes microseconds: it is not worth
	// database/sql's goroutine per query that watches for cancellation.
	ctx = context.WithoutCancel(ctx)
	err := db.queryRow(ctx, `SELECT a.name, w.balance, w.currency, w.updated_at
		FROM accounts a JOIN wallets w ON w.id = a.auth_id
		WHERE a.auth_id = ? AND a.partner_id = ?`, authID, partnerID).
		Scan(&a.Name, &a.Balance, &a.Currency, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, partnerd.ErrAccountNotFound(authID)
	}
	if err != nil {
		return nil, fmt.Errorf("account balance: %w", err)
	}
	a.BalanceUpdatedAt = time.Unix(updated, 0).UTC()
	return a, nil
}
