-- +goose Up
-- Switch tokens authenticate SIP switches on the switch API. Like partner
-- tokens they are random, so a SHA-256 hash is stored, never the token;
-- authentication finds a token by its hash (unique).
CREATE TABLE switch_tokens (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT NOT NULL UNIQUE,
    name       TEXT,
    token_hash BLOB NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    -- NULL while the token works.
    revoked_at INTEGER
);

-- A customer's SIP digest credentials. The password is never stored: the
-- switch needs only HA1 = MD5(username:realm:password) and its SHA-256
-- form, kept in ha1_enc (AES-256-GCM, bound to id; the 32 hex digits of
-- the MD5 form, then the 64 of the SHA-256 form). realm is the server's
-- --sip-realm when the password was set: the hashes hold it.
CREATE TABLE sip_endpoints (
    -- seq is the creation sequence that "newest first" sorts by.
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL REFERENCES accounts (auth_id),
    -- Unique server-wide: the switch looks credentials up by username alone.
    username   TEXT NOT NULL UNIQUE,
    alias      TEXT,
    realm      TEXT NOT NULL,
    ha1_enc    BLOB NOT NULL,
    status     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE INDEX sip_endpoints_account_seq ON sip_endpoints (account_id, seq);

-- +goose Down
DROP TABLE sip_endpoints;
DROP TABLE switch_tokens;
