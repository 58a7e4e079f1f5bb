package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/partnerd/partnerd"
)

var _ partnerd.SwitchService = (*DB)(nil)

// Authorize answers the switch's question before a call (API.md §5): the
// longest call the customer's available balance pays for, with its cost
// reserved, or why the call is refused. The answer is written in the same
// write as the reservation, under the call_uuid, so that the same question
// asked again (a retry, another instance) gets the first answer.
func (db *DB) Authorize(ctx context.Context, in partnerd.AuthorizeInput) (_ *partnerd.Authorization, err error) {
	defer wrapErr("authorize", &err)
	if err := in.Validate(); err != nil {
		return nil, err
	}
	res, err := doOnce(ctx, db, &authorizeOp{db: db, in: in, now: db.now()})
	if err != nil {
		return nil, err
	}
	return res.(*partnerd.Authorization), nil
}

// doOnce runs an op keyed by call_uuid. On PostgreSQL two instances may
// run it for the same call at the same time: both find no row, and the
// second one's insert then fails on the first one's committed row, which
// rolls all of its effects back. Run again, it finds that row and answers
// as a replay (the first answer, a duplicate).
func doOnce(ctx context.Context, db *DB, o op) (any, error) {
	for attempt := 1; ; attempt++ {
		res, err := db.do(ctx, o)
		if err == nil || !isUniqueViolation(err) || attempt == 3 {
			return res, err
		}
	}
}

type authorizeOp struct {
	db    *DB
	in    partnerd.AuthorizeInput
	now   time.Time
	ended bool // the call's CDR has arrived already
	// answer is set when the combined statement (authorize_pg.go) decided
	// the authorization in this pass.
	answer *partnerd.Authorization
}

// maxReserveAttempts bounds how often authorize recomputes a reservation
// that lost a race for the wallet (on PostgreSQL another instance may
// reserve or spend between the read and the guarded update).
const maxReserveAttempts = 8

func (o *authorizeOp) apply(tx *txn) (any, error) {
	if o.answer != nil {
		a := *o.answer
		return &a, nil
	}
	a, ended, err := readAuthorization(tx, o.in.CallUUID)
	if err != nil || a != nil {
		if err == nil && !o.sameCall(a) {
			return nil, partnerd.Errorf(partnerd.ECIdempotencyReused,
				"call_uuid %s was authorized for another call (%s, account %s); a new call needs a new call_uuid.",
				a.CallUUID, a.Direction, cmp.Or(a.AccountAuthID, "none"))
		}
		return a, err
	}
	a = &partnerd.Authorization{CallUUID: o.in.CallUUID, Direction: o.in.Direction, CreatedAt: o.now, ExpiresAt: o.now}
	// A question that comes after the call's CDR (a delayed retry) is
	// answered, but reserves nothing: the call is over and charged.
	o.ended = ended
	a.Reason, err = o.decide(tx, a)
	if err != nil {
		return nil, err
	}
	a.Authorized = a.Reason == ""
	if !a.Authorized {
		a.MaxDuration, a.Reserved = 0, 0
	}
	var account, partner *string
	if a.AccountAuthID != "" {
		account, partner = &a.AccountAuthID, &a.PartnerID
	}
	var currency *string
	if a.Currency != "" {
		currency = &a.Currency
	}
	var prefix *string
	var perMinute, initial, subsequent *int64
	if r := a.Rate; r != nil {
		i, s := int64(r.InitialIncrement), int64(r.SubsequentIncrement)
		prefix, perMinute, initial, subsequent = &r.Prefix, &r.PerMinute, &i, &s
	}
	var reason *string
	if a.Reason != "" {
		reason = &a.Reason
	}
	_, err = tx.exec(`INSERT INTO authorizations (call_uuid, direction, account_auth_id, partner_id, authorized, reason,
			max_duration, currency, prefix, rate_per_minute, initial_increment, subsequent_increment, amount,
			created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.CallUUID, a.Direction, account, partner, boolInt(a.Authorized), reason, a.MaxDuration, currency,
		prefix, perMinute, initial, subsequent, a.Reserved, a.CreatedAt.Unix(), a.ExpiresAt.Unix())
	if err != nil {
		return nil, err
	}
	if refusedForAccount(a.Reason) && a.AccountAuthID != "" {
		err := o.db.emit(tx, a.PartnerID, a.AccountAuthID, partnerd.EventCallRefused, callRefused{
			CallUUID: a.CallUUID, Direction: a.Direction, From: o.in.From, To: o.in.To, Reason: a.Reason, AccountAuthID: a.AccountAuthID,
		})
		if err != nil {
			return nil, err
		}
	}
	return a, nil
}

// sameCall reports whether the question is the one the stored answer a
// answered, asked again (a retry, another instance): the same direction
// and, when the question names one, the same account. Another question
// under a known call_uuid (a phone that chose an earlier call's Call-ID,
// say) is not answered with the first call's answer, which would let a
// call through that its CDR, a duplicate, could not charge.
func (o *authorizeOp) sameCall(a *partnerd.Authorization) bool {
	return a.Direction == o.in.Direction &&
		(o.in.AccountAuthID == nil || a.AccountAuthID == "" || *o.in.AccountAuthID == a.AccountAuthID)
}

// refusedForAccount reports a refusal that call.refused announces: for the
// account's balance or status (API.md §8), not for a missing rate or number.
func refusedForAccount(reason string) bool {
	switch reason {
	case partnerd.ReasonInsufficientBalance, partnerd.ReasonAccountSuspended, partnerd.ReasonAccountClosed:
		return true
	}
	return false
}

// callRefused is the data of call.refused.
type callRefused struct {
	CallUUID      string `json:"call_uuid"`
	Direction     string `json:"direction"`
	From          string `json:"from"`
	To            string `json:"to"`
	Reason        string `json:"reason"`
	AccountAuthID string `json:"account_auth_id"`
}

// decide finds the call's account and rate and reserves its cost, filling
// a in; it returns the reason of a refusal, or "".
func (o *authorizeOp) decide(tx *txn, a *partnerd.Authorization) (string, error) {
	authID := ""
	if o.in.AccountAuthID != nil {
		authID = *o.in.AccountAuthID
	}
	if o.in.Direction == partnerd.DirectionInbound {
		holder, reason, err := didHolder(tx, o.in.To)
		if err != nil || reason != "" {
			return reason, err
		}
		if authID != "" && authID != holder {
			// The DID rings another customer than the one named.
			return partnerd.ReasonNumberNotAssigned, nil
		}
		authID = holder
	}
	for attempt := 1; ; attempt++ {
		var status string
		var available int64
		err := tx.queryRow(`SELECT a.partner_id, a.status, w.balance - w.reserved, w.currency
			FROM accounts a JOIN wallets w ON w.id = a.auth_id WHERE a.auth_id = ?`, authID).
			Scan(&a.PartnerID, &status, &available, &a.Currency)
		if errors.Is(err, sql.ErrNoRows) {
			a.PartnerID = ""
			return partnerd.ReasonAccountNotFound, nil
		}
		if err != nil {
			return "", err
		}
		a.AccountAuthID = authID
		switch status {
		case partnerd.StatusSuspended:
			return partnerd.ReasonAccountSuspended, nil
		case partnerd.StatusClosed:
			return partnerd.ReasonAccountClosed, nil
		}
		if a.Rate == nil {
			r, err := matchRate(tx.queryRow, a.PartnerID, o.in.Direction, o.in.To)
			if partnerd.ErrorCode(err) == partnerd.ECNoRate {
				return partnerd.ReasonNoRate, nil
			}
			if err != nil {
				return "", err
			}
			a.Rate = r
		}
		// A customer with nothing to spend is refused even a free call: the
		// published page promises that calls fail at zero balance.
		if available <= 0 {
			return partnerd.ReasonInsufficientBalance, nil
		}
		a.MaxDuration = a.Rate.MaxDuration(available, a.Currency)
		if a.MaxDuration == 0 {
			return partnerd.ReasonInsufficientBalance, nil
		}
		a.Reserved = a.Rate.Cost(a.MaxDuration, a.Currency)
		a.ExpiresAt = o.now.Add(time.Duration(a.MaxDuration)*time.Second + partnerd.ReservationGrace)
		if o.ended {
			a.Reserved, a.ExpiresAt = 0, o.now
		}
		if a.Reserved == 0 {
			break
		}
		res, err := tx.exec(`UPDATE wallets SET reserved = reserved + ? WHERE id = ? AND balance - reserved >= ?`,
			a.Reserved, authID, a.Reserved)
		if err != nil {
			return "", err
		}
		if k, err := res.RowsAffected(); err != nil || k == 1 {
			if err != nil {
				return "", err
			}
			break
		}
		if attempt == maxReserveAttempts {
			return "", fmt.Errorf("wallet %s changed under %d attempts to reserve", authID, attempt)
		}
	}
	if o.in.Direction == partnerd.DirectionInbound {
		names, err := activeSIPUsernames(tx, authID)
		if err != nil {
			return "", err
		}
		a.SIPUsernames = names
	}
	return "", nil
}

// didHolder returns the customer renting the DID number, or why an
// inbound call to it is refused.
func didHolder(tx *txn, number string) (holder, reason string, err error) {
	e164, ok := e164Of(number)
	if !ok {
		return "", partnerd.ReasonNumberNotAssigned, nil
	}
	var status string
	var account sql.NullString
	err = tx.queryRow(`SELECT status, account_auth_id FROM numbers WHERE number = ?`, e164).Scan(&status, &account)
	switch {
	case errors.Is(err, sql.ErrNoRows) || err == nil && !account.Valid:
		return "", partnerd.ReasonNumberNotAssigned, nil
	case err != nil:
		return "", "", err
	case status == partnerd.NumberSuspended:
		return account.String, partnerd.ReasonNumberSuspended, nil
	}
	return account.String, "", nil
}

// e164Of returns number as numbers are stored: "+" and its digits. A
// switch may send a DID with or without the "+".
func e164Of(number string) (string, bool) {
	digits := number
	if len(digits) > 0 && digits[0] == '+' {
		digits = digits[1:]
	}
	if len(digits) == 0 || len(digits) > 15 {
		return "", false
	}
	for i := range len(digits) {
		if digits[i] < '0' || digits[i] > '9' {
			return "", false
		}
	}
	return "+" + digits, true
}

func activeSIPUsernames(tx *txn, authID string) ([]string, error) {
	names := []string{}
	err := tx.scanRows(func(rows *sql.Rows) error {
		var n string
		err := rows.Scan(&n)
		names = append(names, n)
		return err
	}, `SELECT username FROM sip_endpoints WHERE account_id = ? AND status = 'active' ORDER BY seq`, authID)
	return names, err
}

// readAuthorization reads the first answer to call_uuid (nil when there
// was none) and whether the call's CDR has arrived, in one statement. An
// inbound answer's SIP usernames are read again: they are the endpoints
// to ring now.
func readAuthorization(tx *txn, callUUID string) (_ *partnerd.Authorization, ended bool, err error) {
	a := &partnerd.Authorization{CallUUID: callUUID}
	var direction, account, partner, reason, currency, prefix sql.NullString
	var perMinute, initial, subsequent, maxDuration, reserved, created, expires, authorized sql.NullInt64
	var cdrs int
	err = tx.queryRow(`SELECT (SELECT COUNT(*) FROM cdrs WHERE call_uuid = ?), a.direction, a.account_auth_id, a.partner_id,
			a.authorized, a.reason, a.max_duration, a.currency, a.prefix, a.rate_per_minute, a.initial_increment,
			a.subsequent_increment, a.amount, a.created_at, a.expires_at
		FROM (SELECT 1 AS one) one LEFT JOIN authorizations a ON a.call_uuid = ?`, callUUID, callUUID).
		Scan(&cdrs, &direction, &account, &partner, &authorized, &reason, &maxDuration, &currency,
			&prefix, &perMinute, &initial, &subsequent, &reserved, &created, &expires)
	if err != nil || !direction.Valid {
		return nil, cdrs > 0, err
	}
	a.Direction, a.Authorized, a.MaxDuration, a.Reserved = direction.String, authorized.Int64 == 1, int(maxDuration.Int64), reserved.Int64
	a.AccountAuthID, a.PartnerID, a.Reason, a.Currency = account.String, partner.String, reason.String, currency.String
	if prefix.Valid {
		a.Rate = &partnerd.Rate{Direction: a.Direction, Prefix: prefix.String, PerMinute: perMinute.Int64,
			InitialIncrement: int(initial.Int64), SubsequentIncrement: int(subsequent.Int64)}
	}
	a.CreatedAt, a.ExpiresAt = time.Unix(created.Int64, 0).UTC(), time.Unix(expires.Int64, 0).UTC()
	if a.Authorized && a.Direction == partnerd.DirectionInbound {
		if a.SIPUsernames, err = activeSIPUsernames(tx, a.AccountAuthID); err != nil {
			return nil, false, err
		}
	}
	return a, cdrs > 0, nil
}

// ExpireReservations releases the reservations of calls whose CDR never
// came, once their expiry passed: each once (the guarded update of
// released_at), whatever sweeps run at the same time on other instances.
func (db *DB) ExpireReservations(ctx context.Context, now time.Time) (rep partnerd.ExpiryReport, err error) {
	defer wrapErr("expire reservations", &err)
	for {
		var due, accounts []string
		if err := db.scanRows(ctx, func(rows *sql.Rows) error {
			var id, account string
			err := rows.Scan(&id, &account)
			due, accounts = append(due, id), append(accounts, account)
			return err
		}, `SELECT call_uuid, account_auth_id FROM authorizations
			WHERE released_at IS NULL AND amount > 0 AND expires_at <= ? ORDER BY expires_at LIMIT 500`, now.Unix()); err != nil || len(due) == 0 {
			return rep, err
		}
		// The reservations' wallets are locked first, in order with the
		// rest of the writer's batch (writeKeyed), not one by one in the
		// order the calls expire.
		got, err := writeKeyed(ctx, db, theseKeys(accounts...), func(tx *txn) (partnerd.ExpiryReport, error) {
			var r partnerd.ExpiryReport
			for _, id := range due {
				amount, ok, err := releaseReservation(tx, id, now)
				if err != nil {
					return r, err
				}
				if ok {
					r.Released++
					r.Amount += amount
				}
			}
			return r, nil
		})
		if err != nil {
			return rep, err
		}
		rep.Released += got.Released
		rep.Amount += got.Amount
		if len(due) < 500 {
			return rep, nil
		}
	}
}

// releaseReservation releases call_uuid's open reservation, if it has one,
// and returns its amount: the released_at update is guarded, so a
// reservation is released once whoever else tries (a CDR, a sweep).
func releaseReservation(tx *txn, callUUID string, now time.Time) (amount int64, released bool, err error) {
	var account string
	err = tx.queryRow(`UPDATE authorizations SET released_at = ?
		WHERE call_uuid = ? AND released_at IS NULL AND amount > 0 RETURNING amount, account_auth_id`,
		now.Unix(), callUUID).Scan(&amount, &account)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	_, err = tx.exec(`UPDATE wallets SET reserved = reserved - ? WHERE id = ?`, amount, account)
	return amount, err == nil, err
}

// boolInt is b as the 0 or 1 both engines store flags as.
func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
