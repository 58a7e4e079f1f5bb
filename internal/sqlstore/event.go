package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/partnerd/partnerd"
)

var _ partnerd.EventService = (*DB)(nil)

// pendingEvent is an event a request emitted, waiting in its transaction's
// outbox for the writer to write it just before the commit.
type pendingEvent struct {
	id, partnerID, typ string
	authID             *string
	data               []byte
	createdAt          int64
}

// emit records an event of typ for partnerID (and customer authID, if not
// empty) in tx: it is written if, and only if, the request
// that emitted it commits (see (*writer).apply and writeOutbox). data is
// rendered to JSON now, so the event says what was true at the change.
// Every event of API.md §8 is one call of emit beside its change.
func (db *DB) emit(tx *txn, partnerID, authID, typ string, data any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("event %s: %w", typ, err)
	}
	now := db.Now()
	e := pendingEvent{id: partnerd.NewEventID(now), partnerID: partnerID, typ: typ, data: b, createdAt: now.Unix()}
	if authID != "" {
		e.authID = &authID
	}
	tx.outbox = append(tx.outbox, e)
	return nil
}

// writeOutbox writes the events of tx's outbox, each with the next
// sequence of its account (of its partner when it has none), and a
// delivery of each to every enabled endpoint of its partner that
// subscribes to its type. It runs in the writer, just before the commit;
// once the transaction committed, the dispatcher is woken if any delivery
// was made.
func (db *DB) writeOutbox(tx *txn) (func(), error) {
	var n int64
	var err error
	if db.dialect.batchStatements {
		n, err = writeOutboxPG(tx)
	} else {
		n, err = writeOutboxEach(tx)
	}
	if err != nil || n == 0 {
		return nil, err
	}
	return db.wakeup.wake, nil
}

// writeOutboxEach writes the outbox one event at a time (SQLite, where a
// statement is a function call, not a round trip).
func writeOutboxEach(tx *txn) (int64, error) {
	var deliveries int64
	for _, e := range tx.outbox {
		key := e.partnerID
		if e.authID != nil {
			key = *e.authID
		}
		var sequence, seq int64
		if err := tx.queryRow(`INSERT INTO event_counters (key, last) VALUES (?, 1)
			ON CONFLICT (key) DO UPDATE SET last = event_counters.last + 1 RETURNING last`, key).Scan(&sequence); err != nil {
			return 0, err
		}
		if err := tx.queryRow(`INSERT INTO events (id, partner_id, account_auth_id, type, sequence, data, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING seq`,
			e.id, e.partnerID, e.authID, e.typ, sequence, string(e.data), e.createdAt).Scan(&seq); err != nil {
			return 0, err
		}
		res, err := tx.exec(`INSERT INTO webhook_deliveries (endpoint_id, partner_id, event_seq, state, next_attempt_at, created_at, updated_at)
			SELECT id, partner_id, ?, 'pending', ?, ?, ? FROM webhook_endpoints
			WHERE partner_id = ? AND status = 'enabled' AND (event_types = '' OR event_types LIKE '%,' || ? || ',%')`,
			seq, e.createdAt*1000, e.createdAt, e.createdAt, e.partnerID, e.typ)
		if err != nil {
			return 0, err
		}
		k, err := res.RowsAffected()
		if err != nil {
			return 0, err
		}
		deliveries += k
	}
	return deliveries, nil
}

// writeOutboxPG writes the whole outbox in one statement: on PostgreSQL
// each statement is a round trip made while the batch holds its wallets'
// locks. The counters are taken in key order (one lock order for every
// instance); each key's events are numbered in outbox order.
func writeOutboxPG(tx *txn) (int64, error) {
	n := len(tx.outbox)
	ids, partners, types, data := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	authIDs, created := make([]*string, n), make([]int64, n)
	for i, e := range tx.outbox {
		ids[i], partners[i], types[i], data[i], authIDs[i], created[i] = e.id, e.partnerID, e.typ, string(e.data), e.authID, e.createdAt
	}
	var deliveries int64
	err := tx.QueryRowContext(tx.ctx, outboxPG, ids, partners, authIDs, types, data, created).Scan(&deliveries)
	return deliveries, err
}

const outboxPG = `WITH ev AS (
	SELECT e.*, COALESCE(e.auth_id, e.partner_id) AS key
	FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[])
		WITH ORDINALITY AS e(id, partner_id, auth_id, type, data, created_at, ord)
), k AS (
	SELECT key, COUNT(*) AS n FROM ev GROUP BY key
), c AS (
	INSERT INTO event_counters (key, last) SELECT key, n FROM k ORDER BY key
	ON CONFLICT (key) DO UPDATE SET last = event_counters.last + excluded.last
	RETURNING key, last
), s AS (
	SELECT ev.*, c.last - k.n + ROW_NUMBER() OVER (PARTITION BY ev.key ORDER BY ev.ord) AS sequence
	FROM ev JOIN k ON k.key = ev.key JOIN c ON c.key = ev.key
), ins AS (
	INSERT INTO events (id, partner_id, account_auth_id, type, sequence, data, created_at)
	SELECT id, partner_id, auth_id, type, sequence, data, created_at FROM s ORDER BY ord
	RETURNING seq, partner_id, type, created_at
), d AS (
	INSERT INTO webhook_deliveries (endpoint_id, partner_id, event_seq, state, next_attempt_at, created_at, updated_at)
	SELECT we.id, we.partner_id, ins.seq, 'pending', ins.created_at * 1000, ins.created_at, ins.created_at
	FROM ins JOIN webhook_endpoints we ON we.partner_id = ins.partner_id AND we.status = 'enabled'
		AND (we.event_types = '' OR we.event_types LIKE '%,' || ins.type || ',%')
	RETURNING 1
)
SELECT COUNT(*) FROM d`

// wakeup is an in-process signal that deliveries were committed: the
// dispatcher waits on it (and polls besides, for other instances' rows).
type wakeup struct {
	once sync.Once
	ch   chan struct{}
}

func (w *wakeup) c() chan struct{} {
	w.once.Do(func() { w.ch = make(chan struct{}, 1) })
	return w.ch
}

func (w *wakeup) wake() {
	select {
	case w.c() <- struct{}{}:
	default:
	}
}

// DeliveriesCommitted is signalled after a commit that made webhook
// deliveries on this instance.
func (db *DB) DeliveriesCommitted() <-chan struct{} { return db.wakeup.c() }

const eventColumns = `id, partner_id, type, account_auth_id, sequence, data, created_at`

func scanEvent(s scanner) (*partnerd.Event, error) {
	var e partnerd.Event
	var data string
	var created int64
	if err := s.Scan(&e.ID, &e.PartnerID, &e.Type, &e.AccountAuthID, &e.Sequence, &data, &created); err != nil {
		return nil, err
	}
	e.Data, e.CreatedAt = json.RawMessage(data), time.Unix(created, 0).UTC()
	return &e, nil
}

// Events is one page of the partner's events, newest first.
func (db *DB) Events(ctx context.Context, partnerID string, f partnerd.EventFilter) (_ []*partnerd.Event, _ int, err error) {
	defer wrapErr("list events", &err)
	where, args := `partner_id = ?`, []any{partnerID}
	if f.Type != "" {
		where, args = where+` AND type = ?`, append(args, f.Type)
	}
	if f.Account != "" {
		where, args = where+` AND account_auth_id = ?`, append(args, f.Account)
	}
	if !f.From.IsZero() {
		where, args = where+` AND created_at >= ?`, append(args, f.From.Unix())
	}
	if !f.To.IsZero() {
		where, args = where+` AND created_at < ?`, append(args, f.To.AddDate(0, 0, 1).Unix())
	}
	var total int
	if err := db.queryRow(ctx, `SELECT COUNT(*) FROM events WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := db.query(ctx, `SELECT `+eventColumns+` FROM events WHERE `+where+` ORDER BY seq DESC LIMIT ? OFFSET ?`,
		append(args, f.Page.Size, (f.Page.Page-1)*f.Page.Size)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := make([]*partnerd.Event, 0, f.Page.Size)
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, e)
	}
	return out, total, rows.Err()
}

// Event is one of the partner's events.
func (db *DB) Event(ctx context.Context, partnerID, id string) (*partnerd.Event, error) {
	e, err := scanEvent(db.queryRow(ctx, `SELECT `+eventColumns+` FROM events WHERE id = ? AND partner_id = ?`, id, partnerID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, partnerd.ErrEventNotFound(id)
	}
	if err != nil {
		return nil, fmt.Errorf("get event: %w", err)
	}
	return e, nil
}

// PurgeEvents deletes the events older than the retention whose
// deliveries are all finished, with those deliveries and their attempts.
// It returns how many events it deleted.
func (db *DB) PurgeEvents(ctx context.Context) (int64, error) {
	cutoff := db.Now().Add(-partnerd.EventRetention).Unix()
	return write(ctx, db, func(tx *txn) (int64, error) {
		old := `SELECT seq FROM events WHERE created_at < ? AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d
			WHERE d.event_seq = events.seq AND d.state IN ('pending', 'sending', 'failed'))`
		if _, err := tx.exec(`DELETE FROM webhook_attempts WHERE delivery_seq IN (SELECT seq FROM webhook_deliveries
			WHERE event_seq IN (`+old+`))`, cutoff); err != nil {
			return 0, err
		}
		if _, err := tx.exec(`DELETE FROM webhook_deliveries WHERE event_seq IN (`+old+`)`, cutoff); err != nil {
			return 0, err
		}
		res, err := tx.exec(`DELETE FROM events WHERE seq IN (`+old+`)`, cutoff)
		if err != nil {
			return 0, err
		}
		return res.RowsAffected()
	})
}
