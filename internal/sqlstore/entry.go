package sqlstore

import (
	"context"
	"time"

	"github.com/partnerd/partnerd"
)

// AccountEntries returns one customer's ledger log, newest first.
func (db *DB) AccountEntries(ctx context.Context, partnerID, authID string, f partnerd.EntryFilter) ([]*partnerd.Entry, int, error) {
	var n int
	if err := db.queryRow(ctx, `SELECT COUNT(*) FROM accounts WHERE auth_id = ? AND partner_id = ?`, authID, partnerID).Scan(&n); err != nil {
		return nil, 0, err
	}
	if n == 0 {
		return nil, 0, partnerd.ErrAccountNotFound(authID)
	}
	return db.entries(ctx, `e.wallet_id = ?`, []any{authID}, f)
}

// CustomerEntries returns the logs of all the partner's customers, newest first.
func (db *DB) CustomerEntries(ctx context.Context, partnerID string, f partnerd.EntryFilter) ([]*partnerd.Entry, int, error) {
	return db.entries(ctx, `e.partner_id = ? AND e.wallet_kind = 'customer'`, []any{partnerID}, f)
}

// PartnerEntries returns the partner's master wallet log, newest first.
func (db *DB) PartnerEntries(ctx context.Context, partnerID string, f partnerd.EntryFilter) ([]*partnerd.Entry, int, error) {
	return db.entries(ctx, `e.wallet_id = ?`, []any{partnerID}, f)
}

// entries pages through ledger entries matching scope and the filter. The
// order is the entries' insertion sequence, which is commit order.
func (db *DB) entries(ctx context.Context, scope string, args []any, f partnerd.EntryFilter) ([]*partnerd.Entry, int, error) {
	where := scope
	if f.Type != "" {
		where += ` AND e.type = ?`
		args = append(args, f.Type)
	}
	if !f.From.IsZero() {
		where += ` AND e.created_at >= ?`
		args = append(args, f.From.Unix())
	}
	if !f.To.IsZero() {
		// To is an inclusive day: everything before the next midnight.
		where += ` AND e.created_at < ?`
		args = append(args, f.To.AddDate(0, 0, 1).Unix())
	}
	var total int
	if err := db.queryRow(ctx, `SELECT COUNT(*) FROM ledger_entries e WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	if total == 0 || f.Page.Offset() >= total {
		return []*partnerd.Entry{}, total, nil
	}
	rows, err := db.query(ctx, `SELECT e.transaction_id, e.wallet_id, e.type, e.amount, w.currency, e.balance_before,
			e.balance_after, t.description, t.initiated_by, t.reference, e.created_at
		FROM ledger_entries e
		JOIN ledger_transactions t ON t.id = e.transaction_id
		JOIN wallets w ON w.id = e.wallet_id
		WHERE `+where+` ORDER BY e.seq DESC LIMIT ? OFFSET ?`, append(args, f.Page.Size, f.Page.Offset())...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := make([]*partnerd.Entry, 0, f.Page.Size)
	for rows.Next() {
		var e partnerd.Entry
		var created int64
		if err := rows.Scan(&e.TransactionID, &e.AccountAuthID, &e.Type, &e.Amount, &e.Currency, &e.BalanceBefore,
			&e.BalanceAfter, &e.Description, &e.InitiatedBy, &e.Reference, &created); err != nil {
			return nil, 0, err
		}
		e.CreatedAt = time.Unix(created, 0).UTC()
		out = append(out, &e)
	}
	return out, total, rows.Err()
}
