package sqlstore_test

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/secret"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

// seedVersion names the data seedAccounts writes; change it whenever the
// generator changes, so a stale cached database is not reused.
const seedVersion = "accounts-v1"

// seeded describes a cached bench database: one partner with many accounts.
type seeded struct {
	Path      string `json:"-"`
	Key       string `json:"key"` // hex secret key the tokens are sealed with
	PartnerID string `json:"partner_id"`
	Token     string `json:"token"` // the partner's token, for HTTP requests
	Accounts  int    `json:"accounts"`
}

func (s *seeded) key() []byte {
	k, _ := hex.DecodeString(s.Key)
	return k
}

// mustSeeded returns a database holding one partner with n accounts. It is
// built once and cached under os.TempDir(), keyed by the schema and
// seedVersion, so later runs open it in milliseconds. Seeded databases are
// for reading: benchmarks must not write to them.
func mustSeeded(tb testing.TB, n int) *seeded {
	tb.Helper()
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("partnerd-bench-%s-%s-%d", sqlstore.SchemaVersion(), seedVersion, n))
	if s, err := readSeeded(dir); err == nil {
		return s
	}
	start := time.Now()
	tmp, err := os.MkdirTemp(os.TempDir(), "partnerd-bench-build-")
	if err != nil {
		tb.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	s, err := buildSeeded(context.Background(), filepath.Join(tmp, "p.db"), n)
	if err != nil {
		tb.Fatalf("seeding %d accounts: %v", n, err)
	}
	meta, _ := json.Marshal(s)
	if err := os.WriteFile(filepath.Join(tmp, "meta.json"), meta, 0o600); err != nil {
		tb.Fatal(err)
	}
	// The rename publishes a complete database at once; if another process
	// won the race, its copy is as good as ours.
	if err := os.Rename(tmp, dir); err != nil {
		if _, err2 := readSeeded(dir); err2 != nil {
			tb.Fatalf("publishing seeded database: %v", err)
		}
	}
	tb.Logf("seeded %d accounts in %v into %s", n, time.Since(start).Round(time.Millisecond), dir)
	s, err = readSeeded(dir)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func readSeeded(dir string) (*seeded, error) {
	b, err := os.ReadFile(filepath.Join(dir, "meta.json"))
	if err != nil {
		return nil, err
	}
	var s seeded
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, err
	}
	s.Path = filepath.Join(dir, "p.db")
	if _, err := os.Stat(s.Path); err != nil {
		return nil, err
	}
	if len(s.key()) != secret.KeySize || s.PartnerID == "" || s.Token == "" {
		return nil, errors.New("incomplete meta.json")
	}
	return &s, nil
}

// Word lists for names that look like a reseller's customers: 30×30
// adjective–noun pairs, so a noun fragment selects about 1 row in 30.
var (
	seedAdjectives = []string{"Agile", "Bright", "Coastal", "Deccan", "Eastern", "Fast", "Global", "Harbor",
		"Indigo", "Jade", "Kinetic", "Lotus", "Metro", "Northern", "Orbit", "Prime", "Quantum", "Royal",
		"Saffron", "Tidal", "Unity", "Vivid", "Western", "Xenon", "Yellow", "Zenith", "Amber", "Blue", "Crimson", "Delta"}
	seedNouns = []string{"Falcon", "Harvest", "Circuit", "Voyage", "Summit", "Bridge", "Cascade", "Signal",
		"Anchor", "Beacon", "Canyon", "Dynamo", "Ember", "Forge", "Granite", "Horizon", "Island", "Junction",
		"Keystone", "Lantern", "Meadow", "Nexus", "Oasis", "Pinnacle", "Quarry", "Ridge", "Spire", "Tundra",
		"Vertex", "Willow"}
	seedDomains = []string{"gmail", "yahoo", "outlook", "rediffmail", "zohomail", "protonmail", "icloud",
		"hotmail", "fastmail", "tutanota"}
)

// seedName and seedEmail are the generated fields of the i-th account
// (0-based); the benchmarks use them to pick search terms.
func seedName(i int) string {
	return fmt.Sprintf("%s %s %d Pvt Ltd", seedAdjectives[(i*7)%len(seedAdjectives)], seedNoun(i), i+1)
}

func seedNoun(i int) string { return seedNouns[(i/3)%len(seedNouns)] }

func seedEmail(i int) string {
	return fmt.Sprintf("user%d@%s.com", i+1, seedDomains[i%len(seedDomains)])
}

// buildSeeded creates the database at path: one partner through the real
// CreatePartner, then n accounts inserted directly in a few large
// transactions. Going around CreateAccount skips argon2 (about 70 ms per
// account): every row shares one password hash, computed once, while each
// still gets its own token sealed with the store's box, so Account reads
// exactly what production rows hold.
func buildSeeded(ctx context.Context, path string, n int) (*seeded, error) {
	key := make([]byte, secret.KeySize)
	for i := range key {
		key[i] = byte(i*31 + 7)
	}
	db, err := sqlstore.Open(ctx, sqlstore.Source{Driver: "sqlite", Path: path}, sqlstore.Options{SecretKey: key})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	p, token, err := db.CreatePartner(ctx, partnerd.PartnerInput{Name: "Bench Telecom", Email: "ops@bench.example"})
	if err != nil {
		return nil, err
	}
	pwHash, err := secret.HashPassword("SecurePass@123")
	if err != nil {
		return nil, err
	}
	box := db.Box()
	rng := rand.New(rand.NewPCG(1, 2))
	seen := make(map[string]bool, n)
	// Creation times spread over the last n minutes, oldest first, as if
	// the partner had signed customers up over a couple of months.
	base := time.Now().Unix() - int64(n)*60
	const batch = 10_000
	for lo := 0; lo < n; lo += batch {
		hi := min(lo+batch, n)
		err := db.Update(ctx, func(tx *sql.Tx) error {
			insAccount, err := tx.PrepareContext(ctx, `INSERT INTO accounts (auth_id, partner_id, name, name_lower, email,
					password_hash, phone, country, timezone, account_type, status, token_hash, token_enc, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, 'IN', 'Asia/Kolkata', 'standard', 'active', ?, ?, ?, ?)`)
			if err != nil {
				return err
			}
			defer insAccount.Close()
			insWallet, err := tx.PrepareContext(ctx, `INSERT INTO wallets (id, kind, currency, balance, updated_at)
				VALUES (?, 'customer', ?, 0, ?)`)
			if err != nil {
				return err
			}
			defer insWallet.Close()
			for i := lo; i < hi; i++ {
				id := seedAccountID(rng, seen)
				tok := secret.NewToken()
				created := base + int64(i)*60
				name := seedName(i)
				if _, err := insAccount.ExecContext(ctx, id, p.ID, name, strings.ToLower(name), seedEmail(i), pwHash,
					fmt.Sprintf("98%08d", i), secret.HashToken(tok), box.SealWith([]byte(tok), []byte(id)),
					created, created); err != nil {
					return fmt.Errorf("account %d: %w", i, err)
				}
				if _, err := insWallet.ExecContext(ctx, id, p.Currency, created); err != nil {
					return fmt.Errorf("wallet %d: %w", i, err)
				}
			}
			_, err = tx.ExecContext(ctx, `UPDATE partners SET account_count = account_count + ? WHERE id = ?`, hi-lo, p.ID)
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	// No ANALYZE and no FTS 'optimize': the server runs neither, so the
	// benchmarks see the plans and index segments production would.
	return &seeded{Key: hex.EncodeToString(key), PartnerID: p.ID, Token: token, Accounts: n}, nil
}

// seedAccountID returns an auth_id not yet in seen. 100,000 random 32-bit
// ids collide about once, so the check matters.
func seedAccountID(rng *rand.Rand, seen map[string]bool) string {
	for {
		id := fmt.Sprintf("MA_%08x", rng.Uint32())
		if !seen[id] {
			seen[id] = true
			return id
		}
	}
}
