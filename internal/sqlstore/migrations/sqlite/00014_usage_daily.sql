-- +goose Up
-- Usage aggregates for the dashboard and analytics (API.md §5, Partner
-- overview), maintained in the transaction of each charge so that they
-- are never scanned out of the CDRs. day is the day in the partner's time
-- zone, as days since 1970-01-01 (rebuilt when the time zone changes).
-- kind is a call's direction, or 'rental' for number rent. calls, then
-- by status answered, failed, no_answer and busy, and duration
-- (duration_seconds) count calls; cost is their rated cost; spend what
-- was charged (calls and rent). The CDR lists' totals for a span of days,
-- a direction and a status are sums of these rows.

-- One row per partner, day and kind: the dashboard's and analytics' totals.
CREATE TABLE usage_daily (
    partner_id TEXT NOT NULL,
    day        INTEGER NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('inbound', 'outbound', 'rental')),
    calls      INTEGER NOT NULL DEFAULT 0,
    answered   INTEGER NOT NULL DEFAULT 0,
    failed     INTEGER NOT NULL DEFAULT 0,
    no_answer  INTEGER NOT NULL DEFAULT 0,
    busy       INTEGER NOT NULL DEFAULT 0,
    duration   INTEGER NOT NULL DEFAULT 0,
    cost       INTEGER NOT NULL DEFAULT 0,
    spend      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (partner_id, day, kind)
) WITHOUT ROWID;

-- One row per customer and day: analytics' top customers.
CREATE TABLE usage_daily_account (
    partner_id      TEXT NOT NULL,
    day             INTEGER NOT NULL,
    account_auth_id TEXT NOT NULL,
    calls           INTEGER NOT NULL DEFAULT 0,
    cost            INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (partner_id, day, account_auth_id)
) WITHOUT ROWID;

-- +goose Down
DROP TABLE usage_daily_account;
DROP TABLE usage_daily;
