package benchtest

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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

// Accounts is the size of the partner the list and search goals are
// stated for (issue: 100,000 customers of one partner).
const Accounts = 100_000

// seedVersion names the data buildSeeded writes; change it whenever the
// generator changes, so a stale cached database is not reused.
const seedVersion = "accounts-v1"

// Seeded describes a cached bench database: one partner with many accounts.
type Seeded struct {
	Path      string `json:"-"`
	KeyHex    string `json:"key"` // hex secret key the tokens are sealed with
	PartnerID string `json:"partner_id"`
	Token     string `json:"token"` // the partner's token, for HTTP requests
	Accounts  int    `json:"accounts"`
}

// Key is the secret key to open the database with.
func (s *Seeded) Key() []byte {
	k, _ := hex.DecodeString(s.KeyHex)
	return k
}

// Open opens the seeded database; it is closed when tb ends. Seeded
// databases are for reading: benchmarks must not write to them.
func (s *Seeded) Open(tb testing.TB) *sqlstore.DB {
	tb.Helper()
	db, err := sqlstore.Open(context.Background(), sqlstore.Source{Driver: "sqlite", Path: s.Path}, sqlstore.Options{SecretKey: s.Key()})
	if err != nil {
		tb.Fatalf("Open(%s): %v", s.Path, err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// IDs returns the partner's auth_ids in creation order: index i is the
// account named Name(i).
func (s *Seeded) IDs(tb testing.TB) []string {
	tb.Helper()
	raw, err := sql.Open("sqlite", "file:"+s.Path+"?mode=ro")
	if err != nil {
		tb.Fatal(err)
	}
	defer raw.Close()
	rows, err := raw.Query(`SELECT auth_id FROM accounts WHERE partner_id = ? ORDER BY seq`, s.PartnerID)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	ids := make([]string, 0, s.Accounts)
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			tb.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil || len(ids) != s.Accounts {
		tb.Fatalf("seeded database has %d accounts (err %v), want %d", len(ids), err, s.Accounts)
	}
	return ids
}

// MustSeeded returns a database holding one partner with n accounts. It is
// built once and cached under os.TempDir(), keyed by the schema the store
// creates and seedVersion, so later runs open it in milliseconds.
func MustSeeded(tb testing.TB, n int) *Seeded {
	tb.Helper()
	return mustCached(tb, fmt.Sprintf("%s-%d", seedVersion, n), readSeeded,
		func(ctx context.Context, path string) (*Seeded, error) { return buildSeeded(ctx, path, n) })
}

// mustCached returns the database named name, in the schema the store
// creates now. Seeding is slow (about 25 minutes for the call records), so
// the seed is built once per name into a base directory under
// os.TempDir() (partnerd-bench-NAME), whatever the migrations; each schema
// then gets its own copy of the base (partnerd-bench-SCHEMA-NAME), which
// the store brings up to date when the copy is opened: it applies newer
// migrations, and fills the aggregates one asks for (as 00020 does) from
// the seeded rows. A migration thus costs a copy and its own work, seconds
// to a minute, not a new seed. The base itself is never opened by the
// store. A base that the store cannot migrate (it holds a migration this
// tree does not know) is left alone, and this schema is seeded from
// scratch. Directories are published by a rename, complete at once; if
// another process won the race, its copy is as good.
func mustCached[T interface{ Key() []byte }](tb testing.TB, name string, read func(dir string) (T, error),
	build func(ctx context.Context, path string) (T, error)) T {
	tb.Helper()
	schema, err := schemaVersion()
	if err != nil {
		tb.Fatalf("schema version: %v", err)
	}
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("partnerd-bench-%s-%s", schema, name))
	if s, err := read(dir); err == nil {
		return s
	}
	base := filepath.Join(os.TempDir(), "partnerd-bench-"+name)
	seed := func(dir string) {
		start := time.Now()
		if !publish(tb, dir, read, func(path string) (T, error) { return build(context.Background(), path) }) {
			tb.Fatalf("seeding %s failed", name)
		}
		tb.Logf("seeded %s in %v into %s", name, time.Since(start).Round(time.Millisecond), dir)
	}
	if _, err := read(base); err != nil {
		seed(base)
	}
	start := time.Now()
	ok := publish(tb, dir, read, func(path string) (T, error) {
		s, err := read(base)
		if err != nil {
			return s, err
		}
		if err := CopyFile(filepath.Join(base, "p.db"), path); err != nil {
			return s, err
		}
		db, err := sqlstore.Open(context.Background(), sqlstore.Source{Driver: "sqlite", Path: path},
			sqlstore.Options{SecretKey: s.Key()})
		if err != nil {
			return s, fmt.Errorf("migrate a copy of %s: %w", base, err)
		}
		return s, db.Close()
	})
	if ok {
		tb.Logf("copied and migrated %s in %v into %s", base, time.Since(start).Round(time.Millisecond), dir)
	} else {
		seed(dir)
	}
	s, err := read(dir)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// publish makes the directory dir holding p.db, written by make, and
// meta.json, its description; it reports false (and logs why) when make
// failed.
func publish[T any](tb testing.TB, dir string, read func(dir string) (T, error), make func(path string) (T, error)) bool {
	tb.Helper()
	tmp, err := os.MkdirTemp(os.TempDir(), "partnerd-bench-build-")
	if err != nil {
		tb.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	s, err := make(filepath.Join(tmp, "p.db"))
	if err != nil {
		tb.Logf("building %s: %v", dir, err)
		return false
	}
	meta, _ := json.Marshal(s)
	if err := os.WriteFile(filepath.Join(tmp, "meta.json"), meta, 0o600); err != nil {
		tb.Fatal(err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, err2 := read(dir); err2 != nil {
			tb.Fatalf("publishing seeded database: %v", err)
		}
	}
	return true
}

// CopyFile copies the file src to dst, a new file (a database closed by
// the store has no -wal file: the store checkpoints on close).
func CopyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// schemaVersion is a digest of the schema the store creates on an empty
// SQLite database: a cached seeded database is reused only while the
// migrations are unchanged.
func schemaVersion() (string, error) {
	dir, err := os.MkdirTemp("", "partnerd-schema-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "s.db")
	db, err := sqlstore.Open(context.Background(), sqlstore.Source{Driver: "sqlite", Path: path},
		sqlstore.Options{SecretKey: make([]byte, secret.KeySize)})
	if err != nil {
		return "", err
	}
	db.Close()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		return "", err
	}
	defer raw.Close()
	rows, err := raw.Query(`SELECT type, name, COALESCE(sql, '') FROM sqlite_master ORDER BY type, name`)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	h := sha256.New()
	for rows.Next() {
		var typ, name, text string
		if err := rows.Scan(&typ, &name, &text); err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%s\x00%s\x00", typ, name, text)
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

func readSeeded(dir string) (*Seeded, error) {
	b, err := os.ReadFile(filepath.Join(dir, "meta.json"))
	if err != nil {
		return nil, err
	}
	var s Seeded
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, err
	}
	s.Path = filepath.Join(dir, "p.db")
	if _, err := os.Stat(s.Path); err != nil {
		return nil, err
	}
	if len(s.Key()) != secret.KeySize || s.PartnerID == "" || s.Token == "" {
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

// Name and Email are the generated fields of the i-th account (0-based);
// the benchmarks use them to pick search terms.
func Name(i int) string {
	return fmt.Sprintf("%s %s %d Pvt Ltd", seedAdjectives[(i*7)%len(seedAdjectives)], Noun(i), i+1)
}

// Noun is the noun in Name(i).
func Noun(i int) string { return seedNouns[(i/3)%len(seedNouns)] }

// Email is the i-th account's email.
func Email(i int) string {
	return fmt.Sprintf("user%d@%s.com", i+1, seedDomains[i%len(seedDomains)])
}

// buildSeeded creates the database at path: one partner through the real
// CreatePartner, then n accounts inserted directly in a few large
// transactions. Going around CreateAccount skips argon2 (about 70 ms per
// account): every row shares one password hash, computed once, while each
// still gets its own token sealed with the store's key, so Account reads
// exactly what production rows hold.
func buildSeeded(ctx context.Context, path string, n int) (*Seeded, error) {
	key := make([]byte, secret.KeySize)
	for i := range key {
		key[i] = byte(i*31 + 7)
	}
	db, err := sqlstore.Open(ctx, sqlstore.Source{Driver: "sqlite", Path: path}, sqlstore.Options{SecretKey: key})
	if err != nil {
		return nil, err
	}
	p, token, err := db.CreatePartner(ctx, partnerd.PartnerInput{Name: "Bench Telecom", Email: "ops@bench.example"})
	db.Close()
	if err != nil {
		return nil, err
	}
	pwHash, err := secret.HashPassword("SecurePass@123")
	if err != nil {
		return nil, err
	}
	box, err := secret.NewBox(key)
	if err != nil {
		return nil, err
	}
	// The store is closed: its file is written directly, one connection.
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		return nil, err
	}
	defer raw.Close()
	raw.SetMaxOpenConns(1)
	rng := rand.New(rand.NewPCG(1, 2))
	seen := make(map[string]bool, n)
	// Creation times spread over the last n minutes, oldest first, as if
	// the partner had signed customers up over a couple of months.
	base := time.Now().Unix() - int64(n)*60
	const batch = 10_000
	for lo := 0; lo < n; lo += batch {
		hi := min(lo+batch, n)
		if err := seedBatch(ctx, raw, p, pwHash, box, rng, seen, base, lo, hi); err != nil {
			return nil, err
		}
	}
	// No ANALYZE and no FTS 'optimize': the server runs neither, so the
	// benchmarks see the plans and index segments production would.
	return &Seeded{KeyHex: hex.EncodeToString(key), PartnerID: p.ID, Token: token, Accounts: n}, nil
}

// seedBatch inserts accounts lo to hi-1 in one transaction.
func seedBatch(ctx context.Context, raw *sql.DB, p *partnerd.Partner, pwHash string, box *secret.Box,
	rng *rand.Rand, seen map[string]bool, base int64, lo, hi int) error {
	tx, err := raw.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
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
		name := Name(i)
		if _, err := insAccount.ExecContext(ctx, id, p.ID, name, strings.ToLower(name), Email(i), pwHash,
			fmt.Sprintf("98%08d", i), secret.HashToken(tok), box.SealWith([]byte(tok), []byte(id)),
			created, created); err != nil {
			return fmt.Errorf("account %d: %w", i, err)
		}
		if _, err := insWallet.ExecContext(ctx, id, p.Currency, created); err != nil {
			return fmt.Errorf("wallet %d: %w", i, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE partners SET account_count = account_count + ? WHERE id = ?`, hi-lo, p.ID); err != nil {
		return err
	}
	return tx.Commit()
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
