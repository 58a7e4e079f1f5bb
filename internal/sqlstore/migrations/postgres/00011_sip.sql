-- +goose Up
-- The PostgreSQL twin of migrations/sqlite/00011: switch tokens (hashed)
-- and customers' SIP endpoints (digest hashes encrypted, never passwords).
CREATE TABLE switch_tokens (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    name       TEXT,
    token_hash BYTEA NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE TABLE sip_endpoints (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL REFERENCES accounts (auth_id),
    username   TEXT NOT NULL UNIQUE,
    alias      TEXT,
    realm      TEXT NOT NULL,
    ha1_enc    BYTEA NOT NULL,
    status     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE INDEX sip_endpoints_account_seq ON sip_endpoints (account_id, seq);

-- +goose Down
DROP TABLE sip_endpoints;
DROP TABLE switch_tokens;
