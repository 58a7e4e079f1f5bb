package sqlstore_test

import (
	"testing"

	"github.com/partnerd/partnerd/internal/pgtest"
	"github.com/partnerd/partnerd/internal/storetest"
)

func TestSQLiteLifecycle(t *testing.T) {
	storetest.RunLifecycle(t, sqliteStores[storetest.LifecycleStore])
}

func TestPostgresLifecycle(t *testing.T) {
	pgtest.Require(t)
	storetest.RunLifecycle(t, postgresStores[storetest.LifecycleStore])
}
