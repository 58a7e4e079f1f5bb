-- +goose Up
-- The writer charges a batch of call records with one multi-row INSERT
-- per table (cdr_sqlite.go), and writes a transfer's two entries with
-- one (post). SQLite gives such a statement a statement journal, a copy
-- of every page it is about to change, whenever the statement might
-- have to undo itself half-way: a NOT NULL, CHECK or UNIQUE failure under
-- the default ABORT, or an immediate foreign key. On CDR ingest that
-- copying was 5-6 % of the writer's time (measured with random
-- call_uuids). Those statements now say OR FAIL, which needs no journal:
-- a failure leaves the rows before it, and the writer then rolls back
-- the transaction, or the request's savepoint, as it does on any error,
-- so a half-written statement is never kept. The foreign keys of the
-- ledger's entries and of the call records are made DEFERRABLE INITIALLY
-- DEFERRED: still enforced, by COMMIT instead of by each statement (a
-- batch whose commit one refuses runs again, a request per transaction,
-- so only the request at fault fails: writer.go).
--
-- SQLite cannot alter a constraint. Making one deferrable leaves the
-- stored rows and indexes as they are, so the change is made as SQLite's
-- documentation describes for such changes ("Making Other Kinds Of Table
-- Schema Changes", https://www.sqlite.org/lang_altertable.html): the two
-- tables' CREATE statements are edited in sqlite_schema, this connection
-- reloads them (RESET), and the trigger change below raises the schema
-- version, so every other connection reads them again.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema SET sql = replace(replace(sql,
        'REFERENCES ledger_transactions (id),', 'REFERENCES ledger_transactions (id) DEFERRABLE INITIALLY DEFERRED,'),
        'REFERENCES wallets (id),', 'REFERENCES wallets (id) DEFERRABLE INITIALLY DEFERRED,')
    WHERE type = 'table' AND name = 'ledger_entries';
UPDATE sqlite_schema SET sql = replace(replace(replace(sql,
        'REFERENCES partners (id),', 'REFERENCES partners (id) DEFERRABLE INITIALLY DEFERRED,'),
        'REFERENCES accounts (auth_id),', 'REFERENCES accounts (auth_id) DEFERRABLE INITIALLY DEFERRED,'),
        'REFERENCES ledger_transactions (id),', 'REFERENCES ledger_transactions (id) DEFERRABLE INITIALLY DEFERRED,')
    WHERE type = 'table' AND name = 'cdrs';
PRAGMA writable_schema = RESET;

-- The statement's OR FAIL would also override the trigger's OR IGNORE
-- (a trigger's statements take the conflict policy of the statement that
-- fired it), failing every call of a number already known. An upsert
-- clause is not overridden.
DROP TRIGGER cdrs_search_insert;

-- +goose StatementBegin
CREATE TRIGGER cdrs_search_insert AFTER INSERT ON cdrs BEGIN
    INSERT INTO cdr_numbers (partner_id, number) VALUES (new.partner_id, new.from_number), (new.partner_id, new.to_number)
        ON CONFLICT DO NOTHING;
END;
-- +goose StatementEnd

-- +goose Down
PRAGMA writable_schema = ON;
UPDATE sqlite_schema SET sql = replace(sql, ' DEFERRABLE INITIALLY DEFERRED,', ',')
    WHERE type = 'table' AND name IN ('ledger_entries', 'cdrs');
PRAGMA writable_schema = RESET;

DROP TRIGGER cdrs_search_insert;

-- +goose StatementBegin
CREATE TRIGGER cdrs_search_insert AFTER INSERT ON cdrs BEGIN
    INSERT OR IGNORE INTO cdr_numbers (partner_id, number) VALUES (new.partner_id, new.from_number), (new.partner_id, new.to_number);
END;
-- +goose StatementEnd
