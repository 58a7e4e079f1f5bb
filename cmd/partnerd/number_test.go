package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/secret"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

// TestNumberCommands runs number add, number import and billing run
// through the real binary.
func TestNumberCommands(t *testing.T) {
	t.Parallel()
	bin := crashBuildBinary(t)
	env := crashEnv()
	dir := t.TempDir()
	db := filepath.Join(dir, "p.db")
	runBin := func(args ...string) (string, string, int) {
		t.Helper()
		return crashRunEnv(t, bin, env, args...)
	}
	must := func(args ...string) string {
		t.Helper()
		out, errOut, code := runBin(args...)
		if code != 0 {
			t.Fatalf("partnerd %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
		}
		return out
	}
	must("migrate", "--db", db)
	var p struct {
		AuthID string `json:"auth_id"`
	}
	if err := json.Unmarshal([]byte(must("partner", "create", "--db", db, "--name", "Pool", "--email", "ops@pool.example")), &p); err != nil {
		t.Fatal(err)
	}

	// number add.
	out := must("number", "add", "--db", db, "--partner", p.AuthID, "--type", "tollfree", "--region", "Mumbai",
		"--monthly-cost", "25.00", "+912271264217")
	var row map[string]any
	if err := json.Unmarshal([]byte(out), &row); err != nil {
		t.Fatalf("number add printed %q: %v", out, err)
	}
	if row["number"] != "+912271264217" || row["number_type"] != "tollfree" || row["region"] != "Mumbai" ||
		row["monthly_cost"] != 25.0 || row["status"] != "available" || row["country"] != "IN" {
		t.Errorf("number add printed %s", out)
	}
	for _, c := range []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"taken", []string{"--partner", p.AuthID, "+912271264217"}, 1, "already in a pool"},
		{"too many decimals", []string{"--partner", p.AuthID, "--monthly-cost", "1.234", "+912271264218"}, 2, "monthly-cost"},
		{"negative cost", []string{"--partner", p.AuthID, "--monthly-cost", "-1", "+912271264218"}, 2, "monthly-cost"},
		{"bad type", []string{"--partner", p.AuthID, "--type", "landline", "+912271264218"}, 2, "type"},
		{"not E.164", []string{"--partner", p.AuthID, "02271264218"}, 2, "E.164"},
		{"no partner flag", []string{"+912271264218"}, 2, "--partner"},
		{"unknown partner", []string{"--partner", "PA_NOSUCH00", "+912271264218"}, 1, "PA_NOSUCH00"},
		{"no number", []string{"--partner", p.AuthID}, 2, "E164"},
	} {
		_, errOut, code := runBin(append([]string{"number", "add", "--db", db}, c.args...)...)
		if code != c.code || !strings.Contains(errOut, c.stderr) {
			t.Errorf("number add (%s): exit %d, stderr %q; want exit %d mentioning %q", c.name, code, errOut, c.code, c.stderr)
		}
	}
	missing := filepath.Join(dir, "missing.db")
	if _, _, code := runBin("number", "add", "--db", missing, "--partner", p.AuthID, "+912271264218"); code != 1 {
		t.Errorf("number add on a missing database: exit %d, want 1", code)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Errorf("number add created %s", missing)
	}

	// number import: every problem of the file named by its line in one
	// run (bad rows, repeats, numbers in this or another partner's pool),
	// in line order, and nothing imported.
	csvFile := func(name, body string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	var other struct {
		AuthID string `json:"auth_id"`
	}
	if err := json.Unmarshal([]byte(must("partner", "create", "--db", db, "--name", "Other", "--email", "ops@other.example")), &other); err != nil {
		t.Fatal(err)
	}
	must("number", "add", "--db", db, "--partner", other.AuthID, "+912271264240")
	bad := csvFile("bad.csv", "number,type,region,monthly_cost\n"+
		"+912271264220,local,Mumbai,10.00\n"+ // line 2: good
		"12345,local,,10.00\n"+ // line 3: not E.164
		"+912271264221,mobile,,\n"+ // line 4: no cost
		"+912271264222,local,Pune,1.005\n"+ // line 5: too many decimals
		"+912271264220,local,,10.00\n"+ // line 6: twice in the file
		"+912271264223,local,Pune\n"+ // line 7: three fields
		"+912271264224,fax,,1\n"+ // line 8: bad type
		"+912271264217,local,,1.00\n"+ // line 9: in this partner's pool
		"+91 22 7126 4220,local,,1.00\n"+ // line 10: line 2's number, written with spaces
		"+912271264240,local,,1.00\n") // line 11: in another partner's pool
	_, errOut, code := runBin("number", "import", "--db", db, "--partner", p.AuthID, bad)
	if code != 1 || !strings.Contains(errOut, "nothing imported: 9 problems in "+bad) {
		t.Errorf("number import of bad rows: exit %d, stderr %s; want 1 and 9 problems", code, errOut)
	}
	var lines []string
	for _, m := range regexp.MustCompile(`(?m)^  line (\d+): `).FindAllStringSubmatch(errOut, -1) {
		lines = append(lines, m[1])
	}
	if diff := cmp.Diff([]string{"3", "4", "5", "6", "7", "8", "9", "10", "11"}, lines); diff != "" {
		t.Errorf("number import lines reported (-want +got):\n%s\nstderr:\n%s", diff, errOut)
	}
	for _, want := range []string{
		"line 6: number +912271264220 repeats line 2\n",
		"line 7: has 3 fields, want 4",
		"line 9: number +912271264217 is already in a pool\n",
		"line 10: number +912271264220 repeats line 2\n",
		"line 11: number +912271264240 is already in a pool\n",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("number import stderr lacks %q:\n%s", want, errOut)
		}
	}
	taken := csvFile("taken.csv", "number,type,region,monthly_cost\n+912271264230,local,,1.00\n+912271264217,local,,1.00\n")
	_, errOut, code = runBin("number", "import", "--db", db, "--partner", p.AuthID, taken)
	if code != 1 || !strings.Contains(errOut, "nothing imported: 1 problem in "+taken+":\n  line 3: number +912271264217 is already in a pool") ||
		strings.Contains(errOut, "line 2:") {
		t.Errorf("number import of a taken number: exit %d, stderr %q; want 1 naming line 3 only", code, errOut)
	}
	wrongHeader := csvFile("header.csv", "e164,type,region,cost\n+912271264231,local,,1\n")
	if _, errOut, code := runBin("number", "import", "--db", db, "--partner", p.AuthID, wrongHeader); code != 1 || !strings.Contains(errOut, "line 1:") {
		t.Errorf("number import with a wrong header: exit %d, stderr %q", code, errOut)
	}
	headerOnly := csvFile("header-only.csv", "number,type,region,monthly_cost\n")
	if _, errOut, code := runBin("number", "import", "--db", db, "--partner", p.AuthID, headerOnly); code != 1 || !strings.Contains(errOut, "holds no numbers") {
		t.Errorf("number import of a header only: exit %d, stderr %q", code, errOut)
	}
	if n := countNumbers(t, db); n != 2 {
		t.Fatalf("after refused imports the database holds %d numbers, want 2", n)
	}
	out, errOut, code = runBin("number", "import", "--db", db, "--partner", p.AuthID, csvFile("one.csv", "number,type,region,monthly_cost\n+912271264230,local,,1.00\n"))
	if code != 0 || out != "imported 1 number into the pool of "+p.AuthID+"\n" || errOut != "importing 1 number…\n" {
		t.Errorf("number import of one number: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// A large file: progress on stderr, every row imported at once.
	var b strings.Builder
	b.WriteString("number,type,region,monthly_cost\n")
	const many = 10_500
	for i := range many {
		fmt.Fprintf(&b, "+9122713%05d,local,Mumbai,1.50\n", i)
	}
	out, errOut, code = runBin("number", "import", "--db", db, "--partner", p.AuthID, csvFile("many.csv", b.String()))
	if code != 0 || !strings.Contains(out, fmt.Sprintf("imported %d numbers", many)) || !strings.Contains(errOut, "read 10000 rows") {
		t.Fatalf("number import of %d rows: exit %d, stdout %q, stderr %q", many, code, out, errOut)
	}
	if n := countNumbers(t, db); n != many+3 {
		t.Errorf("after the import the database holds %d numbers, want %d", n, many+3)
	}

	// billing run: a customer who cannot pay is suspended, then restored.
	ctx := context.Background()
	key, err := secret.LoadKey("", db+".key")
	if err != nil {
		t.Fatal(err)
	}
	store, err := sqlstore.Open(ctx, sqlstore.Source{Driver: "sqlite", Path: db}, sqlstore.Options{SecretKey: key})
	if err != nil {
		t.Fatal(err)
	}
	a, err := store.CreateAccount(ctx, p.AuthID, partnerd.AccountInput{Name: "Renter", Email: "renter@pool.example",
		Password: "Str0ng!pass", Phone: "9431538535", Country: "IN"})
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []func() error{
		func() error { _, err := store.FundPartner(ctx, p.AuthID, 100000, nil); return err },
		func() error {
			_, err := store.Transfer(ctx, p.AuthID, partnerd.TransferInput{AuthID: a.AuthID, Amount: 3000})
			return err
		},
		func() error { _, err := store.AssignNumber(ctx, p.AuthID, a.AuthID, "+912271264217"); return err },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	store.Close()
	if got := billing(t, must("billing", "run", "--db", db)); got != [3]int{0, 0, 0} {
		t.Errorf("billing run before any period ended = %v, want nothing", got)
	}
	// The rental started 40 days ago: its second month is due.
	rawSQL(t, db, `UPDATE numbers SET assigned_at = assigned_at - 40*86400, paid_until = paid_until - 40*86400 WHERE number = '+912271264217'`)
	if got := billing(t, must("billing", "run", "--db", db)); got != [3]int{0, 1, 0} {
		t.Errorf("billing run without the money = %v, want one suspension", got)
	}
	must("ledger", "verify", "--db", db)
	store, err = sqlstore.Open(ctx, sqlstore.Source{Driver: "sqlite", Path: db}, sqlstore.Options{SecretKey: key})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Transfer(ctx, p.AuthID, partnerd.TransferInput{AuthID: a.AuthID, Amount: 2000}); err != nil {
		t.Fatal(err)
	}
	store.Close()
	if got := billing(t, must("billing", "run", "--db", db)); got != [3]int{1, 0, 1} {
		t.Errorf("billing run once funded = %v, want one charge that restores", got)
	}
	if got := billing(t, must("billing", "run", "--db", db)); got != [3]int{0, 0, 0} {
		t.Errorf("billing run again = %v, want nothing", got)
	}
	must("ledger", "verify", "--db", db)
	for _, args := range [][]string{{"number", "add", "--help"}, {"number", "import", "--help"}, {"billing", "run", "--help"}} {
		if out := must(args...); !strings.Contains(out, "-db") {
			t.Errorf("partnerd %s lists no --db:\n%s", strings.Join(args, " "), out)
		}
	}
	if _, _, code := runBin("billing", "run", "--db", missing); code != 1 {
		t.Errorf("billing run on a missing database: exit %d, want 1", code)
	}
}

// billing reads billing run's output as [charged, suspended, restored].
func billing(t *testing.T, out string) [3]int {
	t.Helper()
	var r struct {
		Charged   int `json:"periods_charged"`
		Suspended int `json:"numbers_suspended"`
		Restored  int `json:"numbers_restored"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("billing run printed %q: %v", out, err)
	}
	return [3]int{r.Charged, r.Suspended, r.Restored}
}

func countNumbers(t *testing.T, path string) int {
	t.Helper()
	store, err := sqlstore.Open(context.Background(), sqlstore.Source{Driver: "sqlite", Path: path}, sqlstore.Options{MustExist: true})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var total int
	for _, pid := range partnerIDs(t, store) {
		_, n, err := store.ListNumbers(context.Background(), pid, partnerd.NumberFilter{Page: partnerd.Page{Page: 1, Size: 1}})
		if err != nil {
			t.Fatal(err)
		}
		total += n
	}
	return total
}

func partnerIDs(t *testing.T, store *sqlstore.DB) []string {
	t.Helper()
	ps, err := store.ListPartners(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range ps {
		ids = append(ids, p.ID)
	}
	return ids
}

// TestServeRenewsNumbers starts serve on a database with a number whose
// month ended: the server's own sweep charges it at start, and serve
// answers the numbers routes.
func TestServeRenewsNumbers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, store, p, token, a := storeWithCustomer(t, "sweeper")
	for _, step := range []func() error{
		func() error { _, err := store.FundPartner(ctx, p.ID, 100000, nil); return err },
		func() error {
			_, err := store.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: 10000})
			return err
		},
		func() error {
			_, err := store.AddNumber(ctx, p.ID, partnerd.NumberInput{Number: "+912271264217", MonthlyCost: 1000})
			return err
		},
		func() error { _, err := store.AssignNumber(ctx, p.ID, a.AuthID, "+912271264217"); return err },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	store.Close()
	rawSQL(t, db, `UPDATE numbers SET assigned_at = assigned_at - 40*86400, paid_until = paid_until - 40*86400`)

	s := mustServe(t, db)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(s.stderr.String(), `"renewed numbers"`) {
		if time.Now().After(deadline) {
			t.Fatalf("serve did not renew the due number within 10s; stderr:\n%s", s.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	req, err := http.NewRequest(http.MethodGet, s.url+"/api/v1/partner/accounts/"+a.AuthID+"/balance", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Auth-ID", p.ID)
	req.Header.Set("X-Auth-Token", token)
	for path, want := range map[string]string{
		"/api/v1/partner/accounts/" + a.AuthID + "/balance": `"balance":80.00`,
		"/api/v1/partner/numbers":                           `"number":"+912271264217"`,
	} {
		req.URL.Path = path
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
			t.Errorf("GET %s = %d %s, want 200 with %s", path, resp.StatusCode, body, want)
		}
	}
	if err := s.stop(t); err != nil {
		t.Errorf("serve: %v", err)
	}
}

// storeWithCustomer migrates a new SQLite database and opens it as a
// store, with a partner and one customer of it, named after name.
func storeWithCustomer(t *testing.T, name string) (db string, store *sqlstore.DB, p *partnerd.Partner, token string, a *partnerd.Account) {
	t.Helper()
	ctx := context.Background()
	db = tempDB(t)
	if _, stderr, err := runCmd("migrate", "--db", db); err != nil {
		t.Fatalf("migrate: %v\n%s", err, stderr)
	}
	key, err := secret.LoadKey("", db+".key")
	if err != nil {
		t.Fatal(err)
	}
	if store, err = sqlstore.Open(ctx, sqlstore.Source{Driver: "sqlite", Path: db}, sqlstore.Options{SecretKey: key}); err != nil {
		t.Fatal(err)
	}
	if p, token, err = store.CreatePartner(ctx, partnerd.PartnerInput{Name: name, Email: "ops@" + name + ".example"}); err != nil {
		t.Fatal(err)
	}
	if a, err = store.CreateAccount(ctx, p.ID, partnerd.AccountInput{Name: "Customer", Email: "customer@" + name + ".example",
		Password: "Str0ng!pass", Phone: "9431538535", Country: "IN"}); err != nil {
		t.Fatal(err)
	}
	return db, store, p, token, a
}
