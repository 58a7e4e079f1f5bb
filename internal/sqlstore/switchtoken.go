package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/secret"
)

var _ partnerd.SwitchTokenService = (*DB)(nil)

// CreateSwitchToken stores a new switch token's hash and returns the token.
func (db *DB) CreateSwitchToken(ctx context.Context, in partnerd.SwitchTokenInput) (_ *partnerd.SwitchToken, _ string, err error) {
	defer wrapErr("create switch token", &err)
	if err := in.Validate(); err != nil {
		return nil, "", err
	}
	token := secret.NewToken()
	st := &partnerd.SwitchToken{Name: in.Name, CreatedAt: db.now()}
	for attempt := 0; ; attempt++ {
		st.ID = partnerd.NewSwitchTokenID()
		_, err := write(ctx, db, func(tx *txn) (*partnerd.SwitchToken, error) {
			_, err := tx.exec(`INSERT INTO switch_tokens (id, name, token_hash, created_at) VALUES (?, ?, ?, ?)`,
				st.ID, st.Name, secret.HashToken(token), st.CreatedAt.Unix())
			if isUniqueViolation(err) {
				// The token is 238 random bits: only the id can collide.
				return nil, errIDCollision
			}
			db.audit(tx, "", "", partnerd.AuditSwitchTokenNew, st.ID)
			return st, err
		})
		if errors.Is(err, errIDCollision) && attempt < 10 {
			continue
		}
		if err != nil {
			return nil, "", err
		}
		return st, token, nil
	}
}

// switchTokenColumns is the select list scanSwitchToken reads.
const switchTokenColumns = `id, name, created_at, revoked_at`

func scanSwitchToken(s scanner, extra ...any) (*partnerd.SwitchToken, error) {
	var st partnerd.SwitchToken
	var created int64
	var revoked sql.NullInt64
	if err := s.Scan(append([]any{&st.ID, &st.Name, &created, &revoked}, extra...)...); err != nil {
		return nil, err
	}
	st.CreatedAt = time.Unix(created, 0).UTC()
	if revoked.Valid {
		t := time.Unix(revoked.Int64, 0).UTC()
		st.RevokedAt = &t
	}
	return &st, nil
}

// ListSwitchTokens returns every switch token, oldest first.
func (db *DB) ListSwitchTokens(ctx context.Context) (_ []*partnerd.SwitchToken, err error) {
	defer wrapErr("list switch tokens", &err)
	rows, err := db.query(ctx, `SELECT `+switchTokenColumns+` FROM switch_tokens ORDER BY seq`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*partnerd.SwitchToken{}
	for rows.Next() {
		st, err := scanSwitchToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, rows.Err()
}

// RevokeSwitchToken marks a token revoked, once.
func (db *DB) RevokeSwitchToken(ctx context.Context, id string) (_ *partnerd.SwitchToken, err error) {
	defer wrapErr("revoke switch token", &err)
	now := db.now()
	return write(ctx, db, func(tx *txn) (*partnerd.SwitchToken, error) {
		if _, err := tx.exec(`UPDATE switch_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, now.Unix(), id); err != nil {
			return nil, err
		}
		st, err := scanSwitchToken(tx.queryRow(`SELECT `+switchTokenColumns+` FROM switch_tokens WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return nil, errSwitchTokenNotFound(id)
		}
		db.audit(tx, "", "", partnerd.AuditSwitchTokenOff, id)
		return st, err
	})
}

func errSwitchTokenNotFound(id string) error {
	return partnerd.Errorf(partnerd.ECNotFound, "No switch token %q exists.", id)
}

// SwitchCredential returns the token whose hash is tokenHash, revoked or not.
func (db *DB) SwitchCredential(ctx context.Context, tokenHash []byte) (*partnerd.SwitchCredential, error) {
	st, err := scanSwitchToken(db.queryRow(ctx, `SELECT `+switchTokenColumns+` FROM switch_tokens WHERE token_hash = ?`, tokenHash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, partnerd.Errorf(partnerd.ECNotFound, "No such switch token.")
	}
	if err != nil {
		return nil, fmt.Errorf("switch credential: %w", err)
	}
	return &partnerd.SwitchCredential{Token: *st, TokenHash: tokenHash}, nil
}
