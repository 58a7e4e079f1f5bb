-- +goose Up
-- Double-entry ledger. Every movement of money is one ledger_transactions
-- row and two or more ledger_entries rows whose amounts sum to zero; each
-- entry records the wallet's balance before and after it. Rows are never
-- updated or deleted (the triggers below enforce it).

CREATE TABLE ledger_transactions (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT NOT NULL UNIQUE,
    partner_id      TEXT NOT NULL,
    kind            TEXT NOT NULL,
    description     TEXT,
    initiated_by    TEXT NOT NULL,
    reference       TEXT,
    -- The Idempotency-Key whose request made this transaction, if any:
    -- `ledger verify` checks that one key made at most one transaction.
    idempotency_key TEXT,
    created_at      INTEGER NOT NULL
);

CREATE INDEX ledger_transactions_idempotency ON ledger_transactions (partner_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;

CREATE TABLE ledger_entries (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    transaction_id TEXT NOT NULL REFERENCES ledger_transactions (id),
    wallet_id      TEXT NOT NULL REFERENCES wallets (id),
    -- The partner the wallet belongs to (NULL for system wallets) and the
    -- wallet's kind, copied here so each partner-facing log is one index range.
    partner_id     TEXT,
    wallet_kind    TEXT NOT NULL,
    type           TEXT NOT NULL,
    amount         INTEGER NOT NULL,
    balance_before INTEGER NOT NULL,
    balance_after  INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    CHECK (amount <> 0),
    CHECK (balance_after = balance_before + amount)
);

CREATE INDEX ledger_entries_wallet ON ledger_entries (wallet_id, seq);
CREATE INDEX ledger_entries_partner ON ledger_entries (partner_id, wallet_kind, seq);
CREATE INDEX ledger_entries_transaction ON ledger_entries (transaction_id);

-- +goose StatementBegin
CREATE TRIGGER ledger_transactions_no_update BEFORE UPDATE ON ledger_transactions BEGIN
    SELECT RAISE(ABORT, 'ledger_transactions is append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER ledger_transactions_no_delete BEFORE DELETE ON ledger_transactions BEGIN
    SELECT RAISE(ABORT, 'ledger_transactions is append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries BEGIN
    SELECT RAISE(ABORT, 'ledger_entries is append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries BEGIN
    SELECT RAISE(ABORT, 'ledger_entries is append-only');
END;
-- +goose StatementEnd

-- Idempotency keys: an in-flight marker (status 0, held until locked_until
-- by claim) or a completed request's stored response (encrypted, since it
-- may hold a customer's auth_token).
CREATE TABLE idempotency_keys (
    partner_id   TEXT NOT NULL,
    key          TEXT NOT NULL,
    fingerprint  BLOB NOT NULL,
    claim        TEXT NOT NULL,
    status       INTEGER NOT NULL DEFAULT 0,
    response     BLOB,
    locked_until INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (partner_id, key)
);

CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- +goose Down
DROP TABLE idempotency_keys;
DROP TABLE ledger_entries;
DROP TABLE ledger_transactions;
