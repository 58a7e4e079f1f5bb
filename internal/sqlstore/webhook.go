package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/partnerd/partnerd"
)

var _ partnerd.WebhookService = (*DB)(nil)

// storedTypes is how an endpoint's event types are stored: ” for every
// type, else ',a,b,' so that one LIKE matches a type (see writeOutbox).
func storedTypes(ts []string) string {
	if len(ts) == 0 {
		return ""
	}
	return "," + strings.Join(ts, ",") + ","
}

func typesOf(stored string) []string {
	if stored == "" {
		return []string{}
	}
	return strings.Split(strings.Trim(stored, ","), ",")
}

const endpointColumns = `id, partner_id, url, event_types, description, status, created_at, updated_at`

func scanEndpoint(s scanner, extra ...any) (*partnerd.WebhookEndpoint, error) {
	var e partnerd.WebhookEndpoint
	var types string
	var created, updated int64
	dest := append([]any{&e.ID, &e.PartnerID, &e.URL, &types, &e.Description, &e.Status, &created, &updated}, extra...)
	if err := s.Scan(dest...); err != nil {
		return nil, err
	}
	e.EventTypes, e.CreatedAt, e.UpdatedAt = typesOf(types), time.Unix(created, 0).UTC(), time.Unix(updated, 0).UTC()
	return &e, nil
}

// sealSecret encrypts an endpoint's secret, bound to the endpoint's id.
func (db *DB) sealSecret(id, secret string) ([]byte, error) {
	if db.box == nil {
		return nil, errors.New("sqlstore: no secret key configured")
	}
	return db.box.SealWith([]byte(secret), []byte(id)), nil
}

func (db *DB) openSecret(id string, enc []byte) (string, error) {
	if db.box == nil {
		return "", errors.New("sqlstore: no secret key configured")
	}
	b, err := db.box.OpenWith(enc, []byte(id))
	if err != nil {
		return "", fmt.Errorf("webhook endpoint %s: open secret: %w", id, err)
	}
	return string(b), nil
}

// CreateWebhookEndpoint adds an enabled endpoint with a new secret.
func (db *DB) CreateWebhookEndpoint(ctx context.Context, partnerID string, in partnerd.WebhookEndpointInput) (_ *partnerd.WebhookEndpoint, err error) {
	defer wrapErr("create webhook endpoint", &err)
	if err := in.Validate(); err != nil {
		return nil, err
	}
	now := db.now()
	e := &partnerd.WebhookEndpoint{
		ID: partnerd.NewWebhookEndpointID(), PartnerID: partnerID, URL: in.URL, EventTypes: in.EventTypes,
		Description: in.Description, Status: partnerd.WebhookEnabled, Secret: partnerd.NewWebhookSecret(),
		CreatedAt: now, UpdatedAt: now,
	}
	enc, err := db.sealSecret(e.ID, e.Secret)
	if err != nil {
		return nil, err
	}
	return write(ctx, db, func(tx *txn) (*partnerd.WebhookEndpoint, error) {
		_, err := tx.exec(`INSERT INTO webhook_endpoints (id, partner_id, url, event_types, description, status, secret_enc, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			e.ID, partnerID, e.URL, storedTypes(e.EventTypes), e.Description, e.Status, enc, now.Unix(), now.Unix())
		if err != nil {
			return nil, err
		}
		db.audit(tx, partnerID, "", partnerd.AuditWebhookCreate, e.ID)
		out := *e
		return &out, nil
	})
}

// WebhookEndpoints is one page of the partner's endpoints, newest first.
func (db *DB) WebhookEndpoints(ctx context.Context, partnerID string, p partnerd.Page) (_ []*partnerd.WebhookEndpoint, _ int, err error) {
	defer wrapErr("list webhook endpoints", &err)
	var total int
	if err := db.queryRow(ctx, `SELECT COUNT(*) FROM webhook_endpoints WHERE partner_id = ?`, partnerID).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := db.query(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints WHERE partner_id = ? ORDER BY seq DESC LIMIT ? OFFSET ?`,
		partnerID, p.Size, (p.Page-1)*p.Size)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []*partnerd.WebhookEndpoint{}
	for rows.Next() {
		e, err := scanEndpoint(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, e)
	}
	return out, total, rows.Err()
}

// WebhookEndpoint is one of the partner's endpoints.
func (db *DB) WebhookEndpoint(ctx context.Context, partnerID, id string) (*partnerd.WebhookEndpoint, error) {
	e, err := scanEndpoint(db.queryRow(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints WHERE id = ? AND partner_id = ?`, id, partnerID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, partnerd.ErrWebhookEndpointNotFound(id)
	}
	if err != nil {
		return nil, fmt.Errorf("get webhook endpoint: %w", err)
	}
	return e, nil
}

// WebhookEndpointSecret is the endpoint with its current secret.
func (db *DB) WebhookEndpointSecret(ctx context.Context, partnerID, id string) (*partnerd.WebhookEndpoint, error) {
	var enc []byte
	e, err := scanEndpoint(db.queryRow(ctx, `SELECT `+endpointColumns+`, secret_enc FROM webhook_endpoints WHERE id = ? AND partner_id = ?`,
		id, partnerID), &enc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, partnerd.ErrWebhookEndpointNotFound(id)
	}
	if err != nil {
		return nil, fmt.Errorf("get webhook secret: %w", err)
	}
	if e.Secret, err = db.openSecret(id, enc); err != nil {
		return nil, err
	}
	return e, nil
}

// lockedEndpoint reads one of the partner's endpoints in tx. The
// statement that changes it follows in the same transaction; on
// PostgreSQL two changes of one endpoint at once are settled by its row
// lock (the last one wins).
func lockedEndpoint(tx *txn, partnerID, id string) (*partnerd.WebhookEndpoint, error) {
	e, err := scanEndpoint(tx.queryRow(`SELECT `+endpointColumns+` FROM webhook_endpoints WHERE id = ? AND partner_id = ?`, id, partnerID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, partnerd.ErrWebhookEndpointNotFound(id)
	}
	return e, err
}

// UpdateWebhookEndpoint applies a PATCH.
func (db *DB) UpdateWebhookEndpoint(ctx context.Context, partnerID, id string, p partnerd.WebhookEndpointPatch) (_ *partnerd.WebhookEndpoint, err error) {
	defer wrapErr("update webhook endpoint", &err)
	if err := p.Validate(); err != nil {
		return nil, err
	}
	now := db.now()
	return write(ctx, db, func(tx *txn) (*partnerd.WebhookEndpoint, error) {
		e, err := lockedEndpoint(tx, partnerID, id)
		if err != nil {
			return nil, err
		}
		if p.URL != nil {
			e.URL = *p.URL
		}
		if p.EventTypes != nil {
			e.EventTypes = *p.EventTypes
		}
		if p.Description != nil || p.ClearDescription {
			e.Description = p.Description
		}
		if p.Status != nil {
			e.Status = *p.Status
		}
		e.UpdatedAt = now
		// Enabling again starts a new run: the failures before the
		// endpoint was disabled do not count towards the next 5 days.
		_, err = tx.exec(`UPDATE webhook_endpoints SET url = ?, event_types = ?, description = ?, status = ?, updated_at = ?,
				failing_since = CASE WHEN ? = 'enabled' AND status <> 'enabled' THEN NULL ELSE failing_since END
			WHERE id = ?`, e.URL, storedTypes(e.EventTypes), e.Description, e.Status, now.Unix(), e.Status, id)
		db.audit(tx, partnerID, "", partnerd.AuditWebhookUpdate, id)
		return e, err
	})
}

// DeleteWebhookEndpoint removes an endpoint with its deliveries.
func (db *DB) DeleteWebhookEndpoint(ctx context.Context, partnerID, id string) error {
	err := db.update(ctx, func(tx *txn) error {
		if _, err := lockedEndpoint(tx, partnerID, id); err != nil {
			return err
		}
		for _, q := range []string{
			`DELETE FROM webhook_attempts WHERE delivery_seq IN (SELECT seq FROM webhook_deliveries WHERE endpoint_id = ?)`,
			`DELETE FROM webhook_deliveries WHERE endpoint_id = ?`,
			`DELETE FROM webhook_old_secrets WHERE endpoint_id = ?`,
			`DELETE FROM webhook_endpoints WHERE id = ?`,
		} {
			if _, err := tx.exec(q, id); err != nil {
				return err
			}
		}
		db.audit(tx, partnerID, "", partnerd.AuditWebhookDelete, id)
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete webhook endpoint: %w", err)
	}
	return nil
}

// RotateWebhookSecret gives the endpoint a new secret; the current one
// keeps signing for overlap, and those rotated out before keep signing
// until their own overlaps end (at most partnerd.MaxOldSecrets at once).
// With no overlap, only the new secret signs from then on.
func (db *DB) RotateWebhookSecret(ctx context.Context, partnerID, id string, overlap time.Duration) (_ *partnerd.WebhookEndpoint, err error) {
	defer wrapErr("rotate webhook secret", &err)
	if overlap < 0 || overlap > partnerd.MaxSecretOverlap {
		return nil, partnerd.FieldErrors{{Field: "expire_old_in_seconds", Code: partnerd.FCOutOfRange,
			Message: "expire_old_in_seconds must be an integer from 0 to 604800"}}.Err()
	}
	secret := partnerd.NewWebhookSecret()
	enc, err := db.sealSecret(id, secret)
	if err != nil {
		return nil, err
	}
	now := db.now()
	return write(ctx, db, func(tx *txn) (*partnerd.WebhookEndpoint, error) {
		e, err := lockedEndpoint(tx, partnerID, id)
		if err != nil {
			return nil, err
		}
		// The old secrets whose overlap has passed sign no more: gone.
		// A rotation without overlap is the answer to a leaked secret,
		// which may be any of them: then they all go, at once.
		expired := now.Unix()
		if overlap == 0 {
			expired = math.MaxInt64
		}
		if _, err := tx.exec(`DELETE FROM webhook_old_secrets WHERE endpoint_id = ? AND signs_until <= ?`, id, expired); err != nil {
			return nil, err
		}
		// The current secret joins them, signing until the overlap ends.
		if overlap > 0 {
			var n int
			if err := tx.queryRow(`SELECT COUNT(*) FROM webhook_old_secrets WHERE endpoint_id = ?`, id).Scan(&n); err != nil {
				return nil, err
			}
			if n >= partnerd.MaxOldSecrets {
				return nil, partnerd.FieldErrors{{Field: "expire_old_in_seconds", Code: partnerd.FCNotAllowed,
					Message: fmt.Sprintf("%d earlier secrets still sign; rotate with expire_old_in_seconds 0, or once one of them has expired", n)}}.Err()
			}
			if _, err := tx.exec(`INSERT INTO webhook_old_secrets (endpoint_id, secret_enc, signs_until)
				SELECT id, secret_enc, ? FROM webhook_endpoints WHERE id = ?`, now.Add(overlap).Unix(), id); err != nil {
				return nil, err
			}
		}
		if _, err := tx.exec(`UPDATE webhook_endpoints SET secret_enc = ?, updated_at = ? WHERE id = ?`, enc, now.Unix(), id); err != nil {
			return nil, err
		}
		e.Secret, e.UpdatedAt = secret, now
		db.audit(tx, partnerID, "", partnerd.AuditWebhookRotate, id)
		return e, nil
	})
}

// TestWebhookEndpoint records a ping event (of the partner, no account)
// and its delivery to this endpoint alone, whatever the endpoint's types.
func (db *DB) TestWebhookEndpoint(ctx context.Context, partnerID, id string) (_ *partnerd.Event, err error) {
	defer wrapErr("test webhook endpoint", &err)
	now := db.now()
	ev, err := write(ctx, db, func(tx *txn) (*partnerd.Event, error) {
		e, err := lockedEndpoint(tx, partnerID, id)
		if err != nil {
			return nil, err
		}
		if e.Status == partnerd.WebhookDisabled {
			// Its ping would wait, unsent, until the endpoint is enabled.
			return nil, partnerd.Errorf(partnerd.ECEndpointDisabled,
				"Webhook endpoint %s is disabled and sends nothing; enable it (PATCH status \"enabled\") to test it.", e.ID)
		}
		ev := &partnerd.Event{ID: partnerd.NewEventID(now), PartnerID: partnerID, Type: partnerd.EventPing,
			Data: []byte(`{"endpoint_id":"` + e.ID + `"}`), CreatedAt: now}
		if err := tx.queryRow(`INSERT INTO event_counters (key, last) VALUES (?, 1)
			ON CONFLICT (key) DO UPDATE SET last = event_counters.last + 1 RETURNING last`, partnerID).Scan(&ev.Sequence); err != nil {
			return nil, err
		}
		var seq int64
		if err := tx.queryRow(`INSERT INTO events (id, partner_id, account_auth_id, type, sequence, data, created_at)
			VALUES (?, ?, NULL, ?, ?, ?, ?) RETURNING seq`, ev.ID, partnerID, ev.Type, ev.Sequence, string(ev.Data), now.Unix()).Scan(&seq); err != nil {
			return nil, err
		}
		_, err = tx.exec(`INSERT INTO webhook_deliveries (endpoint_id, partner_id, event_seq, state, next_attempt_at, created_at, updated_at)
			VALUES (?, ?, ?, 'pending', ?, ?, ?)`, id, partnerID, seq, db.Now().UnixMilli(), now.Unix(), now.Unix())
		db.audit(tx, partnerID, "", partnerd.AuditWebhookTest, id)
		return ev, err
	})
	if err == nil {
		db.wakeup.wake()
	}
	return ev, err
}
