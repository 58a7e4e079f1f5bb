package sqlstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/partnerd/partnerd"
)

var _ partnerd.IdempotencyService = (*DB)(nil)

func errKeyReused(key string) error {
	return partnerd.Errorf(partnerd.ECIdempotencyReused,
		"Idempotency-Key %q was already used with a different request; use a new key for a new request.", key)
}

// errKeyInUse answers a key whose first request holds it. That request may
// still be running, or may have died with its process, in which case the
// key frees itself when the lease runs out.
func errKeyInUse(key string, retryAfter time.Duration) error {
	e := partnerd.Errorf(partnerd.ECIdempotencyInUse,
		"A request with Idempotency-Key %q is in progress (or died and holds the key until its lease expires); retry later.", key)
	e.RetryAfter = max(retryAfter, time.Second)
	return e
}

// responseAAD binds a stored response to its partner and key.
func responseAAD(partnerID, key string) []byte { return []byte(partnerID + "\x00" + key) }

// ClaimIdempotencyKey implements partnerd.IdempotencyService. A completed
// key is answered from the read pool without touching the writer, so
// replays cost one indexed read.
func (db *DB) ClaimIdempotencyKey(ctx context.Context, req partnerd.IdempotencyRequest) (*partnerd.StoredResponse, *partnerd.IdempotencyClaim, error) {
	if db.box == nil {
		return nil, nil, errors.New("sqlstore: no secret key configured")
	}
	cacheKey := req.PartnerID + "\x00" + req.Key
	if c, ok := db.completed.get(cacheKey, db.Now()); ok {
		if !bytes.Equal(c.fingerprint, req.Fingerprint) {
			return nil, nil, errKeyReused(req.Key)
		}
		// A copy: the caller may append to it.
		return &partnerd.StoredResponse{Status: c.status, Body: slices.Clone(c.body)}, nil, nil
	}
	var fp, resp []byte
	var status int
	var created int64
	err := db.queryRow(ctx, `SELECT fingerprint, status, response, created_at FROM idempotency_keys WHERE partner_id = ? AND key = ?`,
		req.PartnerID, req.Key).Scan(&fp, &status, &resp, &created)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, nil, err
	case status > 0:
		stored, _, err := db.replay(req, fp, status, resp)
		if err == nil {
			// A completed response never changes; remember it until the
			// retention ends, when the database may forget it too.
			db.completed.put(cacheKey, completedKey{fingerprint: fp, status: status, body: stored.Body,
				until: time.Unix(created, 0).Add(partnerd.IdempotencyRetention)})
		}
		return stored, nil, err
	}

	var b [16]byte
	rand.Read(b[:])
	claim := &partnerd.IdempotencyClaim{IdempotencyRequest: req, Token: hex.EncodeToString(b[:])}
	var stored *partnerd.StoredResponse
	err = db.update(ctx, func(tx *txn) error {
		stored = nil // the writer may run this more than once
		now := db.Now().Unix()
		var lockedUntil int64
		var oldClaim string
		err := tx.queryRow(`SELECT fingerprint, status, response, claim, locked_until FROM idempotency_keys
			WHERE partner_id = ? AND key = ?`, req.PartnerID, req.Key).Scan(&fp, &status, &resp, &oldClaim, &lockedUntil)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			_, err := tx.exec(`INSERT INTO idempotency_keys (partner_id, key, fingerprint, claim, status, locked_until, created_at)
				VALUES (?, ?, ?, ?, 0, ?, ?)`, req.PartnerID, req.Key, req.Fingerprint, claim.Token,
				now+int64(partnerd.IdempotencyLease/time.Second), now)
			if isUniqueViolation(err) {
				// Another instance claimed it between our read and insert.
				return errKeyInUse(req.Key, partnerd.IdempotencyLease)
			}
			return err
		case err != nil:
			return err
		case status > 0:
			var rerr error
			stored, _, rerr = db.replay(req, fp, status, resp)
			return rerr
		case lockedUntil > now && !bytes.Equal(fp, req.Fingerprint):
			return errKeyReused(req.Key)
		case lockedUntil > now:
			return errKeyInUse(req.Key, time.Duration(lockedUntil-now)*time.Second)
		}
		// The first request's lease expired (it died without an outcome, so
		// the key is unused): take it over for this request, whatever its
		// body, unless another instance just did.
		res, err := tx.exec(`UPDATE idempotency_keys SET claim = ?, fingerprint = ?, locked_until = ?, created_at = ?
			WHERE partner_id = ? AND key = ? AND claim = ? AND status = 0`, claim.Token, req.Fingerprint,
			now+int64(partnerd.IdempotencyLease/time.Second), now, req.PartnerID, req.Key, oldClaim)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return errKeyInUse(req.Key, partnerd.IdempotencyLease)
		}
		return nil
	})
	if err != nil || stored != nil {
		return stored, nil, err
	}
	return nil, claim, nil
}

func (db *DB) replay(req partnerd.IdempotencyRequest, fp []byte, status int, enc []byte) (*partnerd.StoredResponse, *partnerd.IdempotencyClaim, error) {
	if !bytes.Equal(fp, req.Fingerprint) {
		return nil, nil, errKeyReused(req.Key)
	}
	body, err := db.box.OpenWith(enc, responseAAD(req.PartnerID, req.Key))
	if err != nil {
		return nil, nil, fmt.Errorf("decrypt stored response: %w", err)
	}
	return &partnerd.StoredResponse{Status: status, Body: body}, nil, nil
}

// ReleaseIdempotencyKey forgets the in-flight marker of a request that did
// not succeed, so the key stays unused.
func (db *DB) ReleaseIdempotencyKey(ctx context.Context, c *partnerd.IdempotencyClaim) error {
	return db.update(ctx, func(tx *txn) error {
		_, err := tx.exec(`DELETE FROM idempotency_keys WHERE partner_id = ? AND key = ? AND claim = ? AND status = 0`,
			c.PartnerID, c.Key, c.Token)
		return err
	})
}

// completeClaim stores the response of a claimed request in the
// transaction that makes its effect. If the claim was lost (its lease ran
// out and another request took the key), the effect is refused, so a key
// never has two effects.
func (db *DB) completeClaim(tx *txn, c *partnerd.IdempotencyClaim, result any) error {
	if c == nil || c.Respond == nil {
		return nil
	}
	status, body, err := c.Respond(result)
	if err != nil {
		return err
	}
	// created_at restarts at completion: the retention counts from when
	// the response exists.
	res, err := tx.exec(`UPDATE idempotency_keys SET status = ?, response = ?, locked_until = 0, created_at = ?
		WHERE partner_id = ? AND key = ? AND claim = ? AND status = 0`,
		status, db.box.SealWith(body, responseAAD(c.PartnerID, c.Key)), db.Now().Unix(), c.PartnerID, c.Key, c.Token)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return errKeyInUse(c.Key, partnerd.IdempotencyLease)
	}
	return nil
}

// claimKeyOf is the key a ledger transaction records, if any.
func claimKeyOf(c *partnerd.IdempotencyClaim) *string {
	if c == nil {
		return nil
	}
	return &c.Key
}

// PurgeIdempotencyKeys deletes completed keys older than the retention and
// older markers whose lease ran out. It returns how many it deleted.
func (db *DB) PurgeIdempotencyKeys(ctx context.Context) (int64, error) {
	now := db.Now()
	cutoff := now.Add(-partnerd.IdempotencyRetention).Unix()
	var n int64
	err := db.update(ctx, func(tx *txn) error {
		// A marker still within its lease belongs to a running request.
		res, err := tx.exec(`DELETE FROM idempotency_keys WHERE created_at < ? AND (status > 0 OR locked_until <= ?)`,
			cutoff, now.Unix())
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// completedKeys caches completed idempotency responses, so a replay costs
// no database read. Entries expire when the retention period ends.
type completedKeys struct {
	mu sync.Mutex
	m  map[string]completedKey
}

type completedKey struct {
	fingerprint []byte
	status      int
	body        []byte
	until       time.Time
}

func (c *completedKeys) get(key string, now time.Time) (completedKey, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || now.After(e.until) {
		return completedKey{}, false
	}
	return e, true
}

func (c *completedKeys) put(key string, e completedKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= 10_000 {
		c.m = make(map[string]completedKey) // bounded: start over
	}
	c.m[key] = e
}
