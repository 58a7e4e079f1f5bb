-- +goose Up
-- meta holds facts about the database itself. Its first row, key_check,
-- is a constant sealed under the secret key that seals the customer
-- tokens and stored responses: a server given another key (a lost key
-- file, a copy served without PARTNERD_SECRET_KEY) refuses to start instead
-- of answering 500 to every read of a secret (see keycheck.go).
CREATE TABLE meta (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);

-- Wallets and accounts are never deleted, and a wallet never changes id:
-- the ledger names wallets, and `ledger verify` (I9) expects each account
-- beside its wallet. PostgreSQL has refused this since 00006; these are
-- SQLite's twins, so the rule holds on both engines.
-- +goose StatementBegin
CREATE TRIGGER wallets_no_delete BEFORE DELETE ON wallets BEGIN
    SELECT RAISE(ABORT, 'wallets are never deleted and never change id');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER wallets_no_new_id BEFORE UPDATE OF id ON wallets WHEN old.id IS NOT new.id BEGIN
    SELECT RAISE(ABORT, 'wallets are never deleted and never change id');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER accounts_no_delete BEFORE DELETE ON accounts BEGIN
    SELECT RAISE(ABORT, 'accounts are never deleted (close them instead)');
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER accounts_no_delete;
DROP TRIGGER wallets_no_new_id;
DROP TRIGGER wallets_no_delete;
DROP TABLE meta;
