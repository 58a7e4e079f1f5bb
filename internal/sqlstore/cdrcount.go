package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/partnerd/partnerd"
)

// The totals of a partner's CDR lists (meta.total) without counting a
// month of rows: every charge adds its call to the counts of its day
// (in the partner's zone), direction, status (usage_daily), hangup cause
// and whether it was answered (usage_daily_cause, 00020 and 00021) and
// billed seconds (usage_daily_billsec, 00020), and its numbers, as caller
// and as callee (usage_daily_number, 00026), in the charge's transaction.
// A list whose days are whole days and whose other filters one of these
// tables answers sums a few hundred rows; any other list counts its rows.

type causeKey struct {
	partnerID string
	day       int64
	kind      string
	cause     string // "" for none
}

// causeCounts are a cause's calls, and how many of them were answered.
type causeCounts struct {
	calls, answered int64
}

type billsecKey struct {
	partnerID string
	day       int64
	kind      string
	billsec   int64
}

type numberKey struct {
	partnerID string
	number    string
	day       int64
	kind      string
}

// numberCounts are a number's calls as caller and as callee.
type numberCounts struct {
	from, to int64
}

// addCallFilters counts one call of a partner that started on day in the
// counts the CDR lists' hangup_cause, duration and number filters read.
func (b *usageBatch) addCallFilters(partnerID string, day int64, direction, from, to string, hangupCause *string, billsec int) {
	if b.causes == nil {
		b.causes = make(map[causeKey]causeCounts)
		b.billsec = make(map[billsecKey]int64)
		b.numbers = make(map[numberKey]numberCounts)
	}
	k := numberKey{partnerID, from, day, direction}
	n := b.numbers[k]
	n.from++
	b.numbers[k] = n
	k.number = to
	n = b.numbers[k]
	n.to++
	b.numbers[k] = n
	cause := ""
	if hangupCause != nil {
		cause = *hangupCause
	}
	c := b.causes[causeKey{partnerID, day, direction, cause}]
	c.calls++
	if partnerd.CallStatus(billsec, hangupCause) == partnerd.CallAnswered {
		c.answered++
	}
	b.causes[causeKey{partnerID, day, direction, cause}] = c
	b.billsec[billsecKey{partnerID, day, direction, int64(billsec)}]++
}

// writeFilterCounts adds the batch's filter counts to their tables, in key
// order: every writer locks the rows it shares with another in the same
// order, so concurrent batches (PostgreSQL) wait and never deadlock.
func (b *usageBatch) writeFilterCounts(tx *txn) error {
	causes := slices.SortedFunc(maps.Keys(b.causes), func(x, y causeKey) int {
		return cmp.Or(strings.Compare(x.partnerID, y.partnerID), cmp.Compare(x.day, y.day),
			strings.Compare(x.kind, y.kind), strings.Compare(x.cause, y.cause))
	})
	secs := slices.SortedFunc(maps.Keys(b.billsec), func(x, y billsecKey) int {
		return cmp.Or(strings.Compare(x.partnerID, y.partnerID), cmp.Compare(x.day, y.day),
			strings.Compare(x.kind, y.kind), cmp.Compare(x.billsec, y.billsec))
	})
	numbers := slices.SortedFunc(maps.Keys(b.numbers), func(x, y numberKey) int {
		return cmp.Or(strings.Compare(x.partnerID, y.partnerID), strings.Compare(x.number, y.number),
			cmp.Compare(x.day, y.day), strings.Compare(x.kind, y.kind))
	})
	if tx.dialect.dollarParams {
		return b.writeFilterCountsPG(tx, causes, secs, numbers)
	}
	rows := make([][]any, len(causes))
	for i, k := range causes {
		c := b.causes[k]
		rows[i] = []any{k.partnerID, k.day, k.kind, k.cause, c.calls, c.answered}
	}
	if err := addCounts(tx, "usage_daily_cause", "partner_id, day, kind, hangup_cause", []string{"calls", "answered"}, rows); err != nil {
		return err
	}
	rows = make([][]any, len(secs))
	for i, k := range secs {
		rows[i] = []any{k.partnerID, k.day, k.kind, k.billsec, b.billsec[k]}
	}
	if err := addCounts(tx, "usage_daily_billsec", "partner_id, day, kind, billsec", []string{"calls"}, rows); err != nil {
		return err
	}
	rows = make([][]any, len(numbers))
	for i, k := range numbers {
		n := b.numbers[k]
		rows[i] = []any{k.partnerID, k.number, k.day, k.kind, n.from, n.to}
	}
	return addCounts(tx, "usage_daily_number", "partner_id, number, day, kind", []string{"from_calls", "to_calls"}, rows)
}

// writeFilterCountsPG adds the sorted counts to the three tables in one
// statement over arrays (unnest keeps their order, so rows are locked in
// key order): one round trip, where addCounts' chunks of multi-row VALUES
// took several per batch (1.0-1.4 ms of a 100-call batch's ~10 ms).
func (b *usageBatch) writeFilterCountsPG(tx *txn, causes []causeKey, secs []billsecKey, numbers []numberKey) error {
	if len(causes) == 0 && len(secs) == 0 && len(numbers) == 0 {
		return nil
	}
	cp, cd, ck, cc, cn, ca := make([]string, len(causes)), make([]int64, len(causes)), make([]string, len(causes)),
		make([]string, len(causes)), make([]int64, len(causes)), make([]int64, len(causes))
	for i, k := range causes {
		c := b.causes[k]
		cp[i], cd[i], ck[i], cc[i], cn[i], ca[i] = k.partnerID, k.day, k.kind, k.cause, c.calls, c.answered
	}
	sp, sd, sk, sb, sn := make([]string, len(secs)), make([]int64, len(secs)), make([]string, len(secs)),
		make([]int64, len(secs)), make([]int64, len(secs))
	for i, k := range secs {
		sp[i], sd[i], sk[i], sb[i], sn[i] = k.partnerID, k.day, k.kind, k.billsec, b.billsec[k]
	}
	np, nn, nd, nk, nf, nt := make([]string, len(numbers)), make([]string, len(numbers)), make([]int64, len(numbers)),
		make([]string, len(numbers)), make([]int64, len(numbers)), make([]int64, len(numbers))
	for i, k := range numbers {
		c := b.numbers[k]
		np[i], nn[i], nd[i], nk[i], nf[i], nt[i] = k.partnerID, k.number, k.day, k.kind, c.from, c.to
	}
	_, err := tx.exec(`WITH causes AS (
			INSERT INTO usage_daily_cause (partner_id, day, kind, hangup_cause, calls, answered)
			SELECT * FROM unnest(?::text[], ?::bigint[], ?::text[], ?::text[], ?::bigint[], ?::bigint[])
			ON CONFLICT (partner_id, day, kind, hangup_cause) DO UPDATE SET calls = usage_daily_cause.calls + excluded.calls,
				answered = usage_daily_cause.answered + excluded.answered),
		secs AS (
			INSERT INTO usage_daily_billsec (partner_id, day, kind, billsec, calls)
			SELECT * FROM unnest(?::text[], ?::bigint[], ?::text[], ?::bigint[], ?::bigint[])
			ON CONFLICT (partner_id, day, kind, billsec) DO UPDATE SET calls = usage_daily_billsec.calls + excluded.calls)
		INSERT INTO usage_daily_number (partner_id, number, day, kind, from_calls, to_calls)
		SELECT * FROM unnest(?::text[], ?::text[], ?::bigint[], ?::text[], ?::bigint[], ?::bigint[])
		ON CONFLICT (partner_id, number, day, kind) DO UPDATE SET from_calls = usage_daily_number.from_calls + excluded.from_calls,
			to_calls = usage_daily_number.to_calls + excluded.to_calls`,
		cp, cd, ck, cc, cn, ca, sp, sd, sk, sb, sn, np, nn, nd, nk, nf, nt)
	return err
}

// addCounts adds each row's counts (its last len(counts) values, in the
// columns counts names) to the row of table with its key (the other
// values): several rows per statement, in chunks of a power of two, so
// that a few prepared statements serve any batch.
func addCounts(tx *txn, table, key string, counts []string, rows [][]any) error {
	set := make([]string, len(counts))
	for i, c := range counts {
		set[i] = c + ` = ` + table + `.` + c + ` + excluded.` + c
	}
	for len(rows) > 0 {
		n := 64
		for n > len(rows) {
			n /= 2
		}
		var q strings.Builder
		q.WriteString(`INSERT INTO ` + table + ` (` + key + `, ` + strings.Join(counts, ", ") + `) VALUES `)
		args := make([]any, 0, n*len(rows[0]))
		for i, r := range rows[:n] {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(" + strings.Repeat("?, ", len(r)-1) + "?)")
			args = append(args, r...)
		}
		q.WriteString(` ON CONFLICT (` + key + `) DO UPDATE SET ` + strings.Join(set, ", "))
		if _, err := tx.exec(q.String(), args...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// usageCount is the number of the partner's calls that f selects, from
// the counts, when their tables answer f (ok false otherwise): f's days
// are local midnights in the partner's zone, which the counts' days are
// counted in, and f filters on nothing else but its direction and a
// status, a hangup cause or billed seconds, or a combination of them
// that the tables answer: a cause with a status, billed seconds with the
// answered status, and any status that is not answered with billed
// seconds (such calls bill none).
func (db *DB) usageCount(ctx context.Context, partnerID string, f partnerd.CDRFilter) (n int, ok bool, err error) {
	if f.From.IsZero() || f.To.IsZero() || f.FromNumber != "" || f.ToNumber != "" || f.Search != "" {
		return 0, false, nil
	}
	if _, known := cdrStatusSQL[f.Status]; f.Status != "" && !known {
		return 0, false, nil
	}
	where, args := countedDays(partnerID, f)
	seconds := f.MinBillsec != nil || f.MaxBillsec != nil
	if seconds && f.Status != "" && f.Status != partnerd.CallAnswered {
		// A call that was not answered billed 0 seconds: the bounds
		// keep all of them or none.
		if (f.MinBillsec != nil && *f.MinBillsec > 0) || (f.MaxBillsec != nil && *f.MaxBillsec < 0) {
			return 0, true, nil
		}
		seconds = false
	}
	var query string
	switch {
	case f.HangupCause != "" && seconds:
		return 0, false, nil
	case f.HangupCause != "":
		column := "calls"
		switch f.Status {
		case "":
		case partnerd.CallAnswered:
			column = "answered"
		default:
			// Unanswered calls of a cause all have the status the cause
			// gives them.
			if partnerd.CallStatus(0, &f.HangupCause) != f.Status {
				return 0, true, nil
			}
			column = "calls - answered"
		}
		query = `SELECT COALESCE(SUM(` + column + `), 0) FROM usage_daily_cause WHERE ` + where + ` AND hangup_cause = ?`
		args = append(args, f.HangupCause)
	case seconds:
		lo := 0
		if f.MinBillsec != nil {
			lo = *f.MinBillsec
		}
		if f.Status == partnerd.CallAnswered {
			lo = max(lo, 1) // answered: billsec > 0
		}
		query = `SELECT COALESCE(SUM(calls), 0) FROM usage_daily_billsec WHERE ` + where + ` AND billsec >= ?`
		args = append(args, lo)
		if f.MaxBillsec != nil {
			query += ` AND billsec <= ?`
			args = append(args, *f.MaxBillsec)
		}
	default:
		column := map[string]string{"": "calls", partnerd.CallAnswered: "answered", partnerd.CallFailed: "failed",
			partnerd.CallNoAnswer: "no_answer", partnerd.CallBusy: "busy"}[f.Status]
		query = `SELECT COALESCE(SUM(` + column + `), 0) FROM usage_daily WHERE ` + where + ` AND kind <> 'rental'`
	}
	err = db.queryRow(ctx, query, args...).Scan(&n)
	return n, err == nil, err
}

// searchCountReadLimit bounds the calls a search's count reads one by one
// (searchCount): those whose numbers both hold the term, and the
// candidates of its call_uuid index.
const searchCountReadLimit = 50_000

// numberCount is the number of the partner's calls that f selects, from
// the number counts (usage_daily_number), when they answer f (ok false
// otherwise): f's days are whole days, as for usageCount, and f filters
// on nothing else but its direction and one number, caller or callee, or
// a search (searchCount).
func (db *DB) numberCount(ctx context.Context, partnerID string, f partnerd.CDRFilter, force bool) (n int, ok bool, err error) {
	if f.From.IsZero() || f.To.IsZero() || f.Status != "" || f.HangupCause != "" || f.MinBillsec != nil || f.MaxBillsec != nil ||
		f.FromNumber != "" && (f.ToNumber != "" || f.Search != "") || f.ToNumber != "" && f.Search != "" {
		return 0, false, nil
	}
	where, args := countedDays(partnerID, f)
	column, number := "from_calls", f.FromNumber
	switch {
	case f.FromNumber != "":
	case f.ToNumber != "":
		column, number = "to_calls", f.ToNumber
	case utf8.RuneCountInString(f.Search) >= minTrigram:
		return db.searchCount(ctx, partnerID, f, where, args, force)
	default:
		return 0, false, nil
	}
	err = db.queryRow(ctx, `SELECT COALESCE(SUM(`+column+`), 0) FROM usage_daily_number WHERE `+where+` AND number = ?`,
		append(args, number)...).Scan(&n)
	return n, err == nil, err
}

// countedDays is the condition, and its arguments, that selects the rows
// of a partner's per-day counts for f's days and direction.
func countedDays(partnerID string, f partnerd.CDRFilter) (string, []any) {
	where, args := `partner_id = ? AND day >= ? AND day < ?`,
		[]any{partnerID, partnerd.LocalDay(f.From, f.From.Location()), partnerd.LocalDay(f.To, f.To.Location())}
	if f.Direction != "" {
		where += ` AND kind = ?`
		args = append(args, f.Direction)
	}
	return where, args
}

// searchCount counts the calls of a search of 3+ characters that many
// calls match, in one snapshot: the calls of the numbers that hold the
// term as caller and as callee, summed from the number counts (where and
// args select their days and direction), less those where both numbers
// hold it, counted through the index of the side with fewer calls, plus
// those where only the call_uuid holds it, counted through its trigram
// index. Unless force, ok is false when the numbers' calls are few
// enough for listSearchHits to read (it reads them all, over every day);
// it is false too when the calls it would read one by one are more than
// searchCountReadLimit.
func (db *DB) searchCount(ctx context.Context, partnerID string, f partnerd.CDRFilter, where string, args []any, force bool) (int, bool, error) {
	tx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: db.dialect.snapshot})
	if err != nil {
		return 0, false, err
	}
	defer tx.Rollback()
	row := func(query string, args ...any) *sql.Row {
		return tx.QueryRowContext(ctx, db.dialect.rebind(query), args...)
	}
	like, op := "%"+escapeLike(f.Search)+"%", db.likeFor(f.Search)
	numbers := `SELECT number FROM cdr_numbers WHERE partner_id = ? AND number ` + op + ` ? ESCAPE '\'`
	var from, to int
	if err := row(`SELECT COALESCE(SUM(from_calls), 0), COALESCE(SUM(to_calls), 0) FROM usage_daily_number
		WHERE `+where+` AND number IN (`+numbers+`)`, append(slices.Clone(args), partnerID, like)...).Scan(&from, &to); err != nil {
		return 0, false, err
	}
	if !force && from+to <= db.searchHitsLimit || min(from, to) > searchCountReadLimit {
		return 0, false, nil
	}
	// The calls' own conditions: the partner, the span and the direction.
	calls, callArgs := db.cdrWhere(partnerCalls(partnerID), partnerd.CDRFilter{From: f.From, To: f.To, Direction: f.Direction})
	var both int
	if min(from, to) > 0 {
		side, other, index := "to_number", "from_number", "cdrs_partner_to"
		if from < to {
			side, other, index = "from_number", "to_number", "cdrs_partner_from"
		}
		indexed := ""
		if db.dialect.name != postgresDialect.name {
			indexed = ` INDEXED BY ` + index
		}
		if err := row(`SELECT COUNT(*) FROM cdrs c`+indexed+` WHERE `+calls+` AND c.`+side+` IN (`+numbers+`)
			AND c.`+other+` `+op+` ? ESCAPE '\'`, append(slices.Clone(callArgs), partnerID, like, like)...).Scan(&both); err != nil {
			return 0, false, err
		}
	}
	// The calls of the call_uuids that may hold the term, as searchHits
	// finds them, up to the limit.
	candidates, candidateArgs := db.uuidCandidates(partnerID, f.Search)
	var read, uuids int
	if err := row(`SELECT COUNT(*), COALESCE(SUM(CASE WHEN `+calls+` AND c.call_uuid `+op+` ? ESCAPE '\'
			AND NOT (c.from_number `+op+` ? ESCAPE '\' OR c.to_number `+op+` ? ESCAPE '\') THEN 1 ELSE 0 END), 0)
		FROM (`+candidates+` LIMIT ?) h JOIN cdrs c ON c.seq = h.seq`,
		append(append(slices.Clone(callArgs), like, like, like), append(candidateArgs, searchCountReadLimit+1)...)...).Scan(&read, &uuids); err != nil {
		return 0, false, err
	}
	if read > searchCountReadLimit {
		return 0, false, nil
	}
	return from + to - both + uuids, true, nil
}
