package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/partnerd/partnerd"
)

// Combined authorizations for SQLite (see batchOp), as authorize_pg.go's
// for PostgreSQL: the outbound authorizations of one writer batch are
// decided together, with three reads for the whole batch (the call_uuids
// already known, the accounts and their wallets, the rates) and two
// multi-row writes (the wallets' reservations, the authorizations)
// instead of five statements each (measured: those statements' own cost
// was most of an authorization's time in the writer). SQLite's one writer
// changes nothing else meanwhile, so the balances read are the latest.
// Whatever the combiner cannot decide alone (a replay, a refusal, a
// call_uuid twice in the batch) it leaves to the one-by-one apply, which
// runs afterwards and names the answer.

type authorizeCombinerSQLite struct{}

func (authorizeCombinerSQLite) combine(ctx context.Context, q queryer, ops []batchOp) error {
	tx, ok := q.(*txn)
	if !ok {
		return nil // not in a write transaction: every op runs on its own
	}
	n := len(ops)
	calls, ids := make([]string, n), make([]string, n)
	for i, b := range ops {
		o := b.(*authorizeOp)
		calls[i], ids[i] = o.in.CallUUID, *o.in.AccountAuthID
	}
	known := make(map[string]bool)
	cond, arg := inList(tx.dialect, "call_uuid", calls)
	if err := tx.scanRows(func(rows *sql.Rows) error {
		var id string
		err := rows.Scan(&id)
		known[id] = true
		return err
	}, `SELECT call_uuid FROM authorizations WHERE `+cond+` UNION ALL SELECT call_uuid FROM cdrs WHERE `+cond, arg, arg); err != nil {
		return err
	}
	sorted := slices.Clone(ids)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	accounts := make(map[string]*authAccount, len(sorted))
	cond, arg = inList(tx.dialect, "a.auth_id", sorted)
	if err := tx.scanRows(func(rows *sql.Rows) error {
		var id string
		a := &authAccount{}
		err := rows.Scan(&id, &a.partnerID, &a.status, &a.available, &a.currency)
		accounts[id] = a
		return err
	}, `SELECT a.auth_id, a.partner_id, a.status, w.balance - w.reserved, w.currency
		FROM accounts a JOIN wallets w ON w.id = a.auth_id WHERE `+cond, arg); err != nil {
		return err
	}
	// The rates, of each question's account's partner, numbered from 1.
	numbers := make([][3]string, 0, n)
	pos := make([]int, 0, n) // the op of each number
	for i, b := range ops {
		o := b.(*authorizeOp)
		a := accounts[ids[i]]
		digits, ok := partnerd.DialledDigits(o.in.To)
		if a == nil || !ok {
			continue
		}
		numbers = append(numbers, [3]string{a.partnerID, o.in.Direction, digits})
		pos = append(pos, i)
	}
	rates := make([]*partnerd.Rate, n)
	if len(numbers) > 0 {
		js, err := json.Marshal(numbers)
		if err != nil {
			return err
		}
		if err := tx.scanRows(func(rows *sql.Rows) error {
			var ord int
			r := &partnerd.Rate{}
			if err := rows.Scan(&ord, &r.Prefix, &r.PerMinute, &r.InitialIncrement, &r.SubsequentIncrement); err != nil {
				return err
			}
			if ord < 1 || ord > len(numbers) {
				return fmt.Errorf("combined authorizations: rate for position %d of %d", ord, len(numbers))
			}
			r.Direction = numbers[ord-1][1]
			rates[pos[ord-1]] = r
			return nil
		}, matchRatesSQLite, string(js)); err != nil {
			return err
		}
	}
	var done []*authorizeOp
	reserve := make(map[string]int64)
	var rows []any
	for i, b := range ops {
		o := b.(*authorizeOp)
		id := ids[i]
		a, r := accounts[id], rates[i]
		if known[o.in.CallUUID] || a == nil || r == nil || a.status != partnerd.StatusActive || a.available <= 0 {
			continue // the one-by-one apply answers (and names the refusal)
		}
		known[o.in.CallUUID] = true // a second one in the batch replays this one
		maxDuration := r.MaxDuration(a.available, a.currency)
		if maxDuration == 0 {
			continue
		}
		reserved := r.Cost(maxDuration, a.currency)
		a.available -= reserved
		ans := &partnerd.Authorization{CallUUID: o.in.CallUUID, Direction: o.in.Direction, Authorized: true,
			AccountAuthID: id, PartnerID: a.partnerID, MaxDuration: maxDuration, Rate: r, Currency: a.currency,
			Reserved: reserved, CreatedAt: o.now,
			ExpiresAt: o.now.Add(time.Duration(maxDuration)*time.Second + partnerd.ReservationGrace)}
		o.answer = ans
		done = append(done, o)
		if reserved > 0 {
			reserve[id] += reserved
		}
		rows = append(rows, ans.CallUUID, ans.Direction, id, a.partnerID, 1, nil, maxDuration, a.currency,
			r.Prefix, r.PerMinute, r.InitialIncrement, r.SubsequentIncrement, reserved, ans.CreatedAt.Unix(), ans.ExpiresAt.Unix())
	}
	if len(done) == 0 {
		return nil
	}
	if len(reserve) > 0 {
		wallets := make([]string, 0, len(reserve))
		for id := range reserve {
			wallets = append(wallets, id)
		}
		slices.Sort(wallets)
		args := make([]any, 0, 2*len(wallets))
		for _, id := range wallets {
			args = append(args, id, reserve[id])
		}
		// column1 and column2 are the VALUES' wallet and sum reserved,
		// guarded by the available balance as authorize's one-by-one
		// reservation is.
		k, err := tx.execRows(`UPDATE wallets SET reserved = reserved + v.column2 FROM (`, 2,
			`) AS v WHERE wallets.id = v.column1 AND wallets.balance - wallets.reserved >= v.column2`, args)
		if err != nil {
			return err
		}
		if k != int64(len(wallets)) {
			return fmt.Errorf("combined authorizations: %d of %d wallets reserved", k, len(wallets))
		}
	}
	k, err := tx.execRows(`INSERT INTO authorizations (call_uuid, direction, account_auth_id, partner_id, authorized, reason,
			max_duration, currency, prefix, rate_per_minute, initial_increment, subsequent_increment, amount,
			created_at, expires_at)`, 15, "", rows)
	if err != nil {
		return err
	}
	if k != int64(len(done)) {
		return fmt.Errorf("combined authorizations: %d of %d recorded", k, len(done))
	}
	return nil
}

// matchRatesSQLite matches many numbers at once, over a JSON array of
// [partner, direction, dialled digits]: for each, numbered from 1, the
// rate of the longest of its first MaxPrefixLen prefixes, if any (n is
// materialized so that each element is decoded once): a probe of the
// primary key for each prefix of each number.
var matchRatesSQLite = func() string {
	prefixes := make([]string, partnerd.MaxPrefixLen)
	for k := range prefixes {
		prefixes[k] = fmt.Sprintf("substr(n.digits, 1, %d)", k+1)
	}
	return `WITH n AS MATERIALIZED (
		SELECT key + 1 AS ord, value ->> 0 AS partner_id, value ->> 1 AS direction, value ->> 2 AS digits FROM json_each(?)
	)
	SELECT n.ord, r.prefix, r.rate_per_minute, r.initial_increment, r.subsequent_increment
	FROM n JOIN rates r ON r.partner_id = n.partner_id AND r.direction = n.direction
		AND r.prefix = (SELECT MAX(x.prefix) FROM rates x WHERE x.partner_id = n.partner_id AND x.direction = n.direction
			AND x.prefix IN (` + strings.Join(prefixes, ", ") + `))`
}()
