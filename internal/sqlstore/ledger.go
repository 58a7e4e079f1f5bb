package sqlstore

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/partnerd/partnerd"
)

// ledgerTx is the header row of one movement of money.
type ledgerTx struct {
	id          string
	partnerID   string
	kind        string
	description *string
	initiatedBy string
	reference   *string
	createdAt   time.Time
}

// posting is one wallet's side of a ledger transaction.
type posting struct {
	walletID   string
	walletKind string  // partner, customer or system
	partnerID  *string // owner partner; nil for system wallets
	typ        string  // the transaction type as this wallet's log shows it
	amount     int64   // signed
}

// errOverdraft reports that a posting would take a non-system wallet below
// zero; the caller turns it into insufficient_balance with its own figures.
type errOverdraft struct {
	walletID string
	balance  int64 // what the debit could take: the available balance, unless it spends reserved money
	reserved int64 // held for live calls, beside balance
}

func (e *errOverdraft) Error() string { return "overdraft of " + e.walletID }

// post writes a balanced ledger transaction and applies each posting to its
// wallet with a guarded update, in the caller's database transaction. It
// returns each wallet's balance after its posting.
func (db *DB) post(tx *txn, t ledgerTx, idemKey *string, postings []posting) ([]int64, error) {
	var sum int64
	for _, p := range postings {
		sum += p.amount
	}
	if sum != 0 || len(postings) < 2 {
		return nil, fmt.Errorf("unbalanced ledger transaction %s: sum %d over %d postings", t.id, sum, len(postings))
	}
	now := t.createdAt.Unix()
	if _, err := tx.exec(`INSERT INTO ledger_transactions (id, partner_id, kind, description, initiated_by, reference, idempotency_key, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		t.id, t.partnerID, t.kind, t.description, t.initiatedBy, t.reference, idemKey, now); err != nil {
		return nil, err
	}
	afters := make([]int64, len(postings))
	for i, p := range postings {
		var after int64
		var err error
		if p.walletKind == "system" || p.amount > 0 {
			err = tx.queryRow(`UPDATE wallets SET balance = balance + ?, updated_at = ?, entry_count = entry_count + 1 WHERE id = ? RETURNING balance`,
				p.amount, now, p.walletID).Scan(&after)
		} else {
			after, err = debit(tx, p.walletID, p.amount, now)
		}
		if err != nil {
			return nil, fmt.Errorf("wallet %s: %w", p.walletID, err)
		}
		afters[i] = after
	}
	// All entries in one statement (one round trip on PostgreSQL), in
	// posting order; a failure fails the request (see dialect.orFail).
	args := make([]any, 0, 9*len(postings))
	for i, p := range postings {
		args = append(args, t.id, p.walletID, p.partnerID, p.walletKind, p.typ, p.amount, afters[i]-p.amount, afters[i], now)
	}
	row := "(" + placeholders(9) + ")"
	if _, err := tx.exec(`INSERT `+tx.dialect.orFail+`INTO ledger_entries (transaction_id, wallet_id, partner_id, wallet_kind, type, amount,
			balance_before, balance_after, created_at) VALUES `+strings.TrimSuffix(strings.Repeat(row+", ", len(postings)), ", "),
		args...); err != nil {
		return nil, err
	}
	for i, p := range postings {
		if p.walletKind == "customer" {
			if err := db.balanceMoved(tx, p.walletID, afters[i]-p.amount, afters[i]); err != nil {
				return nil, err
			}
		}
	}
	return afters, nil
}

// debit applies a negative amount to a wallet that must not go below zero,
// nor below the money reserved for its live calls: every debit takes at
// most the available balance (balance - reserved). The guard in the UPDATE
// makes the rule atomic with the debit: no row comes back when the wallet
// holds too little. The available balance reported then is read
// afterwards; on PostgreSQL another instance may have credited the wallet
// or released a reservation in between (each statement sees the latest
// commit), in which case the debit is simply tried again, so an overdraft
// error never shows a balance that would have covered it.
func debit(tx *txn, walletID string, amount int64, now int64) (int64, error) {
	for {
		var after int64
		err := tx.queryRow(`UPDATE wallets SET balance = balance + ?, updated_at = ?, entry_count = entry_count + 1
			WHERE id = ? AND balance - reserved + ? >= 0 RETURNING balance`, amount, now, walletID, amount).Scan(&after)
		if !errors.Is(err, sql.ErrNoRows) {
			return after, err
		}
		var available, reserved int64
		if err := tx.queryRow(`SELECT balance - reserved, reserved FROM wallets WHERE id = ?`, walletID).Scan(&available, &reserved); err != nil {
			return 0, err
		}
		if available+amount < 0 {
			return 0, &errOverdraft{walletID: walletID, balance: available, reserved: reserved}
		}
	}
}

// systemWallet returns the id of a system wallet for currency, creating it
// on first use. System wallets may go negative: money enters the system
// from "external" and usage charges leave to "usage".
//
// The wallet is looked for before it is inserted: on PostgreSQL an
// INSERT … ON CONFLICT DO NOTHING of an existing row waits for any
// transaction that is changing that row, so it locked the hot system
// wallet at whatever point of a batch first named it (before some of the
// customers' wallets), against the order every batch locks in, and
// instances deadlocked (a second's stall each).
func systemWallet(tx *txn, name, currency string, now time.Time) (string, error) {
	id := name + ":" + currency
	var n int
	if err := tx.queryRow(`SELECT COUNT(*) FROM wallets WHERE id = ?`, id).Scan(&n); err != nil || n > 0 {
		return id, err
	}
	_, err := tx.exec(`INSERT INTO wallets (id, kind, currency, balance, updated_at) VALUES (?, 'system', ?, 0, ?)
		ON CONFLICT (id) DO NOTHING`, id, currency, now.Unix())
	return id, err
}

// insufficient is the insufficient_balance refusal of a debit: with the
// wallet's balance, and, when money is reserved for live calls, what was
// available beside it.
func insufficient(who string, od *errOverdraft, requested int64, currency, action string) error {
	money := func(v int64) partnerd.Money { return partnerd.Money{Minor: v, Currency: currency} }
	balance := od.balance + od.reserved
	e := &partnerd.Error{
		Code: partnerd.ECInsufficientBalance,
		Message: fmt.Sprintf("%s balance %s %s is insufficient for a %s of %s %s.", who,
			partnerd.FormatMinor(balance, currency), currency, action, partnerd.FormatMinor(requested, currency), currency),
		Details: map[string]any{"current_balance": money(balance), "requested_amount": money(requested), "currency": currency},
	}
	if od.reserved > 0 {
		e.Message = fmt.Sprintf("%s balance %s %s holds %s %s reserved for live calls; the %s %s available are insufficient for a %s of %s %s.",
			who, partnerd.FormatMinor(balance, currency), currency, partnerd.FormatMinor(od.reserved, currency), currency,
			partnerd.FormatMinor(od.balance, currency), currency, action, partnerd.FormatMinor(requested, currency), currency)
		e.Details["reserved"], e.Details["available"] = money(od.reserved), money(od.balance)
	}
	return e
}
