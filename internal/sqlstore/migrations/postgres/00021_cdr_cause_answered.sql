-- +goose Up
-- The PostgreSQL twin of migrations/sqlite/00021: a hangup cause's calls
-- split into answered and not, for the totals of a cause and a status
-- together; and the accounts by partner and status for the dashboard.
ALTER TABLE usage_daily_cause ADD COLUMN answered BIGINT NOT NULL DEFAULT 0;

CREATE INDEX accounts_partner_status ON accounts (partner_id, status, auth_id);

INSERT INTO meta (name, value) VALUES ('rebuild_usage', '00021') ON CONFLICT (name) DO NOTHING;

-- +goose Down
DELETE FROM meta WHERE name = 'rebuild_usage';
DROP INDEX accounts_partner_status;
ALTER TABLE usage_daily_cause DROP COLUMN answered;
