-- +goose Up
-- Phone numbers (DIDs) of partners' pools, and the periods of rent each
-- assignment has been charged for (API.md §5, Numbers).

CREATE TABLE numbers (
    -- seq is the creation sequence "newest first" sorts by.
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    -- E.164; unique server-wide: one number rings one place.
    number          TEXT NOT NULL UNIQUE,
    partner_id      TEXT NOT NULL REFERENCES partners (id),
    type            TEXT NOT NULL CHECK (type IN ('local', 'tollfree', 'mobile')),
    country         TEXT NOT NULL,
    region          TEXT,
    monthly_cost    INTEGER NOT NULL CHECK (monthly_cost >= 0),
    status          TEXT NOT NULL CHECK (status IN ('available', 'assigned', 'suspended')),
    -- The customer renting it; NULL while available.
    account_auth_id TEXT REFERENCES accounts (auth_id),
    assigned_at     INTEGER,
    -- Periods charged since assigned_at, and the end of the last one
    -- (assigned_at plus that many calendar months): the next renewal.
    periods_paid    INTEGER NOT NULL DEFAULT 0,
    paid_until      INTEGER,
    created_at      INTEGER NOT NULL,
    CHECK ((status = 'available') = (account_auth_id IS NULL))
);

CREATE INDEX numbers_partner_seq ON numbers (partner_id, seq);
CREATE INDEX numbers_partner_status_seq ON numbers (partner_id, status, seq);
CREATE INDEX numbers_account_seq ON numbers (account_auth_id, seq) WHERE account_auth_id IS NOT NULL;
-- The renewal sweep reads the rented numbers whose period ended.
CREATE INDEX numbers_due ON numbers (paid_until) WHERE account_auth_id IS NOT NULL;

-- One row per charged period: the primary key is what makes a period
-- charged once, whatever sweeps run at the same time (the row is written
-- in the transaction of its charge).
CREATE TABLE number_charges (
    number         TEXT NOT NULL,
    period_start   INTEGER NOT NULL,
    period_end     INTEGER NOT NULL,
    account_auth_id TEXT NOT NULL,
    transaction_id TEXT REFERENCES ledger_transactions (id),
    PRIMARY KEY (number, period_start)
);

-- ledger verify (I10) finds each rental transaction's period through it.
CREATE INDEX number_charges_transaction ON number_charges (transaction_id);

-- +goose Down
DROP TABLE number_charges;
DROP TABLE numbers;
