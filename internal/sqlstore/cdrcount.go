package sqlstore

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/partnerd/partnerd"
)

// The totals of a partner's CDR lists (meta.total) without counting a
// month of rows: every charge adds its call to the counts of its day
// (in the partner's zone), direction, status (usage_daily), hangup cause
// and whether it was answered (usage_daily_cause, 00020 and 00021) and
// billed seconds (usage_daily_billsec, 00020), in the charge's
// transaction. A list whose days are whole days and whose other filters
// one of these tables answers sums a few hundred rows; any other list
// counts its rows.

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

// addCallFilters counts one call of a partner that started on day in the
// counts the CDR lists' hangup_cause and duration filters read.
func (b *usageBatch) addCallFilters(partnerID string, day int64, direction string, hangupCause *string, billsec int) {
	if b.causes == nil {
		b.causes = make(map[causeKey]causeCounts)
		b.billsec = make(map[billsecKey]int64)
	}
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
	if tx.dialect.dollarParams {
		return b.writeFilterCountsPG(tx, causes, secs)
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
	return addCounts(tx, "usage_daily_billsec", "partner_id, day, kind, billsec", []string{"calls"}, rows)
}

// writeFilterCountsPG adds the sorted counts to both tables in one
// statement over arrays (unnest keeps their order, so rows are locked in
// key order): one round trip, where addCounts' chunks of multi-row VALUES
// took several per batch (1.0-1.4 ms of a 100-call batch's ~10 ms).
func (b *usageBatch) writeFilterCountsPG(tx *txn, causes []causeKey, secs []billsecKey) error {
	if len(causes) == 0 && len(secs) == 0 {
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
	_, err := tx.exec(`WITH causes AS (
			INSERT INTO usage_daily_cause (partner_id, day, kind, hangup_cause, calls, answered)
			SELECT * FROM unnest(?::text[], ?::bigint[], ?::text[], ?::text[], ?::bigint[], ?::bigint[])
			ON CONFLICT (partner_id, day, kind, hangup_cause) DO UPDATE SET calls = usage_daily_cause.calls + excluded.calls,
				answered = usage_daily_cause.answered + excluded.answered)
		INSERT INTO usage_daily_billsec (partner_id, day, kind, billsec, calls)
		SELECT * FROM unnest(?::text[], ?::bigint[], ?::text[], ?::bigint[], ?::bigint[])
		ON CONFLICT (partner_id, day, kind, billsec) DO UPDATE SET calls = usage_daily_billsec.calls + excluded.calls`,
		cp, cd, ck, cc, cn, ca, sp, sd, sk, sb, sn)
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
	where, args := `partner_id = ? AND day >= ? AND day < ?`,
		[]any{partnerID, partnerd.LocalDay(f.From, f.From.Location()), partnerd.LocalDay(f.To, f.To.Location())}
	if f.Direction != "" {
		where += ` AND kind = ?`
		args = append(args, f.Direction)
	}
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
