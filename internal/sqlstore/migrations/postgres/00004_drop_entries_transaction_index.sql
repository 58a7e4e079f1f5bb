-- +goose Up
-- No query looks entries up by transaction: the logs join entries to their
-- transaction through ledger_transactions.id, verify joins whole tables, and
-- ledger rows are never deleted, so the foreign key needs no index on this
-- side. Each transfer wrote two entries into it for nothing.
DROP INDEX ledger_entries_transaction;

-- +goose Down
CREATE INDEX ledger_entries_transaction ON ledger_entries (transaction_id);
