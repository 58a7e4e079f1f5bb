-- +goose Up
-- A partner's number of customer accounts, maintained in the transaction
-- that creates an account, so the unfiltered list and GET /me need not
-- count 100,000 index entries on every request.
ALTER TABLE partners ADD COLUMN account_count BIGINT NOT NULL DEFAULT 0;
UPDATE partners SET account_count = (SELECT COUNT(*) FROM accounts a WHERE a.partner_id = partners.id);

-- +goose Down
ALTER TABLE partners DROP COLUMN account_count;
