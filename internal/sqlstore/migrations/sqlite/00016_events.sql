-- +goose Up
-- Events and webhooks (API.md §8). Every change a partner cares about
-- writes its event in the same transaction as the change (a transactional
-- outbox): the writer inserts the events its batch's requests emitted, and
-- one delivery per subscribed endpoint, just before the batch commits.

-- seq is the global, strictly increasing order "newest first" sorts by;
-- sequence counts the events of one customer account (of the partner
-- itself when account_auth_id is NULL), from event_counters.
CREATE TABLE events (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT NOT NULL UNIQUE,
    partner_id      TEXT NOT NULL,
    account_auth_id TEXT,
    type            TEXT NOT NULL,
    sequence        INTEGER NOT NULL,
    data            TEXT NOT NULL,
    created_at      INTEGER NOT NULL
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
    last INTEGER NOT NULL
) WITHOUT ROWID;

-- A partner's webhook endpoints. event_types is '' for every type, else
-- the subscribed types as ',a,b,' (matched with LIKE '%,type,%').
-- secret_enc holds the signing secret sealed like a customer token;
-- during a rotation old_secret_enc signs too until old_secret_until.
CREATE TABLE webhook_endpoints (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    id               TEXT NOT NULL UNIQUE,
    partner_id       TEXT NOT NULL,
    url              TEXT NOT NULL,
    event_types      TEXT NOT NULL DEFAULT '',
    description      TEXT,
    status           TEXT NOT NULL CHECK (status IN ('enabled', 'disabled')),
    secret_enc       BLOB NOT NULL,
    old_secret_enc   BLOB,
    old_secret_until INTEGER,
    -- Set by the first failed attempt after a success: 5 days of failures disable it.
    failing_since    INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX webhook_endpoints_partner ON webhook_endpoints (partner_id, status);

-- One delivery of one event to one endpoint. state: pending (not tried
-- yet), sending (claimed by claimed_by until next_attempt_at, its lease),
-- failed (waiting for its next attempt at next_attempt_at), succeeded,
-- dead (out of retries). next_attempt_at is in Unix milliseconds.
CREATE TABLE webhook_deliveries (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    endpoint_id     TEXT NOT NULL,
    partner_id      TEXT NOT NULL,
    event_seq       INTEGER NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'failed', 'succeeded', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    claimed_by      TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
-- The dispatcher's claim: due rows in time order (partial: finished rows
-- never need it).
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at, seq) WHERE state IN ('pending', 'sending', 'failed');
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, seq);

-- Every attempt of a delivery: its time, HTTP status or network error, and duration.
CREATE TABLE webhook_attempts (
    delivery_seq INTEGER NOT NULL,
    attempt      INTEGER NOT NULL,
    at           INTEGER NOT NULL,
    status_code  INTEGER,
    error        TEXT,
    duration_ms  INTEGER NOT NULL,
    PRIMARY KEY (delivery_seq, attempt)
) WITHOUT ROWID;

-- A customer's own low-balance threshold in minor units (API.md §8; NULL:
-- its partner's). Written by account create and PATCH.
ALTER TABLE accounts ADD COLUMN low_balance_threshold INTEGER CHECK (low_balance_threshold >= 0);

-- Low-balance alerts (API.md §8): whether balance.low and balance.depleted
-- have fired for the account since its balance last rose above the
-- re-arm level (threshold + 10 %, at least 1.00). A row is written only
-- when one fires or re-arms.
CREATE TABLE balance_alerts (
    auth_id        TEXT PRIMARY KEY,
    low_fired      INTEGER NOT NULL DEFAULT 0,
    depleted_fired INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- Auto top-up settings of an account (amounts in minor units).
CREATE TABLE autotopup_settings (
    auth_id           TEXT PRIMARY KEY,
    partner_id        TEXT NOT NULL,
    enabled           INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    threshold         INTEGER NOT NULL CHECK (threshold >= 0),
    target_balance    INTEGER NOT NULL,
    max_per_day       INTEGER NOT NULL CHECK (max_per_day > 0),
    max_per_month     INTEGER NOT NULL CHECK (max_per_month > 0),
    max_count_per_day INTEGER NOT NULL CHECK (max_count_per_day > 0),
    updated_at        INTEGER NOT NULL,
    CHECK (target_balance > threshold)
) WITHOUT ROWID;

-- One row per crossing of an account's auto top-up threshold, written in
-- the transaction whose debit crossed it. At most one is pending per
-- account; its top-up is an ordinary transfer whose reference is the
-- crossing's id, made by the transaction that moves it to done (guarded
-- by state, so it happens once). failed_reason is set by the first
-- attempt that could not pay (auto_topup.failed fires then, once);
-- skipped: the balance had recovered, or auto top-up was turned off.
CREATE TABLE autotopup_crossings (
    id             TEXT PRIMARY KEY,
    auth_id        TEXT NOT NULL,
    partner_id     TEXT NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('pending', 'done', 'skipped')),
    failed_reason  TEXT,
    amount         INTEGER,
    transaction_id TEXT,
    created_at     INTEGER NOT NULL,
    done_at        INTEGER
);
CREATE UNIQUE INDEX autotopup_crossings_pending ON autotopup_crossings (auth_id) WHERE state = 'pending';
-- The caps' sums: an account's top-ups since a day or month began.
CREATE INDEX autotopup_crossings_done ON autotopup_crossings (auth_id, done_at) WHERE state = 'done';

-- +goose Down
DROP TABLE autotopup_crossings;
DROP TABLE autotopup_settings;
DROP TABLE balance_alerts;
ALTER TABLE accounts DROP COLUMN low_balance_threshold;
DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
DROP TABLE event_counters;
DROP TABLE events;
