-- +goose Up
-- The partner web console's sign-in (API.md §9). Every secret is stored
-- as a hash: a stolen database copy signs nobody in. Times are unix seconds.

-- A partner's console password (argon2id PHC string), set through a
-- one-time setup link.
CREATE TABLE console_passwords (
    partner_id    TEXT PRIMARY KEY REFERENCES partners (id),
    password_hash TEXT NOT NULL,
    updated_at    INTEGER NOT NULL
);

-- One-time setup links printed by partnerd partner console-link: the
-- SHA-256 of the link's token, valid until expires_at and used once.
CREATE TABLE console_setup_tokens (
    token_hash BLOB PRIMARY KEY,
    partner_id TEXT NOT NULL REFERENCES partners (id),
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX console_setup_tokens_partner ON console_setup_tokens (partner_id);

-- Signed-in sessions: the SHA-256 of the cookie's random 256-bit id, so
-- every instance knows every session. last_seen_at moves the idle timeout.
CREATE TABLE console_sessions (
    id_hash      BLOB PRIMARY KEY,
    partner_id   TEXT NOT NULL REFERENCES partners (id),
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
);
CREATE INDEX console_sessions_partner ON console_sessions (partner_id);

-- Failed sign-ins by (lower-cased) email, for the lockout: five within
-- 15 minutes lock the email for 15 minutes. Emails that name no partner
-- count too, so the lockout tells nobody which emails exist.
CREATE TABLE console_signin_failures (
    seq   INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL,
    at    INTEGER NOT NULL
);
CREATE INDEX console_signin_failures_email ON console_signin_failures (email, at);

-- +goose Down
DROP TABLE console_signin_failures;
DROP TABLE console_sessions;
DROP TABLE console_setup_tokens;
DROP TABLE console_passwords;
