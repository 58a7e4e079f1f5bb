-- +goose Up
-- The PostgreSQL twin of migrations/sqlite/00020: the totals of the CDR
-- lists' other single filters without scanning a month of calls; and,
-- here only, an index for their substring search (see cdrSearch in
-- cdrlist.go for why SQLite has none).

CREATE TABLE usage_daily_cause (
    partner_id   TEXT NOT NULL,
    day          BIGINT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('inbound', 'outbound')),
    hangup_cause TEXT NOT NULL,
    calls        BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (partner_id, day, kind, hangup_cause)
);

CREATE TABLE usage_daily_billsec (
    partner_id TEXT NOT NULL,
    day        BIGINT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('inbound', 'outbound')),
    billsec    BIGINT NOT NULL,
    calls      BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (partner_id, day, kind, billsec)
);

-- search, a substring of from_number, to_number or call_uuid: one trigram
-- index (pg_trgm, 00001) on the three joined serves a LIKE of 3+
-- characters on the join, which the list then checks column by column.
-- New calls' trigrams wait in the index's pending list (fastupdate, as
-- ingest needs) that every search reads in full: a limit of 1 MB, a
-- quarter of the default, bounds that read (see 00005: 4 MB cost 7-8 ms).
CREATE INDEX cdrs_search_trgm ON cdrs USING gin ((from_number || ' ' || to_number || ' ' || call_uuid) gin_trgm_ops)
    WITH (fastupdate = on, gin_pending_list_limit = 1024);

-- As in SQLite: the counts of the calls recorded before this migration
-- are made by the store when it opens the database, in each partner's
-- time zone.
INSERT INTO meta (name, value) VALUES ('rebuild_usage', '00020') ON CONFLICT (name) DO NOTHING;

-- +goose Down
DELETE FROM meta WHERE name = 'rebuild_usage';
DROP INDEX cdrs_search_trgm;
DROP TABLE usage_daily_billsec;
DROP TABLE usage_daily_cause;
