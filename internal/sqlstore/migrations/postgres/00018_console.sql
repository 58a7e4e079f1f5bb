-- +goose Up
-- The PostgreSQL twin of migrations/sqlite/00018.
-- The partner web console's sign-in (API.md §9). Every secret is stored
-- as a hash: a stolen database copy signs nobody in. Times are unix seconds.

CREATE TABLE console_passwords (
    partner_id    TEXT PRIMARY KEY REFERENCES partners (id),
    password_hash TEXT NOT NULL,
    updated_at    BIGINT NOT NULL
);

CREATE TABLE console_setup_tokens (
    token_hash BYTEA PRIMARY KEY,
    partner_id TEXT NOT NULL REFERENCES partners (id),
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX console_setup_tokens_partner ON console_setup_tokens (partner_id);

CREATE TABLE console_sessions (
    id_hash      BYTEA PRIMARY KEY,
    partner_id   TEXT NOT NULL REFERENCES partners (id),
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);
CREATE INDEX console_sessions_partner ON console_sessions (partner_id);

CREATE TABLE console_signin_failures (
    seq   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email TEXT NOT NULL,
    at    BIGINT NOT NULL
);
CREATE INDEX console_signin_failures_email ON console_signin_failures (email, at);

-- +goose Down
DROP TABLE console_signin_failures;
DROP TABLE console_sessions;
DROP TABLE console_setup_tokens;
DROP TABLE console_passwords;
