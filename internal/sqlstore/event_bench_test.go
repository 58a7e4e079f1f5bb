package sqlstore_test

import (
	"context"
	"testing"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

// withEndpoint runs run while the partner has one webhook endpoint
// subscribed to every event (no dispatcher runs: its deliveries are
// written and wait), then disables it: the cost of the outbox's
// deliveries beside the events every run writes. Compare each *Hooked
// benchmark with its plain twin of the same run (API.md §8: within 15 %).
func withEndpoint(b *testing.B, db *sqlstore.DB, partnerID string, run func()) {
	b.Helper()
	ctx := context.Background()
	ep, err := db.CreateWebhookEndpoint(ctx, partnerID, partnerd.WebhookEndpointInput{URL: "https://hooks.bench.invalid/partnerd"})
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		off := partnerd.WebhookDisabled
		if _, err := db.UpdateWebhookEndpoint(ctx, partnerID, ep.ID, partnerd.WebhookEndpointPatch{Status: &off}); err != nil {
			b.Fatal(err)
		}
	}()
	run()
}

// BenchmarkB1HookedTransfer64 is BenchmarkB1Transfer64 with an endpoint.
func BenchmarkB1HookedTransfer64(b *testing.B) {
	e := ledgerBench(b)
	withEndpoint(b, e.DB, e.PartnerID, func() { benchmarkB1Transfer(b, 64) })
}

// BenchmarkPGB1HookedTransfer64x3 is BenchmarkPGB1Transfer64x3 with an endpoint.
func BenchmarkPGB1HookedTransfer64x3(b *testing.B) {
	e := pgLedgerBench(b)
	withEndpoint(b, e.DB, e.PartnerID, func() { benchmarkPGB1(b, 64, 3) })
}
