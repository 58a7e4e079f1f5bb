-- +goose Up
-- Calls (API.md §5, Switch API): the switch's authorizations with the money
-- each reserves, and the call records it reports.

-- reserved is the sum of the open reservations of the wallet's calls: money
-- the wallet holds but that no withdrawal, number charge or other call may
-- take (available = balance - reserved). Only a call's own charge spends it.
ALTER TABLE wallets ADD COLUMN reserved INTEGER NOT NULL DEFAULT 0 CHECK (reserved >= 0);

-- One row per call_uuid the switch asked about: the first answer, which a
-- repeated question gets again. An authorized call reserves amount until
-- its CDR arrives or expires_at passes (released_at is then set, once, and
-- the wallet's reserved lowered by amount in the same transaction).
CREATE TABLE authorizations (
    call_uuid         TEXT PRIMARY KEY,
    direction         TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    -- NULL when the account could not be found.
    account_auth_id   TEXT,
    partner_id        TEXT,
    authorized        INTEGER NOT NULL CHECK (authorized IN (0, 1)),
    reason            TEXT,
    max_duration      INTEGER NOT NULL DEFAULT 0,
    currency          TEXT,
    -- The rate the call was authorized at; its CDR is rated with it.
    prefix            TEXT,
    rate_per_minute   INTEGER,
    initial_increment INTEGER,
    subsequent_increment INTEGER,
    amount            INTEGER NOT NULL DEFAULT 0 CHECK (amount >= 0),
    created_at        INTEGER NOT NULL,
    expires_at        INTEGER NOT NULL,
    released_at       INTEGER,
    CHECK (authorized = 1 OR (amount = 0 AND reason IS NOT NULL))
);

-- The expiry sweep and ledger verify read the open reservations.
CREATE INDEX authorizations_open ON authorizations (expires_at) WHERE released_at IS NULL AND amount > 0;
CREATE INDEX authorizations_open_account ON authorizations (account_auth_id) WHERE released_at IS NULL AND amount > 0;

-- One row per call the switch reported, charged once: call_uuid is unique.
-- transaction_id names the debit (NULL when nothing was charged: an
-- unanswered call, a free rate, or an empty wallet, whose cost is then all
-- unbilled_amount). Times are Unix seconds.
CREATE TABLE cdrs (
    seq               INTEGER PRIMARY KEY AUTOINCREMENT,
    call_uuid         TEXT NOT NULL UNIQUE,
    partner_id        TEXT NOT NULL REFERENCES partners (id),
    account_auth_id   TEXT NOT NULL REFERENCES accounts (auth_id),
    direction         TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    from_number       TEXT NOT NULL,
    to_number         TEXT NOT NULL,
    start_time        INTEGER NOT NULL,
    answer_time       INTEGER,
    end_time          INTEGER NOT NULL,
    duration_seconds  INTEGER NOT NULL CHECK (duration_seconds >= 0),
    billsec           INTEGER NOT NULL CHECK (billsec >= 0 AND billsec <= duration_seconds),
    hangup_cause      TEXT,
    sip_response_code INTEGER,
    trunk_id          TEXT,
    context           TEXT,
    prefix            TEXT NOT NULL,
    rate_per_minute   INTEGER NOT NULL,
    cost              INTEGER NOT NULL CHECK (cost >= 0),
    unbilled_amount   INTEGER NOT NULL CHECK (unbilled_amount >= 0 AND unbilled_amount <= cost),
    currency          TEXT NOT NULL,
    transaction_id    TEXT REFERENCES ledger_transactions (id),
    created_at        INTEGER NOT NULL
);

CREATE INDEX cdrs_account_start ON cdrs (account_auth_id, start_time);
CREATE INDEX cdrs_partner_start ON cdrs (partner_id, start_time);
-- The partner's lists, newest first, and their exact-number filters.
CREATE INDEX cdrs_partner_seq ON cdrs (partner_id, seq);
CREATE INDEX cdrs_partner_to ON cdrs (partner_id, to_number, seq);
CREATE INDEX cdrs_partner_from ON cdrs (partner_id, from_number, seq);
CREATE INDEX cdrs_transaction ON cdrs (transaction_id) WHERE transaction_id IS NOT NULL;

-- +goose Down
DROP TABLE cdrs;
DROP TABLE authorizations;
ALTER TABLE wallets DROP COLUMN reserved;
