-- +goose Up
-- The PostgreSQL twin of migrations/sqlite/00016.
-- Events and webhooks (API.md §8). Every change a partner cares about
-- writes its event in the same transaction as the change (a transactional
-- outbox): the writer inserts the events its batch's requests emitted, and
-- one delivery per subscribed endpoint, just before the batch commits.

-- seq is the global, strictly increasing order "newest first" sorts by;
-- sequence counts the events of one customer account (of the partner
-- itself when account_auth_id is NULL), from event_counters.
CREATE TABLE events (
    seq             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    partner_id      TEXT NOT NULL,
    account_auth_id TEXT,
    type            TEXT NOT NULL,
    sequence        BIGINT NOT NULL,
    data            TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX events_partner_seq ON events (partner_id, seq);
CREATE INDEX events_partner_type_seq ON events (partner_id, type, seq);
CREATE INDEX events_account_seq ON events (account_auth_id, seq) WHERE account_auth_id IS NOT NULL;
CREATE INDEX events_created ON events (created_at);

-- The last sequence handed out per account (or partner). Its row is
-- updated by every event of that key, so events of one key are numbered
-- in commit order whatever the instance.
CREATE TABLE event_counters (
    key  TEXT PRIMARY KEY,
    last BIGINT NOT NULL
);

-- A partner's webhook endpoints. event_types is '' for every type, else
-- the subscribed types as ',a,b,' (matched with LIKE '%,type,%').
-- secret_enc holds the signing secret sealed like a customer token;
-- during a rotation old_secret_enc signs too until old_secret_until.
CREATE TABLE webhook_endpoints (
    seq              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id               TEXT NOT NULL UNIQUE,
    partner_id       TEXT NOT NULL,
    url              TEXT NOT NULL,
    event_types      TEXT NOT NULL DEFAULT '',
    description      TEXT,
    status           TEXT NOT NULL CHECK (status IN ('enabled', 'disabled')),
    secret_enc       BYTEA NOT NULL,
    old_secret_enc   BYTEA,
    old_secret_until BIGINT,
    -- Set by the first failed attempt after a success: 5 days of failures disable it.
    failing_since    BIGINT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX webhook_endpoints_partner ON webhook_endpoints (partner_id, status);

-- One delivery of one event to one endpoint. state: pending (not tried
-- yet), sending (claimed by claimed_by until next_attempt_at, its lease),
-- failed (waiting for its next attempt at next_attempt_at), succeeded,
-- dead (out of retries). next_attempt_at is in Unix milliseconds.
CREATE TABLE webhook_deliveries (
    seq             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    endpoint_id     TEXT NOT NULL,
    partner_id      TEXT NOT NULL,
    event_seq       BIGINT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'failed', 'succeeded', 'dead')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    claimed_by      TEXT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
-- The dispatcher's claim: due rows in time order (partial: finished rows
-- never need it).
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at, seq) WHERE state IN ('pending', 'sending', 'failed');
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, seq);

-- Every attempt of a delivery: its time, HTTP status or network error, and duration.
CREATE TABLE webhook_attempts (
    delivery_seq BIGINT NOT NULL,
    attempt      BIGINT NOT NULL,
    at           BIGINT NOT NULL,
    status_code  BIGINT,
    error        TEXT,
    duration_ms  BIGINT NOT NULL,
    PRIMARY KEY (delivery_seq, attempt)
);

-- +goose Down
DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
DROP TABLE event_counters;
DROP TABLE events;
