package sqlstore

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/partnerd/partnerd"
)

var _ partnerd.ConsoleService = (*DB)(nil)

// consoleTouchEvery bounds how often a session's last use is written: a
// page view within a minute of the last write changes nothing, so reading
// pages costs no write each.
const consoleTouchEvery = time.Minute

func hashConsoleToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// CreateConsoleSetupToken stores the hash of a new random 256-bit token.
func (db *DB) CreateConsoleSetupToken(ctx context.Context, partnerID string) (_ string, _ time.Time, err error) {
	defer wrapErr("create console setup token", &err)
	var b [32]byte
	rand.Read(b[:])
	token := base64.RawURLEncoding.EncodeToString(b[:])
	expires := db.now().Add(partnerd.ConsoleSetupValidity)
	err = db.update(ctx, func(tx *txn) error {
		var n int
		if err := tx.queryRow(`SELECT COUNT(*) FROM partners WHERE id = ?`, partnerID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return partnerd.Errorf(partnerd.ECNotFound, "No partner %q exists.", partnerID)
		}
		// Only the newest link works: an older one, perhaps sent where it
		// should not have been, is spent.
		if err := spendSetupTokens(tx, partnerID, db.now().Unix()); err != nil {
			return err
		}
		_, err := tx.exec(`INSERT INTO console_setup_tokens (token_hash, partner_id, expires_at) VALUES (?, ?, ?)`,
			hashConsoleToken(token), partnerID, expires.Unix())
		db.audit(tx, partnerID, "", partnerd.AuditConsoleLink, partnerID)
		return err
	})
	if err != nil {
		return "", time.Time{}, err
	}
	return token, expires, nil
}

// ConsoleSetupPartner returns the partner of a valid, unused token.
func (db *DB) ConsoleSetupPartner(ctx context.Context, token string) (_ *partnerd.Partner, err error) {
	defer wrapErr("console setup partner", &err)
	var id string
	err = db.queryRow(ctx, `SELECT partner_id FROM console_setup_tokens WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?`,
		hashConsoleToken(token), db.now().Unix()).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, partnerd.ErrConsoleSetupInvalid()
	}
	if err != nil {
		return nil, err
	}
	return db.Partner(ctx, id)
}

// UseConsoleSetupToken spends the token (a guarded update: of two uses at
// once, one wins), sets the password and ends the partner's sessions.
func (db *DB) UseConsoleSetupToken(ctx context.Context, token, passwordHash string) (_ *partnerd.Partner, err error) {
	defer wrapErr("use console setup token", &err)
	now := db.now().Unix()
	var id string
	err = db.update(ctx, func(tx *txn) error {
		h := hashConsoleToken(token)
		err := tx.queryRow(`SELECT partner_id FROM console_setup_tokens WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?`, h, now).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return partnerd.ErrConsoleSetupInvalid()
		}
		if err != nil {
			return err
		}
		res, err := tx.exec(`UPDATE console_setup_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL`, now, h)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			if err != nil {
				return err
			}
			return partnerd.ErrConsoleSetupInvalid()
		}
		if err := setConsolePassword(tx, id, passwordHash, now); err != nil {
			return err
		}
		_, err = tx.exec(`DELETE FROM console_sessions WHERE partner_id = ?`, id)
		db.audit(tx, id, "", partnerd.AuditConsolePassword, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return db.Partner(ctx, id)
}

// setConsolePassword sets a partner's console password and spends its
// unused setup links: a link must not set a password over one the partner
// chose since it was made (an old link would take the console back).
func setConsolePassword(tx *txn, partnerID, hash string, now int64) error {
	// An upsert both engines speak.
	_, err := tx.exec(`INSERT INTO console_passwords (partner_id, password_hash, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (partner_id) DO UPDATE SET password_hash = excluded.password_hash, updated_at = excluded.updated_at`,
		partnerID, hash, now)
	if err != nil {
		return err
	}
	return spendSetupTokens(tx, partnerID, now)
}

// spendSetupTokens marks a partner's unused setup links used.
func spendSetupTokens(tx *txn, partnerID string, now int64) error {
	_, err := tx.exec(`UPDATE console_setup_tokens SET used_at = ? WHERE partner_id = ? AND used_at IS NULL`, now, partnerID)
	return err
}

// SetConsolePassword replaces a partner's console password, ends its
// other sessions (a password change is how a partner throws out whoever
// else holds one) and forgets its email's failures up to attempt.
func (db *DB) SetConsolePassword(ctx context.Context, partnerID, passwordHash string, keepSession []byte, attempt int64) error {
	now := db.now().Unix()
	err := db.update(ctx, func(tx *txn) error {
		var email string
		if err := tx.queryRow(`SELECT email FROM partners WHERE id = ?`, partnerID).Scan(&email); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return partnerd.Errorf(partnerd.ECNotFound, "No partner %q exists.", partnerID)
			}
			return err
		}
		db.audit(tx, partnerID, "", partnerd.AuditConsolePassword, partnerID)
		if err := setConsolePassword(tx, partnerID, passwordHash, now); err != nil {
			return err
		}
		q, args := `DELETE FROM console_sessions WHERE partner_id = ?`, []any{partnerID}
		if keepSession != nil {
			q, args = q+` AND id_hash <> ?`, append(args, keepSession)
		}
		if _, err := tx.exec(q, args...); err != nil {
			return err
		}
		return forgetConsoleFailures(tx, email, attempt)
	})
	if err != nil {
		return fmt.Errorf("set console password: %w", err)
	}
	return nil
}

// ConsoleSignIn reads the partner with email, its password hash and the
// email's lockout.
func (db *DB) ConsoleSignIn(ctx context.Context, email string) (_ *partnerd.ConsoleSignIn, err error) {
	defer wrapErr("console sign-in", &err)
	email = normalEmail(email)
	out := &partnerd.ConsoleSignIn{}
	var ats []int64
	err = db.scanRows(ctx, func(rows *sql.Rows) error {
		var at int64
		err := rows.Scan(&at)
		ats = append(ats, at)
		return err
	}, consoleFailuresQuery, email, partnerd.ConsoleLockFailures)
	if err != nil {
		return nil, err
	}
	out.LockedUntil = consoleLockedUntil(ats)
	return out, db.consoleSignInPartner(ctx, out, email)
}

// consoleFailuresQuery reads an email's newest failures, newest first.
const consoleFailuresQuery = `SELECT at FROM console_signin_failures WHERE email = ? ORDER BY at DESC, seq DESC LIMIT ?`

// consoleLockedUntil is the end of the lock that the newest failures
// (newest first) make, zero if none: the lock starts at the failure that
// made ConsoleLockFailures within ConsoleLockWindow. No failure is
// recorded while locked, so that failure is the newest.
func consoleLockedUntil(ats []int64) time.Time {
	if len(ats) < partnerd.ConsoleLockFailures {
		return time.Time{}
	}
	newest, oldest := time.Unix(ats[0], 0), time.Unix(ats[partnerd.ConsoleLockFailures-1], 0)
	if newest.Sub(oldest) > partnerd.ConsoleLockWindow {
		return time.Time{}
	}
	return newest.Add(partnerd.ConsoleLockDuration).UTC()
}

func (db *DB) consoleSignInPartner(ctx context.Context, out *partnerd.ConsoleSignIn, email string) error {
	var id string
	var hash sql.NullString
	err := db.queryRow(ctx, `SELECT p.id, c.password_hash FROM partners p LEFT JOIN console_passwords c ON c.partner_id = p.id
		WHERE p.email = ?`, email).Scan(&id, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	if out.Partner, err = db.Partner(ctx, id); err != nil {
		return err
	}
	out.PasswordHash = hash.String
	return nil
}

func normalEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// BeginConsoleSignIn checks the email's lockout and, unless it is locked,
// records the attempt as a failure in the same transaction, before any
// password is checked: of many attempts at once, on any instance, only
// the first ConsoleLockFailures of a window get a password check. The
// attempt's success forgets it (CreateConsoleSession, SetConsolePassword).
func (db *DB) BeginConsoleSignIn(ctx context.Context, email string) (_ *partnerd.ConsoleSignIn, err error) {
	defer wrapErr("begin console sign-in", &err)
	email = normalEmail(email)
	now := db.now()
	out, err := write(ctx, db, func(tx *txn) (*partnerd.ConsoleSignIn, error) {
		// Lockout bookkeeping, not a change of the partner's: no audit row
		// (a password change's own write records one).
		tx.readOnly()
		if err := lockConsoleEmail(tx, email); err != nil {
			return nil, err
		}
		if _, err := tx.exec(`DELETE FROM console_signin_failures WHERE email = ? AND at < ?`,
			email, now.Add(-partnerd.ConsoleLockWindow-partnerd.ConsoleLockDuration).Unix()); err != nil {
			return nil, err
		}
		var ats []int64
		err := tx.scanRows(func(rows *sql.Rows) error {
			var at int64
			err := rows.Scan(&at)
			ats = append(ats, at)
			return err
		}, consoleFailuresQuery, email, partnerd.ConsoleLockFailures)
		if err != nil {
			return nil, err
		}
		out := &partnerd.ConsoleSignIn{LockedUntil: consoleLockedUntil(ats)}
		if out.LockedUntil.After(now) {
			return out, nil
		}
		out.LockedUntil = time.Time{}
		err = tx.queryRow(`INSERT INTO console_signin_failures (email, at) VALUES (?, ?) RETURNING seq`, email, now.Unix()).Scan(&out.Attempt)
		return out, err
	})
	if err != nil {
		return nil, err
	}
	return out, db.consoleSignInPartner(ctx, out, email)
}

// lockConsoleEmail serialises, on PostgreSQL, the sign-ins of one email
// from every instance until the transaction ends, so that counting its
// failures and recording one are one step. SQLite's one writer
// serialises them already.
func lockConsoleEmail(tx *txn, email string) error {
	if tx.dialect.name != postgresDialect.name {
		return nil
	}
	_, err := tx.exec(`SELECT pg_advisory_xact_lock(hashtextextended('console:' || CAST(? AS TEXT), 0))`, email)
	return err
}

// forgetConsoleFailures forgets the email's failures up to attempt: those
// of attempts that began later stay counted.
func forgetConsoleFailures(tx *txn, email string, attempt int64) error {
	_, err := tx.exec(`DELETE FROM console_signin_failures WHERE email = ? AND seq <= ?`, normalEmail(email), attempt)
	return err
}

// CreateConsoleSession stores a session and forgets the email's failures
// up to the sign-in's attempt.
func (db *DB) CreateConsoleSession(ctx context.Context, partnerID string, idHash []byte, email string, attempt int64) error {
	now := db.now().Unix()
	err := db.update(ctx, func(tx *txn) error {
		if err := forgetConsoleFailures(tx, email, attempt); err != nil {
			return err
		}
		// Sessions idle past the timeout are deleted as new ones start.
		if _, err := tx.exec(`DELETE FROM console_sessions WHERE partner_id = ? AND last_seen_at <= ?`,
			partnerID, now-int64(partnerd.ConsoleSessionIdle/time.Second)); err != nil {
			return err
		}
		_, err := tx.exec(`INSERT INTO console_sessions (id_hash, partner_id, created_at, last_seen_at) VALUES (?, ?, ?, ?)`,
			idHash, partnerID, now, now)
		db.audit(tx, partnerID, "", partnerd.AuditConsoleSignIn, partnerID)
		return err
	})
	if err != nil {
		return fmt.Errorf("create console session: %w", err)
	}
	return nil
}

// ConsoleSession returns the partner of a live session and marks it used
// (at most once a minute).
func (db *DB) ConsoleSession(ctx context.Context, idHash []byte) (_ *partnerd.Partner, err error) {
	defer wrapErr("console session", &err)
	now := db.now()
	var id string
	var seen int64
	err = db.queryRow(ctx, `SELECT partner_id, last_seen_at FROM console_sessions WHERE id_hash = ? AND last_seen_at > ?`,
		idHash, now.Add(-partnerd.ConsoleSessionIdle).Unix()).Scan(&id, &seen)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, partnerd.Errorf(partnerd.ECNotFound, "No such console session.")
	}
	if err != nil {
		return nil, err
	}
	if now.Sub(time.Unix(seen, 0)) >= consoleTouchEvery {
		if err := db.update(ctx, func(tx *txn) error {
			_, err := tx.exec(`UPDATE console_sessions SET last_seen_at = ? WHERE id_hash = ?`, now.Unix(), idHash)
			return err
		}); err != nil {
			return nil, err
		}
	}
	return db.Partner(ctx, id)
}

// DeleteConsoleSession signs one session out.
func (db *DB) DeleteConsoleSession(ctx context.Context, idHash []byte) error {
	err := db.update(ctx, func(tx *txn) error {
		var partnerID string
		err := tx.queryRow(`SELECT partner_id FROM console_sessions WHERE id_hash = ?`, idHash).Scan(&partnerID)
		if errors.Is(err, sql.ErrNoRows) {
			tx.readOnly() // signed out already
			return nil
		}
		if err != nil {
			return err
		}
		if _, err := tx.exec(`DELETE FROM console_sessions WHERE id_hash = ?`, idHash); err != nil {
			return err
		}
		db.audit(tx, partnerID, "", partnerd.AuditConsoleSignOut, partnerID)
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete console session: %w", err)
	}
	return nil
}

// DeleteConsoleSessions signs every session of a partner out.
func (db *DB) DeleteConsoleSessions(ctx context.Context, partnerID string) error {
	err := db.update(ctx, func(tx *txn) error {
		_, err := tx.exec(`DELETE FROM console_sessions WHERE partner_id = ?`, partnerID)
		db.audit(tx, partnerID, "", partnerd.AuditConsoleSignOut, partnerID)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete console sessions: %w", err)
	}
	return nil
}

// endConsoleSessions ends every console session of a partner that stops
// being active (SetPartner), so that none works again if it is made
// active later.
func endConsoleSessions(tx *txn, partnerID string) error {
	_, err := tx.exec(`DELETE FROM console_sessions WHERE partner_id = ?`, partnerID)
	return err
}

// DailyUsage reads the usage aggregates of the days from to to (local
// midnights in the partner's zone), one row per day, empty days as zero.
func (db *DB) DailyUsage(ctx context.Context, partnerID string, from, to time.Time) (_ []partnerd.DailyUsage, err error) {
	defer wrapErr("daily usage", &err)
	loc := from.Location()
	first, last := partnerd.LocalDay(from, loc), partnerd.LocalDay(to, loc)
	rows, err := db.query(ctx, `SELECT day, COALESCE(SUM(calls), 0), COALESCE(SUM(spend), 0) FROM usage_daily
		WHERE partner_id = ? AND day >= ? AND day <= ? GROUP BY day`, partnerID, first, last)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	byDay := map[int64]partnerd.DailyUsage{}
	for rows.Next() {
		var day int64
		var u partnerd.DailyUsage
		if err := rows.Scan(&day, &u.Calls, &u.Spend); err != nil {
			return nil, err
		}
		byDay[day] = u
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []partnerd.DailyUsage
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		u := byDay[partnerd.LocalDay(d, loc)]
		u.Day = d
		out = append(out, u)
	}
	return out, nil
}

// LowBalanceAccounts lists the partner's active customers under its
// threshold, newest first: the overview's list, as the dashboard counts
// them. Newest first walks the partner's accounts index backwards and
// stops at limit, so a partner with many low customers costs little.
func (db *DB) LowBalanceAccounts(ctx context.Context, partnerID string, limit int) (_ []*partnerd.Account, err error) {
	defer wrapErr("low balance accounts", &err)
	p, err := db.Partner(ctx, partnerID)
	if err != nil {
		return nil, err
	}
	rows, err := db.query(ctx, `SELECT a.auth_id, a.name, a.status, w.balance FROM accounts a JOIN wallets w ON w.id = a.auth_id
		WHERE a.partner_id = ? AND a.status = 'active' AND w.balance < ? ORDER BY a.seq DESC LIMIT ?`, partnerID, p.LowBalance, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*partnerd.Account{}
	for rows.Next() {
		a := &partnerd.Account{PartnerID: partnerID, Currency: p.Currency}
		if err := rows.Scan(&a.AuthID, &a.Name, &a.Status, &a.Balance); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}
