package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/partnerd/partnerd"
)

var _ partnerd.LedgerService = (*DB)(nil)

// Transfer moves money from the partner's master wallet to its customer.
func (db *DB) Transfer(ctx context.Context, partnerID string, in partnerd.TransferInput) (*partnerd.Transfer, error) {
	return db.move(ctx, partnerID, in, true)
}

// Withdraw moves money from a customer back to its partner.
func (db *DB) Withdraw(ctx context.Context, partnerID string, in partnerd.TransferInput) (*partnerd.Transfer, error) {
	return db.move(ctx, partnerID, in, false)
}

func (db *DB) move(ctx context.Context, partnerID string, in partnerd.TransferInput, toCustomer bool) (*partnerd.Transfer, error) {
	if in.Amount <= 0 {
		return nil, partnerd.FieldErrors{{Field: "amount", Code: "must_be_positive", Message: "amount must be greater than zero"}}.Err()
	}
	now := db.now()
	t := &partnerd.Transfer{
		TransactionID: partnerd.NewTransactionID(db.Now()), Amount: in.Amount, Description: in.Description,
		Status: "completed", Timestamp: now,
	}
	kind, partnerType, customerType, sign := "transfer", partnerd.TxTransferOut, partnerd.TxRecharge, int64(1)
	t.FromAccount, t.ToAccount = partnerID, in.AuthID
	if !toCustomer {
		kind, partnerType, customerType, sign = "withdrawal", partnerd.TxTransferIn, partnerd.TxWithdrawal, -1
		t.FromAccount, t.ToAccount = in.AuthID, partnerID
	}
	claim := partnerd.IdempotencyClaimFrom(ctx)
	var fast *fastTransfer
	if db.dialect.transferMany != "" {
		fast = &fastTransfer{withdraw: !toCustomer, authID: in.AuthID, partnerID: partnerID, amount: in.Amount,
			txID: t.TransactionID, description: in.Description, idemKey: claimKeyOf(claim), createdAt: now.Unix()}
	}
	err := db.updateFast(ctx, fast, func(tx *txn) error {
		if fast != nil && fast.applied {
			t.PartnerBalanceAfter, t.CustomerBalanceAfter, t.Currency = fast.partnerAfter, fast.customerAfter, fast.currency
			return db.completeClaim(tx, claim, t)
		}
		// Not applied with its batch: the general path applies it or
		// names the reason.
		var status string
		err := tx.queryRow(`SELECT a.status, w.currency FROM accounts a JOIN wallets w ON w.id = a.auth_id
			WHERE a.auth_id = ? AND a.partner_id = ?`, in.AuthID, partnerID).Scan(&status, &t.Currency)
		if errors.Is(err, sql.ErrNoRows) {
			return partnerd.ErrAccountNotFound(in.AuthID)
		}
		if err != nil {
			return err
		}
		if status == partnerd.StatusClosed {
			return partnerd.Errorf(partnerd.ECAccountClosed, "Customer account %s is closed.", in.AuthID)
		}
		pid := partnerID
		afters, err := db.post(tx, ledgerTx{
			id: t.TransactionID, partnerID: partnerID, kind: kind, description: in.Description,
			initiatedBy: partnerID, createdAt: now,
		}, claimKeyOf(claim), []posting{
			{walletID: partnerID, walletKind: "partner", partnerID: &pid, typ: partnerType, amount: -sign * in.Amount},
			{walletID: in.AuthID, walletKind: "customer", partnerID: &pid, typ: customerType, amount: sign * in.Amount},
		})
		var od *errOverdraft
		if errors.As(err, &od) {
			if toCustomer {
				return insufficient("Partner", od.balance, in.Amount, t.Currency, "transfer")
			}
			return insufficient("Customer", od.balance, in.Amount, t.Currency, "withdrawal")
		}
		if err != nil {
			return err
		}
		t.PartnerBalanceAfter, t.CustomerBalanceAfter = afters[0], afters[1]
		return db.completeClaim(tx, claim, t)
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// FundPartner credits a partner's master wallet with money from outside the
// system (the operator's `partner fund`).
func (db *DB) FundPartner(ctx context.Context, partnerID string, amount int64, description *string) (*partnerd.Entry, error) {
	if amount <= 0 {
		return nil, partnerd.FieldErrors{{Field: "amount", Code: "must_be_positive", Message: "amount must be greater than zero"}}.Err()
	}
	now := db.now()
	e := &partnerd.Entry{
		TransactionID: partnerd.NewTransactionID(db.Now()), AccountAuthID: partnerID, Type: partnerd.TxFund,
		Amount: amount, Description: description, InitiatedBy: partnerd.InitiatedByOperator, CreatedAt: now,
	}
	err := db.update(ctx, func(tx *txn) error {
		err := tx.queryRow(`SELECT currency FROM wallets WHERE id = ? AND kind = 'partner'`, partnerID).Scan(&e.Currency)
		if errors.Is(err, sql.ErrNoRows) {
			return partnerd.Errorf(partnerd.ECNotFound, "No partner %q exists.", partnerID)
		}
		if err != nil {
			return err
		}
		external, err := systemWallet(tx, "external", e.Currency, now)
		if err != nil {
			return err
		}
		pid := partnerID
		afters, err := db.post(tx, ledgerTx{
			id: e.TransactionID, partnerID: partnerID, kind: "fund", description: description,
			initiatedBy: partnerd.InitiatedByOperator, createdAt: now,
		}, nil, []posting{
			{walletID: external, walletKind: "system", typ: partnerd.TxFund, amount: -amount},
			{walletID: partnerID, walletKind: "partner", partnerID: &pid, typ: partnerd.TxFund, amount: amount},
		})
		if err != nil {
			return err
		}
		e.BalanceAfter = afters[1]
		e.BalanceBefore = afters[1] - amount
		return nil
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// fastTransfer is a partner→customer transfer, or with withdraw a
// customer→partner withdrawal, that the writer may apply with the others
// of its batch in one statement per direction (transferMany).
type fastTransfer struct {
	withdraw             bool
	authID, partnerID    string
	amount               int64
	txID                 string
	description, idemKey *string
	createdAt            int64

	// Set by transferMany: whether it applied the transfer, and how.
	applied                     bool
	partnerAfter, customerAfter int64
	currency                    string
}

// queryer runs a query in a transaction or, on a *sql.DB, as a statement
// that commits on its own.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// transferMany applies ops, transfers first and then withdrawals, one
// statement each (the dialect's transferMany and withdrawMany), and marks
// those it applied. An operation it left alone is for its request to run
// one by one.
func (db *DB) transferMany(ctx context.Context, q queryer, ops []*fastTransfer) error {
	var transfers, withdrawals []*fastTransfer
	for _, op := range ops {
		if op.withdraw {
			withdrawals = append(withdrawals, op)
		} else {
			transfers = append(transfers, op)
		}
	}
	if err := db.applyMany(ctx, q, db.dialect.transferMany, transfers); err != nil {
		return err
	}
	return db.applyMany(ctx, q, db.dialect.withdrawMany, withdrawals)
}

// applyMany runs one combined statement over ops of one direction.
func (db *DB) applyMany(ctx context.Context, q queryer, query string, ops []*fastTransfer) error {
	if len(ops) == 0 {
		return nil
	}
	n := len(ops)
	authIDs, partnerIDs, txIDs := make([]string, n), make([]string, n), make([]string, n)
	amounts, createdAt := make([]int64, n), make([]int64, n)
	descriptions, keys := make([]*string, n), make([]*string, n)
	for i, op := range ops {
		authIDs[i], partnerIDs[i], txIDs[i] = op.authID, op.partnerID, op.txID
		amounts[i], createdAt[i] = op.amount, op.createdAt
		descriptions[i], keys[i] = op.description, op.idemKey
	}
	rows, err := q.QueryContext(ctx, query,
		authIDs, partnerIDs, amounts, txIDs, descriptions, keys, createdAt)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var ord int
		var partnerAfter, customerAfter sql.NullInt64
		var currency sql.NullString
		var guard sql.NullInt64 // always NULL: see transferManyPG
		if err := rows.Scan(&ord, &partnerAfter, &customerAfter, &currency, &guard); err != nil {
			return err
		}
		if ord < 1 || ord > n || ops[ord-1].applied {
			return fmt.Errorf("combined transfers: unexpected position %d of %d", ord, n)
		}
		op := ops[ord-1]
		if !partnerAfter.Valid || !customerAfter.Valid || !currency.Valid {
			// Returning an error rolls the statement's effects back.
			return fmt.Errorf("%s half-applied (one wallet not moved); refused", op.txID)
		}
		op.applied, op.partnerAfter, op.customerAfter, op.currency = true, partnerAfter.Int64, customerAfter.Int64, currency.String
	}
	return rows.Err()
}
