package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/partnerd/partnerd/internal/secret"
)

// ErrWrongKey means the secret key given cannot open the secrets this
// database holds: they were sealed under another key.
var ErrWrongKey = errors.New("the secret key cannot open this database's encrypted secrets")

// ErrKeyNeeded means the database holds encrypted secrets and no key was
// given: a new key would leave every one of them unreadable.
var ErrKeyNeeded = errors.New("this database holds encrypted secrets and no secret key was given")

// keyCheckName is the meta row whose value is keyCheckPlain sealed under
// the database's key. It is written with the first key a database is
// opened with, and carried along by Copy.
const keyCheckName = "key_check"

var keyCheckPlain = []byte("partnerd secret key check")

// sealed is one value sealed under the database's key, and the additional
// data it was sealed with.
type sealed struct {
	what       string // for messages: which row it is
	value, aad []byte
}

// checkKey settles the store's key before it serves anything, so that a
// wrong key fails the start instead of every later read of a secret. The
// database's key check decides; a database from before the check exists
// has it derived from its first secret (a customer token, else a stored
// response) that the key opens; a database without any secret takes the
// key given, or a new one from opts.NewSecretKey.
func (db *DB) checkKey(ctx context.Context, opts Options) (err error) {
	defer wrapErr("secret key", &err)
	if opts.SecretKey == nil && opts.NewSecretKey == nil {
		return nil
	}
	sample, isCheck, err := db.sealedSample(ctx)
	if err != nil {
		return err
	}
	key := opts.SecretKey
	if key == nil {
		if sample != nil {
			return ErrKeyNeeded
		}
		if key, err = opts.NewSecretKey(); err != nil {
			return err
		}
	}
	box, err := secret.NewBox(key)
	if err != nil {
		return err
	}
	if sample != nil {
		if _, err := box.OpenWith(sample.value, sample.aad); err != nil {
			return fmt.Errorf("%w (it cannot open %s)", ErrWrongKey, sample.what)
		}
	}
	if !isCheck {
		// Another process may store its check first (instances starting
		// at once): the one stored is read back and must open too.
		var value []byte
		err := db.update(ctx, func(tx *txn) error {
			if _, err := tx.exec(`INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`,
				keyCheckName, box.SealWith(keyCheckPlain, []byte(keyCheckName))); err != nil {
				return err
			}
			return tx.queryRow(`SELECT value FROM meta WHERE name = ?`, keyCheckName).Scan(&value)
		})
		if err != nil {
			return fmt.Errorf("store key check: %w", err)
		}
		if _, err := box.OpenWith(value, []byte(keyCheckName)); err != nil {
			return fmt.Errorf("%w (it cannot open the key check another process stored)", ErrWrongKey)
		}
	}
	db.box = box
	return nil
}

// sealedSample returns the database's key check (isCheck), or else the
// oldest customer token or stored response, or nil when the database
// holds no secret at all.
func (db *DB) sealedSample(ctx context.Context) (_ *sealed, isCheck bool, _ error) {
	queries := []struct {
		what  string
		query string
		aad   func(a, b string) []byte
	}{
		{"the key check", `SELECT value, name, '' FROM meta WHERE name = '` + keyCheckName + `'`,
			func(name, _ string) []byte { return []byte(name) }},
		{"a customer token", `SELECT token_enc, auth_id, '' FROM accounts ORDER BY seq LIMIT 1`,
			func(authID, _ string) []byte { return []byte(authID) }},
		{"a stored response", `SELECT response, partner_id, key FROM idempotency_keys WHERE response IS NOT NULL LIMIT 1`,
			responseAAD},
	}
	for i, q := range queries {
		var s sealed
		var a, b string
		err := db.read.QueryRowContext(ctx, q.query).Scan(&s.value, &a, &b)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, false, fmt.Errorf("find a sealed value: %w", err)
		}
		s.what, s.aad = q.what, q.aad(a, b)
		return &s, i == 0, nil
	}
	return nil, false, nil
}
