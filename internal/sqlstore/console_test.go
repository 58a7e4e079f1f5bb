package sqlstore_test

import (
	"context"
	"crypto/sha256"
	"path/filepath"
	"testing"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/pgtest"
	"github.com/partnerd/partnerd/internal/storetest"
)

func TestSQLiteConsole(t *testing.T) {
	storetest.RunConsole(t, sqliteStores[storetest.ConsoleStore])
}

func TestPostgresConsole(t *testing.T) {
	pgtest.Require(t)
	storetest.RunConsole(t, postgresStores[storetest.ConsoleStore])
}

// TestConsoleSessionIdle: a session used within 12 hours lives on (each
// use moves its idle timeout), and one idle for 12 hours is gone.
func TestConsoleSessionIdle(t *testing.T) {
	db := mustOpen(t, filepath.Join(t.TempDir(), "p.db"), testKey(t))
	ctx := context.Background()
	p, _, err := db.CreatePartner(ctx, partnerd.PartnerInput{Name: "Idle", Email: "ops@idle.example"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 25, 10, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return now }
	id := sha256.Sum256([]byte("session"))
	if err := db.CreateConsoleSession(ctx, p.ID, id[:], p.Email, 0); err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		after time.Duration
		alive bool
	}{{11 * time.Hour, true}, {11 * time.Hour, true}, {12 * time.Hour, false}} {
		now = now.Add(step.after)
		_, err := db.ConsoleSession(ctx, id[:])
		if alive := err == nil; alive != step.alive {
			t.Errorf("session after %v idle: alive %v (%v), want %v", step.after, alive, err, step.alive)
		}
	}
}
