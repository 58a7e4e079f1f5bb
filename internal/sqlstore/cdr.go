package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/partnerd/partnerd"
)

// PostCDRs rates and charges the switch's call records (API.md §5): each
// valid one once, as a debit to the usage wallet that spends the call's
// reservation after releasing it, in one write for the whole batch. A
// record whose call_uuid was seen before (in an earlier batch or earlier
// in this one) is a duplicate and changes nothing; one that cannot be
// charged (its account or rate cannot be found) is rejected alone, with
// the reason, while its neighbours are charged.
//
// invalid[i], when not nil, is why ins[i] failed to decode: it is
// reported as is. Every other record is validated here.
func (db *DB) PostCDRs(ctx context.Context, ins []partnerd.CDRInput, invalid []*partnerd.Error) (_ []partnerd.CDRResult, err error) {
	defer wrapErr("post CDRs", &err)
	if len(invalid) != len(ins) {
		return nil, fmt.Errorf("%d records but %d decoding outcomes", len(ins), len(invalid))
	}
	o := &cdrOp{db: db, ins: ins, rejected: make([]*partnerd.Error, len(ins)), now: db.now()}
	valid := 0
	for i := range ins {
		o.rejected[i] = invalid[i]
		if o.rejected[i] == nil {
			if err := ins[i].Validate(); err != nil {
				var pe *partnerd.Error
				if !errors.As(err, &pe) {
					return nil, err
				}
				o.rejected[i] = pe
			}
		}
		if o.rejected[i] == nil {
			valid++
		}
	}
	if valid == 0 {
		return o.results(nil), nil
	}
	res, err := doOnce(ctx, db, o)
	if err != nil {
		return nil, err
	}
	out := res.([]partnerd.CDRResult)
	var recorded int64
	for _, r := range out {
		if r.Status == partnerd.CDRCharged {
			recorded++
		}
	}
	db.search.recorded(recorded)
	return out, nil
}

// inList is a condition "column is one of the strings of arg", one
// statement whatever their number: a JSON array on SQLite, an array
// parameter on PostgreSQL.
func inList(d dialect, column string, ids []string) (string, any) {
	if d.dollarParams {
		return column + ` = ANY(?::text[])`, ids
	}
	b, _ := json.Marshal(ids)
	return column + ` IN (SELECT value FROM json_each(?))`, string(b)
}

// cdrOp charges one batch of call records in one transaction.
type cdrOp struct {
	db       *DB
	ins      []partnerd.CDRInput
	rejected []*partnerd.Error // decoding and validation refusals
	now      time.Time
	// out is set when the combiner (cdr_combine.go) charged the batch
	// together with the others of its transaction in this pass.
	out []partnerd.CDRResult
}

// results reports every record: those of out (nil for a record it did not
// reach) or its refusal.
func (o *cdrOp) results(out []partnerd.CDRResult) []partnerd.CDRResult {
	if out == nil {
		out = make([]partnerd.CDRResult, len(o.ins))
	}
	for i, in := range o.ins {
		if o.rejected[i] != nil {
			out[i] = partnerd.CDRResult{CallUUID: in.CallUUID, Status: partnerd.CDRRejected, Err: o.rejected[i]}
		}
	}
	return out
}

// cdrAccount is what charging a call reads of its customer: its balance
// is the wallet's, kept up to date by the batch's own charges (nothing
// else changes it meanwhile: on PostgreSQL the wallet is locked).
type cdrAccount struct {
	partnerID, currency string
	loc                 *time.Location // the partner's, which its days are counted in
	deckVersion         int64          // the partner's rate deck's (see rateDeck)
	balance, reserved   int64
	hasBalance          bool
}

// Balance reads of one wallet.
const (
	readBalance   = `SELECT balance FROM wallets WHERE id = ?`
	readAvailable = `SELECT balance - reserved FROM wallets WHERE id = ?`
)

// cdrAuth is what charging a call reads of its authorization.
type cdrAuth struct {
	account                        sql.NullString
	direction                      string
	authorized, open               int64
	prefix                         sql.NullString
	perMinute, initial, subsequent sql.NullInt64
}

// cdrBatch is what apply reads for the whole batch in a few statements
// instead of a few per record.
type cdrBatch struct {
	dups     map[string]partnerd.CDRResult // call_uuid → the stored record's cost
	auths    map[string]*cdrAuth
	accounts map[string]*cdrAccount
	usage    map[string]string // currency → usage wallet
	// The batch's records, and the charges of the customers whose
	// balances it read, written together at its end: by flushPG on
	// PostgreSQL (bulk), flushSQLite on SQLite.
	bulk    bool
	charges []cdrCharge
	rows    []cdrRow
	// stats is the batch's usage, for the dashboard and analytics.
	stats usageBatch
}

// walletSum is what a batch still owes one wallet's row.
type walletSum struct {
	amount, n int64
}

// read fills b for the new records of the batch: the stored duplicates,
// the authorizations, and the accounts named (records or authorizations)
// with their balances, locked on PostgreSQL in one order (sorted) as the
// batch will charge them.
func (b *cdrBatch) read(tx *txn, o *cdrOp) error {
	var calls []string
	for i := range o.ins {
		if o.rejected[i] == nil {
			calls = append(calls, o.ins[i].CallUUID)
		}
	}
	cond, arg := inList(tx.dialect, "call_uuid", calls)
	if err := tx.scanRows(func(rows *sql.Rows) error {
		var id string
		var r partnerd.CDRResult
		err := rows.Scan(&id, &r.Cost, &r.Currency)
		b.dups[id] = r
		return err
	}, `SELECT call_uuid, cost, currency FROM cdrs WHERE `+cond, arg); err != nil {
		return err
	}
	if err := tx.scanRows(func(rows *sql.Rows) error {
		var id string
		a := &cdrAuth{}
		err := rows.Scan(&id, &a.account, &a.direction, &a.authorized, &a.prefix, &a.perMinute, &a.initial, &a.subsequent, &a.open)
		b.auths[id] = a
		return err
	}, `SELECT call_uuid, account_auth_id, direction, authorized, prefix, rate_per_minute, initial_increment, subsequent_increment,
			CASE WHEN released_at IS NULL AND amount > 0 THEN 1 ELSE 0 END
		FROM authorizations WHERE `+cond, arg); err != nil {
		return err
	}
	var ids []string
	for i := range o.ins {
		in := &o.ins[i]
		if o.rejected[i] != nil {
			continue
		}
		if a := b.auths[in.CallUUID]; a != nil && a.authorized == 1 && a.account.Valid {
			ids = append(ids, a.account.String)
		} else if in.AccountAuthID != nil {
			ids = append(ids, *in.AccountAuthID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	// The accounts' alert thresholds come along: charging them decides
	// their balance alerts (balanceMoved), which then finds them cached
	// instead of reading them one by one.
	cond, arg = inList(tx.dialect, "a.auth_id", ids)
	q := `SELECT a.auth_id, a.partner_id, w.currency, w.balance, w.reserved, p.timezone, p.rate_deck_version, p.currency, ` + alertConfigColumns + `
		FROM accounts a JOIN wallets w ON w.id = a.auth_id JOIN partners p ON p.id = a.partner_id
		LEFT JOIN autotopup_settings s ON s.auth_id = a.auth_id AND s.enabled = 1 WHERE ` + cond
	if tx.dialect.lockWallets != "" {
		q += ` ORDER BY a.auth_id FOR NO KEY UPDATE OF w`
	}
	now := time.Now()
	return tx.scanRows(func(rows *sql.Rows) error {
		var id, tz, partnerCurrency string
		var low, topup sql.NullInt64
		a := &cdrAccount{hasBalance: true}
		if err := rows.Scan(&id, &a.partnerID, &a.currency, &a.balance, &a.reserved, &tz, &a.deckVersion, &partnerCurrency, &low, &topup); err != nil {
			return err
		}
		a.loc = partnerd.LoadLocation(tz)
		b.accounts[id] = a
		o.db.cacheAlertConfig(id, a.partnerID, partnerCurrency, low, topup, now)
		return nil
	}, q, arg)
}

func (o *cdrOp) apply(tx *txn) (any, error) {
	if o.out != nil {
		return slices.Clone(o.out), nil
	}
	return o.charges(tx)
}

// charges rates and charges the batch's records in tx, and reports each.
func (o *cdrOp) charges(tx *txn) ([]partnerd.CDRResult, error) {
	out := make([]partnerd.CDRResult, len(o.ins))
	seen := make(map[string]int, len(o.ins)) // call_uuid → its stored record in the batch
	b := &cdrBatch{dups: make(map[string]partnerd.CDRResult), auths: make(map[string]*cdrAuth),
		accounts: make(map[string]*cdrAccount), usage: make(map[string]string), bulk: tx.dialect.batchStatements}
	if err := b.read(tx, o); err != nil {
		return nil, err
	}
	for i := range o.ins {
		if o.rejected[i] != nil {
			continue
		}
		in := &o.ins[i]
		r := &out[i]
		r.CallUUID = in.CallUUID
		if j, ok := seen[in.CallUUID]; ok {
			// Sent twice in one batch: the second changes nothing, like a
			// record of an earlier batch. Only stored records are in seen:
			// a rejected record stored nothing, so it does not make the
			// next record of its call (a corrected one) rejected too.
			r.Status, r.Cost, r.Currency = partnerd.CDRDuplicate, out[j].Cost, out[j].Currency
			continue
		}
		if d, ok := b.dups[in.CallUUID]; ok {
			r.Status, r.Cost, r.Currency = partnerd.CDRDuplicate, d.Cost, d.Currency
			seen[in.CallUUID] = i
			continue
		}
		rejection, err := o.charge(tx, in, r, b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", in.CallUUID, err)
		}
		if rejection != nil {
			*r = partnerd.CDRResult{CallUUID: in.CallUUID, Status: partnerd.CDRRejected, Err: rejection}
			continue
		}
		seen[in.CallUUID] = i
	}
	flush := b.flushSQLite
	if b.bulk {
		flush = b.flushPG
	}
	if err := flush(tx, o.now.Unix()); err != nil {
		return nil, err
	}
	tx.addUsage(&b.stats)
	return o.results(out), nil
}

// charge rates one new call record, releases its reservation, charges it
// and stores it; it returns the reason it cannot, with nothing written.
func (o *cdrOp) charge(tx *txn, in *partnerd.CDRInput, r *partnerd.CDRResult, b *cdrBatch) (*partnerd.Error, error) {
	// The call's authorization, if the switch asked for one: the account
	// it was authorized for is the one it is charged to, and the rate it
	// was authorized at is the one it is charged at when the record
	// describes the call that rate priced (pricedCall); otherwise the
	// deck rates what the record describes.
	auth := b.auths[in.CallUUID]
	var authID string
	var rate *partnerd.Rate
	switch {
	case auth != nil && auth.authorized == 1 && auth.account.Valid:
		authID = auth.account.String
		if in.AccountAuthID != nil && *in.AccountAuthID != authID {
			return fieldRejection("account_auth_id", partnerd.FCNotAllowed,
				fmt.Sprintf("call %s was authorized for account %s, not %s", in.CallUUID, authID, *in.AccountAuthID)), nil
		}
		if auth.pricedCall(in) {
			rate = &partnerd.Rate{Direction: in.Direction, Prefix: auth.prefix.String, PerMinute: auth.perMinute.Int64,
				InitialIncrement: int(auth.initial.Int64), SubsequentIncrement: int(auth.subsequent.Int64)}
		}
	case in.Direction == partnerd.DirectionInbound:
		holder, reason, err := didHolder(tx, in.ToNumber)
		if err != nil {
			return nil, err
		}
		if holder == "" {
			return &partnerd.Error{Code: reason, Message: fmt.Sprintf("to_number %s is not assigned to any account.", in.ToNumber)}, nil
		}
		if in.AccountAuthID != nil && *in.AccountAuthID != holder {
			return fieldRejection("account_auth_id", partnerd.FCNotAllowed,
				fmt.Sprintf("DID %s is not assigned to account %s", in.ToNumber, *in.AccountAuthID)), nil
		}
		authID = holder
	default:
		authID = *in.AccountAuthID
	}
	acct := b.accounts[authID]
	if acct == nil {
		acct = &cdrAccount{}
		var tz string
		err := tx.queryRow(`SELECT a.partner_id, w.currency, p.timezone, p.rate_deck_version FROM accounts a
			JOIN wallets w ON w.id = a.auth_id JOIN partners p ON p.id = a.partner_id WHERE a.auth_id = ?`, authID).
			Scan(&acct.partnerID, &acct.currency, &tz, &acct.deckVersion)
		acct.loc = partnerd.LoadLocation(tz)
		if errors.Is(err, sql.ErrNoRows) {
			return &partnerd.Error{Code: partnerd.ECAccountNotFound, Message: fmt.Sprintf("account_auth_id %s is not a customer account.", authID)}, nil
		}
		if err != nil {
			return nil, err
		}
		b.accounts[authID] = acct
	}
	if rate == nil {
		deck, err := o.db.rateDeck(tx, acct.partnerID, acct.deckVersion)
		if err != nil {
			return nil, err
		}
		if deck != nil {
			var refusal *partnerd.Error
			if rate, refusal = deck.match(in.Direction, in.ToNumber); refusal != nil {
				if in.Billsec > 0 {
					return refusal, nil
				}
				rate = unpriced(in)
			}
		}
	}
	if rate == nil {
		// A deck too large to keep in memory.
		var err error
		rate, err = matchRate(tx.queryRow, acct.partnerID, in.Direction, in.ToNumber)
		var pe *partnerd.Error
		switch {
		case errors.As(err, &pe) && pe.Code == partnerd.ECNoRate && in.Billsec > 0:
			return pe, nil
		case errors.As(err, &pe) && pe.Code == partnerd.ECNoRate:
			rate = unpriced(in)
		case err != nil:
			return nil, err
		}
	}
	cost := rate.Cost(in.Billsec, acct.currency)
	r.Status, r.Cost, r.Currency = partnerd.CDRCharged, cost, acct.currency
	// Only an open reservation (read with the batch) can need releasing.
	if auth != nil && auth.open == 1 {
		amount, released, err := releaseReservation(tx, in.CallUUID, o.now)
		if err != nil {
			return nil, err
		}
		if released && acct.hasBalance {
			acct.reserved -= amount
		}
	}
	// The call's own reservation is released; the money other live calls
	// hold stays theirs, so a call that outran its reservation (or had
	// none) takes at most what is available, and the rest is unbilled.
	var txID *string
	var charged int64
	if cost > 0 {
		available := acct.balance - acct.reserved
		if !acct.hasBalance {
			// Not read (nor locked) with the batch: read now.
			if err := tx.queryRow(readAvailable, authID).Scan(&available); err != nil {
				return nil, err
			}
		}
		charged = min(cost, max(available, 0))
	}
	if charged > 0 {
		wallet, ok := b.usage[acct.currency]
		if !ok {
			var err error
			if wallet, err = systemWallet(tx, "usage", acct.currency, o.now); err != nil {
				return nil, err
			}
			b.usage[acct.currency] = wallet
		}
		id := partnerd.NewTransactionID(o.db.Now())
		desc := callDescription(in)
		pid := acct.partnerID
		if acct.hasBalance {
			// Written by flush, with the balance computed here: on
			// PostgreSQL the wallet is locked with the batch, on SQLite
			// the one writer changes nothing else meanwhile.
			acct.balance -= charged
			b.charges = append(b.charges, cdrCharge{txID: id, partnerID: pid, description: desc, reference: in.CallUUID,
				authID: authID, usageID: wallet, amount: charged, after: acct.balance})
			if err := o.db.balanceMoved(tx, authID, acct.balance+charged, acct.balance); err != nil {
				return nil, err
			}
		} else {
			// Not read with the batch: charged at once. Flush computes the
			// usage wallet's later entries from its row, which holds this
			// charge.
			afters, err := o.db.post(tx, ledgerTx{
				id: id, partnerID: pid, kind: "call", description: &desc,
				initiatedBy: partnerd.InitiatedBySystem, reference: &in.CallUUID, createdAt: o.now,
			}, nil, []posting{
				{walletID: authID, walletKind: "customer", partnerID: &pid, typ: partnerd.TxDebit, amount: -charged},
				{walletID: wallet, walletKind: "system", typ: partnerd.TxDebit, amount: charged},
			})
			if err != nil {
				return nil, err
			}
			acct.balance = afters[0]
		}
		txID = &id
	}
	b.stats.addCall(acct.partnerID, authID, partnerd.LocalDay(in.StartTime, acct.loc), partnerd.LocalDay(o.now, acct.loc),
		in.Direction, partnerd.CallStatus(in.Billsec, in.HangupCause), in.DurationSeconds, cost, charged)
	b.stats.addCallFilters(acct.partnerID, partnerd.LocalDay(in.StartTime, acct.loc), in.Direction, in.FromNumber, in.ToNumber,
		in.HangupCause, in.Billsec)
	b.rows = append(b.rows, cdrRow{in: in, partnerID: acct.partnerID, authID: authID, prefix: rate.Prefix,
		currency: acct.currency, perMinute: rate.PerMinute, cost: cost, unbill: cost - charged, txID: txID})
	return nil, nil
}

// unpriced is the rate of an unanswered call to a destination the deck
// does not price: 0 seconds bill nothing (API.md §5), so the attempt is
// recorded at no cost, for the lists and the failed calls of analytics,
// rather than refused.
func unpriced(in *partnerd.CDRInput) *partnerd.Rate {
	return &partnerd.Rate{Direction: in.Direction}
}

// pricedCall reports whether in describes a call that the authorization's
// rate priced: one of the same direction, to a number under the rate's
// prefix. Such a call is charged at that rate even if the deck changed
// since; a record of another direction or destination (a switch that
// redirected the call) is rated by the deck, as a call without
// authorization is, lest a cheap destination's price pay for a dear one.
func (a *cdrAuth) pricedCall(in *partnerd.CDRInput) bool {
	if !a.prefix.Valid || a.direction != in.Direction {
		return false
	}
	digits, ok := partnerd.DialledDigits(in.ToNumber)
	return ok && strings.HasPrefix(digits, a.prefix.String)
}

// callDescription is a call charge's description in the customer's log.
func callDescription(in *partnerd.CDRInput) string {
	if in.Direction == partnerd.DirectionInbound {
		return fmt.Sprintf("Inbound call from %s to %s, %d s", in.FromNumber, in.ToNumber, in.Billsec)
	}
	return fmt.Sprintf("Outbound call to %s, %d s", in.ToNumber, in.Billsec)
}

func fieldRejection(field, code, message string) *partnerd.Error {
	return &partnerd.Error{Code: partnerd.ECValidation, Message: message + ".",
		Fields: []partnerd.FieldError{{Field: field, Code: code, Message: message}}}
}

// scanRows runs a query of the transaction (a cached prepared statement)
// and calls scan for each row.
func (t *txn) scanRows(scan func(*sql.Rows) error, query string, args ...any) error {
	st, err := t.stmt(query)
	if err != nil {
		return err
	}
	var rows *sql.Rows
	if st == nil {
		rows, err = t.QueryContext(t.ctx, t.dialect.rebind(query), args...)
	} else {
		rows, err = st.QueryContext(t.ctx, args...)
	}
	if err != nil {
		return err
	}
	return scanAll(rows, scan)
}

// scanRows runs a query on the read pool and calls scan for each row.
func (db *DB) scanRows(ctx context.Context, scan func(*sql.Rows) error, query string, args ...any) error {
	rows, err := db.query(ctx, query, args...)
	if err != nil {
		return err
	}
	return scanAll(rows, scan)
}

func scanAll(rows *sql.Rows, scan func(*sql.Rows) error) error {
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
