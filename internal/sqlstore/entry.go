package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"math"
	"time"

	"github.com/partnerd/partnerd"
)

// AccountEntries returns one page of a customer's ledger log, newest first.
// Unfiltered, its total is the wallet's maintained entry count, read with
// the check that the customer is the partner's.
func (db *DB) AccountEntries(ctx context.Context, partnerID, authID string, f partnerd.EntryFilter) ([]*partnerd.Entry, int, error) {
	if err := f.Validate(partnerd.CustomerTransactionTypes); err != nil {
		return nil, 0, err
	}
	var count int
	err := db.queryRow(ctx, `SELECT w.entry_count FROM accounts a JOIN wallets w ON w.id = a.auth_id
		WHERE a.auth_id = ? AND a.partner_id = ?`, authID, partnerID).Scan(&count)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, partnerd.ErrAccountNotFound(authID)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("account entries: %w", err)
	}
	out, total, err := db.entryPage(ctx, walletLog(authID, f), f.Page, maintained(f, count))
	if err != nil {
		return nil, 0, fmt.Errorf("account entries: %w", err)
	}
	return out, total, nil
}

// CustomerEntries returns one page of the logs of all the partner's
// customers, newest first. Unfiltered, its total is the sum of the
// customers' maintained entry counts: one row per customer, not per entry.
func (db *DB) CustomerEntries(ctx context.Context, partnerID string, f partnerd.EntryFilter) ([]*partnerd.Entry, int, error) {
	if err := f.Validate(partnerd.CustomerTransactionTypes); err != nil {
		return nil, 0, err
	}
	known := -1
	if !filtered(f) {
		if err := db.queryRow(ctx, `SELECT COALESCE(SUM(w.entry_count), 0) FROM accounts a JOIN wallets w ON w.id = a.auth_id
			WHERE a.partner_id = ?`, partnerID).Scan(&known); err != nil {
			return nil, 0, fmt.Errorf("customer entries: %w", err)
		}
	}
	out, total, err := db.entryPage(ctx, customersLog(partnerID, f), f.Page, known)
	if err != nil {
		return nil, 0, fmt.Errorf("customer entries: %w", err)
	}
	return out, total, nil
}

// PartnerEntries returns one page of the partner's master wallet log,
// newest first. Unfiltered, its total is the wallet's maintained count.
func (db *DB) PartnerEntries(ctx context.Context, partnerID string, f partnerd.EntryFilter) ([]*partnerd.Entry, int, error) {
	if err := f.Validate(partnerd.PartnerTransactionTypes); err != nil {
		return nil, 0, err
	}
	var count int
	err := db.queryRow(ctx, `SELECT entry_count FROM wallets WHERE id = ? AND kind = 'partner'`, partnerID).Scan(&count)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, 0, fmt.Errorf("partner entries: %w", err)
	}
	out, total, err := db.entryPage(ctx, walletLog(partnerID, f), f.Page, maintained(f, count))
	if err != nil {
		return nil, 0, fmt.Errorf("partner entries: %w", err)
	}
	return out, total, nil
}

// AccountEntriesSeq streams every entry of a customer's log that f
// selects, newest first.
func (db *DB) AccountEntriesSeq(ctx context.Context, partnerID, authID string, f partnerd.EntryFilter) iter.Seq2[*partnerd.Entry, error] {
	return func(yield func(*partnerd.Entry, error) bool) {
		if err := f.ValidateAll(partnerd.CustomerTransactionTypes); err != nil {
			yield(nil, err)
			return
		}
		var one int
		err := db.queryRow(ctx, `SELECT 1 FROM accounts WHERE auth_id = ? AND partner_id = ?`, authID, partnerID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			yield(nil, partnerd.ErrAccountNotFound(authID))
			return
		}
		if err != nil {
			yield(nil, fmt.Errorf("account entries: %w", err))
			return
		}
		db.streamEntries(ctx, "account entries", walletLog(authID, f), yield)
	}
}

// CustomerEntriesSeq streams every entry of the partner's customers' logs
// that f selects, newest first.
func (db *DB) CustomerEntriesSeq(ctx context.Context, partnerID string, f partnerd.EntryFilter) iter.Seq2[*partnerd.Entry, error] {
	return func(yield func(*partnerd.Entry, error) bool) {
		if err := f.ValidateAll(partnerd.CustomerTransactionTypes); err != nil {
			yield(nil, err)
			return
		}
		db.streamEntries(ctx, "customer entries", customersLog(partnerID, f), yield)
	}
}

// PartnerEntriesSeq streams every entry of the partner's master wallet log
// that f selects, newest first.
func (db *DB) PartnerEntriesSeq(ctx context.Context, partnerID string, f partnerd.EntryFilter) iter.Seq2[*partnerd.Entry, error] {
	return func(yield func(*partnerd.Entry, error) bool) {
		if err := f.ValidateAll(partnerd.PartnerTransactionTypes); err != nil {
			yield(nil, err)
			return
		}
		db.streamEntries(ctx, "partner entries", walletLog(partnerID, f), yield)
	}
}

// entryQuery is the selection of one log: its scope and filter as a WHERE
// clause on ledger_entries e. A page and a stream are both built from it,
// so the two cannot select differently.
type entryQuery struct {
	where string
	args  []any
}

// walletLog selects one wallet's entries; the (wallet_id, seq) index
// holds them in order.
func walletLog(walletID string, f partnerd.EntryFilter) entryQuery {
	return newEntryQuery(`e.wallet_id = ?`, []any{walletID}, f)
}

// customersLog selects the entries of every customer wallet of a partner;
// the (partner_id, wallet_kind, seq) index holds them in order.
func customersLog(partnerID string, f partnerd.EntryFilter) entryQuery {
	return newEntryQuery(`e.partner_id = ? AND e.wallet_kind = 'customer'`, []any{partnerID}, f)
}

func newEntryQuery(scope string, args []any, f partnerd.EntryFilter) entryQuery {
	q := entryQuery{where: scope, args: args}
	if f.Type != "" {
		q.where += ` AND e.type = ?`
		q.args = append(q.args, f.Type)
	}
	if !f.From.IsZero() {
		q.where += ` AND e.created_at >= ?`
		q.args = append(q.args, f.From.Unix())
	}
	if !f.To.IsZero() {
		// To is an inclusive day: everything before the next midnight.
		q.where += ` AND e.created_at < ?`
		q.args = append(q.args, f.To.AddDate(0, 0, 1).Unix())
	}
	return q
}

// filtered reports whether f narrows a log beyond its scope, so that the
// maintained counts do not give its total.
func filtered(f partnerd.EntryFilter) bool {
	return f.Type != "" || !f.From.IsZero() || !f.To.IsZero()
}

// maintained returns count as the log's known total when f selects the
// whole log, and -1 (unknown) otherwise.
func maintained(f partnerd.EntryFilter, count int) int {
	if filtered(f) {
		return -1
	}
	return count
}

// entryColumns are the columns scanEntry reads, from e, t and w.
const entryColumns = `e.transaction_id, e.wallet_id, e.type, e.amount, w.currency, e.balance_before,
	e.balance_after, t.description, t.initiated_by, t.reference, e.created_at`

// rows returns the SELECT of the selection's entries, newest first. With
// a page (dir "DESC" or "ASC", then a LIMIT and an OFFSET argument), the
// page's sequence numbers are found first, so the rows skipped by the
// offset are never joined. Without, it is an export's (streamRows): each
// row's seq first, and the entries older than a seq argument.
func (q entryQuery) rows(page bool, dir string) string {
	from := `ledger_entries e`
	where := ` WHERE ` + q.where + ` AND e.seq < ?`
	columns := `e.seq, ` + entryColumns
	if page {
		columns = entryColumns
		from = `(SELECT e.seq FROM ledger_entries e WHERE ` + q.where + ` ORDER BY e.seq ` + dir + ` LIMIT ? OFFSET ?) page
		JOIN ledger_entries e ON e.seq = page.seq`
		where = ``
	}
	return `SELECT ` + columns + ` FROM ` + from + `
		JOIN ledger_transactions t ON t.id = e.transaction_id
		JOIN wallets w ON w.id = e.wallet_id` + where + `
		ORDER BY e.seq DESC`
}

// count returns the COUNT of the selection, which reads only the scope's
// index range (and the filtered columns of its rows).
func (q entryQuery) count() string {
	return `SELECT COUNT(*) FROM ledger_entries e WHERE ` + q.where
}

// entryPage reads one page of q and its total. known is the total when
// the caller has it (a maintained count), else -1: the total then comes
// from the page itself when the page is the last, non-empty one, and is
// counted otherwise.
func (db *DB) entryPage(ctx context.Context, q entryQuery, p partnerd.Page, known int) ([]*partnerd.Entry, int, error) {
	if known >= 0 && p.Offset() >= known {
		return []*partnerd.Entry{}, known, nil
	}
	// With the total known, a page in the older half is read from the
	// oldest end, so the index walk is at most half the log.
	dir, limit, offset := "DESC", p.Size, p.Offset()
	if known >= 0 && offset > known/2 {
		dir, offset = "ASC", known-offset-p.Size
		if offset < 0 {
			limit, offset = limit+offset, 0
		}
	}
	rows, err := db.query(ctx, q.rows(true, dir), append(q.args[:len(q.args):len(q.args)], limit, offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := make([]*partnerd.Entry, 0, p.Size)
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	switch {
	case known >= 0:
		return out, known, nil
	case len(out) > 0 && len(out) < p.Size, len(out) == 0 && p.Offset() == 0:
		return out, p.Offset() + len(out), nil
	}
	var total int
	if err := db.queryRow(ctx, q.count(), q.args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// streamEntries yields q's entries, newest first, as the consumer pulls
// them. op names the log in errors.
func (db *DB) streamEntries(ctx context.Context, op string, q entryQuery, yield func(*partnerd.Entry, error) bool) {
	streamRows(ctx, db, op, q.rows(false, ""), q.args, scanEntry, yield)
}

// streamRows yields the rows of a query, each read by scan, as the
// consumer pulls them, in constant memory: from the database cursor, or
// a chunk of rows at a time. op names the stream in errors. The query's first
// column is the rows' seq, its last condition "seq < ?" (whose argument
// streamRows adds to args), and its order seq descending.
//
// An open query holds its snapshot: on SQLite no checkpoint can finish,
// and the WAL cannot start over, so it grows by every write meanwhile; on
// PostgreSQL vacuum keeps every row version since. A consumer may pull
// slowly (a CSV export to a slow client: one write to its socket may
// wait tens of seconds for room), so on SQLite the rows come in chunks
// of the dialect's exportChunk, each read whole and its query closed
// before the consumer gets them: the export holds no snapshot while its
// consumer writes. On PostgreSQL the stream reads on from its cursor,
// and a query open for the dialect's streamHold is closed within a few rows and
// followed by another. Either way the stream goes on from the last row
// yielded: the rows are those of several snapshots, each row once, in
// order; rows are never changed, and those recorded meanwhile are newer
// than the stream's first.
func streamRows[T any](ctx context.Context, db *DB, op, query string, args []any, scan func(scanner) (T, error), yield func(T, error) bool) {
	before := int64(math.MaxInt64)
	for {
		var more bool
		var err error
		if n := db.dialect.exportChunk; n > 0 {
			more, err = streamChunk(ctx, db, query+` LIMIT ?`, append(args[:len(args):len(args)], before, n), scan, &before, yield)
		} else {
			more, err = streamSome(ctx, db, query, append(args[:len(args):len(args)], before), scan, &before, yield)
		}
		if err != nil {
			var zero T
			if ctx.Err() == nil {
				err = fmt.Errorf("%s: %w", op, err)
			}
			yield(zero, err)
			return
		}
		if !more {
			return
		}
	}
}

// streamSome yields the rows of one query of streamRows, and reports
// whether it stopped early for a new one to go on from *before (the seq
// of the last row yielded). A consumer that stops early ends the stream.
func streamSome[T any](ctx context.Context, db *DB, query string, args []any, scan func(scanner) (T, error), before *int64, yield func(T, error) bool) (more bool, _ error) {
	// The query has its own context, cancelled when it is left early:
	// closing a result set that is still arriving would otherwise read it
	// to the end (pgx drains it), where cancelling stops the query.
	qctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rows, err := db.query(qctx, query, args...)
	if err != nil {
		return false, err
	}
	defer func() {
		cancel()
		rows.Close()
	}()
	deadline := time.Now().Add(db.dialect.streamHold)
	s := &seqScanner{s: rows, seq: before}
	for n := 1; rows.Next(); n++ {
		// database/sql notices a cancelled context in the background; this
		// check makes the end deterministic: no row after ctx is done.
		if err := ctx.Err(); err != nil {
			return false, err
		}
		v, err := scan(s)
		if err != nil {
			return false, err
		}
		if !yield(v, nil) {
			return false, nil
		}
		// The clock every few rows: reading it cost about 1 % of an export.
		if n%16 == 0 && time.Now().After(deadline) {
			return true, nil
		}
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	return false, rows.Err()
}

// streamChunk reads the rows of one query of streamRows (one chunk, its
// LIMIT the last argument) whole, closes it, then yields them; it reports
// whether the chunk was full, so that more may follow from *before.
func streamChunk[T any](ctx context.Context, db *DB, query string, args []any, scan func(scanner) (T, error), before *int64, yield func(T, error) bool) (more bool, _ error) {
	var chunk []T
	var s *seqScanner
	err := db.scanRows(ctx, func(rows *sql.Rows) error {
		if s == nil {
			s = &seqScanner{s: rows, seq: before}
		}
		v, err := scan(s)
		chunk = append(chunk, v)
		return err
	}, query, args...)
	if err != nil {
		return false, err
	}
	for _, v := range chunk {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		if !yield(v, nil) {
			return false, nil
		}
	}
	return len(chunk) == db.dialect.exportChunk, nil
}

// seqScanner reads a row's leading seq column into seq, and the rest
// into the destinations the caller gives.
type seqScanner struct {
	s    scanner
	seq  *int64
	dest []any // reused from row to row
}

func (w *seqScanner) Scan(dest ...any) error {
	w.dest = append(append(w.dest[:0], w.seq), dest...)
	return w.s.Scan(w.dest...)
}

func scanEntry(s scanner) (*partnerd.Entry, error) {
	var e partnerd.Entry
	var created int64
	if err := s.Scan(&e.TransactionID, &e.AccountAuthID, &e.Type, &e.Amount, &e.Currency, &e.BalanceBefore,
		&e.BalanceAfter, &e.Description, &e.InitiatedBy, &e.Reference, &created); err != nil {
		return nil, err
	}
	e.CreatedAt = time.Unix(created, 0).UTC()
	return &e, nil
}
