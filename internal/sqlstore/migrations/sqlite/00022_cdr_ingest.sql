-- +goose Up
-- No query looks a call record up by its transaction: the CDR lists read a
-- record's transaction_id from its row, and `ledger verify` reaches a call
-- charge's record through its reference (the call_uuid, which is unique).
-- The index cost every charged call an insert into one more B-tree, and on
-- SQLite one more page written per commit.
DROP INDEX cdrs_transaction;

-- The version of the partner's rate deck, raised by every replacement in
-- its transaction: a store rates call records with a deck it keeps in
-- memory as long as the partner's row still shows the version it read.
ALTER TABLE partners ADD COLUMN rate_deck_version INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE partners DROP COLUMN rate_deck_version;
CREATE INDEX cdrs_transaction ON cdrs (transaction_id) WHERE transaction_id IS NOT NULL;
