-- +goose Up
-- A partner's rate deck (API.md §5, Rates): one row per direction and digit
-- prefix. rate_per_minute counts 1/10,000 of the partner's currency's major
-- unit (0.45 a minute is 4500), so sub-paisa rates are exact and only a
-- call's cost is rounded. The primary key is the deck's order (direction,
-- prefix) and serves both the list and the switch's longest-prefix match
-- (prefix IN (every prefix of the number)); WITHOUT ROWID keeps each rate
-- in that index itself, so a match reads one B-tree.
CREATE TABLE rates (
    partner_id           TEXT NOT NULL REFERENCES partners (id),
    direction            TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    prefix               TEXT NOT NULL CHECK (length(prefix) BETWEEN 1 AND 15),
    rate_per_minute      INTEGER NOT NULL CHECK (rate_per_minute >= 0),
    initial_increment    INTEGER NOT NULL CHECK (initial_increment BETWEEN 1 AND 3600),
    subsequent_increment INTEGER NOT NULL CHECK (subsequent_increment BETWEEN 1 AND 3600),
    PRIMARY KEY (partner_id, direction, prefix)
) WITHOUT ROWID;

-- +goose Down
DROP TABLE rates;
