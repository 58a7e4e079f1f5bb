package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/client"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

// TestRateImport runs "partnerd rate import" of the real binary: a good
// file replaces the deck, a file with bad rows reports each with its line
// number and changes nothing, and usage mistakes exit 2.
func TestRateImport(t *testing.T) {
	t.Parallel()
	bin := crashBuildBinary(t)
	env := crashEnv()
	dir := t.TempDir()
	at := func(name string) string { return filepath.Join(dir, name) }
	file := func(name, body string) string {
		t.Helper()
		if err := os.WriteFile(at(name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return at(name)
	}
	db := at("p.db")
	if _, errOut, code := crashRunEnv(t, bin, env, "migrate", "--db", db); code != 0 {
		t.Fatalf("migrate: exit %d\n%s", code, errOut)
	}
	out, errOut, code := crashRunEnv(t, bin, env, "partner", "create", "--db", db, "--name", "Acme", "--email", "ops@acme.example")
	if code != 0 {
		t.Fatalf("partner create: exit %d\n%s", code, errOut)
	}
	var p struct {
		AuthID string `json:"auth_id"`
	}
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	const header = "direction,prefix,rate_per_minute,initial_increment,subsequent_increment\n"
	deck := func() []partnerd.Rate {
		t.Helper()
		s, err := sqlstore.Open(context.Background(), sqlstore.Source{Driver: "sqlite", Path: db}, sqlstore.Options{MustExist: true})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		rates, _, err := s.ListRates(context.Background(), p.AuthID, partnerd.RateFilter{Page: partnerd.Page{Page: 1, Size: 100}})
		if err != nil {
			t.Fatal(err)
		}
		out := make([]partnerd.Rate, len(rates))
		for i, r := range rates {
			out[i] = *r
		}
		return out
	}

	good := file("good.csv", "direction,prefix,rate_per_minute,initial_increment,subsequent_increment\n"+
		"outbound,91,0.45,60,60\n"+
		"outbound,9122,0.0075,1,1\n"+
		"inbound,912271264217,0,1,1\n"+
		"outbound,1,1.2345,30,6\n")
	out, errOut, code = crashRunEnv(t, bin, env, "rate", "import", "--db", db, "--partner", p.AuthID, good)
	if code != 0 {
		t.Fatalf("rate import good.csv: exit %d\n%s%s", code, out, errOut)
	}
	var summary map[string]any
	if err := json.Unmarshal([]byte(out), &summary); err != nil {
		t.Fatalf("summary is not JSON: %v\n%s", err, out)
	}
	wantSummary := map[string]any{"partner_id": p.AuthID, "imported": 4.0, "inbound": 1.0, "outbound": 3.0}
	if diff := cmp.Diff(wantSummary, summary); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	wantDeck := []partnerd.Rate{
		{Direction: "inbound", Prefix: "912271264217", PerMinute: 0, InitialIncrement: 1, SubsequentIncrement: 1},
		{Direction: "outbound", Prefix: "1", PerMinute: 12_345, InitialIncrement: 30, SubsequentIncrement: 6},
		{Direction: "outbound", Prefix: "91", PerMinute: 4500, InitialIncrement: 60, SubsequentIncrement: 60},
		{Direction: "outbound", Prefix: "9122", PerMinute: 75, InitialIncrement: 1, SubsequentIncrement: 1},
	}
	if diff := cmp.Diff(wantDeck, deck()); diff != "" {
		t.Fatalf("deck after import (-want +got):\n%s", diff)
	}

	// Every bad row is reported with its line number; nothing changes.
	bad := file("bad.csv", "direction,prefix,rate_per_minute,initial_increment,subsequent_increment\n"+
		"outbound,44,0.10,60,60\n"+ // line 2: good
		"sideways,44,0.10,60,60\n"+ // 3
		"outbound,+44,0.10,60,60\n"+ // 4
		"outbound,45,0.12345,60,60\n"+ // 5
		"outbound,46,0.10,0,60\n"+ // 6
		"\n"+ // 7: blank, skipped
		"outbound,44,0.20,1,1\n"+ // 8: repeats line 2
		"inbound,44,0.20,1,1\n"+ // 9: good (other direction)
		"outbound,47,0.10\n"+ // 10: short
		"outbound,48,-1,1,1\n") // 11
	out, errOut, code = crashRunEnv(t, bin, env, "rate", "import", "--db", db, "--partner", p.AuthID, bad)
	if code != 1 {
		t.Errorf("rate import bad.csv: exit %d, want 1\n%s%s", code, out, errOut)
	}
	lines := regexp.MustCompile(`(?m)^line (\d+): `).FindAllStringSubmatch(errOut, -1)
	var got []string
	for _, m := range lines {
		got = append(got, m[1])
	}
	if diff := cmp.Diff([]string{"3", "4", "5", "6", "8", "10", "11"}, got); diff != "" {
		t.Errorf("lines reported (-want +got):\n%s\nstderr:\n%s", diff, errOut)
	}
	for _, want := range []string{"line 8: outbound prefix 44 repeats line 2", "line 10: has 3 fields, want 5", "unchanged"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr does not contain %q:\n%s", want, errOut)
		}
	}
	if out != "" {
		t.Errorf("stdout of a refused import = %q, want nothing", out)
	}
	if diff := cmp.Diff(wantDeck, deck()); diff != "" {
		t.Errorf("deck after a refused import changed (-want +got):\n%s", diff)
	}

	// A large file shows progress and replaces the whole deck.
	var b strings.Builder
	b.WriteString("direction,prefix,rate_per_minute,initial_increment,subsequent_increment\n")
	for i := range 25_000 {
		fmt.Fprintf(&b, "outbound,%d,0.%04d,1,1\n", 100_000+i, i%10_000)
	}
	large := file("large.csv", b.String())
	out, errOut, code = crashRunEnv(t, bin, env, "rate", "import", "--db", db, "--partner", p.AuthID, large)
	if code != 0 {
		t.Fatalf("rate import large.csv: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"10000 rows read", "20000 rows read", "with 25000 rates"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr of a large import does not contain %q:\n%s", want, errOut)
		}
	}
	if !strings.Contains(out, `"imported":25000`) {
		t.Errorf("summary of a large import = %s, want 25000 imported", out)
	}
	if d := deck(); len(d) != 100 || d[0].Prefix != "100000" {
		t.Errorf("first page after a large import = %d rates from %+v, want 100 from prefix 100000", len(d), d[:1])
	}

	// Mistakes.
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"help", []string{"rate", "import", "--help"}, 0, "usage: partnerd rate import [flags] FILE.csv", ""},
		{"help names --allow-empty", []string{"rate", "import", "--help"}, 0, "-allow-empty\n    \taccept a file of no rates", ""},
		{"group help", []string{"rate", "--help"}, 0, "rate import", ""},
		{"no partner", []string{"rate", "import", "--db", db, good}, 2, "", "--partner must be a partner id"},
		{"bad partner id", []string{"rate", "import", "--db", db, "--partner", "acme", good}, 2, "", "--partner must be a partner id"},
		{"no file", []string{"rate", "import", "--db", db, "--partner", p.AuthID}, 2, "", "rate import takes 1 argument after its flags"},
		{"flag after the file", []string{"rate", "import", "--db", db, good, "--partner", p.AuthID}, 2, "", ""},
		{"unknown partner", []string{"rate", "import", "--db", db, "--partner", "PA_NOSUCH00", good}, 1, "", partnerd.ECNotFound},
		{"missing file", []string{"rate", "import", "--db", db, "--partner", p.AuthID, at("nope.csv")}, 1, "", "nope.csv"},
		{"missing database", []string{"rate", "import", "--db", at("typo.db"), "--partner", p.AuthID, good}, 1, "", "typo.db does not exist"},
		{"empty file", []string{"rate", "import", "--db", db, "--partner", p.AuthID, file("empty.csv", "")}, 1, "", "line 1: the file is empty"},
		{"wrong header", []string{"rate", "import", "--db", db, "--partner", p.AuthID, file("hdr.csv", "prefix,rate\n91,0.45\n")}, 1, "", "line 1: the header must be direction,prefix,rate_per_minute,initial_increment,subsequent_increment"},
		{"one bad row", []string{"rate", "import", "--db", db, "--partner", p.AuthID, file("one-bad.csv", header+"outbound,91,0.45,60\n")}, 1, "",
			"line 2: has 4 fields, want 5"},
		{"one bad row counted", []string{"rate", "import", "--db", db, "--partner", p.AuthID, at("one-bad.csv")}, 1, "",
			"one-bad.csv has 1 problem (listed above); the deck of " + p.AuthID + " is unchanged"},
		// A file of no rates would refuse every call: only --allow-empty
		// empties a deck.
		{"header only", []string{"rate", "import", "--db", db, "--partner", p.AuthID, file("header-only.csv", header)}, 1, "",
			"header-only.csv holds no rates after its header " + strings.TrimSuffix(header, "\n") + "; the deck of " + p.AuthID + " is unchanged (--allow-empty empties it)"},
		{"header and blank lines", []string{"rate", "import", "--db", db, "--partner", p.AuthID, file("blank.csv", header+"\n\n")}, 1, "", "holds no rates"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := crashRunEnv(t, bin, env, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, out, errOut)
			}
			if !strings.Contains(out, tc.stdout) || !strings.Contains(errOut, tc.stderr) {
				t.Errorf("stdout does not contain %q or stderr %q:\nstdout:\n%s\nstderr:\n%s", tc.stdout, tc.stderr, out, errOut)
			}
		})
	}
	if _, err := os.Stat(at("typo.db")); err == nil {
		t.Errorf("rate import created the missing database typo.db")
	}
	if d := deck(); len(d) != 100 {
		t.Errorf("the mistakes changed the deck: first page has %d rates", len(d))
	}

	// --allow-empty empties the deck on purpose.
	out, errOut, code = crashRunEnv(t, bin, env, "rate", "import", "--db", db, "--partner", p.AuthID, "--allow-empty", at("header-only.csv"))
	if code != 0 || !strings.Contains(out, `"imported":0`) {
		t.Fatalf("rate import --allow-empty of a header only: exit %d\n%s%s", code, out, errOut)
	}
	if d := deck(); len(d) != 0 {
		t.Errorf("after rate import --allow-empty of a header only the deck holds %d rates, want none", len(d))
	}
}

// TestRatesServed imports a deck with the operator command and reads it
// back from the server serve runs, through the client.
func TestRatesServed(t *testing.T) {
	t.Parallel()
	db := mustMigratedDB(t)
	p := mustPartnerCreate(t, "--db", db, "--name", "Served", "--email", "ops@served.example", "--currency", "jpy")
	id, token := p["auth_id"].(string), p["auth_token"].(string)
	csv := filepath.Join(t.TempDir(), "deck.csv")
	if err := os.WriteFile(csv, []byte("direction,prefix,rate_per_minute,initial_increment,subsequent_increment\n"+
		"outbound,81,1.5,60,60\ninbound,8150,0,1,1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, errOut, err := runCmd("rate", "import", "--db", db, "--partner", id, csv); err != nil {
		t.Fatalf("rate import: %v\n%s%s", err, out, errOut)
	}
	s := mustServe(t, db)
	got, total, err := client.New(s.url, id, token).ListRates(context.Background(), "", partnerd.RateFilter{})
	if err != nil {
		t.Fatalf("ListRates: %v", err)
	}
	want := []*partnerd.Rate{
		{Direction: "inbound", Prefix: "8150", PerMinute: 0, InitialIncrement: 1, SubsequentIncrement: 1},
		{Direction: "outbound", Prefix: "81", PerMinute: 15_000, InitialIncrement: 60, SubsequentIncrement: 60},
	}
	if diff := cmp.Diff(want, got); diff != "" || total != 2 {
		t.Errorf("served deck: total %d, want 2; (-want +got):\n%s", total, diff)
	}
}

// TestRateImportPostgres imports a deck into PostgreSQL with the real
// binary, refuses a bad file there too, and matches a call on the result.
func TestRateImportPostgres(t *testing.T) {
	dsn := pgFreshDSN(t)
	t.Parallel()
	bin := crashBuildBinary(t)
	env := pgEnv()
	if out, errOut, code := crashRunEnv(t, bin, env, "migrate", "--db", dsn); code != 0 {
		t.Fatalf("migrate: exit %d\n%s%s", code, out, errOut)
	}
	out, errOut, code := crashRunEnv(t, bin, env, "partner", "create", "--db", dsn, "--name", "Acme", "--email", "ops@acme.example")
	if code != 0 {
		t.Fatalf("partner create: exit %d\n%s", code, errOut)
	}
	var p struct {
		AuthID string `json:"auth_id"`
	}
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "good.csv"), filepath.Join(dir, "bad.csv")
	const header = "direction,prefix,rate_per_minute,initial_increment,subsequent_increment\n"
	if err := os.WriteFile(good, []byte(header+"outbound,91,0.45,60,60\noutbound,9122,0.30,1,1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte(header+"outbound,1,0.10,1,1\noutbound,1,0.20,1,1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, errOut, code := crashRunEnv(t, bin, env, "rate", "import", "--db", dsn, "--partner", p.AuthID, good); code != 0 || !strings.Contains(out, `"imported":2`) {
		t.Fatalf("rate import good.csv: exit %d\n%s%s", code, out, errOut)
	}
	if _, errOut, code := crashRunEnv(t, bin, env, "rate", "import", "--db", dsn, "--partner", p.AuthID, bad); code != 1 || !strings.Contains(errOut, "line 3: outbound prefix 1 repeats line 2") {
		t.Errorf("rate import bad.csv: exit %d, want 1 naming line 3\n%s", code, errOut)
	}
	s, err := sqlstore.Open(context.Background(), sqlstore.Source{Driver: "postgres", DSN: dsn}, sqlstore.Options{MustExist: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r, err := s.MatchRate(context.Background(), p.AuthID, partnerd.DirectionOutbound, "+912271264217")
	if err != nil || r.Prefix != "9122" || r.PerMinute != 3000 {
		t.Errorf("MatchRate after the imports = %+v, %v; want prefix 9122 at 0.3000", r, err)
	}
	if _, err := s.MatchRate(context.Background(), p.AuthID, partnerd.DirectionOutbound, "+14155550100"); partnerd.ErrorCode(err) != partnerd.ECNoRate {
		t.Errorf("MatchRate of a number the refused file would rate: %v, want %s", err, partnerd.ECNoRate)
	}
}
