-- +goose Up
-- A rotated-out webhook secret keeps signing until the end of the overlap
-- its rotation promised (API.md §8), whatever rotations follow. One
-- old_secret column held one: a second rotation inside the first's
-- overlap silenced the first's old secret at once. Each rotated-out
-- secret now has a row of its own, which signs while signs_until (Unix
-- seconds) is ahead; the endpoint's rotations delete the rows whose
-- window has passed. secret_enc is sealed like secret_enc of its
-- endpoint (bound to the endpoint's id).
CREATE TABLE webhook_old_secrets (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    endpoint_id TEXT NOT NULL,
    secret_enc  BLOB NOT NULL,
    signs_until INTEGER NOT NULL
);
CREATE INDEX webhook_old_secrets_endpoint ON webhook_old_secrets (endpoint_id, signs_until);

INSERT INTO webhook_old_secrets (endpoint_id, secret_enc, signs_until)
    SELECT id, old_secret_enc, old_secret_until FROM webhook_endpoints
    WHERE old_secret_enc IS NOT NULL AND old_secret_until IS NOT NULL ORDER BY seq;
-- The two columns stay, unread, so that instances of the previous
-- version keep running beside migrated ones during a rolling upgrade; a
-- later migration drops them.

-- +goose Down
-- Back to one old secret per endpoint: the one rotated out last.
UPDATE webhook_endpoints SET
    old_secret_enc = (SELECT o.secret_enc FROM webhook_old_secrets o WHERE o.endpoint_id = webhook_endpoints.id ORDER BY o.seq DESC LIMIT 1),
    old_secret_until = (SELECT o.signs_until FROM webhook_old_secrets o WHERE o.endpoint_id = webhook_endpoints.id ORDER BY o.seq DESC LIMIT 1);
DROP TABLE webhook_old_secrets;
