package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd/internal/pgtest"
)

// TestAuditOperatorCommands runs every operator command that changes
// something, on both engines, and reads its row with partnerd audit list:
// the operator as actor, the action and the target; the tokens the
// commands print appear in no row.
func TestAuditOperatorCommands(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		checkAuditOperator(t, mustMigratedDB(t))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		db := pgtest.FreshDSN(t)
		if _, stderr, err := runCmd("migrate", "--db", db); err != nil {
			t.Fatalf("migrate: %v\n%s", err, stderr)
		}
		checkAuditOperator(t, db)
	})
}

func checkAuditOperator(t *testing.T, db string) {
	dir := t.TempDir()
	must := func(args ...string) map[string]any {
		t.Helper()
		out, errOut, err := runCmd(args...)
		if err != nil {
			t.Fatalf("partnerd %s: %v\n%s%s", strings.Join(args, " "), err, out, errOut)
		}
		var m map[string]any
		if lines := nonEmptyLines(out); len(lines) > 0 {
			json.Unmarshal([]byte(lines[len(lines)-1]), &m)
		}
		return m
	}
	file := func(name, body string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	p := must("partner", "create", "--db", db, "--name", "Audited Ops", "--email", "ops@audited-ops.example")
	pid := fmt.Sprint(p["auth_id"])
	secrets := []string{fmt.Sprint(p["auth_token"])}
	must("partner", "set", "--db", db, "--timezone", "Asia/Kolkata", pid)
	rotated := must("partner", "rotate-token", "--db", db, pid)
	secrets = append(secrets, fmt.Sprint(rotated["auth_token"]))
	fund := must("partner", "fund", "--db", db, pid, "100.00")
	must("number", "add", "--db", db, "--partner", pid, "+912271264301")
	must("number", "import", "--db", db, "--partner", pid, file("n.csv", "number,type,region,monthly_cost\n+912271264302,local,,1.00\n"))
	must("rate", "import", "--db", db, "--partner", pid, file("r.csv",
		"direction,prefix,rate_per_minute,initial_increment,subsequent_increment\noutbound,91,0.45,60,60\n"))
	st := must("switch-token", "create", "--db", db, "--name", "kamailio-audit")
	secrets = append(secrets, fmt.Sprint(st["token"]))
	must("switch-token", "revoke", "--db", db, fmt.Sprint(st["id"]))
	must("billing", "run", "--db", db) // nothing is due: no row, and no refusal

	out, errOut, err := runCmd("audit", "list", "--db", db, "--limit", "0")
	if err != nil {
		t.Fatalf("audit list: %v\n%s", err, errOut)
	}
	var got []string
	lines := nonEmptyLines(out)
	for i := len(lines) - 1; i >= 0; i-- { // oldest first
		var row struct {
			PartnerID *string `json:"partner_id"`
			Actor     struct {
				Kind string  `json:"kind"`
				ID   *string `json:"id"`
			} `json:"actor"`
			Action, Target, Outcome string
		}
		if err := json.Unmarshal([]byte(lines[i]), &row); err != nil {
			t.Fatalf("audit list line %q: %v", lines[i], err)
		}
		partner := "-"
		if row.PartnerID != nil {
			partner = *row.PartnerID
		}
		got = append(got, fmt.Sprintf("%s %s %s %s %s %v", row.Actor.Kind, partner, row.Action, row.Target, row.Outcome, row.Actor.ID))
		for _, s := range secrets {
			if strings.Contains(lines[i], s) {
				t.Errorf("audit row %s holds a token", lines[i])
			}
		}
	}
	want := []string{
		"operator " + pid + " partner.create " + pid + " ok <nil>",
		"operator " + pid + " partner.update " + pid + " ok <nil>",
		"operator " + pid + " token.rotate " + pid + " ok <nil>",
		"operator " + pid + " partner.fund " + fmt.Sprint(fund["transaction_id"]) + " ok <nil>",
		"operator " + pid + " number.add +912271264301 ok <nil>",
		"operator " + pid + " number.add +912271264302 ok <nil>",
		"operator " + pid + " rate.import " + pid + " ok <nil>",
		"operator - switch_token.create " + fmt.Sprint(st["id"]) + " ok <nil>",
		"operator - switch_token.revoke " + fmt.Sprint(st["id"]) + " ok <nil>",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("audit list (-want +got):\n%s", diff)
	}
	// Filters: one partner's rows, one action.
	out, _, err = runCmd("audit", "list", "--db", db, "--partner", pid, "--action", "number.add")
	if n := len(nonEmptyLines(out)); err != nil || n != 2 {
		t.Errorf("audit list --partner --action number.add: %d lines, %v; want 2", n, err)
	}
	if _, errOut, err := runCmd("audit", "list", "--db", db, "--from-date", "2026-02-30"); exitCode(err) != 2 || !strings.Contains(errOut+fmt.Sprint(err), "--from-date") {
		t.Errorf("audit list --from-date 2026-02-30: exit %d, %v %s; want 2 naming --from-date", exitCode(err), err, errOut)
	}
}
