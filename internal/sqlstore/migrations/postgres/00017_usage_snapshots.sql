-- +goose Up
-- Analytics' top customers (API.md §5) without summing every customer-day
-- of the span: a snapshot holds each customer's calls and cost of every
-- day up to and including its day (days in the partner's time zone, as in
-- usage_daily_account). A sweep keeps one per recent day; the usage of a
-- span is the difference of two snapshots plus the days after the later
-- one. A charge on a day that is already snapshotted adds to every
-- snapshot from that day on, in its own transaction.

-- usage_snapshots lists the days a partner has a complete snapshot of.
CREATE TABLE usage_snapshots (
    partner_id TEXT NOT NULL,
    day        BIGINT NOT NULL,
    PRIMARY KEY (partner_id, day)
);

CREATE TABLE usage_account_totals (
    partner_id      TEXT NOT NULL,
    day             BIGINT NOT NULL,
    account_auth_id TEXT NOT NULL,
    calls           BIGINT NOT NULL,
    cost            BIGINT NOT NULL,
    PRIMARY KEY (partner_id, day, account_auth_id)
);

-- +goose Down
DROP TABLE usage_account_totals;
DROP TABLE usage_snapshots;
