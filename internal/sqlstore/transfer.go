package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/wire"
)

var _ partnerd.LedgerService = (*DB)(nil)

// Transfer moves money from the partner's master wallet to its customer.
func (db *DB) Transfer(ctx context.Context, partnerID string, in partnerd.TransferInput) (*partnerd.Transfer, error) {
	return db.move(ctx, partnerID, in, false)
}

// Withdraw moves money from a customer back to its partner.
func (db *DB) Withdraw(ctx context.Context, partnerID string, in partnerd.TransferInput) (*partnerd.Transfer, error) {
	return db.move(ctx, partnerID, in, true)
}

// movableAccount is the rule, in SQL over accounts a, for a customer that
// money may move to or from. The one-by-one path reads it to name the
// refusal; the combined statements (transfer_pg.go) leave alone a move it
// refuses.
const movableAccount = `a.status <> 'closed'`

// moveOp is one transfer (partner → customer) or, with withdraw, one
// withdrawal (customer → partner). It runs one by one (apply) or, on
// PostgreSQL, with the other moves of its batch in one statement per
// direction (moveCombiner in transfer_pg.go).
type moveOp struct {
	db        *DB
	withdraw  bool
	partnerID string
	in        partnerd.TransferInput
	idemKey   *string
	t         partnerd.Transfer // the outcome, filled in by apply

	// Set by the combined statement when it applied the move.
	applied                     bool
	partnerAfter, customerAfter int64
	currency                    string
}

func (m *moveOp) combined() bool      { return m.applied }
func (m *moveOp) setCombined(ok bool) { m.applied = ok }

// lockKeys: the combined statement moves both wallets.
func (m *moveOp) lockKeys() []string { return []string{m.partnerID, m.in.AuthID} }

func (m *moveOp) combiner() combiner {
	if m.db.dialect.batchStatements {
		return moveCombiner{}
	}
	return nil
}

func (db *DB) move(ctx context.Context, partnerID string, in partnerd.TransferInput, withdraw bool) (*partnerd.Transfer, error) {
	name := "transfer"
	if withdraw {
		name = "withdraw"
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	now := db.now()
	m := &moveOp{db: db, withdraw: withdraw, partnerID: partnerID, in: in, idemKey: claimKeyOf(ctx)}
	m.t = partnerd.Transfer{
		TransactionID: partnerd.NewTransactionID(db.Now()), Amount: in.Amount, Description: in.Description,
		Status: "completed", Timestamp: now, FromAccount: partnerID, ToAccount: in.AuthID,
	}
	if withdraw {
		m.t.FromAccount, m.t.ToAccount = in.AuthID, partnerID
	}
	res, err := db.do(ctx, m)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return res.(*partnerd.Transfer), nil
}

func (m *moveOp) apply(tx *txn) (any, error) {
	t := m.t // a copy: apply may run again after a rolled-back pass
	if m.applied {
		t.PartnerBalanceAfter, t.CustomerBalanceAfter, t.Currency = m.partnerAfter, m.customerAfter, m.currency
		// The combined statement moved the money: the alerts post would
		// have decided are decided here, on the still locked wallet.
		before := m.customerAfter - m.in.Amount
		if m.withdraw {
			before = m.customerAfter + m.in.Amount
		}
		if err := m.db.balanceMoved(tx, m.in.AuthID, before, m.customerAfter); err != nil {
			return nil, err
		}
		return m.done(tx, &t)
	}
	kind, partnerType, customerType, sign := "transfer", partnerd.TxTransferOut, partnerd.TxRecharge, int64(1)
	if m.withdraw {
		kind, partnerType, customerType, sign = "withdrawal", partnerd.TxTransferIn, partnerd.TxWithdrawal, -1
	}
	var movable bool
	err := tx.queryRow(`SELECT `+movableAccount+`, w.currency FROM accounts a JOIN wallets w ON w.id = a.auth_id
		WHERE a.auth_id = ? AND a.partner_id = ?`, m.in.AuthID, m.partnerID).Scan(&movable, &t.Currency)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, partnerd.ErrAccountNotFound(m.in.AuthID)
	}
	if err != nil {
		return nil, err
	}
	if !movable {
		return nil, partnerd.Errorf(partnerd.ECAccountClosed, "Customer account %s is closed.", m.in.AuthID)
	}
	pid := m.partnerID
	afters, err := m.db.post(tx, ledgerTx{
		id: t.TransactionID, partnerID: pid, kind: kind, description: m.in.Description,
		initiatedBy: pid, createdAt: t.Timestamp,
	}, m.idemKey, []posting{
		{walletID: pid, walletKind: "partner", partnerID: &pid, typ: partnerType, amount: -sign * m.in.Amount},
		{walletID: m.in.AuthID, walletKind: "customer", partnerID: &pid, typ: customerType, amount: sign * m.in.Amount},
	})
	var od *errOverdraft
	if errors.As(err, &od) {
		if m.withdraw {
			return nil, insufficient("Customer", od, m.in.Amount, t.Currency, "withdrawal")
		}
		return nil, insufficient("Partner", od, m.in.Amount, t.Currency, "transfer")
	}
	if err != nil {
		return nil, err
	}
	t.PartnerBalanceAfter, t.CustomerBalanceAfter = afters[0], afters[1]
	return m.done(tx, &t)
}

// done announces the applied move t (balance.transferred, whose data is
// the transfer response) and returns it.
func (m *moveOp) done(tx *txn, t *partnerd.Transfer) (*partnerd.Transfer, error) {
	action := partnerd.AuditBalanceTransfer
	if m.withdraw {
		action = partnerd.AuditBalanceWithdraw
	}
	m.db.audit(tx, m.partnerID, m.in.AuthID, action, t.TransactionID)
	if err := m.db.emit(tx, m.partnerID, m.in.AuthID, partnerd.EventBalanceTransferred, wire.NewTransfer(t)); err != nil {
		return nil, err
	}
	return t, nil
}

// FundPartner credits a partner's master wallet with money from outside the
// system (the operator's `partner fund`).
func (db *DB) FundPartner(ctx context.Context, partnerID string, amount int64, description *string) (*partnerd.Entry, error) {
	if amount <= 0 {
		return nil, partnerd.FieldErrors{{Field: "amount", Code: partnerd.FCMustBePositive, Message: "amount must be greater than zero"}}.Err()
	}
	description, err := partnerd.CheckDescription(description)
	if err != nil {
		return nil, err
	}
	now := db.now()
	txID := partnerd.NewTransactionID(db.Now())
	// Named first, the partner's wallet is locked in order with the rest of
	// the writer's batch (writeKeyed), not after the customers' that a
	// batch on another instance, holding it, may be waiting for.
	e, err := writeKeyed(ctx, db, theseKeys(partnerID), func(tx *txn) (*partnerd.Entry, error) {
		e := &partnerd.Entry{
			TransactionID: txID, AccountAuthID: partnerID, Type: partnerd.TxFund,
			Amount: amount, Description: description, InitiatedBy: partnerd.InitiatedByOperator, CreatedAt: now,
		}
		err := tx.queryRow(`SELECT currency FROM wallets WHERE id = ? AND kind = 'partner'`, partnerID).Scan(&e.Currency)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, partnerd.Errorf(partnerd.ECNotFound, "No partner %q exists.", partnerID)
		}
		if err != nil {
			return nil, err
		}
		external, err := systemWallet(tx, "external", e.Currency, now)
		if err != nil {
			return nil, err
		}
		pid := partnerID
		afters, err := db.post(tx, ledgerTx{
			id: txID, partnerID: partnerID, kind: "fund", description: description,
			initiatedBy: partnerd.InitiatedByOperator, createdAt: now,
		}, claimKeyOf(ctx), []posting{
			{walletID: external, walletKind: "system", typ: partnerd.TxFund, amount: -amount},
			{walletID: partnerID, walletKind: "partner", partnerID: &pid, typ: partnerd.TxFund, amount: amount},
		})
		if err != nil {
			return nil, err
		}
		e.BalanceAfter = afters[1]
		e.BalanceBefore = afters[1] - amount
		db.audit(tx, partnerID, "", partnerd.AuditPartnerFund, txID)
		return e, nil
	})
	if err != nil {
		return nil, fmt.Errorf("fund partner: %w", err)
	}
	return e, nil
}
