-- +goose Up
-- The totals of the CDR lists' other single filters (API.md §5, Call
-- records) without scanning a month of calls.
-- Like usage_daily (00014), both tables are added to in the transaction of
-- each charge, count calls by the day they started in the partner's time
-- zone, and are rebuilt when that zone changes: a total for whole days is a
-- sum of a few hundred rows, where counting the rows took 280-350 ms for a
-- partner with 1,000,000 calls in the month.

-- One row per partner, day, direction (kind) and hangup cause ('' for
-- none): the total of a hangup_cause filter.
CREATE TABLE usage_daily_cause (
    partner_id   TEXT NOT NULL,
    day          INTEGER NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('inbound', 'outbound')),
    hangup_cause TEXT NOT NULL,
    calls        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (partner_id, day, kind, hangup_cause)
) WITHOUT ROWID;

-- One row per partner, day, direction and billed seconds: the total of a
-- min_duration or max_duration filter (which bound billsec).
CREATE TABLE usage_daily_billsec (
    partner_id TEXT NOT NULL,
    day        INTEGER NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('inbound', 'outbound')),
    billsec    INTEGER NOT NULL,
    calls      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (partner_id, day, kind, billsec)
) WITHOUT ROWID;

-- The counts of the calls recorded before this migration are made by the
-- store when it opens the database, in each partner's time zone (which
-- SQL cannot apply): this row asks for it and is removed when done.
INSERT INTO meta (name, value) VALUES ('rebuild_usage', '00020') ON CONFLICT (name) DO NOTHING;

-- +goose Down
DELETE FROM meta WHERE name = 'rebuild_usage';
DROP TABLE usage_daily_billsec;
DROP TABLE usage_daily_cause;
