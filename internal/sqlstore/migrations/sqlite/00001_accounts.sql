-- +goose Up
-- Times are INTEGER unix seconds (UTC) so the same queries work on SQLite and
-- PostgreSQL (BIGINT) and sort numerically.

CREATE TABLE partners (
    -- seq orders partners by creation, even within one second.
    seq                   INTEGER PRIMARY KEY AUTOINCREMENT,
    id                    TEXT NOT NULL UNIQUE,
    name                  TEXT NOT NULL,
    email                 TEXT NOT NULL,
    company               TEXT,
    status                TEXT NOT NULL DEFAULT 'active',
    currency              TEXT NOT NULL,
    -- SHA-256 of the partner's token: tokens are random, so a fast hash suffices.
    token_hash            BLOB NOT NULL,
    low_balance_threshold INTEGER NOT NULL DEFAULT 10000,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL
);

-- One wallet per partner (id = PA_…), per customer (id = MA_…) and per system
-- account (id = 'external:INR', 'usage:INR', …). Balances are minor units.
CREATE TABLE wallets (
    id         TEXT PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('partner', 'customer', 'system')),
    currency   TEXT NOT NULL,
    balance    INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL,
    -- The last line of defence for "a wallet never goes below zero".
    CHECK (kind = 'system' OR balance >= 0)
);

CREATE TABLE accounts (
    -- seq is the strictly increasing creation sequence that "newest first" sorts by.
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    auth_id       TEXT NOT NULL UNIQUE,
    partner_id    TEXT NOT NULL REFERENCES partners (id),
    name          TEXT NOT NULL,
    -- name lower-cased by the application (Unicode-aware, whatever the
    -- database's locale), for case-insensitive substring search.
    name_lower    TEXT NOT NULL,
    email         TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    phone         TEXT NOT NULL,
    country       TEXT NOT NULL,
    description   TEXT,
    company       TEXT,
    address       TEXT,
    city          TEXT,
    state         TEXT,
    zip_code      TEXT,
    timezone      TEXT NOT NULL,
    gstin         TEXT,
    gst_status    TEXT,
    account_type  TEXT NOT NULL,
    status        TEXT NOT NULL,
    token_hash    BLOB NOT NULL,
    -- AES-256-GCM ciphertext of the customer's token, bound to auth_id.
    token_enc     BLOB NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE INDEX accounts_partner_seq ON accounts (partner_id, seq);

-- Substring search on name and email: a trigram index answers "%term%" for
-- terms of 3+ characters without scanning the table.
CREATE VIRTUAL TABLE accounts_search USING fts5 (
    name, email, content = 'accounts', content_rowid = 'seq', tokenize = 'trigram'
);

-- +goose StatementBegin
CREATE TRIGGER accounts_search_insert AFTER INSERT ON accounts BEGIN
    INSERT INTO accounts_search (rowid, name, email) VALUES (new.seq, new.name, new.email);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER accounts_search_update AFTER UPDATE OF name, email ON accounts BEGIN
    INSERT INTO accounts_search (accounts_search, rowid, name, email) VALUES ('delete', old.seq, old.name, old.email);
    INSERT INTO accounts_search (rowid, name, email) VALUES (new.seq, new.name, new.email);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER accounts_search_delete AFTER DELETE ON accounts BEGIN
    INSERT INTO accounts_search (accounts_search, rowid, name, email) VALUES ('delete', old.seq, old.name, old.email);
END;
-- +goose StatementEnd

-- +goose Down
DROP TABLE accounts_search;
DROP TABLE accounts;
DROP TABLE wallets;
DROP TABLE partners;
