-- +goose Up
-- The PostgreSQL twin of migrations/sqlite/00026: per-day counts of each
-- number's calls as caller and as callee, for the totals of the CDR
-- lists' number filters and of a search that many calls match.
CREATE TABLE usage_daily_number (
    partner_id TEXT NOT NULL,
    number     TEXT NOT NULL,
    day        BIGINT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('inbound', 'outbound')),
    from_calls BIGINT NOT NULL DEFAULT 0,
    to_calls   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (partner_id, number, day, kind)
);

INSERT INTO meta (name, value) VALUES ('rebuild_usage', '00026') ON CONFLICT (name) DO NOTHING;

-- +goose Down
DELETE FROM meta WHERE name = 'rebuild_usage';
DROP TABLE usage_daily_number;
