package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/secret"
	"github.com/partnerd/partnerd/internal/wire"
)

var _ partnerd.AccountService = (*DB)(nil)

// errIDCollision asks CreateAccount to retry with a fresh auth_id.
var errIDCollision = errors.New("auth_id collision")

// CreateAccount provisions a customer account with an empty wallet in the
// partner's currency and returns it with its new auth_token.
func (db *DB) CreateAccount(ctx context.Context, partnerID string, in partnerd.AccountInput) (*partnerd.Account, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if db.box == nil {
		return nil, errors.New("sqlstore: no secret key configured")
	}
	// Hashing is slow on purpose (argon2id), so it runs before the write
	// transaction, never inside it.
	pwHash, err := secret.HashPassword(in.Password)
	if err != nil {
		return nil, err
	}
	token := secret.NewToken()
	now := db.now()
	a := &partnerd.Account{
		PartnerID: partnerID, Name: in.Name, Email: in.Email, Phone: in.Phone, Country: in.Country,
		Description: in.Description, Company: in.Company, Address: in.Address, City: in.City,
		State: in.State, ZipCode: in.ZipCode, Timezone: *in.Timezone, GSTIN: in.GSTIN,
		GSTStatus: in.GSTStatus, AccountType: *in.AccountType, Status: partnerd.StatusActive,
		AuthToken: token, CreatedAt: now, UpdatedAt: now, BalanceUpdatedAt: now,
	}
	if in.LowBalanceThreshold != nil {
		a.LowBalanceThreshold, a.OwnLowBalance = *in.LowBalanceThreshold, true
	}
	for attempt := 0; ; attempt++ {
		a.AuthID = partnerd.NewAccountID()
		// The ciphertext is bound to the auth_id, so it cannot be moved to
		// another account's row.
		tokenEnc := db.box.SealWith([]byte(token), []byte(a.AuthID))
		created, err := write(ctx, db, func(tx *txn) (*partnerd.Account, error) {
			a := *a // a copy: the write may run again after a rolled-back pass
			var partnerLow sql.NullInt64
			err := tx.queryRow(`SELECT currency, low_balance FROM partners WHERE id = ?`, partnerID).Scan(&a.Currency, &partnerLow)
			if errors.Is(err, sql.ErrNoRows) {
				return nil, partnerd.Errorf(partnerd.ECNotFound, "No partner %q exists.", partnerID)
			}
			if err != nil {
				return nil, err
			}
			if !a.OwnLowBalance {
				a.LowBalanceThreshold = lowBalance(partnerLow, a.Currency)
			}
			var n int
			if err := tx.queryRow(`SELECT COUNT(*) FROM accounts WHERE email = ?`, a.Email).Scan(&n); err != nil {
				return nil, err
			}
			if n > 0 {
				return nil, errEmailTaken(a.Email)
			}
			if err := tx.queryRow(`SELECT COUNT(*) FROM wallets WHERE id = ?`, a.AuthID).Scan(&n); err != nil {
				return nil, err
			}
			if n > 0 {
				return nil, errIDCollision
			}
			_, err = tx.exec(`INSERT INTO accounts (auth_id, partner_id, name, name_lower, email, password_hash, phone, country,
					description, company, address, city, state, zip_code, timezone, gstin, gst_status, account_type,
					status, token_hash, token_enc, created_at, updated_at, low_balance_threshold)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				a.AuthID, partnerID, a.Name, strings.ToLower(a.Name), a.Email, pwHash, a.Phone, a.Country,
				a.Description, a.Company, a.Address, a.City, a.State, a.ZipCode, a.Timezone, a.GSTIN, a.GSTStatus, a.AccountType,
				a.Status, secret.HashToken(token), tokenEnc, now.Unix(), now.Unix(), in.LowBalanceThreshold)
			if isUniqueViolation(err) {
				// Another instance won a race the checks above could not
				// see: on the email, or (rarely) on the random auth_id.
				if err := tx.queryRow(`SELECT COUNT(*) FROM accounts WHERE email = ?`, a.Email).Scan(&n); err == nil && n == 0 {
					return nil, errIDCollision
				}
				return nil, errEmailTaken(a.Email)
			}
			if err != nil {
				return nil, err
			}
			if _, err := tx.exec(`UPDATE partners SET account_count = account_count + 1 WHERE id = ?`, partnerID); err != nil {
				return nil, err
			}
			if _, err := tx.exec(`INSERT INTO wallets (id, kind, currency, balance, updated_at) VALUES (?, 'customer', ?, 0, ?)`,
				a.AuthID, a.Currency, now.Unix()); err != nil {
				return nil, err
			}
			if err := db.emit(tx, partnerID, a.AuthID, partnerd.EventAccountCreated, wire.NewAccountItem(&a)); err != nil {
				return nil, err
			}
			db.audit(tx, partnerID, a.AuthID, partnerd.AuditAccountCreate, a.AuthID)
			return &a, nil
		})
		if errors.Is(err, errIDCollision) && attempt < 10 {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("create account: %w", err)
		}
		return created, nil
	}
}

func errEmailTaken(email string) error {
	return &partnerd.Error{
		Code:    partnerd.ECEmailTaken,
		Message: fmt.Sprintf("An account with email %s already exists.", email),
		Fields:  []partnerd.FieldError{{Field: "email", Code: partnerd.FCTaken, Message: "email is already in use"}},
	}
}

// accountColumns is the select list scanAccount reads.
const accountColumns = `a.auth_id, a.partner_id, a.name, a.email, a.phone, a.country, a.description, a.company,
	a.address, a.city, a.state, a.zip_code, a.timezone, a.gstin, a.gst_status, a.account_type, a.status,
	a.status_reason, a.created_at, a.updated_at, w.currency, w.balance, w.updated_at,
	a.low_balance_threshold, (SELECT p.low_balance FROM partners p WHERE p.id = a.partner_id)`

type scanner interface{ Scan(dest ...any) error }

func scanAccount(s scanner, extra ...any) (*partnerd.Account, error) {
	var a partnerd.Account
	var created, updated, balUpdated int64
	var own, partners sql.NullInt64
	dest := []any{&a.AuthID, &a.PartnerID, &a.Name, &a.Email, &a.Phone, &a.Country, &a.Description, &a.Company,
		&a.Address, &a.City, &a.State, &a.ZipCode, &a.Timezone, &a.GSTIN, &a.GSTStatus, &a.AccountType, &a.Status,
		&a.StatusReason, &created, &updated, &a.Currency, &a.Balance, &balUpdated, &own, &partners}
	if err := s.Scan(append(dest, extra...)...); err != nil {
		return nil, err
	}
	if a.OwnLowBalance = own.Valid; own.Valid {
		a.LowBalanceThreshold = own.Int64
	} else {
		a.LowBalanceThreshold = lowBalance(partners, a.Currency)
	}
	a.CreatedAt = time.Unix(created, 0).UTC()
	a.UpdatedAt = time.Unix(updated, 0).UTC()
	a.BalanceUpdatedAt = time.Unix(balUpdated, 0).UTC()
	return &a, nil
}

// Account returns one of the partner's accounts with its decrypted token.
func (db *DB) Account(ctx context.Context, partnerID, authID string) (_ *partnerd.Account, err error) {
	defer wrapErr("account", &err)
	var enc []byte
	a, err := scanAccount(db.queryRow(ctx, `SELECT `+accountColumns+`, a.token_enc
		FROM accounts a JOIN wallets w ON w.id = a.auth_id
		WHERE a.auth_id = ? AND a.partner_id = ?`, authID, partnerID), &enc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, partnerd.ErrAccountNotFound(authID)
	}
	if err != nil {
		return nil, err
	}
	if err := db.openToken(a, enc); err != nil {
		return nil, err
	}
	return a, nil
}

// ListAccounts returns one page of the partner's accounts, newest first, and
// the total number matching the filter.
func (db *DB) ListAccounts(ctx context.Context, partnerID string, f partnerd.AccountFilter) (_ []*partnerd.Account, _ int, err error) {
	defer wrapErr("list accounts", &err)
	term := strings.TrimSpace(f.Search)
	if term == "" && f.Status == "" {
		return db.listAll(ctx, partnerID, f.Page)
	}
	where, args := `a.partner_id = ?`, []any{partnerID}
	if term != "" {
		clause, searchArgs := db.dialect.search(term)
		where, args = where+` AND `+clause, append(args, searchArgs...)
	}
	if f.Status != "" {
		where, args = where+` AND a.status = ?`, append(args, f.Status)
	}
	// The search index is read once: the matching sequence numbers, newest
	// first, give both the total and the page; only the page's rows are
	// then read in full.
	rows, err := db.query(ctx, `SELECT a.seq FROM accounts a WHERE `+where+` ORDER BY a.seq DESC`, args...)
	if err != nil {
		return nil, 0, err
	}
	var seqs []any
	for rows.Next() {
		var seq int64
		if err := rows.Scan(&seq); err != nil {
			rows.Close()
			return nil, 0, err
		}
		seqs = append(seqs, seq)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	total := len(seqs)
	if f.Page.Offset() >= total {
		return []*partnerd.Account{}, total, nil
	}
	page := seqs[f.Page.Offset():min(f.Page.Offset()+f.Page.Size, total)]
	rows, err = db.query(ctx, `SELECT `+accountColumns+`, 0 FROM accounts a JOIN wallets w ON w.id = a.auth_id
		WHERE a.seq IN (`+placeholders(len(page))+`) ORDER BY a.seq DESC`, page...)
	if err != nil {
		return nil, 0, err
	}
	out, _, err := scanAccounts(rows, len(page))
	return out, total, err
}

// placeholders returns n comma-separated ? placeholders.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// listAll pages through all the partner's accounts. The total is the
// partner's maintained count; the page is found in the covering index
// first and only its rows are read.
func (db *DB) listAll(ctx context.Context, partnerID string, p partnerd.Page) ([]*partnerd.Account, int, error) {
	var total int
	err := db.queryRow(ctx, `SELECT account_count FROM partners WHERE id = ?`, partnerID).Scan(&total)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, 0, err
	}
	if total == 0 || p.Offset() >= total {
		return []*partnerd.Account{}, total, nil
	}
	// A page in the older half is counted from the oldest end, so the
	// index walk is at most half the partner's accounts, not all of them.
	order, limit, offset := "DESC", p.Size, p.Offset()
	if offset > total/2 {
		order, offset = "ASC", total-offset-p.Size
		if offset < 0 {
			limit, offset = limit+offset, 0
		}
	}
	rows, err := db.query(ctx, `SELECT `+accountColumns+`, 0
		FROM (SELECT seq FROM accounts WHERE partner_id = ? ORDER BY seq `+order+` LIMIT ? OFFSET ?) page
		JOIN accounts a ON a.seq = page.seq JOIN wallets w ON w.id = a.auth_id
		ORDER BY a.seq DESC`, partnerID, limit, offset)
	if err != nil {
		return nil, 0, err
	}
	out, _, err := scanAccounts(rows, p.Size)
	return out, total, err
}

// scanAccounts reads rows of accountColumns followed by a count column.
func scanAccounts(rows *sql.Rows, size int) ([]*partnerd.Account, int, error) {
	defer rows.Close()
	out := make([]*partnerd.Account, 0, size)
	var total int
	for rows.Next() {
		a, err := scanAccount(rows, &total)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, a)
	}
	return out, total, rows.Err()
}
