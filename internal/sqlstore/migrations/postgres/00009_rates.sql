-- +goose Up
-- The PostgreSQL twin of migrations/sqlite/00009: a partner's rate deck,
-- rate_per_minute in 1/10,000 of the currency's major unit. prefix is
-- compared byte by byte (COLLATE "C"), as on SQLite, so that the deck's
-- order and the list's prefix range (prefix >= '91' AND prefix < '91:')
-- are the same on both engines and walk the primary key.
CREATE TABLE rates (
    partner_id           TEXT NOT NULL REFERENCES partners (id),
    direction            TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    prefix               TEXT COLLATE "C" NOT NULL CHECK (length(prefix) BETWEEN 1 AND 15),
    rate_per_minute      BIGINT NOT NULL CHECK (rate_per_minute >= 0),
    initial_increment    INTEGER NOT NULL CHECK (initial_increment BETWEEN 1 AND 3600),
    subsequent_increment INTEGER NOT NULL CHECK (subsequent_increment BETWEEN 1 AND 3600),
    PRIMARY KEY (partner_id, direction, prefix)
);

-- +goose Down
DROP TABLE rates;
