package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/partnerd/partnerd"
)

var _ partnerd.SIPService = (*DB)(nil)

// errSIPEndpointNotFound answers for an endpoint that is not the
// customer's, whatever else it may be.
func errSIPEndpointNotFound(id string) error {
	return partnerd.Errorf(partnerd.ECNotFound, "No SIP endpoint %q exists for this customer.", id)
}

func errUsernameTaken(username string) error {
	return &partnerd.Error{
		Code:    partnerd.ECUsernameTaken,
		Message: fmt.Sprintf("The SIP username %s is already in use.", username),
		Fields:  []partnerd.FieldError{{Field: "username", Code: partnerd.FCTaken, Message: "username is already in use"}},
	}
}

// sealHA1 encrypts an endpoint's digest hashes, bound to its id: the 32
// hex digits of HA1, then the 64 of its SHA-256 form.
func (db *DB) sealHA1(endpointID, username, realm, password string) ([]byte, error) {
	if db.box == nil {
		return nil, errors.New("sqlstore: no secret key configured")
	}
	ha1, ha1SHA256 := partnerd.DigestHA1(username, realm, password)
	return db.box.SealWith([]byte(ha1+ha1SHA256), []byte(endpointID)), nil
}

// writableAccount checks, in a write, that authID is one of the partner's
// customers and not closed.
func writableAccount(tx *txn, partnerID, authID string) error {
	var status string
	err := tx.queryRow(`SELECT status FROM accounts WHERE auth_id = ? AND partner_id = ?`, authID, partnerID).Scan(&status)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return partnerd.ErrAccountNotFound(authID)
	case err != nil:
		return err
	case status == partnerd.StatusClosed:
		return partnerd.Errorf(partnerd.ECAccountClosed, "Customer account %s is closed.", authID)
	}
	return nil
}

// CreateSIPEndpoint stores a customer's new SIP endpoint.
func (db *DB) CreateSIPEndpoint(ctx context.Context, partnerID, authID, realm string, in partnerd.SIPEndpointInput) (_ *partnerd.SIPEndpoint, err error) {
	defer wrapErr("create SIP endpoint", &err)
	if err := in.Validate(); err != nil {
		return nil, err
	}
	now := db.now()
	for attempt := 0; ; attempt++ {
		e := &partnerd.SIPEndpoint{
			ID: partnerd.NewSIPEndpointID(), AccountID: authID, Username: in.Username, Alias: in.Alias,
			Realm: realm, Status: partnerd.SIPEndpointActive, CreatedAt: now,
		}
		enc, err := db.sealHA1(e.ID, e.Username, realm, in.Password)
		if err != nil {
			return nil, err
		}
		created, err := write(ctx, db, func(tx *txn) (*partnerd.SIPEndpoint, error) {
			if err := writableAccount(tx, partnerID, authID); err != nil {
				return nil, err
			}
			var n int
			if err := tx.queryRow(`SELECT COUNT(*) FROM sip_endpoints WHERE username = ?`, e.Username).Scan(&n); err != nil {
				return nil, err
			}
			if n > 0 {
				return nil, errUsernameTaken(e.Username)
			}
			_, err := tx.exec(`INSERT INTO sip_endpoints (id, account_id, username, alias, realm, ha1_enc, status, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				e.ID, authID, e.Username, e.Alias, realm, enc, e.Status, now.Unix(), now.Unix())
			if isUniqueViolation(err) {
				// Another instance won a race the check above could not
				// see: on the username, or (rarely) on the random id.
				if err := tx.queryRow(`SELECT COUNT(*) FROM sip_endpoints WHERE username = ?`, e.Username).Scan(&n); err == nil && n == 0 {
					return nil, errIDCollision
				}
				return nil, errUsernameTaken(e.Username)
			}
			if err != nil {
				return nil, err
			}
			db.audit(tx, partnerID, authID, partnerd.AuditSIPCreate, e.ID)
			return e, nil
		})
		if errors.Is(err, errIDCollision) && attempt < 10 {
			continue
		}
		return created, err
	}
}

// sipEndpointColumns is the select list scanSIPEndpoint reads, from
// sip_endpoints e.
const sipEndpointColumns = `e.id, e.account_id, e.username, e.alias, e.realm, e.status, e.created_at`

func scanSIPEndpoint(s scanner) (*partnerd.SIPEndpoint, error) {
	var e partnerd.SIPEndpoint
	var created int64
	if err := s.Scan(&e.ID, &e.AccountID, &e.Username, &e.Alias, &e.Realm, &e.Status, &created); err != nil {
		return nil, err
	}
	e.CreatedAt = time.Unix(created, 0).UTC()
	return &e, nil
}

// ListSIPEndpoints returns one page of a customer's endpoints, newest first.
func (db *DB) ListSIPEndpoints(ctx context.Context, partnerID, authID string, p partnerd.Page) (_ []*partnerd.SIPEndpoint, _ int, err error) {
	defer wrapErr("list SIP endpoints", &err)
	// The count comes with the account's row, so an unknown or foreign
	// customer is told apart from one without endpoints.
	var total int
	err = db.queryRow(ctx, `SELECT (SELECT COUNT(*) FROM sip_endpoints e WHERE e.account_id = a.auth_id)
		FROM accounts a WHERE a.auth_id = ? AND a.partner_id = ?`, authID, partnerID).Scan(&total)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, partnerd.ErrAccountNotFound(authID)
	}
	if err != nil {
		return nil, 0, err
	}
	out := make([]*partnerd.SIPEndpoint, 0, min(p.Size, total))
	if p.Offset() >= total {
		return out, total, nil
	}
	rows, err := db.query(ctx, `SELECT `+sipEndpointColumns+` FROM sip_endpoints e
		WHERE e.account_id = ? ORDER BY e.seq DESC LIMIT ? OFFSET ?`, authID, p.Size, p.Offset())
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanSIPEndpoint(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, e)
	}
	return out, total, rows.Err()
}

// SIPEndpoint returns one of a customer's endpoints.
func (db *DB) SIPEndpoint(ctx context.Context, partnerID, authID, endpointID string) (_ *partnerd.SIPEndpoint, err error) {
	defer wrapErr("SIP endpoint", &err)
	// The account is read with the endpoint (a LEFT JOIN), so that an
	// unknown customer is account_not_found and an unknown endpoint of a
	// known one not_found, in one query.
	var found sql.NullString
	var e partnerd.SIPEndpoint
	var created sql.NullInt64
	var username, realm, status sql.NullString
	err = db.queryRow(ctx, `SELECT e.id, e.username, e.alias, e.realm, e.status, e.created_at
		FROM accounts a LEFT JOIN sip_endpoints e ON e.account_id = a.auth_id AND e.id = ?
		WHERE a.auth_id = ? AND a.partner_id = ?`, endpointID, authID, partnerID).
		Scan(&found, &username, &e.Alias, &realm, &status, &created)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, partnerd.ErrAccountNotFound(authID)
	case err != nil:
		return nil, err
	case !found.Valid:
		return nil, errSIPEndpointNotFound(endpointID)
	}
	e.ID, e.AccountID, e.Username, e.Realm, e.Status = found.String, authID, username.String, realm.String, status.String
	e.CreatedAt = time.Unix(created.Int64, 0).UTC()
	return &e, nil
}

// DeleteSIPEndpoint removes one of a customer's endpoints.
func (db *DB) DeleteSIPEndpoint(ctx context.Context, partnerID, authID, endpointID string) (err error) {
	defer wrapErr("delete SIP endpoint", &err)
	defer db.forgetSIPCredentials()
	return db.update(ctx, func(tx *txn) error {
		if err := writableAccount(tx, partnerID, authID); err != nil {
			return err
		}
		res, err := tx.exec(`DELETE FROM sip_endpoints WHERE id = ? AND account_id = ?`, endpointID, authID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return errSIPEndpointNotFound(endpointID)
		}
		db.audit(tx, partnerID, authID, partnerd.AuditSIPDelete, endpointID)
		return nil
	})
}

// SetSIPPassword replaces an endpoint's digest hashes.
func (db *DB) SetSIPPassword(ctx context.Context, partnerID, authID, endpointID, realm string, in partnerd.SIPPasswordInput) (_ *partnerd.SIPEndpoint, err error) {
	defer wrapErr("set SIP password", &err)
	defer db.forgetSIPCredentials()
	if err := in.Validate(); err != nil {
		return nil, err
	}
	now := db.now()
	return write(ctx, db, func(tx *txn) (*partnerd.SIPEndpoint, error) {
		if err := writableAccount(tx, partnerID, authID); err != nil {
			return nil, err
		}
		e, err := scanSIPEndpoint(tx.queryRow(`SELECT `+sipEndpointColumns+` FROM sip_endpoints e
			WHERE e.id = ? AND e.account_id = ?`, endpointID, authID))
		if errors.Is(err, sql.ErrNoRows) {
			return nil, errSIPEndpointNotFound(endpointID)
		}
		if err != nil {
			return nil, err
		}
		// The username is part of the hashed string, so the hashes are
		// made here, from the row; MD5 and SHA-256 are fast.
		enc, err := db.sealHA1(e.ID, e.Username, realm, in.Password)
		if err != nil {
			return nil, err
		}
		if _, err := tx.exec(`UPDATE sip_endpoints SET ha1_enc = ?, realm = ?, updated_at = ? WHERE id = ?`,
			enc, realm, now.Unix(), e.ID); err != nil {
			return nil, err
		}
		db.audit(tx, partnerID, authID, partnerd.AuditSIPPassword, e.ID)
		e.Realm = realm
		return e, nil
	})
}

// SIPCredential returns the digest credentials of an active endpoint of an
// active account. A credential found is remembered for sipCredentialTTL
// (sip_cache.go); this store's own changes to endpoints and account
// statuses forget it, so a deleted endpoint or a suspended account stops
// authenticating at once. The switch asks before every call: on
// PostgreSQL concurrent lookups share queries, as balance reads do
// (BenchmarkSIPCredentials, 64 connections: from 0.28 of a bare
// handler's rate with a query each to about 0.47); on SQLite, with no
// round trip to save, each reads alone.
func (db *DB) SIPCredential(ctx context.Context, username string) (_ *partnerd.SIPCredential, err error) {
	defer wrapErr("SIP credential", &err)
	now := time.Now()
	if c, ok := db.sipCache.get(username, now); ok {
		return c, nil
	}
	gen := db.sipCache.generation()
	var row sipCredentialRow
	found := true
	if db.dialect.name == sqliteDialect.name {
		row, found, err = db.sipCredentialRow(ctx, username)
	} else {
		row, found, err = db.sipCredentialReader().read(username)
	}
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, partnerd.Errorf(partnerd.ECNotFound, "No active SIP endpoint has username %q.", username)
	}
	if db.box == nil {
		return nil, errors.New("sqlstore: no secret key configured")
	}
	ha1, err := db.box.OpenWith(row.enc, []byte(row.endpointID))
	if err != nil || len(ha1) != 32+64 {
		return nil, fmt.Errorf("decrypt digest hashes of %s (is PARTNERD_SECRET_KEY the key this database was created with?): %w", row.endpointID, err)
	}
	c := &partnerd.SIPCredential{Username: username, Realm: row.realm, HA1: string(ha1[:32]), HA1SHA256: string(ha1[32:]),
		AccountAuthID: row.accountID, EndpointID: row.endpointID}
	db.sipCache.put(c, gen, now)
	return c, nil
}

// sipCredentialRow is what the database holds for a SIP credential.
type sipCredentialRow struct {
	realm, accountID, endpointID string
	enc                          []byte
}

// sipCredentialColumns selects the credentials of active endpoints of
// active accounts, by username (the statements below add the condition).
const sipCredentialColumns = `SELECT e.username, e.realm, e.ha1_enc, e.account_id, e.id
	FROM sip_endpoints e JOIN accounts a ON a.auth_id = e.account_id
	WHERE e.status = ? AND a.status = ? AND e.username `

// sipCredentialRow reads one username's credential row.
func (db *DB) sipCredentialRow(ctx context.Context, username string) (sipCredentialRow, bool, error) {
	var row sipCredentialRow
	var name string
	err := db.queryRow(ctx, sipCredentialColumns+`= ?`, partnerd.SIPEndpointActive, partnerd.StatusActive, username).
		Scan(&name, &row.realm, &row.enc, &row.accountID, &row.endpointID)
	if errors.Is(err, sql.ErrNoRows) {
		return row, false, nil
	}
	return row, err == nil, err
}

// sipCredentialBatch is the number of usernames one shared query reads;
// the statement always has this many placeholders (repeating a name to
// fill them), so that it is prepared once.
const sipCredentialBatch = 16

// sipCredentialReader returns the store's shared reader of credentials.
func (db *DB) sipCredentialReader() *sharedReader[sipCredentialRow] {
	r := &db.sipCredentials
	r.setup.Do(func() { r.query, r.batch, r.maxQueries = db.querySIPCredentials, sipCredentialBatch, 4 })
	return r
}

// querySIPCredentials reads the credential rows of up to
// sipCredentialBatch usernames in one query.
func (db *DB) querySIPCredentials(usernames []string) (map[string]sipCredentialRow, error) {
	args := make([]any, 2+sipCredentialBatch)
	args[0], args[1] = partnerd.SIPEndpointActive, partnerd.StatusActive
	for i := range sipCredentialBatch {
		args[2+i] = usernames[min(i, len(usernames)-1)]
	}
	// No caller's context: the query answers several callers.
	rows, err := db.query(context.Background(), sipCredentialColumns+`IN (`+placeholders(sipCredentialBatch)+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	found := make(map[string]sipCredentialRow, len(usernames))
	for rows.Next() {
		var name string
		var row sipCredentialRow
		if err := rows.Scan(&name, &row.realm, &row.enc, &row.accountID, &row.endpointID); err != nil {
			return nil, err
		}
		found[name] = row
	}
	return found, rows.Err()
}

// SIPRealmsOtherThan counts the endpoints whose passwords are hashed in
// another realm than realm, by realm. Their phones authenticate only in
// the realm their hashes hold, until each password is set again: a
// server started with a new --sip-realm warns of them.
func (db *DB) SIPRealmsOtherThan(ctx context.Context, realm string) (map[string]int, error) {
	out := map[string]int{}
	err := db.scanRows(ctx, func(rows *sql.Rows) error {
		var r string
		var n int
		if err := rows.Scan(&r, &n); err != nil {
			return err
		}
		out[r] = n
		return nil
	}, `SELECT realm, COUNT(*) FROM sip_endpoints WHERE realm <> ? GROUP BY realm`, realm)
	if err != nil {
		return nil, fmt.Errorf("count SIP realms: %w", err)
	}
	return out, nil
}
