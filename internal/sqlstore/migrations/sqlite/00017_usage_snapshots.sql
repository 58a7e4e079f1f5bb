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
    day        INTEGER NOT NULL,
    PRIMARY KEY (partner_id, day)
) WITHOUT ROWID;

CREATE TABLE usage_account_totals (
    partner_id      TEXT NOT NULL,
    day             INTEGER NOT NULL,
    account_auth_id TEXT NOT NULL,
    calls           INTEGER NOT NULL,
    cost            INTEGER NOT NULL,
    PRIMARY KEY (partner_id, day, account_auth_id)
) WITHOUT ROWID;

-- +goose Down
DROP TABLE usage_account_totals;
DROP TABLE usage_snapshots;
