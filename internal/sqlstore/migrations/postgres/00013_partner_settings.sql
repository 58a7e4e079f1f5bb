-- +goose Up
-- The PostgreSQL twin of migrations/sqlite/00013.
-- A partner's settings (API.md §7, partnerd partner set): the time zone its
-- days are counted in (date filters, "today" and "this month" of the
-- dashboard), and its low-balance threshold in minor units (NULL: 100 of
-- the currency's major units).
ALTER TABLE partners ADD COLUMN timezone TEXT NOT NULL DEFAULT 'UTC';
ALTER TABLE partners ADD COLUMN low_balance BIGINT CHECK (low_balance >= 0);

-- +goose Down
ALTER TABLE partners DROP COLUMN low_balance;
ALTER TABLE partners DROP COLUMN timezone;
