-- +goose Up
-- The account lifecycle (API.md §6): the reason a partner gave for
-- suspending a customer (NULL unless suspended), and a partner's request
-- rate limit set by the operator (partnerd partner set --rate-limit; 0:
-- the server's default).
ALTER TABLE accounts ADD COLUMN status_reason TEXT;
ALTER TABLE partners ADD COLUMN rate_limit INTEGER NOT NULL DEFAULT 0 CHECK (rate_limit >= 0);

-- +goose Down
ALTER TABLE partners DROP COLUMN rate_limit;
ALTER TABLE accounts DROP COLUMN status_reason;
