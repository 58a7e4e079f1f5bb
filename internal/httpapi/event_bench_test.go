package httpapi_test

import (
	"context"
	"testing"

	"github.com/partnerd/partnerd"
)

// withEndpoint runs run while the partner has one webhook endpoint
// subscribed to every event (its deliveries are written and wait: no
// dispatcher runs), then disables it. Compare each *Hooked benchmark with
// its plain twin of the same run (API.md §8: within 15 %).
func (e *hotEnv) withEndpoint(b *testing.B, run func()) {
	b.Helper()
	ctx := context.Background()
	db := e.dbs[0]
	ep, err := db.CreateWebhookEndpoint(ctx, e.PartnerID, partnerd.WebhookEndpointInput{URL: "https://hooks.bench.invalid/partnerd"})
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		off := partnerd.WebhookDisabled
		if _, err := db.UpdateWebhookEndpoint(ctx, e.PartnerID, ep.ID, partnerd.WebhookEndpointPatch{Status: &off}); err != nil {
			b.Fatal(err)
		}
	}()
	run()
}

// BenchmarkB4HookedHTTPTransfer64 is BenchmarkB4HTTPTransfer64 with an endpoint.
func BenchmarkB4HookedHTTPTransfer64(b *testing.B) {
	e := hotSQLite(b)
	e.withEndpoint(b, func() { e.transfers(b, 1, nil) })
}

// BenchmarkPGB4HookedHTTPTransfer64x3 is BenchmarkPGB4HTTPTransfer64x3 with an endpoint.
func BenchmarkPGB4HookedHTTPTransfer64x3(b *testing.B) {
	e := hotPostgres(b)
	e.withEndpoint(b, func() { e.transfers(b, 3, nil) })
}
