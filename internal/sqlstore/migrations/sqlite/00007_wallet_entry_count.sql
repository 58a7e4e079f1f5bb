-- +goose Up
-- Each wallet's number of ledger entries, maintained by the statement that
-- already updates the wallet's balance for each entry, so a log's
-- meta.total is one row read (one customer's or the partner's own log) or
-- a sum over the partner's customer wallets (the partner-wide customer
-- log), not a count of every entry on every page. `ledger verify` checks
-- it against the entries (I8).
ALTER TABLE wallets ADD COLUMN entry_count INTEGER NOT NULL DEFAULT 0;
UPDATE wallets SET entry_count = c.n
FROM (SELECT wallet_id, COUNT(*) AS n FROM ledger_entries GROUP BY wallet_id) c
WHERE c.wallet_id = wallets.id;

-- +goose Down
ALTER TABLE wallets DROP COLUMN entry_count;
