-- +goose Up
-- No query looks a call record up by its transaction: the CDR lists read a
-- record's transaction_id from its row, and `ledger verify` reaches a call
-- charge's record through its reference (the call_uuid, which is unique).
-- The index cost every charged call an insert into one more B-tree.
DROP INDEX cdrs_transaction;

-- The foreign keys of cdrs checked each new record with a row lock (FOR
-- KEY SHARE) on its partner, its account and its ledger transaction: for
-- the transaction row just inserted and for each account of a batch, that
-- lock is a WAL record, written while the batch holds its wallets' locks
-- (00006 dropped ledger_entries' for the same reason). What they protect
-- against cannot happen here: partners, accounts and ledger transactions
-- are never deleted, and a record is written only with its charge, in the
-- same statement as its siblings, from the rows the batch read. `partnerd
-- ledger verify` checks that every record's account belongs to its
-- partner and that every charged record's transaction is its call's debit.
ALTER TABLE cdrs DROP CONSTRAINT cdrs_partner_id_fkey;
ALTER TABLE cdrs DROP CONSTRAINT cdrs_account_auth_id_fkey;
ALTER TABLE cdrs DROP CONSTRAINT cdrs_transaction_id_fkey;

-- The version of the partner's rate deck, raised by every replacement in
-- its transaction: a store rates call records with a deck it keeps in
-- memory as long as the partner's row still shows the version it read.
ALTER TABLE partners ADD COLUMN rate_deck_version BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE partners DROP COLUMN rate_deck_version;
ALTER TABLE cdrs ADD CONSTRAINT cdrs_transaction_id_fkey FOREIGN KEY (transaction_id) REFERENCES ledger_transactions (id);
ALTER TABLE cdrs ADD CONSTRAINT cdrs_account_auth_id_fkey FOREIGN KEY (account_auth_id) REFERENCES accounts (auth_id);
ALTER TABLE cdrs ADD CONSTRAINT cdrs_partner_id_fkey FOREIGN KEY (partner_id) REFERENCES partners (id);
CREATE INDEX cdrs_transaction ON cdrs (transaction_id) WHERE transaction_id IS NOT NULL;
