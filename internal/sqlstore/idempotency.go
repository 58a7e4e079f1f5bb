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

// Idempotency keys (API.md §1). A request claims its key with an
// in-flight marker in the database (status 0, held until locked_until), so
// the same key sent to another instance meanwhile is refused with 409; a
// marker whose request died with its process frees the key when its lease
// ends. The key's response is written by the writer in the transaction
// that makes the request's effect, replacing the marker (completeClaim); a
// request that fails deletes its marker, so the key stays unused. Within
// one instance the key is also held in memory (heldKeys), so a duplicate
// there is refused without a write.

var _ partnerd.IdempotencyService = (*DB)(nil)

func errKeyReused(key string) error {
	return partnerd.Errorf(partnerd.ECIdempotencyReused,
		"Idempotency-Key %q was already used with a different request; use a new key for a new request.", key)
}

// errKeyInUse answers a key that another request holds. Retry-After is a
// second whatever the marker's lease: the request holding the key almost
// always ends within it (a client that waited for the lease would wait a
// minute for a replay ready at once), and a retry costs one indexed read.
func errKeyInUse(key string) error {
	e := partnerd.Errorf(partnerd.ECIdempotencyInUse,
		"A request with Idempotency-Key %q is in progress; retry in a moment.", key)
	e.RetryAfter = time.Second
	return e
}

// responseAAD binds a stored response to its partner and key.
func responseAAD(partnerID, key string) []byte { return []byte(partnerID + "\x00" + key) }

func cacheKeyOf(partnerID, key string) string { return partnerID + "\x00" + key }

// ClaimIdempotencyKey implements partnerd.IdempotencyService. A completed
// key is answered from memory or from one indexed read; a new claim holds
// the key in this instance's memory and writes its in-flight marker, until
// ReleaseIdempotencyKey.
func (db *DB) ClaimIdempotencyKey(ctx context.Context, req partnerd.IdempotencyRequest) (*partnerd.StoredResponse, *partnerd.IdempotencyClaim, error) {
	if db.box == nil {
		return nil, nil, errors.New("claim idempotency key: no secret key configured")
	}
	// The stored response is read before the key is held, so that
	// concurrent retries of a completed request all replay it, rather than
	// all but one finding the key held by a request that is only reading.
	if stored, err := db.StoredIdempotencyResponse(ctx, req); err != nil || stored != nil {
		return stored, nil, err
	}
	cacheKey := cacheKeyOf(req.PartnerID, req.Key)
	now := db.Now()
	var b [16]byte
	rand.Read(b[:])
	claim := &partnerd.IdempotencyClaim{IdempotencyRequest: req, Token: hex.EncodeToString(b[:])}
	if held, ok := db.held.hold(cacheKey, claim, now); !ok {
		if !bytes.Equal(held.fingerprint, req.Fingerprint) {
			return nil, nil, errKeyReused(req.Key)
		}
		return nil, nil, errKeyInUse(req.Key)
	}
	// A request of this instance may have completed the key since the
	// read: its response is cached before its hold ends.
	stored, err := db.completedResponse(req, cacheKey, now)
	if stored == nil && err == nil {
		stored, err = db.markInFlight(ctx, claim, now)
	}
	if stored != nil || err != nil {
		db.held.release(cacheKey, claim.Token)
		return stored, nil, err
	}
	return nil, claim, nil
}

// markInFlight writes c's in-flight marker, unless the key's row is
// another request's: then it returns that request's stored response, or
// its refusal (409 while it runs, 422 for a different request).
func (db *DB) markInFlight(ctx context.Context, c *partnerd.IdempotencyClaim, now time.Time) (*partnerd.StoredResponse, error) {
	type outcome struct {
		stored *partnerd.StoredResponse
		err    error
	}
	// The refusal is the result, not an error: a refused claim changes
	// nothing, and must not make the writer rerun its batch.
	o, err := keyWrite(ctx, db, func(q keyQueryer) (outcome, error) {
		res, err := q.exec(`INSERT INTO idempotency_keys (partner_id, key, fingerprint, claim, status, locked_until, created_at)
			VALUES (?, ?, ?, ?, 0, ?, ?)
			ON CONFLICT (partner_id, key) DO UPDATE SET fingerprint = excluded.fingerprint, claim = excluded.claim,
				locked_until = excluded.locked_until, created_at = excluded.created_at
			WHERE idempotency_keys.status = 0 AND idempotency_keys.locked_until <= ?`,
			c.PartnerID, c.Key, c.Fingerprint, c.Token, now.Add(partnerd.IdempotencyLease).Unix(), now.Unix(), now.Unix())
		if err != nil {
			return outcome{}, err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return outcome{}, err
		}
		var k keyRow
		if err := k.scan(q.queryRow(keyRowQuery, c.PartnerID, c.Key)); err != nil {
			// On PostgreSQL the row may have gone since (its request
			// failed): the key is free again, but another request just
			// had it; this one answers as if it came a moment earlier.
			if errors.Is(err, sql.ErrNoRows) {
				return outcome{err: errKeyInUse(c.Key)}, nil
			}
			return outcome{}, err
		}
		stored, err := db.answerKeyRow(c.IdempotencyRequest, k, now)
		if stored == nil && err == nil {
			// The row is neither free nor answered: a moment ago it was.
			err = errKeyInUse(c.Key)
		}
		return outcome{stored, err}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim idempotency key: %w", err)
	}
	return o.stored, o.err
}

// keyQueryer runs the statements of a key's bookkeeping: those of a write
// transaction, or on PostgreSQL statements that commit on their own.
type keyQueryer interface {
	exec(query string, args ...any) (sql.Result, error)
	queryRow(query string, args ...any) *sql.Row
}

// keyWrite runs fn, the bookkeeping of an idempotency key (its in-flight
// marker), which is not a change of anyone's: it records no audit row.
// On SQLite it is one write of the writer's (the one connection that may
// write). On PostgreSQL its statements run on their own, beside the
// writer's batches, and without waiting for the disk (DB.keys): each marker
// made a keyed request wait for a batch of its own before its write's
// batch (measured with three instances: keyed transfers at 0.64-0.73x the
// throughput of the in-memory hold; 0.81x as statements of their own).
func keyWrite[T any](ctx context.Context, db *DB, fn func(q keyQueryer) (T, error)) (T, error) {
	if db.keys != nil {
		return fn(autoCommit{ctx: ctx, db: db.keys, dialect: db.dialect})
	}
	return write(withoutClaim(ctx), db, func(tx *txn) (T, error) {
		tx.readOnly()
		return fn(tx)
	})
}

// autoCommit runs each statement as a transaction of its own.
type autoCommit struct {
	ctx     context.Context
	db      *sql.DB
	dialect dialect
}

func (a autoCommit) exec(query string, args ...any) (sql.Result, error) {
	return a.db.ExecContext(a.ctx, a.dialect.rebind(query), args...)
}

func (a autoCommit) queryRow(query string, args ...any) *sql.Row {
	return a.db.QueryRowContext(a.ctx, a.dialect.rebind(query), args...)
}

// withoutClaim is ctx without the idempotency claim of its request: the
// key's own writes store no response.
func withoutClaim(ctx context.Context) context.Context {
	return partnerd.WithIdempotencyClaim(ctx, nil)
}

// completedResponse answers a key whose response this instance remembers:
// the response, or 422 for a different request; nil and nil when it does
// not remember the key.
func (db *DB) completedResponse(req partnerd.IdempotencyRequest, cacheKey string, now time.Time) (*partnerd.StoredResponse, error) {
	c, ok := db.completed.get(cacheKey, now)
	switch {
	case !ok:
		return nil, nil
	case !bytes.Equal(c.fingerprint, req.Fingerprint):
		return nil, errKeyReused(req.Key)
	}
	// A copy: the caller may append to it.
	return &partnerd.StoredResponse{Status: c.status, Body: slices.Clone(c.body)}, nil
}

// keyRow is a key's row in idempotency_keys.
type keyRow struct {
	fingerprint, response  []byte
	status                 int
	createdAt, lockedUntil int64
}

const keyRowQuery = `SELECT fingerprint, status, response, created_at, locked_until FROM idempotency_keys
	WHERE partner_id = ? AND key = ?`

func (k *keyRow) scan(row *sql.Row) error {
	return row.Scan(&k.fingerprint, &k.status, &k.response, &k.createdAt, &k.lockedUntil)
}

// storedResponse reads the key's row: the stored response of a completed
// request, or nil if the key is unused. A live in-flight marker holds the
// key until its lease ends.
func (db *DB) storedResponse(ctx context.Context, req partnerd.IdempotencyRequest, now time.Time) (*partnerd.StoredResponse, error) {
	var k keyRow
	err := k.scan(db.queryRow(ctx, keyRowQuery, req.PartnerID, req.Key))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("claim idempotency key: %w", err)
	}
	return db.answerKeyRow(req, k, now)
}

// answerKeyRow answers req from its key's row: the stored response of a
// completed request, 422 for a different request, 409 while a marker
// holds the key; nil and nil when the key is unused (a marker whose lease
// ran out: its request died).
func (db *DB) answerKeyRow(req partnerd.IdempotencyRequest, k keyRow, now time.Time) (*partnerd.StoredResponse, error) {
	live := k.status == 0 && k.lockedUntil > now.Unix()
	switch {
	case k.status == 0 && !live:
		return nil, nil
	case !bytes.Equal(k.fingerprint, req.Fingerprint):
		return nil, errKeyReused(req.Key)
	case live:
		return nil, errKeyInUse(req.Key)
	}
	body, err := db.box.OpenWith(k.response, responseAAD(req.PartnerID, req.Key))
	if err != nil {
		return nil, fmt.Errorf("claim idempotency key: decrypt stored response: %w", err)
	}
	// A completed response never changes; remember it until the retention
	// ends, when the database may forget it too.
	db.completed.put(cacheKeyOf(req.PartnerID, req.Key), completedKey{fingerprint: k.fingerprint, status: k.status, body: body,
		until: time.Unix(k.createdAt, 0).Add(partnerd.IdempotencyRetention)})
	return &partnerd.StoredResponse{Status: k.status, Body: slices.Clone(body)}, nil
}

// StoredIdempotencyResponse implements partnerd.IdempotencyService: the
// response this instance remembers for the key, else its row's.
func (db *DB) StoredIdempotencyResponse(ctx context.Context, req partnerd.IdempotencyRequest) (*partnerd.StoredResponse, error) {
	cacheKey := cacheKeyOf(req.PartnerID, req.Key)
	now := db.Now()
	if stored, err := db.completedResponse(req, cacheKey, now); stored != nil || err != nil {
		return stored, err
	}
	return db.storedResponse(ctx, req, now)
}

// ReleaseIdempotencyKey ends a claim's hold. A claim whose request stored
// no response deletes its marker, so the key stays unused (API.md §1);
// should that fail, the marker's lease frees the key.
func (db *DB) ReleaseIdempotencyKey(ctx context.Context, c *partnerd.IdempotencyClaim) error {
	defer db.held.release(cacheKeyOf(c.PartnerID, c.Key), c.Token)
	if c.Completed() {
		return nil // its response replaced the marker
	}
	_, err := keyWrite(ctx, db, func(q keyQueryer) (sql.Result, error) {
		return q.exec(`DELETE FROM idempotency_keys WHERE partner_id = ? AND key = ? AND claim = ? AND status = 0`,
			c.PartnerID, c.Key, c.Token)
	})
	if err != nil {
		return fmt.Errorf("release idempotency key: %w", err)
	}
	return nil
}

// completeClaim runs after every write op, inside the op's part of the
// batch (its savepoint when it has one): with an idempotency claim in ctx,
// it stores the response rendered from the op's result under the key, so
// the effect and its replayable response commit together or not at all.
// It returns what to do once the transaction committed.
//
// Every write goes through it (see (*writer).pass), so a new write cannot
// forget it; a write under a claim whose response cannot be rendered is
// refused rather than applied without one.
func (db *DB) completeClaim(tx *txn, ctx context.Context, result any) (func(), error) {
	c := partnerd.IdempotencyClaimFrom(ctx)
	if c == nil {
		return nil, nil
	}
	switch {
	case c.Completed():
		return nil, fmt.Errorf("idempotency key %q: the request already committed a write; one request makes one write", c.Key)
	case c.Respond == nil || result == nil:
		return nil, fmt.Errorf("idempotency key %q: the write has no response to store (render its result with the claim's Respond)", c.Key)
	}
	status, body, err := c.Respond(result)
	if err != nil {
		return nil, fmt.Errorf("idempotency key %q: render response: %w", c.Key, err)
	}
	now := db.Now()
	// The row is the claim's own marker, or none (its marker's lease ran
	// out and a purge deleted it), or a marker whose lease ran out.
	// Anything else is another request's key: on PostgreSQL this waits for
	// that request's transaction and then sees its row. The retention
	// counts from now, when the response exists.
	res, err := tx.exec(`INSERT INTO idempotency_keys (partner_id, key, fingerprint, claim, status, response, locked_until, created_at)
		VALUES (?, ?, ?, ?, ?, ?, 0, ?)
		ON CONFLICT (partner_id, key) DO UPDATE SET fingerprint = excluded.fingerprint, claim = excluded.claim,
			status = excluded.status, response = excluded.response, locked_until = 0, created_at = excluded.created_at
		WHERE idempotency_keys.status = 0 AND (idempotency_keys.claim = excluded.claim OR idempotency_keys.locked_until <= ?)`,
		c.PartnerID, c.Key, c.Fingerprint, c.Token, status, db.box.SealWith(body, responseAAD(c.PartnerID, c.Key)),
		now.Unix(), now.Unix())
	if err != nil {
		return nil, fmt.Errorf("idempotency key %q: store response: %w", c.Key, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return nil, errKeyInUse(c.Key)
	}
	entry := completedKey{fingerprint: c.Fingerprint, status: status, body: body, until: now.Add(partnerd.IdempotencyRetention)}
	return func() {
		c.MarkCompleted()
		db.completed.put(cacheKeyOf(c.PartnerID, c.Key), entry)
	}, nil
}

// claimKeyOf is the key a ledger transaction made under ctx records, if any.
func claimKeyOf(ctx context.Context) *string {
	if c := partnerd.IdempotencyClaimFrom(ctx); c != nil {
		return &c.Key
	}
	return nil
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
	if err != nil {
		return 0, fmt.Errorf("purge idempotency keys: %w", err)
	}
	return n, nil
}

// heldKeys are the keys of the requests this instance is running.
type heldKeys struct {
	mu sync.Mutex
	m  map[string]heldKey
}

type heldKey struct {
	token       string
	fingerprint []byte
	since       time.Time
}

// hold takes key for c, or returns the request that holds it.
func (h *heldKeys) hold(key string, c *partnerd.IdempotencyClaim, now time.Time) (heldKey, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if held, ok := h.m[key]; ok {
		return held, false
	}
	if h.m == nil {
		h.m = make(map[string]heldKey)
	}
	h.m[key] = heldKey{token: c.Token, fingerprint: c.Fingerprint, since: now}
	return heldKey{}, true
}

func (h *heldKeys) release(key, token string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.m[key].token == token {
		delete(h.m, key)
	}
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
