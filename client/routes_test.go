package client_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/client"
	"github.com/partnerd/partnerd/internal/httpapi"
)

// notForClients are the routes no client method calls: probes, the
// API's description, and the profile's spelling with a trailing slash
// (Profile calls the other).
var notForClients = []string{"GET /healthz", "GET /readyz", "GET /api/v1/openapi.json", "GET /api/v1/Account/{auth_id}/{$}"}

// TestEveryRouteHasAClientMethod calls one client method per route the
// server registers and records the route each request reached, so that a
// route without a client method (or a method that misses its route)
// fails here by name. Answers may be errors: only the route matters.
func TestEveryRouteHasAClientMethod(t *testing.T) {
	t.Parallel()
	e := newFullEnv(t, "sqlite")
	c, pid, token := e.mustPartner(t, "Covered", 100_00)
	a := mustAccount(t, c, "Covered", 0)

	// routes matches a request to its pattern as the server's mux does.
	patterns := httpapi.NewServer(httpapi.Config{}).Routes()
	routes := http.NewServeMux()
	for _, p := range patterns {
		routes.Handle(p, http.NotFoundHandler())
	}
	var mu sync.Mutex
	reached := map[string]bool{}
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, p := routes.Handler(r); p != "" {
			mu.Lock()
			reached[p] = true
			mu.Unlock()
		}
		proxyTo(t, e.url).ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	c = client.New(front.URL, pid, token, client.WithRetries(0))
	cu := client.NewCustomer(front.URL, a.AuthID, a.AuthToken, client.WithRetries(0))
	sw := client.NewSwitch(front.URL, "sk_switch_unknown", client.WithRetries(0))

	ctx := context.Background()
	id, ep, we := a.AuthID, "EP_00000000", "we_0000000000000000"
	calls := []func() error{
		func() error { _, err := c.Me(ctx); return err },
		func() error { _, _, err := c.PartnerEntries(ctx, "", partnerd.EntryFilter{}); return err },
		func() error { _, err := c.CreateAccount(ctx, "", partnerd.AccountInput{}); return err },
		func() error { _, _, err := c.ListAccounts(ctx, "", partnerd.AccountFilter{}); return err },
		func() error { _, err := c.Account(ctx, "", id); return err },
		func() error { _, err := c.Balance(ctx, id); return err },
		func() error { _, err := c.SuspendAccount(ctx, "", id, partnerd.SuspendInput{}); return err },
		func() error { _, err := c.ActivateAccount(ctx, "", id); return err },
		func() error { _, err := c.RotateAccountToken(ctx, "", "MA_00000000"); return err },
		func() error { _, err := c.UpdateAccount(ctx, "", id, partnerd.AccountUpdate{}); return err },
		func() error {
			_, err := c.Transfer(ctx, "", partnerd.TransferInput{AuthID: id, Amount: 1_00})
			return err
		},
		func() error {
			_, err := c.Withdraw(ctx, "", partnerd.TransferInput{AuthID: id, Amount: 1_00})
			return err
		},
		func() error { _, _, err := c.AccountEntries(ctx, "", id, partnerd.EntryFilter{}); return err },
		func() error { _, _, err := c.CustomerEntries(ctx, "", partnerd.EntryFilter{}); return err },
		func() error { _, err := c.AssignNumber(ctx, "", id, "+912271264217"); return err },
		func() error { _, _, err := c.ListAccountNumbers(ctx, "", id, partnerd.NumberFilter{}); return err },
		func() error { return c.ReleaseNumber(ctx, "", id, "+912271264217") },
		func() error { _, _, err := c.ListNumbers(ctx, "", partnerd.NumberFilter{}); return err },
		func() error { _, _, err := c.ListRates(ctx, "", partnerd.RateFilter{}); return err },
		func() error { _, _, err := c.ListAccountCDRs(ctx, "", id, partnerd.CDRFilter{}); return err },
		func() error { _, err := c.AccountCDR(ctx, "", id, "call-1"); return err },
		func() error { _, _, err := c.ListCDRs(ctx, "", partnerd.CDRFilter{}); return err },
		func() error { _, err := c.Dashboard(ctx); return err },
		func() error { _, err := c.Analytics(ctx, time.Time{}, time.Time{}); return err },
		func() error { _, _, err := c.Events(ctx, "", partnerd.EventFilter{}); return err },
		func() error { _, _, err := c.AuditEvents(ctx, "", partnerd.AuditFilter{}); return err },
		func() error { _, err := c.Event(ctx, "", "evt_0000000000000000000000000000000a"); return err },
		func() error { _, err := c.SetAutoTopup(ctx, "", id, partnerd.AutoTopupInput{}); return err },
		func() error { _, err := c.AutoTopup(ctx, "", id); return err },
		func() error { _, err := c.DisableAutoTopup(ctx, "", id); return err },
		func() error {
			_, err := c.CreateWebhookEndpoint(ctx, "", partnerd.WebhookEndpointInput{})
			return err
		},
		func() error { _, _, err := c.WebhookEndpoints(ctx, "", partnerd.Page{}); return err },
		func() error { _, err := c.WebhookEndpoint(ctx, "", we); return err },
		func() error {
			_, err := c.UpdateWebhookEndpoint(ctx, "", we, partnerd.WebhookEndpointPatch{})
			return err
		},
		func() error { return c.DeleteWebhookEndpoint(ctx, "", we) },
		func() error { _, err := c.WebhookEndpointSecret(ctx, "", we); return err },
		func() error { _, err := c.RotateWebhookSecret(ctx, "", we, time.Hour); return err },
		func() error { _, err := c.TestWebhookEndpoint(ctx, "", we); return err },
		func() error {
			_, _, err := c.WebhookDeliveries(ctx, "", we, partnerd.DeliveryFilter{})
			return err
		},
		func() error { _, err := c.RetryWebhookDelivery(ctx, "", we, 1); return err },
		func() error {
			_, err := c.CreateSIPEndpoint(ctx, id, partnerd.SIPEndpointInput{})
			return err
		},
		func() error { _, _, err := c.ListSIPEndpoints(ctx, id, partnerd.Page{}); return err },
		func() error { _, err := c.SIPEndpoint(ctx, id, ep); return err },
		func() error { return c.DeleteSIPEndpoint(ctx, id, ep) },
		func() error { _, err := c.SetSIPPassword(ctx, id, ep, "SecurePass@123"); return err },
		func() error { _, err := sw.SIPCredential(ctx, "desk100"); return err },
		func() error { _, err := sw.Authorize(ctx, partnerd.AuthorizeInput{}); return err },
		func() error { _, err := sw.PostCDRs(ctx, []partnerd.CDRInput{{}}); return err },
		func() error { _, err := cu.Profile(ctx); return err },
		func() error { _, err := cu.Balance(ctx); return err },
		func() error { _, _, err := cu.Entries(ctx, partnerd.EntryFilter{}); return err },
		func() error { _, _, err := cu.CDRs(ctx, partnerd.CDRFilter{}); return err },
		func() error { _, _, err := cu.Numbers(ctx, partnerd.NumberFilter{}); return err },
		func() error { _, _, err := cu.SIPEndpoints(ctx, partnerd.Page{}); return err },
		// Last: it ends the customer's credentials.
		func() error { _, err := c.CloseAccount(ctx, "", id); return err },
	}
	for _, call := range calls {
		call() // errors are answers too: only the route counts
	}
	for _, p := range patterns {
		if !reached[p] && !slices.Contains(notForClients, p) {
			t.Errorf("no client method calls %s", p)
		}
	}
}
