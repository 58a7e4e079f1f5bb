package sqlstore

import (
	"context"
	"errors"
	"time"

	"github.com/partnerd/partnerd"
)

// The audit log (API.md §7). A write op names its change with db.audit,
// once, beside the change; the row waits in its transaction (tx.audits)
// and the writer inserts it just before the commit, with the events of
// the outbox, so the change and its row commit together or not at all. A
// request that fails takes its rows with it (see (*writer).apply), and a
// write made for an audited caller (its context carries an
// partnerd.AuditContext) that names no change is refused (see
// checkAudited): a new write op cannot forget its row.

var _ partnerd.AuditService = (*DB)(nil)

// pendingAudit is an audit row waiting in its transaction.
type pendingAudit struct {
	id, actorKind, actorID, action, target, outcome string
	partnerID, account, requestID, idemKey          *string
	at                                              int64
}

// audit records, in tx, that the running request made the change action
// to target, of partner partnerID (empty: of no partner) and concerning
// customer account (empty: none). The actor, request id and
// Idempotency-Key come from the request's partnerd.AuditContext; a write
// made without one (a test, a store-level tool) records nothing. target
// must be an id, never a secret.
func (db *DB) audit(tx *txn, partnerID, account, action, target string) {
	a, ok := partnerd.AuditFrom(tx.ctx)
	if !ok {
		return
	}
	now := db.Now()
	tx.audits = append(tx.audits, pendingAudit{
		id: partnerd.NewAuditID(now), at: now.Unix(), actorKind: a.Actor.Kind, actorID: a.Actor.ID,
		partnerID: optional(partnerID), account: optional(account), action: action, target: target,
		requestID: optional(a.RequestID), idemKey: optional(a.IdempotencyKey), outcome: partnerd.AuditOK,
	})
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// readOnly declares that the running request's op changes nothing (a
// read that runs as a write to see its own rows): it owes no audit row,
// whoever asks.
func (t *txn) readOnly() { t.unchanged = true }

// errUnaudited refuses a write made for an audited caller that recorded
// no audit row: its op forgot to call db.audit.
var errUnaudited = errors.New("the write recorded no audit row (its op must call db.audit beside its change)")

// checkAudited refuses the write of r if it was made for a request (of a
// partner, a customer or a console session: each request makes one
// change) and recorded no row since mark. Sweeps, the server's
// (ActorSystem) or the operator's (billing run), are exempt: many of their
// writes change only bookkeeping (a top-up that found the balance
// recovered, a usage snapshot), and they record the changes that matter
// explicitly; the operator's commands are each tested for their row.
func checkAudited(r *writeReq, tx *txn, mark int) error {
	if len(tx.audits) > mark || tx.unchanged {
		return nil
	}
	a, ok := partnerd.AuditFrom(r.ctx)
	if !ok {
		return nil
	}
	switch a.Actor.Kind {
	case partnerd.ActorPartner, partnerd.ActorCustomer, partnerd.ActorConsole:
		return errUnaudited
	}
	return nil
}

// writeAudit inserts the transaction's audit rows: in multi-row
// statements on SQLite, all in one statement on PostgreSQL (a round trip
// made while the batch holds its wallets' locks).
func writeAudit(tx *txn) error {
	if len(tx.audits) == 0 {
		return nil
	}
	if tx.dialect.batchStatements {
		n := len(tx.audits)
		ids, kinds, actors, actions, targets, outcomes := make([]string, n), make([]string, n), make([]string, n),
			make([]string, n), make([]string, n), make([]string, n)
		partners, accounts, reqs, keys := make([]*string, n), make([]*string, n), make([]*string, n), make([]*string, n)
		at := make([]int64, n)
		for i, a := range tx.audits {
			ids[i], kinds[i], actors[i], actions[i], targets[i], outcomes[i] = a.id, a.actorKind, a.actorID, a.action, a.target, a.outcome
			partners[i], accounts[i], reqs[i], keys[i], at[i] = a.partnerID, a.account, a.requestID, a.idemKey, a.at
		}
		_, err := tx.ExecContext(tx.ctx, `INSERT INTO audit_events
			(id, at, actor_kind, actor_id, partner_id, account_auth_id, action, target, request_id, idempotency_key, outcome)
			SELECT id, at, k, ai, p, acc, act, t, r, ik, o FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[],
				$5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[])
				WITH ORDINALITY AS a(id, at, k, ai, p, acc, act, t, r, ik, o, ord)
			ORDER BY ord`,
			ids, at, kinds, actors, partners, accounts, actions, targets, reqs, keys, outcomes)
		return err
	}
	// Multi-row statements, in the rows' order (so seq follows it): one
	// statement per row cost a tenth of the writer's time.
	args := make([]any, 0, 11*len(tx.audits))
	for _, a := range tx.audits {
		args = append(args, a.id, a.at, a.actorKind, a.actorID, a.partnerID, a.account, a.action, a.target,
			a.requestID, a.idemKey, a.outcome)
	}
	_, err := tx.execRows(`INSERT INTO audit_events
		(id, at, actor_kind, actor_id, partner_id, account_auth_id, action, target, request_id, idempotency_key, outcome)`, 11, "", args)
	return err
}

const auditColumns = `id, at, actor_kind, actor_id, partner_id, account_auth_id, action, target, request_id, idempotency_key, outcome`

func scanAudit(s scanner) (*partnerd.AuditEvent, error) {
	var e partnerd.AuditEvent
	var partner, account, req, key *string
	var at int64
	if err := s.Scan(&e.ID, &at, &e.Actor.Kind, &e.Actor.ID, &partner, &account, &e.Action, &e.Target, &req, &key, &e.Outcome); err != nil {
		return nil, err
	}
	e.At = time.Unix(at, 0).UTC()
	for _, f := range []struct {
		dst *string
		src *string
	}{{&e.PartnerID, partner}, {&e.Account, account}, {&e.RequestID, req}, {&e.IdempotencyKey, key}} {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
	return &e, nil
}

// AuditEvents is one page of the partner's audit rows, newest first.
func (db *DB) AuditEvents(ctx context.Context, partnerID string, f partnerd.AuditFilter) (_ []*partnerd.AuditEvent, _ int, err error) {
	defer wrapErr("list audit events", &err)
	if partnerID == "" {
		return nil, 0, errors.New("no partner given")
	}
	f.Partner = partnerID
	return db.auditPage(ctx, f)
}

// AuditLog is one page of every audit row, newest first (the operator's
// view; f.Partner narrows it to one partner).
func (db *DB) AuditLog(ctx context.Context, f partnerd.AuditFilter) (_ []*partnerd.AuditEvent, _ int, err error) {
	defer wrapErr("list audit log", &err)
	return db.auditPage(ctx, f)
}

func (db *DB) auditPage(ctx context.Context, f partnerd.AuditFilter) ([]*partnerd.AuditEvent, int, error) {
	where, args := `1 = 1`, []any{}
	if f.Partner != "" {
		where, args = where+` AND partner_id = ?`, append(args, f.Partner)
	}
	if f.Action != "" {
		where, args = where+` AND action = ?`, append(args, f.Action)
	}
	if f.Account != "" {
		where, args = where+` AND account_auth_id = ?`, append(args, f.Account)
	}
	if !f.From.IsZero() {
		where, args = where+` AND at >= ?`, append(args, f.From.Unix())
	}
	if !f.To.IsZero() {
		where, args = where+` AND at < ?`, append(args, f.To.AddDate(0, 0, 1).Unix())
	}
	var total int
	if err := db.queryRow(ctx, `SELECT COUNT(*) FROM audit_events WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := db.query(ctx, `SELECT `+auditColumns+` FROM audit_events WHERE `+where+` ORDER BY seq DESC LIMIT ? OFFSET ?`,
		append(args, f.Page.Size, (f.Page.Page-1)*f.Page.Size)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := make([]*partnerd.AuditEvent, 0, f.Page.Size)
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, e)
	}
	return out, total, rows.Err()
}
