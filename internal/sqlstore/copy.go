package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"strings"
)

// copyTables are the tables Copy moves, parents before children, each with
// the key that orders its rows, whether that key is a generated sequence,
// and whether the target's own rows are replaced rather than refused.
var copyTables = []struct {
	name     string
	orderBy  string
	identity bool
	replace  bool
}{
	{"partners", "seq", true, false},
	{"wallets", "id", false, false},
	{"accounts", "seq", true, false},
	{"switch_tokens", "seq", true, false},
	{"sip_endpoints", "seq", true, false},
	{"ledger_transactions", "seq", true, false},
	{"ledger_entries", "seq", true, false},
	{"idempotency_keys", "partner_id, key", false, false},
	{"rates", "partner_id, direction, prefix", false, false},
	{"numbers", "seq", true, false},
	{"number_charges", "number, period_start", false, false},
	{"authorizations", "call_uuid", false, false},
	{"cdrs", "seq", true, false},
	{"usage_daily", "partner_id, day, kind", false, false},
	{"usage_daily_account", "partner_id, day, account_auth_id", false, false},
	{"usage_snapshots", "partner_id, day", false, false},
	{"usage_account_totals", "partner_id, day, account_auth_id", false, false},
	{"usage_daily_cause", "partner_id, day, kind, hangup_cause", false, false},
	{"usage_daily_billsec", "partner_id, day, kind, billsec", false, false},
	{"usage_daily_number", "partner_id, number, day, kind", false, false},
	{"events", "seq", true, false},
	{"event_counters", "key", false, false},
	{"webhook_endpoints", "seq", true, false},
	{"webhook_old_secrets", "seq", true, false},
	{"webhook_deliveries", "seq", true, false},
	{"webhook_attempts", "delivery_seq, attempt", false, false},
	{"balance_alerts", "auth_id", false, false},
	{"autotopup_settings", "auth_id", false, false},
	{"autotopup_crossings", "id", false, false},
	{"audit_events", "seq", true, false},
	{"console_passwords", "partner_id", false, false},
	{"console_setup_tokens", "token_hash", false, false},
	{"console_sessions", "id_hash", false, false},
	{"console_signin_failures", "seq", true, false},
	// The key check goes along with the secrets it vouches for, so the
	// copy opens only with the key the source's secrets are sealed under.
	// An empty target opened with a key has a check of its own, for no
	// secret: the source's replaces it (or its absence, for a source from
	// before the check, which the copy then derives on its first start).
	{"meta", "name", false, true},
}

// copyBatch is how many rows one INSERT statement carries.
const copyBatch = 200

// Copy moves every row of src into dst, which must be empty, in one
// transaction of dst: either the whole installation arrives or nothing
// does. Sequence values are kept, so "newest first" orders survive.
// Progress lines go to progress.
func Copy(ctx context.Context, src, dst *DB, progress io.Writer) error {
	for _, t := range copyTables {
		if t.replace {
			continue
		}
		var n int
		if err := dst.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+t.name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("the target database is not empty: table %s has %d rows", t.name, n)
		}
	}
	// One snapshot of the source, even if a server is still writing to it.
	stx, err := src.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: src.dialect.snapshot})
	if err != nil {
		return err
	}
	defer stx.Rollback()
	dtx, err := dst.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer dtx.Rollback()
	for _, t := range copyTables {
		if t.replace {
			if _, err := dtx.ExecContext(ctx, `DELETE FROM `+t.name); err != nil {
				return fmt.Errorf("copy %s: %w", t.name, err)
			}
		}
		if err := copyTable(ctx, stx, dtx, dst.dialect, t.name, t.orderBy, t.identity, progress); err != nil {
			return fmt.Errorf("copy %s: %w", t.name, err)
		}
	}
	return dtx.Commit()
}

func copyTable(ctx context.Context, stx, dtx *sql.Tx, d dialect, table, orderBy string, identity bool, progress io.Writer) error {
	var total int
	if err := stx.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table).Scan(&total); err != nil {
		return err
	}
	rows, err := stx.QueryContext(ctx, `SELECT * FROM `+table+` ORDER BY `+orderBy)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	overriding := ""
	if identity {
		overriding = d.overridingIdentity
	}
	one := "(" + placeholders(len(cols)) + ")"
	insert := func(batch [][]any) error {
		if len(batch) == 0 {
			return nil
		}
		values := strings.TrimSuffix(strings.Repeat(one+", ", len(batch)), ", ")
		args := make([]any, 0, len(batch)*len(cols))
		for _, r := range batch {
			args = append(args, r...)
		}
		_, err := dtx.ExecContext(ctx, d.rebind(`INSERT INTO `+table+` (`+strings.Join(cols, ", ")+`) `+overriding+` VALUES `+values), args...)
		return err
	}
	var batch [][]any
	done := 0
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		batch = append(batch, vals)
		if len(batch) == copyBatch {
			if err := insert(batch); err != nil {
				return err
			}
			done += len(batch)
			batch = batch[:0]
			if done%50_000 == 0 {
				fmt.Fprintf(progress, "  %s: %d/%d rows\n", table, done, total)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if err := insert(batch); err != nil {
		return err
	}
	done += len(batch)
	if identity && d.resetIdentity != "" {
		if _, err := dtx.ExecContext(ctx, fmt.Sprintf(d.resetIdentity, table, table)); err != nil {
			return err
		}
	}
	fmt.Fprintf(progress, "%s: %d rows copied\n", table, done)
	return nil
}
