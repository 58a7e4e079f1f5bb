package benchtest

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/pgtest"
	"github.com/partnerd/partnerd/internal/secret"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

// The call-record goals (issue 11) are stated for a partner with 10,000
// customers and 1,000,000 CDRs in a month, beside a second partner with as
// many, so that the tenancy filters do real work.
const (
	CDRAccounts = 10_000
	CDRsEach    = 1_000_000
)

// cdrSeedVersion names the data buildCDRs writes (see seedVersion).
const cdrSeedVersion = "cdrs-v3"

// SeededCDRs is a cached database of two partners' calls.
type SeededCDRs struct {
	Path      string   `json:"-"`
	KeyHex    string   `json:"key"`
	PartnerID string   `json:"partner_id"` // the one the benchmarks read
	Token     string   `json:"token"`
	OtherID   string   `json:"other_id"`
	Accounts  []string `json:"accounts"` // PartnerID's customers
	Numbers   []string `json:"numbers"`  // the dialled numbers calls go to
	Now       int64    `json:"now"`      // when the month of calls ends
}

// Key is the secret key to open the database with.
func (s *SeededCDRs) Key() []byte {
	k, _ := hex.DecodeString(s.KeyHex)
	return k
}

// Open opens the seeded database for reading; it is closed when tb ends.
func (s *SeededCDRs) Open(tb testing.TB) *sqlstore.DB {
	tb.Helper()
	k, _ := hex.DecodeString(s.KeyHex)
	db, err := sqlstore.Open(context.Background(), sqlstore.Source{Driver: "sqlite", Path: s.Path}, sqlstore.Options{SecretKey: k})
	if err != nil {
		tb.Fatalf("Open(%s): %v", s.Path, err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// MustSeededCDRs returns the call-record database, built once (a few
// minutes) and cached under os.TempDir() like MustSeeded's.
func MustSeededCDRs(tb testing.TB) *SeededCDRs {
	tb.Helper()
	return mustCached(tb, cdrSeedVersion, readSeededCDRs, buildCDRs)
}

func readSeededCDRs(dir string) (*SeededCDRs, error) {
	b, err := os.ReadFile(filepath.Join(dir, "meta.json"))
	if err != nil {
		return nil, err
	}
	var s SeededCDRs
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, err
	}
	s.Path = filepath.Join(dir, "p.db")
	if _, err := os.Stat(s.Path); err != nil {
		return nil, err
	}
	if len(s.Accounts) != CDRAccounts {
		return nil, fmt.Errorf("meta.json has %d accounts", len(s.Accounts))
	}
	return &s, nil
}

// buildCDRs creates two partners through the store, then their customers,
// CDRs and usage aggregates inserted directly (the rows the charge path
// writes, without the ledger, which the read goals do not touch).
func buildCDRs(ctx context.Context, path string) (*SeededCDRs, error) {
	key := make([]byte, secret.KeySize)
	for i := range key {
		key[i] = byte(i*17 + 3)
	}
	db, err := sqlstore.Open(ctx, sqlstore.Source{Driver: "sqlite", Path: path}, sqlstore.Options{SecretKey: key})
	if err != nil {
		return nil, err
	}
	p, token, err := db.CreatePartner(ctx, partnerd.PartnerInput{Name: "Calls Telecom", Email: "ops@calls.example"})
	if err != nil {
		db.Close()
		return nil, err
	}
	other, _, err := db.CreatePartner(ctx, partnerd.PartnerInput{Name: "Other Telecom", Email: "ops@other.example"})
	db.Close()
	if err != nil {
		return nil, err
	}
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=synchronous(OFF)")
	if err != nil {
		return nil, err
	}
	defer raw.Close()
	raw.SetMaxOpenConns(1)
	rng := rand.New(rand.NewPCG(3, 4))
	now := time.Now().Unix()
	s := &SeededCDRs{KeyHex: hex.EncodeToString(key), PartnerID: p.ID, Token: token, OtherID: other.ID, Now: now}
	for i := range 1000 {
		s.Numbers = append(s.Numbers, fmt.Sprintf("+1415555%04d", i))
	}
	seen := map[string]bool{}
	for _, pid := range []string{p.ID, other.ID} {
		ids, err := seedCDRAccounts(ctx, raw, pid, rng, seen, now)
		if err != nil {
			return nil, err
		}
		if pid == p.ID {
			s.Accounts = ids
		}
		if err := seedCDRRows(ctx, raw, pid, ids, s.Numbers, rng, now); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func seedCDRAccounts(ctx context.Context, raw *sql.DB, partnerID string, rng *rand.Rand, seen map[string]bool, now int64) ([]string, error) {
	tx, err := raw.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	ids := make([]string, CDRAccounts)
	for i := range ids {
		id := seedAccountID(rng, seen)
		ids[i] = id
		name := Name(i)
		if _, err := tx.ExecContext(ctx, `INSERT INTO accounts (auth_id, partner_id, name, name_lower, email,
				password_hash, phone, country, timezone, account_type, status, token_hash, token_enc, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, 'x', '9431538535', 'IN', 'UTC', 'standard', 'active', ?, x'00', ?, ?)`,
			id, partnerID, name, strings.ToLower(name), partnerID+"-"+Email(i), []byte(id+partnerID), now, now); err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO wallets (id, kind, currency, balance, updated_at) VALUES (?, 'customer', 'INR', ?, ?)`,
			id, rng.IntN(200_00), now); err != nil {
			return nil, err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE partners SET account_count = ? WHERE id = ?`, CDRAccounts, partnerID); err != nil {
		return nil, err
	}
	return ids, tx.Commit()
}

// seedCDRRows inserts CDRsEach calls of a partner's customers over the 30
// days before now, in start order (as a switch reports them), with the
// usage aggregates and filter counts they make (the partner's zone is
// UTC).
func seedCDRRows(ctx context.Context, raw *sql.DB, partnerID string, ids, numbers []string, rng *rand.Rand, now int64) error {
	causes := []string{"NORMAL_CLEARING", "NORMAL_CLEARING", "NORMAL_CLEARING", "NO_ANSWER", "USER_BUSY", "CALL_REJECTED"}
	type dayKind struct {
		day  int64
		kind string
	}
	type dayAccount struct {
		day int64
		id  string
	}
	usage := map[dayKind]*[8]int64{}
	perAccount := map[dayAccount]*[2]int64{}
	type dayCause struct {
		dayKind
		cause string
	}
	type dayBillsec struct {
		dayKind
		billsec int
	}
	type dayNumber struct {
		dayKind
		number string
	}
	causeCounts := map[dayCause]int64{}
	billsecCounts := map[dayBillsec]int64{}
	numberCounts := map[dayNumber]*[2]int64{}
	count := func(k dayNumber, side int) {
		n := numberCounts[k]
		if n == nil {
			n = &[2]int64{}
			numberCounts[k] = n
		}
		n[side]++
	}
	start := now - 30*86400
	const batch = 50_000
	for lo := 0; lo < CDRsEach; lo += batch {
		tx, err := raw.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		st, err := tx.PrepareContext(ctx, `INSERT INTO cdrs (call_uuid, partner_id, account_auth_id, direction, from_number,
				to_number, start_time, answer_time, end_time, duration_seconds, billsec, hangup_cause, sip_response_code,
				prefix, rate_per_minute, cost, unbilled_amount, currency, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '1', 4500, ?, 0, 'INR', ?)`)
		if err != nil {
			tx.Rollback()
			return err
		}
		for i := lo; i < min(lo+batch, CDRsEach); i++ {
			at := start + int64(i)*30*86400/CDRsEach
			id := ids[rng.IntN(len(ids))]
			cause := causes[rng.IntN(len(causes))]
			billsec := 0
			if cause == "NORMAL_CLEARING" && rng.IntN(6) > 0 {
				billsec = 1 + rng.IntN(600)
			}
			var answer *int64
			if billsec > 0 {
				a := at + 4
				answer = &a
			}
			dir, from, to := "outbound", "+919876543210", numbers[rng.IntN(len(numbers))]
			if rng.IntN(4) == 0 {
				dir, from, to = "inbound", numbers[rng.IntN(len(numbers))], "+912271264217"
			}
			cost := int64(billsec) * 4500 / 60 / 100
			if _, err := st.ExecContext(ctx, fmt.Sprintf("%s-%08d", partnerID, i), partnerID, id, dir, from, to,
				at, answer, at+int64(billsec)+4, billsec+4, billsec, cause, 200, cost, at+int64(billsec)+4); err != nil {
				tx.Rollback()
				return err
			}
			day := at / 86400
			u := usage[dayKind{day, dir}]
			if u == nil {
				u = &[8]int64{}
				usage[dayKind{day, dir}] = u
			}
			u[0]++
			switch partnerd.CallStatus(billsec, &cause) {
			case partnerd.CallAnswered:
				u[1]++
			case partnerd.CallFailed:
				u[2]++
			case partnerd.CallNoAnswer:
				u[6]++
			case partnerd.CallBusy:
				u[7]++
			}
			u[3] += int64(billsec + 4)
			u[4] += cost
			u[5] += cost
			a := perAccount[dayAccount{day, id}]
			if a == nil {
				a = &[2]int64{}
				perAccount[dayAccount{day, id}] = a
			}
			a[0]++
			a[1] += cost
			causeCounts[dayCause{dayKind{day, dir}, cause}]++
			billsecCounts[dayBillsec{dayKind{day, dir}, billsec}]++
			count(dayNumber{dayKind{day, dir}, from}, 0)
			count(dayNumber{dayKind{day, dir}, to}, 1)
		}
		st.Close()
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	tx, err := raw.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for k, u := range usage {
		if _, err := tx.ExecContext(ctx, `INSERT INTO usage_daily (partner_id, day, kind, calls, answered, failed, no_answer, busy,
				duration, cost, spend)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, partnerID, k.day, k.kind, u[0], u[1], u[2], u[6], u[7], u[3], u[4], u[5]); err != nil {
			return err
		}
	}
	for k, a := range perAccount {
		if _, err := tx.ExecContext(ctx, `INSERT INTO usage_daily_account (partner_id, day, account_auth_id, calls, cost)
			VALUES (?, ?, ?, ?, ?)`, partnerID, k.day, k.id, a[0], a[1]); err != nil {
			return err
		}
	}
	for k, n := range causeCounts {
		if _, err := tx.ExecContext(ctx, `INSERT INTO usage_daily_cause (partner_id, day, kind, hangup_cause, calls)
			VALUES (?, ?, ?, ?, ?)`, partnerID, k.day, k.kind, k.cause, n); err != nil {
			return err
		}
	}
	for k, n := range billsecCounts {
		if _, err := tx.ExecContext(ctx, `INSERT INTO usage_daily_billsec (partner_id, day, kind, billsec, calls)
			VALUES (?, ?, ?, ?, ?)`, partnerID, k.day, k.kind, k.billsec, n); err != nil {
			return err
		}
	}
	for k, n := range numberCounts {
		if _, err := tx.ExecContext(ctx, `INSERT INTO usage_daily_number (partner_id, number, day, kind, from_calls, to_calls)
			VALUES (?, ?, ?, ?, ?, ?)`, partnerID, k.number, k.day, k.kind, n[0], n[1]); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// OpenPostgres returns the seeded database moved with sqlstore.Copy (as
// `partnerd copy` does) into PostgreSQL, or skips when no server is
// configured. The copy takes minutes, so, as with the SQLite files
// (mustCached), it is made once per seed into a base database
// (partnerd_bench_cdrs_v3), and each schema gets a clone of it
// (CREATE DATABASE … TEMPLATE, a file copy) that the store migrates when
// it opens it. A base it cannot migrate is left alone and the schema's
// database is copied anew.
func (s *SeededCDRs) OpenPostgres(tb testing.TB) *sqlstore.DB {
	tb.Helper()
	admin := pgtest.Require(tb)
	ctx := context.Background()
	schema, err := schemaVersion()
	if err != nil {
		tb.Fatalf("schema version: %v", err)
	}
	seed := strings.ReplaceAll(cdrSeedVersion, "-", "_")
	base, name := "partnerd_bench_"+seed, "partnerd_bench_"+schema+"_"+seed
	if !s.seededIn(ctx, tb, admin, name) {
		if !s.seededIn(ctx, tb, admin, base) {
			start := time.Now()
			if err := s.copyTo(ctx, tb, admin, base); err != nil {
				tb.Fatalf("copy the CDR seed to PostgreSQL: %v", err)
			}
			tb.Logf("copied the CDR seed into %s in %v", base, time.Since(start).Round(time.Millisecond))
		}
		if err := s.cloneTo(ctx, admin, base, name); err != nil {
			tb.Logf("clone %s: %v; copying the seed instead", base, err)
			if err := s.copyTo(ctx, tb, admin, name); err != nil {
				tb.Fatalf("copy the CDR seed to PostgreSQL: %v", err)
			}
		}
	}
	db, err := sqlstore.Open(ctx, sqlstore.Source{Driver: "postgres", DSN: dbDSN(tb, admin, name)}, sqlstore.Options{SecretKey: s.Key()})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// dbDSN is admin's DSN with the database name.
func dbDSN(tb testing.TB, admin, name string) string {
	u, err := url.Parse(admin)
	if err != nil {
		tb.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// seededIn reports whether the database name holds the seed: its
// partner's CDRs (a database that does not exist holds none).
func (s *SeededCDRs) seededIn(ctx context.Context, tb testing.TB, admin, name string) bool {
	raw, err := sql.Open("pgx", dbDSN(tb, admin, name))
	if err != nil {
		tb.Fatal(err)
	}
	defer raw.Close()
	var n int
	raw.QueryRowContext(ctx, `SELECT COUNT(*) FROM cdrs WHERE partner_id = $1`, s.PartnerID).Scan(&n)
	return n == CDRsEach
}

// cloneTo makes the database name a copy of base migrated by the store,
// with fresh statistics.
func (s *SeededCDRs) cloneTo(ctx context.Context, admin, base, name string) error {
	raw, err := sql.Open("pgx", admin)
	if err != nil {
		return err
	}
	defer raw.Close()
	if _, err := raw.ExecContext(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
		return err
	}
	if _, err := raw.ExecContext(ctx, `CREATE DATABASE `+name+` TEMPLATE `+base); err != nil {
		return err
	}
	u, err := url.Parse(admin)
	if err != nil {
		return err
	}
	u.Path = "/" + name
	db, err := sqlstore.Open(ctx, sqlstore.Source{Driver: "postgres", DSN: u.String()}, sqlstore.Options{SecretKey: s.Key()})
	if err == nil {
		db.Close()
		err = analyze(ctx, u.String())
	}
	if err != nil {
		raw.ExecContext(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`)
	}
	return err
}

// analyze gives the database at dsn statistics and a visibility map, as
// settled production tables have (as in SeededPostgres).
func analyze(ctx context.Context, dsn string) error {
	raw, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	defer raw.Close()
	_, err = raw.ExecContext(ctx, `VACUUM ANALYZE`)
	return err
}

// copyTo creates the database name anew and copies the seed (in this
// tree's schema) into it.
func (s *SeededCDRs) copyTo(ctx context.Context, tb testing.TB, admin, name string) error {
	dsn, err := pgtest.Recreate(admin, name)
	if err != nil {
		return err
	}
	db, err := sqlstore.Open(ctx, sqlstore.Source{Driver: "postgres", DSN: dsn}, sqlstore.Options{SecretKey: s.Key()})
	if err != nil {
		return err
	}
	defer db.Close()
	if err := sqlstore.Copy(ctx, s.Open(tb), db, io.Discard); err != nil {
		return err
	}
	return analyze(ctx, dsn)
}
