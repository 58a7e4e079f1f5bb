package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/secret"
)

var _ partnerd.PartnerService = (*DB)(nil)

// CreatePartner stores a new active partner with an empty master wallet.
func (db *DB) CreatePartner(ctx context.Context, in partnerd.PartnerInput) (*partnerd.Partner, string, error) {
	return db.createPartner(ctx, in, false)
}

// CreateFirstPartner creates a partner only if the database has none, and
// returns nil without error otherwise. Several instances starting at once
// on an empty database create exactly one.
func (db *DB) CreateFirstPartner(ctx context.Context, in partnerd.PartnerInput) (*partnerd.Partner, string, error) {
	return db.createPartner(ctx, in, true)
}

// errPartnersExist stops a first-start creation that another process won.
var errPartnersExist = errors.New("partners exist")

func (db *DB) createPartner(ctx context.Context, in partnerd.PartnerInput, onlyFirst bool) (_ *partnerd.Partner, _ string, err error) {
	defer wrapErr("create partner", &err)
	if err := in.Validate(); err != nil {
		return nil, "", err
	}
	token := secret.NewToken()
	now := db.now()
	p := &partnerd.Partner{
		Name: in.Name, Email: in.Email, Company: in.Company, Status: partnerd.StatusActive,
		Currency: in.Currency, CreatedAt: now, Timezone: "UTC", LowBalance: partnerd.DefaultLowBalance(in.Currency),
	}
	err = db.update(ctx, func(tx *txn) error {
		// Partners are created rarely: on PostgreSQL one at a time, so
		// that the checks below hold until the commit.
		if db.dialect.lockPartners != "" {
			if _, err := tx.exec(db.dialect.lockPartners); err != nil {
				return err
			}
		}
		if onlyFirst {
			var n int
			if err := tx.queryRow(`SELECT COUNT(*) FROM partners`).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return errPartnersExist
			}
		}
		// Emails are stored lower-cased (Validate), so equality is enough.
		var n int
		if err := tx.queryRow(`SELECT COUNT(*) FROM partners WHERE email = ?`, p.Email).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return partnerd.Errorf(partnerd.ECEmailTaken, "A partner with email %s already exists.", p.Email)
		}
		for {
			p.ID = partnerd.NewPartnerID()
			var n int
			if err := tx.queryRow(`SELECT COUNT(*) FROM wallets WHERE id = ?`, p.ID).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				break
			}
		}
		if _, err := tx.exec(`INSERT INTO partners (id, name, email, company, status, currency, token_hash, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			p.ID, p.Name, p.Email, p.Company, p.Status, p.Currency, secret.HashToken(token), now.Unix(), now.Unix()); err != nil {
			return err
		}
		_, err := tx.exec(`INSERT INTO wallets (id, kind, currency, balance, updated_at) VALUES (?, 'partner', ?, 0, ?)`,
			p.ID, p.Currency, now.Unix())
		db.audit(tx, p.ID, "", partnerd.AuditPartnerCreate, p.ID)
		return err
	})
	if errors.Is(err, errPartnersExist) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", err
	}
	return p, token, nil
}

// PartnerCredential returns a partner's identity (id, name, email,
// company, status, currency, created_at, not its balance) and token hash,
// whatever its status. Comparing the token and caching the answer are the
// HTTP layer's (internal/httpapi/auth.go).
func (db *DB) PartnerCredential(ctx context.Context, id string) (*partnerd.PartnerCredential, error) {
	var c partnerd.PartnerCredential
	p := &c.Partner
	var created int64
	var low sql.NullInt64
	err := db.queryRow(ctx, `SELECT id, name, email, company, status, currency, token_hash, created_at, timezone, low_balance,
			rate_limit
		FROM partners WHERE id = ?`, id).
		Scan(&p.ID, &p.Name, &p.Email, &p.Company, &p.Status, &p.Currency, &c.TokenHash, &created, &p.Timezone, &low,
			&p.RateLimit)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, partnerd.Errorf(partnerd.ECNotFound, "No partner %q exists.", id)
	}
	if err != nil {
		return nil, fmt.Errorf("partner credential: %w", err)
	}
	p.CreatedAt = time.Unix(created, 0).UTC()
	p.LowBalance = lowBalance(low, p.Currency)
	return &c, nil
}

// Partner returns one partner with its balance and account count.
func (db *DB) Partner(ctx context.Context, id string) (_ *partnerd.Partner, err error) {
	defer wrapErr("partner", &err)
	p, err := scanPartner(db.queryRow(ctx, `SELECT `+partnerColumns+` FROM partners p JOIN wallets w ON w.id = p.id WHERE p.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, partnerd.Errorf(partnerd.ECNotFound, "No partner %q exists.", id)
	}
	return p, err
}

// partnerColumns is what scanPartner reads of partners p and their wallets w.
const partnerColumns = `p.id, p.name, p.email, p.company, p.status, p.currency, p.created_at, w.balance, p.account_count,
	p.timezone, p.low_balance, p.rate_limit`

func scanPartner(s scanner) (*partnerd.Partner, error) {
	var p partnerd.Partner
	var created int64
	var low sql.NullInt64
	if err := s.Scan(&p.ID, &p.Name, &p.Email, &p.Company, &p.Status, &p.Currency, &created, &p.Balance, &p.AccountCount,
		&p.Timezone, &low, &p.RateLimit); err != nil {
		return nil, err
	}
	p.CreatedAt = time.Unix(created, 0).UTC()
	p.LowBalance = lowBalance(low, p.Currency)
	return &p, nil
}

// lowBalance is a partner's threshold: its own, or the default.
func lowBalance(v sql.NullInt64, currency string) int64 {
	if v.Valid {
		return v.Int64
	}
	return partnerd.DefaultLowBalance(currency)
}

// SetPartner changes a partner's settings (the operator's partner set).
func (db *DB) SetPartner(ctx context.Context, id string, in partnerd.PartnerSettings) (_ *partnerd.Partner, err error) {
	defer wrapErr("set partner", &err)
	if err := in.Validate(); err != nil {
		return nil, err
	}
	err = db.update(ctx, func(tx *txn) error {
		res, err := tx.exec(`UPDATE partners SET status = COALESCE(?, status), timezone = COALESCE(?, timezone),
			low_balance = COALESCE(?, low_balance), rate_limit = COALESCE(?, rate_limit) WHERE id = ?`,
			in.Status, in.Timezone, in.LowBalance, in.RateLimit, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return cmp.Or(err, error(partnerd.Errorf(partnerd.ECNotFound, "No partner %q exists.", id)))
		}
		db.audit(tx, id, "", partnerd.AuditPartnerUpdate, id)
		if in.Status != nil && *in.Status != partnerd.StatusActive {
			if err := endConsoleSessions(tx, id); err != nil {
				return err
			}
		}
		if in.Timezone != nil {
			// The usage aggregates are by the partner's days: count them
			// again in the new zone (a rare operator action, one
			// transaction however many calls it reads).
			return rebuildUsage(tx, id, partnerd.LoadLocation(*in.Timezone))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return db.Partner(ctx, id)
}

// RotatePartnerToken gives a partner a new token (the operator's partner
// rotate-token) and returns it; only its hash is stored.
func (db *DB) RotatePartnerToken(ctx context.Context, id string) (string, error) {
	token := secret.NewToken()
	// The result is the partner's id, never the token: under an
	// idempotency claim (the console's form) it is what the stored
	// response is rendered from.
	_, err := write(ctx, db, func(tx *txn) (string, error) {
		res, err := tx.exec(`UPDATE partners SET token_hash = ?, updated_at = ? WHERE id = ?`, secret.HashToken(token), db.now().Unix(), id)
		if err != nil {
			return "", err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return "", cmp.Or(err, error(partnerd.Errorf(partnerd.ECNotFound, "No partner %q exists.", id)))
		}
		db.audit(tx, id, "", partnerd.AuditTokenRotate, id)
		return id, nil
	})
	if err != nil {
		return "", fmt.Errorf("rotate partner token: %w", err)
	}
	return token, nil
}

// ListPartners returns every partner, oldest first.
func (db *DB) ListPartners(ctx context.Context) (_ []*partnerd.Partner, err error) {
	defer wrapErr("list partners", &err)
	rows, err := db.query(ctx, `SELECT `+partnerColumns+` FROM partners p JOIN wallets w ON w.id = p.id ORDER BY p.seq`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*partnerd.Partner
	for rows.Next() {
		p, err := scanPartner(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// now is the store's clock at second precision, the precision of the API.
func (db *DB) now() time.Time { return db.Now().UTC().Truncate(time.Second) }
