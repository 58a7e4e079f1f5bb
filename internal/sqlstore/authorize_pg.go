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

// combiner is this file's authorizeCombiner on PostgreSQL and
// authorize_sqlite.go's on SQLite, for outbound questions that name their
// account and a number a rate can match.
func (o *authorizeOp) combiner() combiner {
	if o.in.Direction != partnerd.DirectionOutbound || o.in.AccountAuthID == nil {
		return nil
	}
	if _, ok := partnerd.DialledDigits(o.in.To); !ok {
		return nil
	}
	if o.db.dialect.batchStatements {
		return authorizeCombiner{}
	}
	return authorizeCombinerSQLite{}
}

type authorizeCombiner struct{}

// authAccount is what the combiner reads of an account and its wallet.
type authAccount struct {
	partnerID, status, currency string
	available                   int64
}

// authorizeReadPG locks the wallets of the accounts $1 and reads them with
// their accounts (rows 'a'); lists which call_uuids of $2 are already
// known, as authorizations or as calls already reported (rows 'k': the
// one-by-one apply answers those); and matches, for each question ($3
// accounts, $4 directions, $5 dialled digits, numbered from 1), the rate
// of its account's partner's deck as matchRateQuery does (rows 'r'; none
// when no prefix matches): one round trip for the whole batch.
var authorizeReadPG = fmt.Sprintf(`WITH l AS (
	SELECT a.auth_id, a.partner_id, a.status, w.balance - w.reserved AS available, w.currency
	FROM accounts a JOIN wallets w ON w.id = a.auth_id WHERE a.auth_id = ANY($1::text[])
	ORDER BY a.auth_id FOR NO KEY UPDATE OF w
)
SELECT 'a', auth_id, partner_id, status, available, currency, NULL::bigint, NULL::text, NULL::bigint, NULL::bigint, NULL::bigint FROM l
UNION ALL
SELECT 'k', call_uuid, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM authorizations WHERE call_uuid = ANY($2::text[])
UNION ALL
SELECT 'k', call_uuid, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM cdrs WHERE call_uuid = ANY($2::text[])
UNION ALL
SELECT 'r', NULL, a.partner_id, NULL, NULL, NULL, n.ord, r.prefix, r.rate_per_minute, r.initial_increment, r.subsequent_increment
FROM unnest($3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS n(auth_id, direction, digits, ord)
JOIN accounts a ON a.auth_id = n.auth_id
CROSS JOIN LATERAL (SELECT prefix, rate_per_minute, initial_increment, subsequent_increment FROM rates
	WHERE partner_id = a.partner_id AND direction = n.direction
		AND prefix IN (SELECT left(n.digits, k) FROM generate_series(1, %d) AS k)
	ORDER BY prefix DESC LIMIT 1) r`, partnerd.MaxPrefixLen)

func (authorizeCombiner) combine(ctx context.Context, q queryer, ops []batchOp) error {
	n := len(ops)
	calls, ids, dirs, digits := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	for i, b := range ops {
		o := b.(*authorizeOp)
		calls[i], ids[i], dirs[i] = o.in.CallUUID, *o.in.AccountAuthID, o.in.Direction
		digits[i], _ = partnerd.DialledDigits(o.in.To)
	}
	sorted := slices.Clone(ids)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	accounts := make(map[string]*authAccount, len(sorted))
	replays := make(map[string]bool)
	type matched struct {
		partnerID string
		rate      partnerd.Rate
	}
	rates := make([]*matched, n)
	// The wallets are locked (the writer usually holds them already), so
	// their balances are the latest and stay so until commit; the known
	// call_uuids and the rates come in the same round trip.
	rows, err := q.QueryContext(ctx, authorizeReadPG, sorted, calls, ids, dirs, digits)
	if err := scanAll2(rows, err, func(rows *sql.Rows) error {
		var kind string
		var id, partnerID, status, currency, prefix sql.NullString
		var available, ord, perMinute, initial, subsequent sql.NullInt64
		if err := rows.Scan(&kind, &id, &partnerID, &status, &available, &currency, &ord, &prefix, &perMinute, &initial, &subsequent); err != nil {
			return err
		}
		switch kind {
		case "k":
			replays[id.String] = true
		case "a":
			accounts[id.String] = &authAccount{partnerID: partnerID.String, status: status.String, currency: currency.String,
				available: available.Int64}
		case "r":
			if ord.Int64 < 1 || ord.Int64 > int64(n) {
				return fmt.Errorf("combined authorizations: rate for position %d of %d", ord.Int64, n)
			}
			rates[ord.Int64-1] = &matched{partnerID: partnerID.String, rate: partnerd.Rate{Direction: dirs[ord.Int64-1],
				Prefix: prefix.String, PerMinute: perMinute.Int64, InitialIncrement: int(initial.Int64), SubsequentIncrement: int(subsequent.Int64)}}
		}
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
	for i, b := range ops {
		o := b.(*authorizeOp)
		id := *o.in.AccountAuthID
		a := accounts[id]
		m := rates[i]
		if replays[o.in.CallUUID] || a == nil || m == nil || a.partnerID != m.partnerID || a.status != partnerd.StatusActive ||
			a.available <= 0 {
			continue // the one-by-one apply answers (and names the refusal)
		}
		replays[o.in.CallUUID] = true // a second one in the batch replays this one
		r := m.rate
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

// readLockKeys names an inbound call's account, its number's holder, so
// that the writer locks it first with the batch's other wallets (see
// lockFirst); an outbound call's is lockKeys'.
func (o *authorizeOp) readLockKeys(tx *txn) ([]string, error) {
	if o.in.Direction != partnerd.DirectionInbound {
		return nil, nil
	}
	holder, _, err := didHolder(tx, o.in.To)
	if err != nil || holder == "" {
		return nil, err
	}
	return []string{holder}, nil
}
