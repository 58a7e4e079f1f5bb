package sqlstore_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

// checkPartnerEmailTaken: a partner's email is unique, whatever its case.
func checkPartnerEmailTaken(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	if _, _, err := db.CreatePartner(ctx, partnerd.PartnerInput{Name: "Acme", Email: "ops@acme.example"}); err != nil {
		t.Fatal(err)
	}
	for _, email := range []string{"ops@acme.example", "OPS@Acme.Example"} {
		_, _, err := db.CreatePartner(ctx, partnerd.PartnerInput{Name: "Acme again", Email: email})
		if code := partnerd.ErrorCode(err); code != partnerd.ECEmailTaken {
			t.Errorf("CreatePartner with %s again: %v, want %s", email, err, partnerd.ECEmailTaken)
		}
	}
	if ps, err := db.ListPartners(ctx); err != nil || len(ps) != 1 {
		t.Errorf("ListPartners = %d partners, %v; want the first only", len(ps), err)
	}
}

func TestSQLitePartnerEmailTaken(t *testing.T) {
	checkPartnerEmailTaken(t, mustOpen(t, filepath.Join(t.TempDir(), "p.db"), testKey(t)))
}

func TestPostgresPartnerEmailTaken(t *testing.T) {
	checkPartnerEmailTaken(t, mustOpenPostgres(t))
}
