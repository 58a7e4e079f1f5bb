package client_test

import (
	"context"
	"slices"
	"testing"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/client"
)

// TestAuditEvents reads the audit log through the client: one row per
// change with the partner as actor and the request's Idempotency-Key,
// the action filter, and the iterator over every row.
func TestAuditEvents(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e *fullEnv) {
		ctx := context.Background()
		c, pid, _ := e.mustPartner(t, "Audited", 1000_00)
		a := mustAccount(t, c, "Audited", 0)
		tr, err := c.Transfer(client.WithIdempotencyKey(ctx, "audit-key-1"), "", partnerd.TransferInput{AuthID: a.AuthID, Amount: 12_34})
		if err != nil {
			t.Fatalf("Transfer: %v", err)
		}
		rows, total, err := c.AuditEvents(ctx, "", partnerd.AuditFilter{Action: partnerd.AuditBalanceTransfer})
		if err != nil || total != 1 || len(rows) != 1 {
			t.Fatalf("AuditEvents(balance.transfer) = %v, %d, %v; want one row", rows, total, err)
		}
		r := rows[0]
		if r.Actor != (partnerd.Actor{Kind: partnerd.ActorPartner, ID: pid}) || r.Account != a.AuthID ||
			r.Target != tr.TransactionID || r.IdempotencyKey != "audit-key-1" || r.RequestID == "" || r.Outcome != partnerd.AuditOK {
			t.Errorf("transfer's row = %+v, want partner %s, account %s, target %s, key audit-key-1", r, pid, a.AuthID, tr.TransactionID)
		}
		var actions []string
		for r, err := range c.AuditEventsSeq(ctx, "", partnerd.AuditFilter{Account: a.AuthID}) {
			if err != nil {
				t.Fatalf("AuditEventsSeq: %v", err)
			}
			actions = append(actions, r.Action)
		}
		if want := []string{partnerd.AuditBalanceTransfer, partnerd.AuditAccountCreate}; !slices.Equal(actions, want) {
			t.Errorf("the customer's rows, newest first = %v, want %v", actions, want)
		}
		_, _, err = c.AuditEvents(ctx, "PA_OTHER000", partnerd.AuditFilter{})
		wantCode(t, "AuditEvents for another partner", err, partnerd.ECForbidden)
	})
}
