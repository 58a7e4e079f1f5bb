-- +goose Up
-- The foreign keys of ledger_entries checked each new entry with a row lock
-- (FOR KEY SHARE) on its transaction and on its wallet: for the transaction
-- row just inserted, that lock is a WAL record, and all of it happens while
-- the batch holds the partner's row lock, which every instance waits for.
-- With three instances writing for one partner, the checks cost about a
-- third of the throughput. What the locks protect against cannot happen
-- here: ledger transactions are never deleted (00002), and wallets now
-- refuse DELETE, TRUNCATE and a change of id. Entries are written only with
-- their transaction, in the same statement or transaction, from the
-- balances of the wallets they name; `partnerd ledger verify` checks that
-- every entry's transaction and wallet exist (I7). SQLite keeps its foreign
-- keys: there they cost no locks.

-- +goose StatementBegin
CREATE FUNCTION wallets_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'wallets are never deleted and never change id';
END
$$;
-- +goose StatementEnd

CREATE TRIGGER wallets_no_delete BEFORE DELETE ON wallets
    FOR EACH ROW EXECUTE FUNCTION wallets_kept();
CREATE TRIGGER wallets_no_truncate BEFORE TRUNCATE ON wallets
    FOR EACH STATEMENT EXECUTE FUNCTION wallets_kept();
-- Fires only for an UPDATE that sets id: balance updates do not pay for it.
CREATE TRIGGER wallets_no_new_id BEFORE UPDATE OF id ON wallets
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION wallets_kept();

ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_transaction_id_fkey;
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_wallet_id_fkey;

-- +goose Down
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_transaction_id_fkey
    FOREIGN KEY (transaction_id) REFERENCES ledger_transactions (id);
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_wallet_id_fkey
    FOREIGN KEY (wallet_id) REFERENCES wallets (id);
DROP TRIGGER wallets_no_new_id ON wallets;
DROP TRIGGER wallets_no_truncate ON wallets;
DROP TRIGGER wallets_no_delete ON wallets;
DROP FUNCTION wallets_kept();
