package sqlstore_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/partnerd/partnerd/internal/pgtest"
	"github.com/partnerd/partnerd/internal/sqlstore"
	"github.com/partnerd/partnerd/internal/storetest"
)

// setStatus sets a customer's status directly, as the account lifecycle
// (suspend, close) will.
func setStatus(t *testing.T, s storetest.SIPStore, authID, status string) {
	t.Helper()
	db := s.(*sqlstore.DB)
	// Both are safe literals (a status constant and an MA_ id), so the
	// statement needs no placeholders, which differ between the engines.
	err := db.Update(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec(`UPDATE accounts SET status = '` + status + `' WHERE auth_id = '` + authID + `'`)
		return err
	})
	if err != nil {
		t.Fatalf("set status of %s to %s: %v", authID, status, err)
	}
}

func TestSQLiteSIP(t *testing.T) {
	storetest.RunSIP(t, func(t *testing.T) storetest.SIPStore {
		return mustOpen(t, filepath.Join(t.TempDir(), "p.db"), testKey(t))
	}, setStatus)
}

func TestPostgresSIP(t *testing.T) {
	pgtest.Require(t)
	storetest.RunSIP(t, func(t *testing.T) storetest.SIPStore { return mustOpenPostgres(t) }, setStatus)
}
