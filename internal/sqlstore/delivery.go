package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
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
		rows, err = tx.QueryContext(tx.ctx, `SELECT d.seq, we.id, we.partner_id, we.url, we.secret_enc,
				we.failing_since, e.id, e.type, e.account_auth_id, e.sequence, e.data, e.created_at
			FROM webhook_deliveries d JOIN webhook_endpoints we ON we.id = d.endpoint_id JOIN events e ON e.seq = d.event_seq
			WHERE d.seq IN (`+strings.Join(seqs, ",")+`) ORDER BY d.next_attempt_at, d.seq`)
		err = scanAll2(rows, err, func(rows *sql.Rows) error {
			var seq int64
			var enc []byte
			var failingSince sql.NullInt64
			var data string
			var created int64
			var c partnerd.DeliveryClaim
			if err := rows.Scan(&seq, &c.EndpointID, &c.PartnerID, &c.URL, &enc, &failingSince,
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
			out = append(out, cl)
			return nil
		})
		if err != nil {
			return nil, err
		}
		return out, db.addOldSecrets(tx, out, now)
	})
}

// WebhookQueueDepth counts the deliveries a dispatcher could claim now
// (ClaimDeliveries' rows, whatever the instance): due, not held by a live
// lease, of an enabled endpoint. Those of a disabled endpoint wait for no
// dispatcher, and a failed one waiting for its retry is not late yet.
func (db *DB) WebhookQueueDepth(ctx context.Context) (int, error) {
	var n int
	err := db.queryRow(ctx, `SELECT COUNT(*) FROM webhook_deliveries d JOIN webhook_endpoints we ON we.id = d.endpoint_id
		WHERE d.state IN ('pending', 'sending', 'failed') AND d.next_attempt_at <= ? AND we.status = 'enabled'`,
		db.Now().UnixMilli()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count webhook queue: %w", err)
	}
	return n, nil
}

// addOldSecrets adds to each claim the rotated-out secrets of its
// endpoint still inside their overlap, the last rotated out first.
func (db *DB) addOldSecrets(tx *txn, claims []*partnerd.DeliveryClaim, now time.Time) error {
	byEndpoint := map[string][]*partnerd.DeliveryClaim{}
	var ids []string
	for _, c := range claims {
		if byEndpoint[c.EndpointID] == nil {
			ids = append(ids, c.EndpointID)
		}
		byEndpoint[c.EndpointID] = append(byEndpoint[c.EndpointID], c)
	}
	cond, arg := inList(db.dialect, "endpoint_id", ids)
	return tx.scanRows(func(rows *sql.Rows) error {
		var id string
		var enc []byte
		if err := rows.Scan(&id, &enc); err != nil {
			return err
		}
		old, err := db.openSecret(id, enc)
		if err != nil {
			return err
		}
		for _, c := range byEndpoint[id] {
			c.Secrets = append(c.Secrets, old)
		}
		return nil
	}, `SELECT endpoint_id, secret_enc FROM webhook_old_secrets WHERE `+cond+` AND signs_until > ? ORDER BY endpoint_id, seq DESC`,
		arg, now.Unix())
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

// deliveryState is the stored state of each status the API shows.
func deliveryStates(status string) []string {
	switch status {
	case partnerd.DeliveryPending:
		return []string{"pending", "sending"}
	case "":
		return nil
	}
	return []string{status}
}

// WebhookDeliveries is one page of an endpoint's deliveries, newest
// first, each with its attempts.
func (db *DB) WebhookDeliveries(ctx context.Context, partnerID, endpointID string, f partnerd.DeliveryFilter) (_ []*partnerd.WebhookDelivery, _ int, err error) {
	defer wrapErr("list webhook deliveries", &err)
	if _, err := db.WebhookEndpoint(ctx, partnerID, endpointID); err != nil {
		return nil, 0, err
	}
	where, args := `d.endpoint_id = ? AND d.partner_id = ?`, []any{endpointID, partnerID}
	if states := deliveryStates(f.Status); states != nil {
		cond, arg := inList(db.dialect, "d.state", states)
		where, args = where+` AND `+cond, append(args, arg)
	}
	return db.deliveries(ctx, where, args, f.Page)
}

// deliveries reads a page of the deliveries matching where (on
// webhook_deliveries d), newest first, each with its attempts, and how
// many match.
func (db *DB) deliveries(ctx context.Context, where string, args []any, p partnerd.Page) ([]*partnerd.WebhookDelivery, int, error) {
	var total int
	if err := db.queryRow(ctx, `SELECT COUNT(*) FROM webhook_deliveries d WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := db.query(ctx, `SELECT d.seq, d.endpoint_id, e.id, e.type, d.state, d.next_attempt_at, d.created_at
		FROM webhook_deliveries d JOIN events e ON e.seq = d.event_seq WHERE `+where+` ORDER BY d.seq DESC LIMIT ? OFFSET ?`,
		append(args, p.Size, (p.Page-1)*p.Size)...)
	if err != nil {
		return nil, 0, err
	}
	out := []*partnerd.WebhookDelivery{}
	bySeq := map[int64]*partnerd.WebhookDelivery{}
	var seqs []string
	err = scanAll(rows, func(rows *sql.Rows) error {
		var d partnerd.WebhookDelivery
		var seq, next, created int64
		var state string
		if err := rows.Scan(&seq, &d.EndpointID, &d.EventID, &d.EventType, &state, &next, &created); err != nil {
			return err
		}
		d.ID, d.Status, d.CreatedAt, d.Attempts = partnerd.DeliveryID(seq), deliveryStatus(state), time.Unix(created, 0).UTC(), []partnerd.WebhookAttempt{}
		if state == "pending" || state == "failed" {
			t := time.UnixMilli(next).UTC()
			d.NextAttemptAt = &t
		}
		out = append(out, &d)
		bySeq[seq] = &d
		seqs = append(seqs, fmt.Sprint(seq))
		return nil
	})
	if err != nil || len(seqs) == 0 {
		return out, total, err
	}
	// The attempts of the page's deliveries, in one query.
	rows, err = db.read.QueryContext(ctx, `SELECT at, status_code, error, duration_ms, delivery_seq FROM webhook_attempts
		WHERE delivery_seq IN (`+strings.Join(seqs, ",")+`) ORDER BY delivery_seq, attempt`)
	if err != nil {
		return nil, 0, err
	}
	err = scanAll(rows, func(rows *sql.Rows) error {
		var seq int64
		a, err := scanAttempt(rows, &seq)
		if err != nil {
			return err
		}
		bySeq[seq].Attempts = append(bySeq[seq].Attempts, a)
		return nil
	})
	return out, total, err
}

// deliveryStatus is the API's status of a stored state.
func deliveryStatus(state string) string {
	if state == "sending" {
		return partnerd.DeliveryPending
	}
	return state
}

// RetryWebhookDelivery schedules a finished delivery (failed, dead or
// even succeeded: the receiver asked for it again) for now; a pending
// one is left as it is. It returns the delivery as it is then.
func (db *DB) RetryWebhookDelivery(ctx context.Context, partnerID, endpointID string, deliveryID int64) (_ *partnerd.WebhookDelivery, err error) {
	defer wrapErr("retry webhook delivery", &err)
	now := db.Now()
	d, err := write(ctx, db, func(tx *txn) (*partnerd.WebhookDelivery, error) {
		if _, err := tx.exec(`UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = ?, claimed_by = NULL, updated_at = ?
			WHERE seq = ? AND endpoint_id = ? AND partner_id = ? AND state IN ('failed', 'dead', 'succeeded')`,
			now.UnixMilli(), now.Unix(), deliveryID, endpointID, partnerID); err != nil {
			return nil, err
		}
		var d partnerd.WebhookDelivery
		var next, created int64
		var state string
		err := tx.queryRow(`SELECT d.endpoint_id, e.id, e.type, d.state, d.next_attempt_at, d.created_at
			FROM webhook_deliveries d JOIN events e ON e.seq = d.event_seq WHERE d.seq = ? AND d.endpoint_id = ? AND d.partner_id = ?`,
			deliveryID, endpointID, partnerID).Scan(&d.EndpointID, &d.EventID, &d.EventType, &state, &next, &created)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, partnerd.Errorf(partnerd.ECNotFound, "No delivery %q of webhook endpoint %q exists.", partnerd.DeliveryID(deliveryID), endpointID)
		}
		if err != nil {
			return nil, err
		}
		d.ID, d.Status, d.CreatedAt, d.Attempts = partnerd.DeliveryID(deliveryID), deliveryStatus(state), time.Unix(created, 0).UTC(), []partnerd.WebhookAttempt{}
		db.audit(tx, partnerID, "", partnerd.AuditWebhookRetry, d.ID)
		if state == "pending" || state == "failed" {
			t := time.UnixMilli(next).UTC()
			d.NextAttemptAt = &t
		}
		rows, err := tx.QueryContext(tx.ctx, tx.dialect.rebind(`SELECT at, status_code, error, duration_ms FROM webhook_attempts
			WHERE delivery_seq = ? ORDER BY attempt`), deliveryID)
		err = scanAll2(rows, err, func(rows *sql.Rows) error {
			a, err := scanAttempt(rows)
			d.Attempts = append(d.Attempts, a)
			return err
		})
		return &d, err
	})
	if err == nil {
		db.wakeup.wake()
	}
	return d, err
}

// scanAttempt reads at, status_code, error and duration_ms of an attempt.
func scanAttempt(s scanner, extra ...any) (partnerd.WebhookAttempt, error) {
	var at, ms int64
	var a partnerd.WebhookAttempt
	var code sql.NullInt64
	if err := s.Scan(append([]any{&at, &code, &a.Error, &ms}, extra...)...); err != nil {
		return a, err
	}
	if code.Valid {
		c := int(code.Int64)
		a.StatusCode = &c
	}
	a.At, a.Duration = time.UnixMilli(at).UTC(), time.Duration(ms)*time.Millisecond
	return a, nil
}
