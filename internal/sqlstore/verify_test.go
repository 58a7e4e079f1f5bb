package sqlstore_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

// TestVerifyLedgerDetects corrupts a healthy ledger in each way the
// invariants forbid (through SQL the application never runs) and checks
// that VerifyLedger fails naming the check and the culprit.
func TestVerifyLedgerDetects(t *testing.T) {
	tests := []struct {
		name    string
		corrupt string // SQL; %P is the partner id, %C the customer id
		check   string // the failing check's label
		culprit string // what the failure must name
	}{
		// Money is printed as money: 0.01 INR more than 300.00, not "30001".
		{"balance drifts from entries", `UPDATE wallets SET balance = balance + 1 WHERE id = '%C'`, "I3",
			"wallet %C has balance 300.01 INR but its entries sum to 300.00 INR"},
		{"account without its wallet", `INSERT INTO accounts (auth_id, partner_id, name, name_lower, email, password_hash, phone,
				country, timezone, account_type, status, token_hash, token_enc, created_at, updated_at)
			VALUES ('MA_orphan', '%P', 'Orphan', 'orphan', 'orphan@verify.example', 'x', '9431538535',
				'IN', 'Asia/Kolkata', 'standard', 'active', x'00', x'00', 0, 0)`, "I9", "account MA_orphan has no wallet"},
		{"customer wallet without its account", `DROP TRIGGER accounts_no_delete; DELETE FROM accounts WHERE auth_id = '%C'`,
			"I9", "customer wallet %C has no account"},
		{"unbalanced transaction", `INSERT INTO ledger_transactions (id, partner_id, kind, initiated_by, created_at)
			VALUES ('txn_bad', '%P', 'adjustment', 'system', 0);
			INSERT INTO ledger_entries (transaction_id, wallet_id, partner_id, wallet_kind, type, amount, balance_before, balance_after, created_at)
			VALUES ('txn_bad', '%C', '%P', 'customer', 'adjustment', 5, 30000, 30005, 0);
			UPDATE wallets SET balance = balance + 5 WHERE id = '%C'`, "I4", "txn_bad"},
		{"two effects of one key", `INSERT INTO ledger_transactions (id, partner_id, kind, initiated_by, idempotency_key, created_at)
			VALUES ('txn_a', '%P', 'transfer', '%P', 'k', 100), ('txn_b', '%P', 'transfer', '%P', 'k', 200);
			INSERT INTO ledger_entries (transaction_id, wallet_id, partner_id, wallet_kind, type, amount, balance_before, balance_after, created_at)
			VALUES ('txn_a', '%C', '%P', 'customer', 'recharge', 1, 30000, 30001, 100),
			       ('txn_a', '%P', '%P', 'partner', 'transfer_out', -1, 70000, 69999, 100),
			       ('txn_b', '%C', '%P', 'customer', 'recharge', 1, 30001, 30002, 200),
			       ('txn_b', '%P', '%P', 'partner', 'transfer_out', -1, 69999, 69998, 200);
			UPDATE wallets SET balance = balance + 2 WHERE id = '%C';
			UPDATE wallets SET balance = balance - 2 WHERE id = '%P'`, "I5", "txn_b"},
		{"triggers dropped", `DROP TRIGGER ledger_entries_no_delete`, "I6", "ledger_entries_no_delete"},
		{"entry count drifts from entries", `UPDATE wallets SET entry_count = entry_count + 1 WHERE id = '%C'`, "I8", "%C"},
		{"charge for no call and no number", chargeSQL("adjustment", "txn_d"), "I11",
			"transaction txn_d (adjustment) charges a customer for neither a call nor a number"},
		{"call charge without its CDR", chargeSQL("call", "txn_c"), "I11", "call transaction txn_c is named by 0 CDRs"},
		{"call charge whose CDR names another", callChargeSQL("txn_c", "c-1") + cdrSQL("c-1", "NULL", 5), "I11",
			"call transaction txn_c is named by 0 CDRs"},
		{"two CDRs naming one charge", callChargeSQL("txn_c", "c-1") + cdrSQL("c-1", "'txn_c'", 0) + cdrSQL("c-2", "'txn_c'", 0),
			"I11", "CDR c-2 names transaction txn_c, which is not its call's charge"},
		{"reserved money without reservations", `UPDATE wallets SET reserved = 7 WHERE id = '%C'`, "I12",
			"wallet %C has 7 minor units reserved but its open reservations hold 0"},
		{"reservation beyond the balance", `INSERT INTO authorizations (call_uuid, direction, account_auth_id, partner_id, authorized,
				max_duration, amount, created_at, expires_at) VALUES ('c-big', 'outbound', '%C', '%P', 1, 60, 30001, 0, 4000000000);
			UPDATE wallets SET reserved = 30001 WHERE id = '%C'`, "I14", "wallet %C reserves 30001 minor units but holds 30000"},
		{"reservation never released", `INSERT INTO authorizations (call_uuid, direction, account_auth_id, partner_id, authorized,
				max_duration, amount, created_at, expires_at) VALUES ('c-old', 'outbound', '%C', '%P', 1, 60, 100, 0, 960);
			UPDATE wallets SET reserved = 100 WHERE id = '%C'`, "I13", "the reservation of call c-old expired at 1970-01-01T00:16:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := mustOpen(t, filepath.Join(t.TempDir(), "p.db"), testKey(t))
			p, a := mustMovedMoney(t, db)
			var out bytes.Buffer
			if err := db.VerifyLedger(ctx, &out); err != nil {
				t.Fatalf("healthy ledger: %v\n%s", err, out.String())
			}
			r := strings.NewReplacer("%P", p, "%C", a)
			err := db.Update(ctx, func(tx *sql.Tx) error {
				for _, stmt := range strings.Split(r.Replace(tt.corrupt), ";") {
					if _, err := tx.ExecContext(ctx, stmt); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatalf("corrupt: %v", err)
			}
			out.Reset()
			err = db.VerifyLedger(ctx, &out)
			if err == nil {
				t.Fatalf("VerifyLedger passed a ledger with %s:\n%s", tt.name, out.String())
			}
			if msg := err.Error(); !strings.Contains(msg, tt.check) || !strings.Contains(msg, r.Replace(tt.culprit)) {
				t.Errorf("VerifyLedger error %q, want it to name %s and %s", msg, tt.check, r.Replace(tt.culprit))
			}
		})
	}
}

// chargeSQL charges the customer of mustMovedMoney 0.05 as a balanced,
// chained ledger transaction id of kind, with nothing else recorded.
func chargeSQL(kind, id string) string {
	return chargeRefSQL(kind, id, "NULL")
}

// callChargeSQL is chargeSQL of a call charge whose reference is callUUID.
func callChargeSQL(id, callUUID string) string {
	return chargeRefSQL("call", id, "'"+callUUID+"'")
}

// chargeRefSQL is chargeSQL with a reference (SQL: NULL or a quoted string).
func chargeRefSQL(kind, id, reference string) string {
	return `INSERT INTO wallets (id, kind, currency, balance, updated_at, entry_count) VALUES ('usage:INR', 'system', 'INR', 5, 0, 1);
		INSERT INTO ledger_transactions (id, partner_id, kind, initiated_by, reference, created_at)
			VALUES ('` + id + `', '%P', '` + kind + `', 'system', ` + reference + `, 0);
		INSERT INTO ledger_entries (transaction_id, wallet_id, partner_id, wallet_kind, type, amount, balance_before, balance_after, created_at)
		VALUES ('` + id + `', '%C', '%P', 'customer', 'debit', -5, 30000, 29995, 0),
		       ('` + id + `', 'usage:INR', NULL, 'system', 'debit', 5, 0, 5, 0);
		UPDATE wallets SET balance = balance - 5, entry_count = entry_count + 1 WHERE id = '%C'`
}

// cdrSQL records, after a statement, the customer's call callUUID of cost
// 0.05, unbilled unbilled of it, naming transaction txID (SQL: NULL or a
// quoted id).
func cdrSQL(callUUID, txID string, unbilled int) string {
	return fmt.Sprintf(`;
		INSERT INTO cdrs (call_uuid, partner_id, account_auth_id, direction, from_number, to_number, start_time, end_time,
			duration_seconds, billsec, prefix, rate_per_minute, cost, unbilled_amount, currency, transaction_id, created_at)
		VALUES ('%s', '%%P', '%%C', 'outbound', '+919700000001', '+918012345678', 0, 60, 60, 60, '91', 5, 5, %d, 'INR', %s, 0)`,
		callUUID, unbilled, txID)
}

// mustMovedMoney funds a partner with 1,000.00 and moves 300.00 to a new
// customer; it returns both ids.
func mustMovedMoney(t *testing.T, db *sqlstore.DB) (string, string) {
	t.Helper()
	ctx := context.Background()
	p, _, err := db.CreatePartner(ctx, partnerd.PartnerInput{Name: "Verify", Email: "ops@verify.example"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.FundPartner(ctx, p.ID, 100000, nil); err != nil {
		t.Fatal(err)
	}
	a, err := db.CreateAccount(ctx, p.ID, partnerd.AccountInput{
		Name: "Verified", Email: "c@verify.example", Password: "SecurePass@123", Phone: "9431538535", Country: "IN",
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: 30000}); err != nil {
		t.Fatal(err)
	}
	return p.ID, a.AuthID
}
