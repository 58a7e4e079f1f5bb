package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/partnerd/partnerd"
)

var _ partnerd.CDRService = (*DB)(nil)

// cdrColumns is what scanCDR reads of cdrs c.
const cdrColumns = `c.call_uuid, c.partner_id, c.account_auth_id, c.direction, c.from_number, c.to_number,
	c.start_time, c.answer_time, c.end_time, c.duration_seconds, c.billsec, c.hangup_cause, c.sip_response_code,
	c.trunk_id, c.context, c.rate_per_minute, c.cost, c.unbilled_amount, c.currency, c.transaction_id, c.created_at`

// cdrStatusSQL selects the calls of each status as partnerd.CallStatus
// derives it, in plain conditions on billsec and hangup_cause rather than
// one CASE expression: PostgreSQL estimates these from its statistics,
// and guessed 0.4 % of the rows for the CASE, so that a later page of a
// common status sorted the whole month instead of walking an index
// (busy, page 100: 2.9 s against a few ms).
var cdrStatusSQL = map[string]string{
	partnerd.CallAnswered: `c.billsec > 0`,
	partnerd.CallNoAnswer: `c.billsec = 0 AND c.hangup_cause = 'NO_ANSWER'`,
	partnerd.CallBusy:     `c.billsec = 0 AND c.hangup_cause = 'USER_BUSY'`,
	partnerd.CallFailed:   `c.billsec = 0 AND (c.hangup_cause IS NULL OR c.hangup_cause NOT IN ('NO_ANSWER', 'USER_BUSY'))`,
}

func scanCDR(s scanner) (*partnerd.CDR, error) {
	var c partnerd.CDR
	var start, end, created int64
	var answer sql.NullInt64
	var sipCode sql.NullInt64
	if err := s.Scan(&c.CallUUID, &c.PartnerID, &c.AccountAuthID, &c.Direction, &c.FromNumber, &c.ToNumber,
		&start, &answer, &end, &c.DurationSeconds, &c.Billsec, &c.HangupCause, &sipCode,
		&c.TrunkID, &c.Context, &c.RatePerMinute, &c.Cost, &c.UnbilledAmount, &c.Currency, &c.TransactionID, &created); err != nil {
		return nil, err
	}
	c.StartTime, c.EndTime, c.CreatedAt = time.Unix(start, 0).UTC(), time.Unix(end, 0).UTC(), time.Unix(created, 0).UTC()
	if answer.Valid {
		t := time.Unix(answer.Int64, 0).UTC()
		c.AnswerTime = &t
	}
	if sipCode.Valid {
		v := int(sipCode.Int64)
		c.SIPResponseCode = &v
	}
	return &c, nil
}

// AccountCDR returns one of a customer's calls.
func (db *DB) AccountCDR(ctx context.Context, partnerID, authID, callUUID string) (_ *partnerd.CDR, err error) {
	defer wrapErr("account CDR", &err)
	if err := db.ownAccount(ctx, partnerID, authID); err != nil {
		return nil, err
	}
	c, err := scanCDR(db.queryRow(ctx, `SELECT `+cdrColumns+` FROM cdrs c WHERE c.call_uuid = ? AND c.account_auth_id = ? AND c.partner_id = ?`,
		callUUID, authID, partnerID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, partnerd.ErrCDRNotFound(callUUID)
	}
	return c, err
}

// ListAccountCDRs returns a page of one customer's calls, newest first.
func (db *DB) ListAccountCDRs(ctx context.Context, partnerID, authID string, f partnerd.CDRFilter) (_ []*partnerd.CDR, _ int, err error) {
	defer wrapErr("list account CDRs", &err)
	if err := db.ownAccount(ctx, partnerID, authID); err != nil {
		return nil, 0, err
	}
	return db.listCDRs(ctx, accountCalls(authID), f, -1)
}

// ListCDRs returns a page of the calls of every customer of the partner,
// newest first.
func (db *DB) ListCDRs(ctx context.Context, partnerID string, f partnerd.CDRFilter) (_ []*partnerd.CDR, _ int, err error) {
	defer wrapErr("list CDRs", &err)
	if f.Search != "" {
		// A term many calls hold may read and count a month of them (a
		// fraction of a second per million): such searches take turns,
		// so that several at once keep neither every core nor every read
		// connection from the switch's requests and the cheap lists.
		select {
		case db.searches <- struct{}{}:
			defer func() { <-db.searches }()
		case <-ctx.Done():
			return nil, 0, ctx.Err()
		}
	}
	// A partner's calls run to millions: its usage aggregates give the
	// total of the common lists without counting rows.
	total, ok, err := db.usageCount(ctx, partnerID, f)
	if err == nil && !ok {
		total, ok, err = db.numberCount(ctx, partnerID, f, false)
	}
	if err != nil {
		return nil, 0, err
	}
	if !ok {
		total = -1
	}
	return db.listCDRs(ctx, partnerCalls(partnerID), f, total)
}

// cdrScope is whose calls a list or an export reads: a condition on
// cdrs c and its arguments.
type cdrScope struct {
	where string
	args  []any
	// partnerWide: every customer's calls of a partner, millions of them.
	partnerWide bool
}

// accountCalls are one customer's calls. They are its partner's
// (ownAccount checked the account): the account's index alone selects them.
func accountCalls(authID string) cdrScope {
	return cdrScope{where: `c.account_auth_id = ?`, args: []any{authID}}
}

// partnerCalls are the calls of every customer of a partner.
func partnerCalls(partnerID string) cdrScope {
	return cdrScope{where: `c.partner_id = ?`, args: []any{partnerID}, partnerWide: true}
}

// newestFirst orders the scope's calls by recording, newest first.
func (s cdrScope) newestFirst() string {
	if s.partnerWide {
		return `c.partner_id DESC, c.seq DESC`
	}
	return `c.seq DESC`
}

// inRecordingOrder is the scope as the rows of a page or an export read
// it. On PostgreSQL, a partner's calls are selected by a range of one
// partner: with an equality the planner drops the partner from the order
// and walks the primary key (seq) backwards, past every other partner's
// calls recorded since (about 1 s for a partner whose last call is a
// million calls ago), where (partner_id, seq) reads only the partner's
// (3 ms for page 100). An exact number's index, (partner_id, number,
// seq), gives the same order under the range: the planner reads it for
// a number of few calls, and (partner_id, seq) for one on most of them
// (a trunk's caller ID: 200 ms -> 2 ms for page 100).
func (db *DB) inRecordingOrder(s cdrScope) cdrScope {
	if !s.partnerWide || db.dialect.name != postgresDialect.name {
		return s
	}
	return cdrScope{where: `c.partner_id >= ? AND c.partner_id <= ?`, args: []any{s.args[0], s.args[0]}, partnerWide: true}
}

// byRecording, for a page of a partner's calls, keeps SQLite's planner off
// the (partner_id, start_time) index, which it prefers without statistics
// and which then sorts a month of calls for every page: a unary + makes
// the day bounds plain filters, so the (partner_id, seq) index gives the
// newest first and the page stops after its rows (first page 460 ms →
// 0.3 ms, page 100 → 5 ms, with 1,000,000 calls in the month).
func (db *DB) byRecording(where string) string {
	if db.dialect.name != "sqlite" {
		return where
	}
	return strings.ReplaceAll(where, "c.start_time", "+c.start_time")
}

// ownAccount checks that authID is one of the partner's customers.
func (db *DB) ownAccount(ctx context.Context, partnerID, authID string) error {
	var n int
	if err := db.queryRow(ctx, `SELECT COUNT(*) FROM accounts WHERE auth_id = ? AND partner_id = ?`, authID, partnerID).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return partnerd.ErrAccountNotFound(authID)
	}
	return nil
}

// cdrWhere is the condition (on cdrs c) and its arguments that selects
// the calls of scope that f selects.
func (db *DB) cdrWhere(scope cdrScope, f partnerd.CDRFilter) (string, []any) {
	where, args := scope.where, slices.Clone(scope.args)
	if !f.From.IsZero() {
		where += ` AND c.start_time >= ?`
		args = append(args, f.From.Unix())
	}
	if !f.To.IsZero() {
		where += ` AND c.start_time < ?`
		args = append(args, f.To.Unix())
	}
	for _, eq := range []struct{ column, value string }{
		{"c.direction", f.Direction}, {"c.from_number", f.FromNumber}, {"c.to_number", f.ToNumber},
		{"c.hangup_cause", f.HangupCause},
	} {
		if eq.value != "" {
			where += ` AND ` + eq.column + ` = ?`
			args = append(args, eq.value)
		}
	}
	if f.Status != "" {
		where += ` AND (` + cdrStatusSQL[f.Status] + `)`
	}
	if f.MinBillsec != nil {
		where += ` AND c.billsec >= ?`
		args = append(args, *f.MinBillsec)
	}
	if f.MaxBillsec != nil {
		where += ` AND c.billsec <= ?`
		args = append(args, *f.MaxBillsec)
	}
	if f.Search != "" {
		where, args = db.cdrSearch(where, args, f.Search)
	}
	return where, args
}

// cdrSearch adds to where the calls whose from_number, to_number or
// call_uuid holds term, ignoring the case of ASCII letters on both
// engines: SQLite's LIKE does, PostgreSQL's ILIKE does. It checks every candidate
// of a partner-wide search (listSearchHits), and filters one customer's
// calls, which its own index reads, and a partner's calls in the order
// they were recorded when a term is too short for trigrams, or held by
// too many calls for its candidates to be fewer.
func (db *DB) cdrSearch(where string, args []any, term string) (string, []any) {
	like := "%" + escapeLike(term) + "%"
	op := db.likeFor(term)
	where += ` AND (c.from_number ` + op + ` ? ESCAPE '\' OR c.to_number ` + op + ` ? ESCAPE '\' OR c.call_uuid ` + op + ` ? ESCAPE '\')`
	return where, append(args, like, like, like)
}

// likeFor is the LIKE operator that matches term ignoring the case of
// its ASCII letters: plain LIKE for a term without letters (digits, as
// numbers mostly are), which PostgreSQL runs faster than ILIKE (measured:
// 180 against 260 ms for a term most of a million calls hold).
func (db *DB) likeFor(term string) string {
	if strings.IndexFunc(term, func(r rune) bool { return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' }) < 0 {
		return "LIKE"
	}
	return db.dialect.caseFreeLike
}

// listCDRs pages through the calls of scope that f selects,
// newest first: by the order they were recorded (seq), which is total.
// total, when not -1, is their number, known without counting.
func (db *DB) listCDRs(ctx context.Context, scope cdrScope, f partnerd.CDRFilter, total int) ([]*partnerd.CDR, int, error) {
	if scope.partnerWide && total < 0 && utf8.RuneCountInString(f.Search) >= minTrigram {
		if out, total, ok, err := db.listSearchHits(ctx, scope, f); ok || err != nil {
			return out, total, err
		}
		// More candidates over every day than it reads: the number
		// counts may still give the span's total.
		n, ok, err := db.numberCount(ctx, scope.args[0].(string), f, true)
		if err != nil {
			return nil, 0, err
		}
		if ok {
			total = n
		}
	}
	where, args := db.cdrWhere(scope, f)
	if total < 0 {
		counted := where
		if scope.partnerWide && (f.ToNumber != "" || f.FromNumber != "") {
			// An exact number's index holds few rows; the month's holds all.
			counted = db.byRecording(where)
		}
		if err := db.queryRow(ctx, `SELECT COUNT(*) FROM cdrs c WHERE `+counted, args...).Scan(&total); err != nil {
			return nil, 0, err
		}
	}
	if total == 0 || f.Page.Offset() >= total {
		return []*partnerd.CDR{}, total, nil
	}
	scope = db.inRecordingOrder(scope)
	where, args = db.cdrWhere(scope, f)
	if scope.partnerWide {
		where = db.byRecording(where)
	}
	rows, err := db.query(ctx, `SELECT `+cdrColumns+` FROM cdrs c WHERE `+where+` ORDER BY `+scope.newestFirst()+` LIMIT ? OFFSET ?`,
		append(args, f.Page.Size, f.Page.Offset())...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := make([]*partnerd.CDR, 0, f.Page.Size)
	for rows.Next() {
		c, err := scanCDR(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, c)
	}
	return out, total, rows.Err()
}

// defaultSearchHitsLimit bounds the candidates a partner-wide search
// reads through its indexes (DB.searchHitsLimit). A term found in more
// calls (a trunk's caller ID, on a month of calls) reads them faster in
// recording order, as a plain filter.
const defaultSearchHitsLimit = 50_000

// searchHits returns a query of the seq of every call of the partner that
// may hold term (3+ characters), and its arguments: the calls of the
// numbers that hold it, found in the partner's distinct numbers and then
// through the exact-number indexes, and the calls whose call_uuid's
// trigrams hold it (migration 00023). Phone numbers are few beside calls,
// and a call_uuid's trigrams are shared by few calls, where those of the
// numbers (digits) are shared by most: the trigram index of all three
// columns this replaced returned long lists to intersect and many calls to
// check. Every candidate is then checked with cdrSearch's LIKE, so the
// result is the same as the plain filter's.
func (db *DB) searchHits(partnerID, term string) (string, []any) {
	like := "%" + escapeLike(term) + "%"
	numbers := `SELECT number FROM cdr_numbers WHERE partner_id = ? AND number ` + db.likeFor(term) + ` ? ESCAPE '\'`
	args := []any{partnerID, partnerID, like, partnerID, partnerID, like}
	uuids, uuidArgs := db.uuidCandidates(partnerID, term)
	// UNION ALL: with UNION, SQLite merges the three in seq order, read
	// from the partner's seq index past every call (0.5 s).
	if db.dialect.name == postgresDialect.name {
		return `SELECT seq FROM cdrs WHERE partner_id = ? AND from_number IN (` + numbers + `)
			UNION ALL SELECT seq FROM cdrs WHERE partner_id = ? AND to_number IN (` + numbers + `)
			UNION ALL ` + uuids, append(args, uuidArgs...)
	}
	// SQLite's planner is held to the number indexes.
	return `SELECT seq FROM cdrs INDEXED BY cdrs_partner_from WHERE partner_id = ? AND from_number IN (` + numbers + `)
		UNION ALL SELECT seq FROM cdrs INDEXED BY cdrs_partner_to WHERE partner_id = ? AND to_number IN (` + numbers + `)
		UNION ALL ` + uuids, append(args, uuidArgs...)
}

// uuidCandidates returns a query of the seq of every call whose call_uuid
// may hold term (3+ characters), and its arguments: through the call_uuid
// trigram index, so of every partner (the caller checks its own).
func (db *DB) uuidCandidates(partnerID, term string) (string, []any) {
	like := "%" + escapeLike(term) + "%"
	if db.dialect.name == postgresDialect.name {
		// The index holds lower(call_uuid) (00023); the same lower() of
		// the pattern keeps every call whose call_uuid holds the term. No
		// ESCAPE clause: backslash is PostgreSQL's default, and the clause
		// would hide the pattern from the index.
		return `SELECT seq FROM cdrs WHERE lower(call_uuid) LIKE lower(?)`, []any{like}
	}
	// The index holds the calls up to its mark (cdrsearch.go); the few
	// after it are checked one by one, in the same statement, so of the
	// same snapshot.
	return `SELECT rowid AS seq FROM cdrs_uuid_search WHERE cdrs_uuid_search MATCH ?
		UNION ALL SELECT seq FROM cdrs INDEXED BY cdrs_partner_seq
			WHERE partner_id = ? AND seq > (SELECT upto FROM cdrs_uuid_search_upto) AND call_uuid LIKE ? ESCAPE '\'`,
		[]any{trigramQuery(term), partnerID, like}
}

// trigramQuery is the FTS5 query of the rows that hold every trigram of
// term (3+ characters): each a quoted string, quotes doubled, ANDed. The
// index keeps no positions (00023), so it cannot match the term as a
// phrase.
func trigramQuery(term string) string {
	r := []rune(term)
	var grams []string
	for i := 0; i+3 <= len(r); i++ {
		g := `"` + strings.ReplaceAll(string(r[i:i+3]), `"`, `""`) + `"`
		if !slices.Contains(grams, g) {
			grams = append(grams, g)
		}
	}
	return strings.Join(grams, " AND ")
}

// listSearchHits is listCDRs for a partner-wide search of 3+ characters:
// it reads the candidates searchHits finds, then those f selects, then the
// page's rows. ok is false when the term has more than db.searchHitsLimit
// candidates.
func (db *DB) listSearchHits(ctx context.Context, scope cdrScope, f partnerd.CDRFilter) (_ []*partnerd.CDR, total int, ok bool, _ error) {
	hits, args := db.searchHits(scope.args[0].(string), f.Search)
	seqs, err := db.seqs(ctx, `SELECT seq FROM (`+hits+`) h LIMIT ?`, append(args, db.searchHitsLimit+1)...)
	if err != nil || len(seqs) > db.searchHitsLimit {
		return nil, 0, false, err
	}
	// A call of a number found as both caller and callee, or by its
	// call_uuid too, came more than once.
	slices.Sort(seqs)
	seqs = slices.Compact(seqs)
	if len(seqs) == 0 {
		return []*partnerd.CDR{}, 0, true, nil
	}
	// The calls among them that f selects, newest first (their number),
	// then the page's.
	from, arg, err := db.among(seqs)
	if err != nil {
		return nil, 0, false, err
	}
	where, args := db.cdrWhere(scope, f)
	matched, err := db.seqs(ctx, `SELECT c.seq FROM `+from+` AND `+where+` ORDER BY c.seq DESC`, append([]any{arg}, args...)...)
	if err != nil {
		return nil, 0, false, err
	}
	lo := min(f.Page.Offset(), len(matched))
	out := []*partnerd.CDR{}
	if page := matched[lo:min(lo+f.Page.Size, len(matched))]; len(page) > 0 {
		if from, arg, err = db.among(page); err != nil {
			return nil, 0, false, err
		}
		err = db.scanRows(ctx, func(rows *sql.Rows) error {
			c, err := scanCDR(rows)
			out = append(out, c)
			return err
		}, `SELECT `+cdrColumns+` FROM `+from+` ORDER BY c.seq DESC`, arg)
	}
	return out, len(matched), true, err
}

// seqs returns the seq column of a query's rows.
func (db *DB) seqs(ctx context.Context, query string, args ...any) ([]int64, error) {
	var out []int64
	err := db.scanRows(ctx, func(rows *sql.Rows) error {
		var seq int64
		err := rows.Scan(&seq)
		out = append(out, seq)
		return err
	}, query, args...)
	return out, err
}

// among returns the FROM clause, ending in a WHERE that a condition may
// follow with AND, of the calls whose seq is in seqs, and its argument:
// on SQLite, a JSON array read first, each call then found by its rowid;
// on PostgreSQL, an array looked up in the primary key.
func (db *DB) among(seqs []int64) (string, any, error) {
	if db.dialect.name == postgresDialect.name {
		return `cdrs c WHERE c.seq = ANY(?::bigint[])`, seqs, nil
	}
	b, err := json.Marshal(seqs)
	return `json_each(?) h CROSS JOIN cdrs c ON c.seq = h.value WHERE TRUE`, string(b), err
}

// AccountCDRsSeq streams every call of a customer that f selects (its
// page ignored), newest first.
func (db *DB) AccountCDRsSeq(ctx context.Context, partnerID, authID string, f partnerd.CDRFilter) iter.Seq2[*partnerd.CDR, error] {
	return func(yield func(*partnerd.CDR, error) bool) {
		if err := db.ownAccount(ctx, partnerID, authID); err != nil {
			yield(nil, fmt.Errorf("account CDRs: %w", err))
			return
		}
		db.streamCDRs(ctx, accountCalls(authID), f, yield)
	}
}

// CDRsSeq streams every call of the partner's customers that f selects
// (its page ignored), newest first.
func (db *DB) CDRsSeq(ctx context.Context, partnerID string, f partnerd.CDRFilter) iter.Seq2[*partnerd.CDR, error] {
	return func(yield func(*partnerd.CDR, error) bool) {
		db.streamCDRs(ctx, partnerCalls(partnerID), f, yield)
	}
}

// streamCDRs yields the calls of scope that f selects as they arrive; a
// consumer that stops early (a client gone) cancels the query.
func (db *DB) streamCDRs(ctx context.Context, scope cdrScope, f partnerd.CDRFilter, yield func(*partnerd.CDR, error) bool) {
	scope = db.inRecordingOrder(scope)
	where, args := db.cdrWhere(scope, f)
	if scope.partnerWide {
		where = db.byRecording(where)
	}
	streamRows(ctx, db, "stream CDRs", `SELECT c.seq, `+cdrColumns+` FROM cdrs c WHERE `+where+` AND c.seq < ? ORDER BY `+scope.newestFirst(),
		args, scanCDR, yield)
}
