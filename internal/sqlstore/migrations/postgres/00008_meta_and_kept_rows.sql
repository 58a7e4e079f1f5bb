-- +goose Up
-- The PostgreSQL twin of migrations/sqlite/00008. meta holds facts about
-- the database itself; its key_check row is a constant sealed under the
-- secret key (see keycheck.go).
CREATE TABLE meta (
    name  TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);

-- Accounts are never deleted either (wallets refuse it since 00006).
-- +goose StatementBegin
CREATE FUNCTION accounts_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'accounts are never deleted (close them instead)';
END
$$;
-- +goose StatementEnd

CREATE TRIGGER accounts_no_delete BEFORE DELETE ON accounts
    FOR EACH ROW EXECUTE FUNCTION accounts_kept();
CREATE TRIGGER accounts_no_truncate BEFORE TRUNCATE ON accounts
    FOR EACH STATEMENT EXECUTE FUNCTION accounts_kept();

-- +goose Down
DROP TRIGGER accounts_no_truncate ON accounts;
DROP TRIGGER accounts_no_delete ON accounts;
DROP FUNCTION accounts_kept();
DROP TABLE meta;
