-- +goose Up
-- The GIN index of call_uuids (00023) keeps new entries in its pending
-- list, which the inserting transaction merges into the index once the
-- list passes gin_pending_list_limit: at 1 MB, every few batches of call
-- records, in the writer's transaction. With random Call-IDs, as switches
-- make them, that merging cost about a sixth of CDR ingest. The list may
-- now grow to 16 MB, and each instance's cleaner (cdrsearch.go) merges it
-- with gin_clean_pending_list on a connection of its own every few
-- thousand calls, in another server process; the 16 MB only bounds the
-- list when no cleaner runs. Searches read the pending list as well.
ALTER INDEX cdrs_uuid_trgm SET (gin_pending_list_limit = 16384);

-- +goose Down
ALTER INDEX cdrs_uuid_trgm SET (gin_pending_list_limit = 1024);
