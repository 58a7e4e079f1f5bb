-- +goose Up
-- The PostgreSQL twin of migrations/sqlite/00019.
-- The audit log (API.md §7): one row per committed change made by a
-- partner, a customer, the operator, a console session or the server
-- itself, written by the writer in the change's own transaction (like the
-- events' outbox), so a change and its row commit together or not at all.
-- Rows are never updated or deleted (the triggers below enforce it).
--
-- seq is the strictly increasing order "newest first" sorts by. at is
-- Unix seconds. partner_id is NULL for a change of no partner's (a switch
-- token); account_auth_id names the customer a change concerns, if any.
CREATE TABLE audit_events (
    seq             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    at              BIGINT NOT NULL,
    actor_kind      TEXT NOT NULL,
    actor_id        TEXT NOT NULL,
    partner_id      TEXT,
    account_auth_id TEXT,
    action          TEXT NOT NULL,
    target          TEXT NOT NULL,
    request_id      TEXT,
    idempotency_key TEXT,
    outcome         TEXT NOT NULL
);
-- A partner's page, newest first (its action filter walks the same index:
-- one more index on the write path of every change costs more than it saves).
CREATE INDEX audit_events_partner_seq ON audit_events (partner_id, seq);
CREATE INDEX audit_events_account_seq ON audit_events (account_auth_id, seq) WHERE account_auth_id IS NOT NULL;

-- ledger_append_only (00002) raises for any table it guards.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();

-- +goose Down
DROP TABLE audit_events;
