-- +goose Up
-- The PostgreSQL twin of migrations/sqlite/00001: same tables and columns,
-- so the store's queries are the same on both engines. Times are BIGINT
-- unix seconds; money is BIGINT minor units.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE partners (
    -- seq orders partners by creation, even within one second.
    seq                   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id                    TEXT NOT NULL UNIQUE,
    name                  TEXT NOT NULL,
    email                 TEXT NOT NULL,
    company               TEXT,
    status                TEXT NOT NULL DEFAULT 'active',
    currency              TEXT NOT NULL,
    token_hash            BYTEA NOT NULL,
    low_balance_threshold BIGINT NOT NULL DEFAULT 10000,
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL
);

CREATE TABLE wallets (
    id         TEXT PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('partner', 'customer', 'system')),
    currency   TEXT NOT NULL,
    balance    BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL,
    CHECK (kind = 'system' OR balance >= 0)
);

CREATE TABLE accounts (
    seq           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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
    token_hash    BYTEA NOT NULL,
    token_enc     BYTEA NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

CREATE INDEX accounts_partner_seq ON accounts (partner_id, seq);

-- Substring search: trigram GIN indexes serve name_lower LIKE '%term%'
-- and email LIKE '%term%' for terms of 3+ characters.
CREATE INDEX accounts_name_trgm ON accounts USING gin (name_lower gin_trgm_ops);
CREATE INDEX accounts_email_trgm ON accounts USING gin (email gin_trgm_ops);

-- +goose Down
DROP TABLE accounts;
DROP TABLE wallets;
DROP TABLE partners;
