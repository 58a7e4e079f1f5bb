package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
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
	res, err := db.do(ctx, o)
	if err != nil {
		return nil, err
	}
	return res.([]partnerd.CDRResult), nil
}

// cdrOp charges one batch of call records in one transaction.
type cdrOp struct {
	db       *DB
	ins      []partnerd.CDRInput
	rejected []*partnerd.Error // decoding and validation refusals
	now      time.Time
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

// cdrAccount is what charging a call reads of its customer.
type cdrAccount struct {
	partnerID, currency string
}

func (o *cdrOp) apply(tx *txn) (any, error) {
	out := make([]partnerd.CDRResult, len(o.ins))
	seen := make(map[string]int, len(o.ins)) // call_uuid → its stored record in the batch
	accounts := make(map[string]*cdrAccount)
	usage := make(map[string]string) // currency → usage wallet
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
		err := tx.queryRow(`SELECT cost, currency FROM cdrs WHERE call_uuid = ?`, in.CallUUID).Scan(&r.Cost, &r.Currency)
		if err == nil {
			r.Status = partnerd.CDRDuplicate
			seen[in.CallUUID] = i
			continue
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		rejection, err := o.charge(tx, in, r, accounts, usage)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", in.CallUUID, err)
		}
		if rejection != nil {
			*r = partnerd.CDRResult{CallUUID: in.CallUUID, Status: partnerd.CDRRejected, Err: rejection}
			continue
		}
		seen[in.CallUUID] = i
	}
	return o.results(out), nil
}

// charge rates one new call record, releases its reservation, charges it
// and stores it; it returns the reason it cannot, with nothing written.
func (o *cdrOp) charge(tx *txn, in *partnerd.CDRInput, r *partnerd.CDRResult,
	accounts map[string]*cdrAccount, usage map[string]string) (*partnerd.Error, error) {
	// The call's authorization, if the switch asked for one: the account
	// and rate it was authorized for are the ones it is charged to.
	var authAccount sql.NullString
	var authorized int64
	var prefix sql.NullString
	var perMinute, initial, subsequent sql.NullInt64
	err := tx.queryRow(`SELECT account_auth_id, authorized, prefix, rate_per_minute, initial_increment, subsequent_increment
		FROM authorizations WHERE call_uuid = ?`, in.CallUUID).
		Scan(&authAccount, &authorized, &prefix, &perMinute, &initial, &subsequent)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	var authID string
	var rate *partnerd.Rate
	switch {
	case err == nil && authorized == 1 && authAccount.Valid:
		authID = authAccount.String
		if in.AccountAuthID != nil && *in.AccountAuthID != authID {
			return fieldRejection("account_auth_id", partnerd.FCNotAllowed,
				fmt.Sprintf("call %s was authorized for account %s, not %s", in.CallUUID, authID, *in.AccountAuthID)), nil
		}
		rate = &partnerd.Rate{Direction: in.Direction, Prefix: prefix.String, PerMinute: perMinute.Int64,
			InitialIncrement: int(initial.Int64), SubsequentIncrement: int(subsequent.Int64)}
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
	acct := accounts[authID]
	if acct == nil {
		acct = &cdrAccount{}
		err := tx.queryRow(`SELECT a.partner_id, w.currency FROM accounts a JOIN wallets w ON w.id = a.auth_id WHERE a.auth_id = ?`,
			authID).Scan(&acct.partnerID, &acct.currency)
		if errors.Is(err, sql.ErrNoRows) {
			return &partnerd.Error{Code: partnerd.ECAccountNotFound, Message: fmt.Sprintf("account_auth_id %s is not a customer account.", authID)}, nil
		}
		if err != nil {
			return nil, err
		}
		accounts[authID] = acct
	}
	if rate == nil {
		rate, err = matchRate(tx.queryRow, acct.partnerID, in.Direction, in.ToNumber)
		var pe *partnerd.Error
		if errors.As(err, &pe) && pe.Code == partnerd.ECNoRate {
			return pe, nil
		}
		if err != nil {
			return nil, err
		}
	}
	cost := rate.Cost(in.Billsec, acct.currency)
	r.Status, r.Cost, r.Currency = partnerd.CDRCharged, cost, acct.currency
	if _, _, err := releaseReservation(tx, in.CallUUID, o.now); err != nil {
		return nil, err
	}
	var txID *string
	var charged int64
	if cost > 0 {
		var balance int64
		if err := tx.queryRow(readBalance, authID).Scan(&balance); err != nil {
			return nil, err
		}
		charged = min(cost, max(balance, 0))
	}
	if charged > 0 {
		wallet, ok := usage[acct.currency]
		if !ok {
			if wallet, err = systemWallet(tx, "usage", acct.currency, o.now); err != nil {
				return nil, err
			}
			usage[acct.currency] = wallet
		}
		id := partnerd.NewTransactionID(o.db.Now())
		desc := callDescription(in)
		pid := acct.partnerID
		if _, err := o.db.post(tx, ledgerTx{
			id: id, partnerID: pid, kind: "call", description: &desc,
			initiatedBy: partnerd.InitiatedBySystem, reference: &in.CallUUID, createdAt: o.now,
		}, nil, []posting{
			{walletID: authID, walletKind: "customer", partnerID: &pid, typ: partnerd.TxDebit, amount: -charged, spendsReserved: true},
			{walletID: wallet, walletKind: "system", typ: partnerd.TxDebit, amount: charged},
		}); err != nil {
			return nil, err
		}
		txID = &id
	}
	var answer *int64
	if in.AnswerTime != nil {
		t := in.AnswerTime.Unix()
		answer = &t
	}
	_, err = tx.exec(`INSERT INTO cdrs (call_uuid, partner_id, account_auth_id, direction, from_number, to_number,
			start_time, answer_time, end_time, duration_seconds, billsec, hangup_cause, sip_response_code, trunk_id, context,
			prefix, rate_per_minute, cost, unbilled_amount, currency, transaction_id, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		in.CallUUID, acct.partnerID, authID, in.Direction, in.FromNumber, in.ToNumber,
		in.StartTime.Unix(), answer, in.EndTime.Unix(), in.DurationSeconds, in.Billsec, in.HangupCause, in.SIPResponseCode,
		in.TrunkID, in.Context, rate.Prefix, rate.PerMinute, cost, cost-charged, acct.currency, txID, o.now.Unix())
	return nil, err
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
