-- +goose Up
-- The PostgreSQL twin of migrations/sqlite/00002.

CREATE TABLE ledger_transactions (
    seq             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    partner_id      TEXT NOT NULL,
    kind            TEXT NOT NULL,
    description     TEXT,
    initiated_by    TEXT NOT NULL,
    reference       TEXT,
    idempotency_key TEXT,
    created_at      BIGINT NOT NULL
);

CREATE INDEX ledger_transactions_idempotency ON ledger_transactions (partner_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;

CREATE TABLE ledger_entries (
    seq            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    transaction_id TEXT NOT NULL REFERENCES ledger_transactions (id),
    wallet_id      TEXT NOT NULL REFERENCES wallets (id),
    partner_id     TEXT,
    wallet_kind    TEXT NOT NULL,
    type           TEXT NOT NULL,
    amount         BIGINT NOT NULL,
    balance_before BIGINT NOT NULL,
    balance_after  BIGINT NOT NULL,
    created_at     BIGINT NOT NULL,
    CHECK (amount <> 0),
    CHECK (balance_after = balance_before + amount)
);

CREATE INDEX ledger_entries_wallet ON ledger_entries (wallet_id, seq);
CREATE INDEX ledger_entries_partner ON ledger_entries (partner_id, wallet_kind, seq);
CREATE INDEX ledger_entries_transaction ON ledger_entries (transaction_id);

-- +goose StatementBegin
CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER ledger_transactions_no_update BEFORE UPDATE ON ledger_transactions
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_transactions_no_delete BEFORE DELETE ON ledger_transactions
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
-- TRUNCATE skips row triggers, so it gets its own.
CREATE TRIGGER ledger_transactions_no_truncate BEFORE TRUNCATE ON ledger_transactions
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();

CREATE TABLE idempotency_keys (
    partner_id   TEXT NOT NULL,
    key          TEXT NOT NULL,
    fingerprint  BYTEA NOT NULL,
    claim        TEXT NOT NULL,
    status       INTEGER NOT NULL DEFAULT 0,
    response     BYTEA,
    locked_until BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (partner_id, key)
);

CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- +goose Down
DROP TABLE idempotency_keys;
DROP TABLE ledger_entries;
DROP TABLE ledger_transactions;
DROP FUNCTION ledger_append_only();
