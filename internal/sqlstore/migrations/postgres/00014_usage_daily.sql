-- +goose Up
-- The PostgreSQL twin of migrations/sqlite/00014.
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
    day        BIGINT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('inbound', 'outbound', 'rental')),
    calls      BIGINT NOT NULL DEFAULT 0,
    answered   BIGINT NOT NULL DEFAULT 0,
    failed     BIGINT NOT NULL DEFAULT 0,
    no_answer  BIGINT NOT NULL DEFAULT 0,
    busy       BIGINT NOT NULL DEFAULT 0,
    duration   BIGINT NOT NULL DEFAULT 0,
    cost       BIGINT NOT NULL DEFAULT 0,
    spend      BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (partner_id, day, kind)
);

-- One row per customer and day: analytics' top customers.
CREATE TABLE usage_daily_account (
    partner_id      TEXT NOT NULL,
    day             BIGINT NOT NULL,
    account_auth_id TEXT NOT NULL,
    calls           BIGINT NOT NULL DEFAULT 0,
    cost            BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (partner_id, day, account_auth_id)
);

-- +goose Down
DROP TABLE usage_daily_account;
DROP TABLE usage_daily;
