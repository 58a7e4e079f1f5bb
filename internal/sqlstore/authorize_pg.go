package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/partnerd/partnerd"
)

// Combined authorizations for PostgreSQL (see batchOp): the outbound
// authorizations of one writer batch whose rate was matched before the
// write are decided together, in three statements for the whole batch
// (lock the wallets, read them, reserve and record) instead of about four
// round trips each, made while the batch holds its locks. Whatever the
// combiner cannot decide alone (a replay, a refusal, an inbound call, a
// call_uuid twice in the batch) it leaves to the one-by-one apply, which
// runs afterwards and names the answer.

func (o *authorizeOp) combined() bool { return o.answer != nil }

func (o *authorizeOp) setCombined(ok bool) {
	if !ok {
		o.answer = nil
	}
}

func (o *authorizeOp) lockKeys() []string { return []string{*o.in.AccountAuthID} }

func (o *authorizeOp) combiner() combiner {
	if o.db.dialect.batchStatements && o.in.Direction == partnerd.DirectionOutbound && o.in.AccountAuthID != nil &&
		o.rate != nil {
		return authorizeCombiner{}
	}
	return nil
}

type authorizeCombiner struct{}

// authAccount is what the combiner reads of an account and its wallet.
type authAccount struct {
	partnerID, status, currency string
	available                   int64
}

// authorizeReadPG locks the wallets of the accounts $1 and reads them with
// their accounts, and lists which call_uuids of $2 are already known, as
// authorizations or as calls already reported (their rows have only the
// call_uuid): the one-by-one apply answers those.
const authorizeReadPG = `WITH l AS (
	SELECT a.auth_id, a.partner_id, a.status, w.balance - w.reserved AS available, w.currency
	FROM accounts a JOIN wallets w ON w.id = a.auth_id WHERE a.auth_id = ANY($1::text[])
	ORDER BY a.auth_id FOR NO KEY UPDATE OF w
)
SELECT auth_id, partner_id, status, available, currency FROM l
UNION ALL
SELECT call_uuid, NULL, NULL, NULL, NULL FROM authorizations WHERE call_uuid = ANY($2::text[])
UNION ALL
SELECT call_uuid, NULL, NULL, NULL, NULL FROM cdrs WHERE call_uuid = ANY($2::text[])`

func (authorizeCombiner) combine(ctx context.Context, q queryer, ops []batchOp) error {
	n := len(ops)
	calls, ids := make([]string, n), make([]string, n)
	for i, b := range ops {
		o := b.(*authorizeOp)
		calls[i], ids[i] = o.in.CallUUID, *o.in.AccountAuthID
	}
	sorted := slices.Clone(ids)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	accounts := make(map[string]*authAccount, len(sorted))
	replays := make(map[string]bool)
	// The wallets are locked (the writer usually holds them already), so
	// their balances are the latest and stay so until commit; the known
	// call_uuids come in the same round trip.
	rows, err := q.QueryContext(ctx, authorizeReadPG, sorted, calls)
	if err := scanAll2(rows, err, func(rows *sql.Rows) error {
		var id string
		var partnerID, status, currency sql.NullString
		var available sql.NullInt64
		if err := rows.Scan(&id, &partnerID, &status, &available, &currency); err != nil {
			return err
		}
		if !partnerID.Valid {
			replays[id] = true
			return nil
		}
		accounts[id] = &authAccount{partnerID: partnerID.String, status: status.String, currency: currency.String,
			available: available.Int64}
		return nil
	}); err != nil {
		return err
	}
	var (
		done                                     []*authorizeOp
		wCalls, wIDs, wPartners, wCurr, wPrefix  []string
		wMax, wPer, wInit, wSub, wAmount, wTimes []int64
		wExpires                                 []int64
	)
	for _, b := range ops {
		o := b.(*authorizeOp)
		id := *o.in.AccountAuthID
		a := accounts[id]
		if replays[o.in.CallUUID] || a == nil || a.partnerID != o.ratePartner || a.status != partnerd.StatusActive ||
			a.available <= 0 {
			continue // the one-by-one apply answers
		}
		replays[o.in.CallUUID] = true // a second one in the batch replays this one
		r := *o.rate
		maxDuration := r.MaxDuration(a.available, a.currency)
		if maxDuration == 0 {
			continue
		}
		reserved := r.Cost(maxDuration, a.currency)
		a.available -= reserved
		ans := &partnerd.Authorization{CallUUID: o.in.CallUUID, Direction: o.in.Direction, Authorized: true,
			AccountAuthID: id, PartnerID: a.partnerID, MaxDuration: maxDuration, Rate: &r, Currency: a.currency,
			Reserved: reserved, CreatedAt: o.now,
			ExpiresAt: o.now.Add(time.Duration(maxDuration)*time.Second + partnerd.ReservationGrace)}
		o.answer = ans
		done = append(done, o)
		wCalls, wIDs, wPartners, wCurr, wPrefix = append(wCalls, ans.CallUUID), append(wIDs, id),
			append(wPartners, a.partnerID), append(wCurr, a.currency), append(wPrefix, r.Prefix)
		wMax, wPer, wInit, wSub = append(wMax, int64(maxDuration)), append(wPer, r.PerMinute),
			append(wInit, int64(r.InitialIncrement)), append(wSub, int64(r.SubsequentIncrement))
		wAmount, wTimes, wExpires = append(wAmount, reserved), append(wTimes, ans.CreatedAt.Unix()), append(wExpires, ans.ExpiresAt.Unix())
	}
	if len(done) == 0 {
		return nil
	}
	var moved, wallets, inserted int
	rows, err = q.QueryContext(ctx, authorizeManyPG, wCalls, wIDs, wPartners, wMax, wCurr, wPrefix, wPer, wInit, wSub,
		wAmount, wTimes, wExpires, partnerd.DirectionOutbound)
	if err := scanAll2(rows, err, func(rows *sql.Rows) error { return rows.Scan(&moved, &wallets, &inserted) }); err != nil {
		return err
	}
	if moved != wallets || inserted != len(done) {
		return fmt.Errorf("combined authorizations: %d of %d wallets reserved, %d of %d recorded", moved, wallets, inserted, len(done))
	}
	return nil
}

// authorizeManyPG reserves and records many authorizations (arrays:
// call_uuid, account, partner, max_duration, currency, prefix, rate per
// minute, initial and subsequent increments, amount reserved, created_at,
// expires_at; then the direction): each wallet's reservations once, by
// their sum, guarded by its available balance. It returns how many
// wallets it reserved on, of how many, and how many authorizations it
// recorded.
const authorizeManyPG = `WITH r AS (
	SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::bigint[],
		$8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[])
		WITH ORDINALITY AS r(call_uuid, auth_id, partner_id, max_duration, currency, prefix, per_minute,
			initial, subsequent, amount, created_at, expires_at, ord)
), tot AS (
	SELECT auth_id, SUM(amount)::bigint AS total FROM r GROUP BY auth_id
), u AS (
	UPDATE wallets w SET reserved = w.reserved + tot.total FROM tot
	WHERE w.id = tot.auth_id AND w.balance - w.reserved >= tot.total
	RETURNING w.id
), i AS (
	INSERT INTO authorizations (call_uuid, direction, account_auth_id, partner_id, authorized, reason,
		max_duration, currency, prefix, rate_per_minute, initial_increment, subsequent_increment, amount,
		created_at, expires_at)
	SELECT call_uuid, $13, auth_id, partner_id, 1, NULL, max_duration, currency, prefix, per_minute, initial,
		subsequent, amount, created_at, expires_at FROM r ORDER BY ord
	RETURNING 1
)
SELECT (SELECT COUNT(*) FROM u), (SELECT COUNT(*) FROM tot), (SELECT COUNT(*) FROM i)`

// scanAll2 is scanAll for a query's two results.
func scanAll2(rows *sql.Rows, err error, scan func(*sql.Rows) error) error {
	if err != nil {
		return err
	}
	return scanAll(rows, scan)
}

// prematchPG is prematch in one round trip: the account's partner and the
// rate of its deck (matchRateQuery's probe) together.
func (o *authorizeOp) prematchPG(ctx context.Context) {
	digits, ok := partnerd.DialledDigits(o.in.To)
	if !ok || !slices.Contains(partnerd.Directions, o.in.Direction) {
		return // the write refuses it
	}
	args := make([]any, 0, 2+partnerd.MaxPrefixLen)
	args = append(args, o.in.Direction)
	for n := 1; n <= partnerd.MaxPrefixLen; n++ {
		args = append(args, digits[:min(n, len(digits))])
	}
	args = append(args, *o.in.AccountAuthID)
	var partnerID string
	var prefix sql.NullString
	var perMinute, initial, subsequent sql.NullInt64
	if err := o.db.queryRow(ctx, accountRateQuery, args...).Scan(&partnerID, &prefix, &perMinute, &initial, &subsequent); err != nil {
		return
	}
	o.ratePartner = partnerID
	if !prefix.Valid {
		o.noRate = true
		return
	}
	o.rate = &partnerd.Rate{Direction: o.in.Direction, Prefix: prefix.String, PerMinute: perMinute.Int64,
		InitialIncrement: int(initial.Int64), SubsequentIncrement: int(subsequent.Int64)}
}

// accountRateQuery is the partner of an account and matchRateQuery's
// answer for its deck (none: NULLs), in one statement (PostgreSQL).
var accountRateQuery = `SELECT a.partner_id, r.prefix, r.rate_per_minute, r.initial_increment, r.subsequent_increment
	FROM accounts a LEFT JOIN LATERAL (SELECT prefix, rate_per_minute, initial_increment, subsequent_increment FROM rates
		WHERE partner_id = a.partner_id AND direction = ? AND prefix IN (` + placeholders(partnerd.MaxPrefixLen) + `)
		ORDER BY prefix DESC LIMIT 1) r ON true
	WHERE a.auth_id = ?`
