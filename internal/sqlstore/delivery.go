package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/partnerd/partnerd"
)

var _ partnerd.DeliveryQueue = (*DB)(nil)

// claimDuePG leases due deliveries on PostgreSQL: rows another instance
// is claiming at the same moment are skipped (SKIP LOCKED), never waited
// for nor taken twice. A row in state sending whose lease ran out is due
// again (its claimant died or stalled): its next claimant counts a new
// attempt, and the old claimant's outcome is then refused by the fence.
// Arguments: now (ms), the busy endpoints, the limit, the lease's end
// (ms), the owner, now (s).
const claimDuePG = `WITH due AS (
	SELECT d.seq FROM webhook_deliveries d JOIN webhook_endpoints we ON we.id = d.endpoint_id
	WHERE d.state IN ('pending', 'sending', 'failed') AND d.next_attempt_at <= $1
		AND we.status = 'enabled' AND NOT (d.endpoint_id = ANY($2::text[]))
	ORDER BY d.next_attempt_at, d.seq LIMIT $3
	FOR UPDATE OF d SKIP LOCKED
)
UPDATE webhook_deliveries d SET state = 'sending', attempts = d.attempts + 1, next_attempt_at = $4,
	claimed_by = $5, updated_at = $6
FROM due WHERE d.seq = due.seq
RETURNING d.seq, d.attempts`

// claimDueSQLite is claimDuePG for SQLite, whose one writer claims alone.
const claimDueSQLite = `UPDATE webhook_deliveries SET state = 'sending', attempts = attempts + 1, next_attempt_at = ?4,
	claimed_by = ?5, updated_at = ?6
WHERE seq IN (SELECT d.seq FROM webhook_deliveries d JOIN webhook_endpoints we ON we.id = d.endpoint_id
	WHERE d.state IN ('pending', 'sending', 'failed') AND d.next_attempt_at <= ?1
		AND we.status = 'enabled' AND d.endpoint_id NOT IN (SELECT value FROM json_each(?2))
	ORDER BY d.next_attempt_at, d.seq LIMIT ?3)
RETURNING seq, attempts`

// ClaimDeliveries leases up to n due deliveries to owner until now+lease.
func (db *DB) ClaimDeliveries(ctx context.Context, owner string, n int, busy []string, now time.Time, lease time.Duration) (_ []*partnerd.DeliveryClaim, err error) {
	defer wrapErr("claim webhook deliveries", &err)
	if busy == nil {
		busy = []string{} // an empty array, not NULL: NOT (x = ANY(NULL)) is never true
	}
	var busyArg any = busy
	query := claimDuePG
	if !db.dialect.dollarParams {
		b, _ := json.Marshal(busy)
		busyArg, query = string(b), claimDueSQLite
	}
	return write(ctx, db, func(tx *txn) ([]*partnerd.DeliveryClaim, error) {
		claims := map[int64]*partnerd.DeliveryClaim{}
		var seqs []string
		// Run as written: the numbered parameters are shared by both forms.
		rows, err := tx.QueryContext(tx.ctx, query, now.UnixMilli(), busyArg, n, now.Add(lease).UnixMilli(), owner, now.Unix())
		err = scanAll2(rows, err, func(rows *sql.Rows) error {
			c := &partnerd.DeliveryClaim{Owner: owner}
			if err := rows.Scan(&c.Seq, &c.Attempt); err != nil {
				return err
			}
			claims[c.Seq] = c
			seqs = append(seqs, fmt.Sprint(c.Seq))
			return nil
		})
		if err != nil || len(seqs) == 0 {
			return nil, err
		}
		// What to send: the events, endpoints and secrets of the claimed rows.
		out := make([]*partnerd.DeliveryClaim, 0, len(seqs))
		rows, err = tx.QueryContext(tx.ctx, `SELECT d.seq, we.id, we.partner_id, we.url, we.secret_enc, we.old_secret_enc,
				we.old_secret_until, we.failing_since, e.id, e.type, e.account_auth_id, e.sequence, e.data, e.created_at
			FROM webhook_deliveries d JOIN webhook_endpoints we ON we.id = d.endpoint_id JOIN events e ON e.seq = d.event_seq
			WHERE d.seq IN (`+strings.Join(seqs, ",")+`) ORDER BY d.next_attempt_at, d.seq`)
		err = scanAll2(rows, err, func(rows *sql.Rows) error {
			var seq int64
			var enc, oldEnc []byte
			var oldUntil, failingSince sql.NullInt64
			var data string
			var created int64
			var c partnerd.DeliveryClaim
			if err := rows.Scan(&seq, &c.EndpointID, &c.PartnerID, &c.URL, &enc, &oldEnc, &oldUntil, &failingSince,
				&c.Event.ID, &c.Event.Type, &c.Event.AccountAuthID, &c.Event.Sequence, &data, &created); err != nil {
				return err
			}
			cl := claims[seq]
			cl.EndpointID, cl.PartnerID, cl.URL, cl.Event = c.EndpointID, c.PartnerID, c.URL, c.Event
			cl.Event.PartnerID, cl.Event.Data, cl.Event.CreatedAt = c.PartnerID, json.RawMessage(data), time.Unix(created, 0).UTC()
			if failingSince.Valid {
				cl.FailingSince = time.Unix(failingSince.Int64, 0).UTC()
			}
			secret, err := db.openSecret(c.EndpointID, enc)
			if err != nil {
				return err
			}
			cl.Secrets = []string{secret}
			if oldEnc != nil && oldUntil.Valid && now.Unix() < oldUntil.Int64 {
				old, err := db.openSecret(c.EndpointID, oldEnc)
				if err != nil {
					return err
				}
				cl.Secrets = append(cl.Secrets, old)
			}
			out = append(out, cl)
			return nil
		})
		return out, err
	})
}

// RecordDelivery records an attempt's outcome, fenced by its claim: when
// the lease was lost (the row was claimed again since, or retried by
// hand) nothing is written and it returns false.
func (db *DB) RecordDelivery(ctx context.Context, o partnerd.DeliveryOutcome) (_ bool, err error) {
	defer wrapErr("record webhook delivery", &err)
	c := o.Claim
	return write(ctx, db, func(tx *txn) (bool, error) {
		res, err := tx.exec(`UPDATE webhook_deliveries SET state = ?, next_attempt_at = ?, claimed_by = NULL, updated_at = ?
			WHERE seq = ? AND claimed_by = ? AND attempts = ? AND state = 'sending'`,
			o.Status, o.NextAt.UnixMilli(), o.At.Unix(), c.Seq, c.Owner, c.Attempt)
		if err != nil {
			return false, err
		}
		if k, err := res.RowsAffected(); err != nil || k != 1 {
			return false, err
		}
		var code, msg any
		if o.HTTPCode != 0 {
			code = o.HTTPCode
		}
		if o.Error != "" {
			msg = o.Error
		}
		if _, err := tx.exec(`INSERT INTO webhook_attempts (delivery_seq, attempt, at, status_code, error, duration_ms) VALUES (?, ?, ?, ?, ?, ?)`,
			c.Seq, c.Attempt, o.At.UnixMilli(), code, msg, o.Duration.Milliseconds()); err != nil {
			return false, err
		}
		switch {
		case o.Recovered:
			_, err = tx.exec(`UPDATE webhook_endpoints SET failing_since = NULL WHERE id = ? AND failing_since IS NOT NULL`, c.EndpointID)
		case o.Status != partnerd.DeliverySucceeded:
			_, err = tx.exec(`UPDATE webhook_endpoints SET failing_since = ? WHERE id = ? AND failing_since IS NULL`, o.At.Unix(), c.EndpointID)
		}
		if err != nil {
			return false, err
		}
		if o.Disable {
			if err := db.disableEndpoint(tx, c, o); err != nil {
				return false, err
			}
		}
		return true, nil
	})
}

// endpointDisabled is the data of webhook_endpoint.disabled.
type endpointDisabled struct {
	EndpointID string `json:"endpoint_id"`
	URL        string `json:"url"`
	Reason     string `json:"reason"`
}

// disableEndpoint disables the claim's endpoint, announcing it once.
func (db *DB) disableEndpoint(tx *txn, c *partnerd.DeliveryClaim, o partnerd.DeliveryOutcome) error {
	res, err := tx.exec(`UPDATE webhook_endpoints SET status = 'disabled', updated_at = ? WHERE id = ? AND status = 'enabled'`,
		o.At.Unix(), c.EndpointID)
	if err != nil {
		return err
	}
	if k, err := res.RowsAffected(); err != nil || k != 1 {
		return err
	}
	reason := "gone"
	if o.HTTPCode != 410 {
		reason = "failing"
	}
	return db.emit(tx, c.PartnerID, "", partnerd.EventWebhookEndpointDisabled, endpointDisabled{EndpointID: c.EndpointID, URL: c.URL, Reason: reason})
}
