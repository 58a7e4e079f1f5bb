-- +goose Up
-- A partner-wide search (a substring of from_number, to_number or
-- call_uuid) read the trigram index of the three joined (00020): phone
-- numbers are digits, whose trigrams most calls share, so that index
-- returned long lists to intersect and many rows to recheck (47 ms for a
-- term in 968 of 1,000,000 calls). Two structures now find the
-- candidates, which the list then checks with the same LIKE as before.
--
-- Phone numbers repeat from call to call: a partner's distinct numbers
-- are few beside its calls, and a LIKE over them, then the exact-number
-- indexes (cdrs_partner_from, cdrs_partner_to), find the calls of the
-- numbers holding the term. A statement trigger keeps the list: one
-- INSERT per batch of records, in key order, so that two batches adding
-- the same new numbers wait for each other rather than deadlock.
CREATE TABLE cdr_numbers (
    partner_id TEXT NOT NULL,
    number     TEXT NOT NULL,
    PRIMARY KEY (partner_id, number)
);

INSERT INTO cdr_numbers (partner_id, number)
    SELECT partner_id, from_number FROM cdrs UNION SELECT partner_id, to_number FROM cdrs
    ON CONFLICT DO NOTHING;

-- +goose StatementBegin
CREATE FUNCTION cdrs_note_numbers() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO cdr_numbers (partner_id, number)
        SELECT partner_id, from_number FROM new_cdrs UNION SELECT partner_id, to_number FROM new_cdrs
        ORDER BY 1, 2
        ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER cdrs_search_insert AFTER INSERT ON cdrs REFERENCING NEW TABLE AS new_cdrs
    FOR EACH STATEMENT EXECUTE FUNCTION cdrs_note_numbers();

-- Each call_uuid is its own: a trigram index of call_uuids alone returns
-- few candidates. It replaces the index of the three joined. It indexes
-- lower(call_uuid) (trigrams ignore case anyway) so that it cannot answer
-- call_uuid = ANY(...): indexing the column itself, the planner chose it
-- over the unique B-tree for ingest's duplicate check (20-500 ms a batch
-- against a few). New calls' trigrams wait in the pending list, as in
-- 00020.
CREATE INDEX cdrs_uuid_trgm ON cdrs USING gin (lower(call_uuid) gin_trgm_ops)
    WITH (fastupdate = on, gin_pending_list_limit = 1024);
DROP INDEX cdrs_search_trgm;

-- +goose Down
CREATE INDEX cdrs_search_trgm ON cdrs USING gin ((from_number || ' ' || to_number || ' ' || call_uuid) gin_trgm_ops)
    WITH (fastupdate = on, gin_pending_list_limit = 1024);
DROP INDEX cdrs_uuid_trgm;
DROP TRIGGER cdrs_search_insert ON cdrs;
DROP FUNCTION cdrs_note_numbers();
DROP TABLE cdr_numbers;
