package sqlstore_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

// copiedTables lists each table with the columns that order its rows.
var copiedTables = map[string]string{
	"partners": "seq", "wallets": "id", "accounts": "seq", "ledger_transactions": "seq",
	"ledger_entries": "seq", "idempotency_keys": "partner_id, key", "meta": "name",
	"switch_tokens": "seq", "sip_endpoints": "seq", "rates": "partner_id, direction, prefix",
	"authorizations": "call_uuid", "cdrs": "seq", "usage_daily": "partner_id, day, kind",
	"usage_daily_account":  "partner_id, day, account_auth_id",
	"usage_snapshots":      "partner_id, day",
	"usage_account_totals": "partner_id, day, account_auth_id",
	"audit_events":         "seq",
	"usage_daily_cause":    "partner_id, day, kind, hangup_cause",
	"usage_daily_billsec":  "partner_id, day, kind, billsec",
}

// dumpTable returns every row of table as printed values, in key order.
func dumpTable(t *testing.T, db *sqlstore.DB, table string) []string {
	t.Helper()
	rows, err := db.ReadDB().Query(`SELECT * FROM ` + table + ` ORDER BY ` + copiedTables[table])
	if err != nil {
		t.Fatalf("dump %s: %v", table, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for i, v := range vals {
			if s, ok := v.([]byte); ok && cols[i] != "token_hash" && cols[i] != "token_enc" &&
				cols[i] != "fingerprint" && cols[i] != "response" {
				v = string(s)
			}
			fmt.Fprintf(&b, "%s=%v ", cols[i], v)
		}
		out = append(out, b.String())
	}
	return out
}

// mustPopulate gives db a partner with customers, transfers and an
// idempotent request: something in every table.
func mustPopulate(t *testing.T, db *sqlstore.DB) (string, string) {
	t.Helper()
	ctx := context.Background()
	p, a := mustMovedMoney(t, db)
	b, err := db.CreateAccount(ctx, p, partnerd.AccountInput{
		Name: "Zoë Müller", Email: "zoe@verify.example", Password: "SecurePass@123", Phone: "9431538535", Country: "IN",
	})
	if err != nil {
		t.Fatal(err)
	}
	_, c, err := db.ClaimIdempotencyKey(ctx, partnerd.IdempotencyRequest{PartnerID: p, Key: "k", Fingerprint: []byte("f")})
	if err != nil {
		t.Fatal(err)
	}
	c.Respond = func(any) (int, []byte, error) { return 200, []byte(`{"ok":true}`), nil }
	if _, err := db.Withdraw(partnerd.WithIdempotencyClaim(ctx, c), p, partnerd.TransferInput{AuthID: a, Amount: 1250}); err != nil {
		t.Fatal(err)
	}
	// Made as a partner's request: it writes an audit row.
	audited := partnerd.WithAudit(ctx, partnerd.AuditContext{Actor: partnerd.Actor{Kind: partnerd.ActorPartner, ID: p}, RequestID: "req_copy"})
	if _, err := db.Transfer(audited, p, partnerd.TransferInput{AuthID: b.AuthID, Amount: 99}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.CreateSwitchToken(ctx, partnerd.SwitchTokenInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateSIPEndpoint(ctx, p, a, partnerd.DefaultSIPRealm, partnerd.SIPEndpointInput{Username: "copied", Password: "SecurePass@123"}); err != nil {
		t.Fatal(err)
	}
	// A call charged and one still live, holding a reservation.
	if err := db.ReplaceRateDeck(ctx, p, []partnerd.Rate{{Direction: partnerd.DirectionOutbound, Prefix: "1",
		PerMinute: 4500, InitialIncrement: 1, SubsequentIncrement: 1}}); err != nil {
		t.Fatal(err)
	}
	for _, call := range []string{"copied-charged", "copied-live"} {
		if a, err := db.Authorize(ctx, partnerd.AuthorizeInput{CallUUID: call, Direction: partnerd.DirectionOutbound,
			From: "+919876543210", To: "+14155550100", AccountAuthID: &a}); err != nil || !a.Authorized {
			t.Fatalf("Authorize %s = %+v, %v", call, a, err)
		}
	}
	start := time.Date(2026, 3, 25, 10, 0, 0, 0, time.UTC)
	answer := start.Add(5 * time.Second)
	res, err := db.PostCDRs(ctx, []partnerd.CDRInput{{CallUUID: "copied-charged", Direction: partnerd.DirectionOutbound,
		AccountAuthID: &a, FromNumber: "+919876543210", ToNumber: "+14155550100", StartTime: start, AnswerTime: &answer,
		EndTime: start.Add(66 * time.Second), DurationSeconds: 66, Billsec: 61}}, make([]*partnerd.Error, 1))
	if err != nil || res[0].Status != partnerd.CDRCharged {
		t.Fatalf("PostCDRs = %+v, %v", res, err)
	}
	return p, a
}

func checkCopy(t *testing.T, src, dst *sqlstore.DB) {
	t.Helper()
	ctx := context.Background()
	p, a := mustPopulate(t, src)
	var progress bytes.Buffer
	if err := sqlstore.Copy(ctx, src, dst, &progress); err != nil {
		t.Fatalf("Copy: %v", err)
	}
	for table := range copiedTables {
		if diff := cmp.Diff(dumpTable(t, src, table), dumpTable(t, dst, table)); diff != "" {
			t.Errorf("table %s differs after copy (-source +target):\n%s", table, diff)
		}
		if !strings.Contains(progress.String(), table+": ") {
			t.Errorf("progress does not mention %s:\n%s", table, progress.String())
		}
	}
	var out bytes.Buffer
	if err := dst.VerifyLedger(ctx, &out); err != nil {
		t.Errorf("VerifyLedger on the target: %v\n%s", err, out.String())
	}
	// The copy is a working installation: tokens decrypt with the same
	// key, search finds copied rows, sequences continue past copied ones.
	got, err := dst.Account(ctx, p, a)
	if err != nil {
		t.Fatalf("Account on the target: %v", err)
	}
	want, _ := src.Account(ctx, p, a)
	if got.AuthToken != want.AuthToken || got.Balance != want.Balance {
		t.Errorf("target account token/balance = %q/%d, want %q/%d", got.AuthToken, got.Balance, want.AuthToken, want.Balance)
	}
	wantSIP, _ := src.SIPCredential(ctx, "copied")
	if gotSIP, err := dst.SIPCredential(ctx, "copied"); err != nil || cmp.Diff(wantSIP, gotSIP) != "" {
		t.Errorf("SIP credential on the target = %+v, %v; want %+v", gotSIP, err, wantSIP)
	}
	if found, total, err := dst.ListAccounts(ctx, p, partnerd.AccountFilter{Search: "müll", Page: partnerd.Page{Page: 1, Size: 10}}); err != nil || total != 1 {
		t.Errorf("search on the target: %d found (%v), err %v; want 1", total, found, err)
	}
	// The call search's numbers and call_uuid index are made from the
	// copied calls by the target's triggers.
	for _, term := range []string{"5550100", "ied-char"} {
		f, err := partnerd.CDRParams{Search: &term, StartDate: ptr("2026-03-01"), EndDate: ptr("2026-03-31")}.Filter(time.Now(), time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		if found, total, err := dst.ListCDRs(ctx, p, f); err != nil || total != 1 || found[0].CallUUID != "copied-charged" {
			t.Errorf("call search %q on the target: %d found (%v), err %v; want copied-charged", term, total, found, err)
		}
	}
	c, err := dst.CreateAccount(ctx, p, partnerd.AccountInput{
		Name: "After Copy", Email: "after@verify.example", Password: "SecurePass@123", Phone: "9431538535", Country: "IN",
	})
	if err != nil {
		t.Fatalf("CreateAccount on the target: %v", err)
	}
	list, _, _ := dst.ListAccounts(ctx, p, partnerd.AccountFilter{Page: partnerd.Page{Page: 1, Size: 10}})
	if len(list) == 0 || list[0].AuthID != c.AuthID {
		t.Errorf("newest account on the target is not the one created after the copy")
	}
	if err := sqlstore.Copy(ctx, src, dst, &progress); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("second Copy into a non-empty target: %v, want a refusal", err)
	}
}

func TestCopySQLiteToSQLite(t *testing.T) {
	key := testKey(t)
	src := mustOpen(t, filepath.Join(t.TempDir(), "src.db"), key)
	dst := mustOpen(t, filepath.Join(t.TempDir(), "dst.db"), key)
	checkCopy(t, src, dst)
}

func TestCopySQLiteToPostgres(t *testing.T) {
	pg := postgresSource(t)
	key := testKey(t)
	src := mustOpen(t, filepath.Join(t.TempDir(), "src.db"), key)
	dst, err := sqlstore.Open(context.Background(), pg, sqlstore.Options{SecretKey: key})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dst.Close() })
	checkCopy(t, src, dst)
}

// TestCopyCoversEveryTable: a table added by a migration but not to Copy
// would be silently left behind by partnerd copy. The search indexes are
// not copied: the target makes them from the rows copied (its triggers,
// and on SQLite its call_uuid indexer, see cdrsearch.go).
func TestCopyCoversEveryTable(t *testing.T) {
	db := mustOpen(t, filepath.Join(t.TempDir(), "p.db"), testKey(t))
	rows, err := db.ReadDB().Query(`SELECT name FROM sqlite_master WHERE type = 'table'
		AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'accounts_search%' AND name <> 'goose_db_version'
		AND name NOT LIKE 'cdrs_uuid_search%' AND name <> 'cdr_numbers'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	copied := sqlstore.CopiedTables()
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(copied, name) {
			t.Errorf("table %s is not copied by partnerd copy", name)
		}
	}
}
