-- +goose Up
-- A partner-wide search (a substring of from_number, to_number or
-- call_uuid) scanned every call of the span: about 0.5 s for a month of
-- 1,000,000. Two structures now find the candidates, which the list then
-- checks with the same LIKE as before.
--
-- Phone numbers repeat from call to call: a partner's distinct numbers
-- are few beside its calls, and a LIKE over them, then the exact-number
-- indexes (cdrs_partner_from, cdrs_partner_to), find the calls of the
-- numbers holding the term. A trigram index of the numbers themselves was
-- measured and dropped (see cdrSearch): digits make trigrams that most
-- calls share.
CREATE TABLE cdr_numbers (
    partner_id TEXT NOT NULL,
    number     TEXT NOT NULL,
    PRIMARY KEY (partner_id, number)
) WITHOUT ROWID;

INSERT OR IGNORE INTO cdr_numbers (partner_id, number) SELECT partner_id, from_number FROM cdrs;
INSERT OR IGNORE INTO cdr_numbers (partner_id, number) SELECT partner_id, to_number FROM cdrs;

-- Each call_uuid is its own: a trigram index of call_uuids alone (a few
-- calls share each trigram, where the numbers made most calls share
-- them) answers a term of 3+ characters in a few milliseconds.
-- Contentless (the call_uuid stays in cdrs, which is append-only) and
-- without positions (detail = none): a third of the size, and about half
-- the work on each insert. The index then gives the calls holding each of
-- the term's trigrams, anywhere, which the list checks with LIKE.
CREATE VIRTUAL TABLE cdrs_uuid_search USING fts5 (
    call_uuid, content = '', columnsize = 0, detail = none, tokenize = 'trigram'
);

INSERT INTO cdrs_uuid_search (rowid, call_uuid) SELECT seq, call_uuid FROM cdrs;

-- +goose StatementBegin
CREATE TRIGGER cdrs_search_insert AFTER INSERT ON cdrs BEGIN
    INSERT OR IGNORE INTO cdr_numbers (partner_id, number) VALUES (new.partner_id, new.from_number), (new.partner_id, new.to_number);
    INSERT INTO cdrs_uuid_search (rowid, call_uuid) VALUES (new.seq, new.call_uuid);
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER cdrs_search_insert;
DROP TABLE cdrs_uuid_search;
DROP TABLE cdr_numbers;
