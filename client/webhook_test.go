package client_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/client"
	"github.com/partnerd/partnerd/internal/webhook"
)

// TestEvents lists, walks and reads the events the partner's changes
// recorded, with each filter.
func TestEvents(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e *fullEnv) {
		ctx := context.Background()
		c, pid, _ := e.mustPartner(t, "Eventful", 1000_00)
		a := mustAccount(t, c, "Alpha", 100_00)
		b := mustAccount(t, c, "Bravo", 0)

		all, total, err := c.Events(ctx, "", partnerd.EventFilter{})
		if err != nil {
			t.Fatalf("Events: %v", err)
		}
		var types []string
		for _, ev := range all {
			types = append(types, ev.Type)
		}
		want := []string{partnerd.EventAccountCreated, partnerd.EventBalanceTransferred, partnerd.EventAccountCreated}
		if diff := cmp.Diff(want, types); diff != "" || total != 3 {
			t.Errorf("Events: %d in all (-want +got):\n%s", total, diff)
		}
		page, total, err := c.Events(ctx, pid, partnerd.EventFilter{Type: partnerd.EventAccountCreated, Page: partnerd.Page{Page: 2, Size: 1}})
		if err != nil || total != 2 || len(page) != 1 || opt(page[0].AccountAuthID) != a.AuthID {
			t.Errorf("Events type=account.created page 2 of size 1 = %v (%d), %v; want Alpha's", page, total, err)
		}
		var ids []string
		for ev, err := range c.EventsSeq(ctx, "", partnerd.EventFilter{Account: b.AuthID}) {
			if err != nil {
				t.Fatalf("EventsSeq: %v", err)
			}
			ids = append(ids, opt(ev.AccountAuthID)+" "+ev.Type)
		}
		if diff := cmp.Diff([]string{b.AuthID + " account.created"}, ids); diff != "" {
			t.Errorf("EventsSeq account=%s (-want +got):\n%s", b.AuthID, diff)
		}
		today := time.Now()
		if _, total, err := c.Events(ctx, "", partnerd.EventFilter{From: today.AddDate(0, 0, -1), To: today.AddDate(0, 0, 1)}); err != nil || total != 3 {
			t.Errorf("Events from yesterday to tomorrow: %d, %v; want 3", total, err)
		}
		if _, total, err := c.Events(ctx, "", partnerd.EventFilter{To: today.AddDate(0, 0, -2)}); err != nil || total != 0 {
			t.Errorf("Events to two days ago: %d, %v; want 0", total, err)
		}
		_, _, err = c.Events(ctx, "", partnerd.EventFilter{Type: "balance.stolen"})
		if pe := errorOf(t, err); pe.Code != partnerd.ECValidation || len(pe.Fields) != 1 || pe.Fields[0].Field != "type" {
			t.Errorf("Events with an unknown type = %+v, want validation_error on type", pe)
		}

		got, err := c.Event(ctx, "", all[1].ID)
		if err != nil {
			t.Fatalf("Event: %v", err)
		}
		if diff := cmp.Diff(all[1], got); diff != "" {
			t.Errorf("Event differs from its row (-row +event):\n%s", diff)
		}
		if !strings.Contains(string(got.Data), `"amount":100.00`) || got.Sequence < 1 {
			t.Errorf("balance.transferred data %s, sequence %d", got.Data, got.Sequence)
		}
		_, err = c.Event(ctx, "", "evt_0000000000000000000000000000000a")
		wantCode(t, "an unknown event", err, partnerd.ECNotFound)
		_, err = c.Event(ctx, "", "../me")
		wantCode(t, "an event id of the wrong shape", err, partnerd.ECNotFound)
	})
}

// TestWebhookEndpoints manages an endpoint through every webhook route:
// create, read, change, secrets, a test ping whose delivery fails and is
// retried by hand, and delete.
func TestWebhookEndpoints(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e *fullEnv) {
		ctx := context.Background()
		c, pid, _ := e.mustPartner(t, "Hooked", 0)
		var received atomic.Int32
		receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			received.Add(1)
			io.Copy(io.Discard, r.Body)
			w.WriteHeader(http.StatusInternalServerError)
		}))
		t.Cleanup(receiver.Close)

		desc := "billing system"
		ep, err := c.CreateWebhookEndpoint(ctx, "", partnerd.WebhookEndpointInput{URL: receiver.URL + "/hooks",
			EventTypes: []string{partnerd.EventBalanceTransferred, partnerd.EventAccountCreated}, Description: &desc})
		if err != nil {
			t.Fatalf("CreateWebhookEndpoint: %v", err)
		}
		if !partnerd.IsWebhookEndpointID(ep.ID) || !strings.HasPrefix(ep.Secret, "whsec_") || ep.Status != partnerd.WebhookEnabled ||
			ep.PartnerID != pid || opt(ep.Description) != desc {
			t.Errorf("CreateWebhookEndpoint = %+v", ep)
		}
		if diff := cmp.Diff([]string{"account.created", "balance.transferred"}, ep.EventTypes); diff != "" {
			t.Errorf("event types (-want +got):\n%s", diff)
		}
		_, err = c.CreateWebhookEndpoint(ctx, "", partnerd.WebhookEndpointInput{URL: "ftp://example.com", EventTypes: []string{"nope"}})
		if pe := errorOf(t, err); pe.Code != partnerd.ECValidation || len(pe.Fields) != 2 {
			t.Errorf("CreateWebhookEndpoint with a bad url and type = %+v, want validation_error naming both", pe)
		}

		got, err := c.WebhookEndpoint(ctx, "", ep.ID)
		if err != nil || got.Secret != "" || got.URL != ep.URL {
			t.Errorf("WebhookEndpoint = %+v, %v; want it without its secret", got, err)
		}
		list, total, err := c.WebhookEndpoints(ctx, "", partnerd.Page{})
		if err != nil || total != 1 || list[0].ID != ep.ID || list[0].Secret != "" {
			t.Errorf("WebhookEndpoints = %v (%d), %v", list, total, err)
		}
		for got, err := range c.WebhookEndpointsSeq(ctx, "") {
			if err != nil || got.ID != ep.ID {
				t.Errorf("WebhookEndpointsSeq = %v, %v", got, err)
			}
		}

		disabled, all := partnerd.WebhookDisabled, []string{}
		got, err = c.UpdateWebhookEndpoint(ctx, "", ep.ID, partnerd.WebhookEndpointPatch{Status: &disabled, EventTypes: &all})
		if err != nil || got.Status != disabled || len(got.EventTypes) != 0 || opt(got.Description) != desc {
			t.Errorf("UpdateWebhookEndpoint disabling = %+v, %v", got, err)
		}
		// A disabled endpoint sends nothing: its test is refused, and
		// leaves no delivery behind to go out when it is enabled.
		_, err = c.TestWebhookEndpoint(ctx, "", ep.ID)
		wantCode(t, "TestWebhookEndpoint of a disabled endpoint", err, partnerd.ECEndpointDisabled)
		if client.RequestID(err) == "" {
			t.Errorf("TestWebhookEndpoint of a disabled endpoint: %v, want the server's answer", err)
		}
		if _, total, err := c.WebhookDeliveries(ctx, "", ep.ID, partnerd.DeliveryFilter{}); err != nil || total != 0 {
			t.Errorf("WebhookDeliveries after a refused test = %d, %v; want none", total, err)
		}
		enabled := partnerd.WebhookEnabled
		got, err = c.UpdateWebhookEndpoint(ctx, "", ep.ID, partnerd.WebhookEndpointPatch{Status: &enabled, ClearDescription: true})
		if err != nil || got.Status != enabled || got.Description != nil {
			t.Errorf("UpdateWebhookEndpoint enabling, clearing the description = %+v, %v", got, err)
		}
		bad := "sometimes"
		_, err = c.UpdateWebhookEndpoint(ctx, "", ep.ID, partnerd.WebhookEndpointPatch{Status: &bad})
		wantCode(t, "UpdateWebhookEndpoint with a bad status", err, partnerd.ECValidation)

		secret, err := c.WebhookEndpointSecret(ctx, "", ep.ID)
		if err != nil || secret.Secret != ep.Secret || secret.ID != ep.ID {
			t.Errorf("WebhookEndpointSecret = %+v, %v; want the creation's secret", secret, err)
		}
		rotated, err := c.RotateWebhookSecret(ctx, "", ep.ID, time.Hour)
		if err != nil || !strings.HasPrefix(rotated.Secret, "whsec_") || rotated.Secret == ep.Secret {
			t.Errorf("RotateWebhookSecret = %+v, %v; want a new secret", rotated, err)
		}
		if secret, err := c.WebhookEndpointSecret(ctx, "", ep.ID); err != nil || secret.Secret != rotated.Secret {
			t.Errorf("WebhookEndpointSecret after the rotation = %+v, %v; want the new one", secret, err)
		}
		_, err = c.RotateWebhookSecret(ctx, "", ep.ID, 8*24*time.Hour)
		wantCode(t, "RotateWebhookSecret beyond 7 days", err, partnerd.ECValidation)

		// A ping, whose delivery fails once and is retried by hand.
		ping, err := c.TestWebhookEndpoint(ctx, "", ep.ID)
		if err != nil || ping.Type != partnerd.EventPing || !partnerd.IsEventID(ping.ID) {
			t.Fatalf("TestWebhookEndpoint = %+v, %v", ping, err)
		}
		ds, total, err := c.WebhookDeliveries(ctx, "", ep.ID, partnerd.DeliveryFilter{Status: partnerd.DeliveryPending})
		if err != nil || total != 1 || ds[0].EventID != ping.ID || len(ds[0].Attempts) != 0 {
			t.Fatalf("WebhookDeliveries pending = %+v (%d), %v; want the ping, not tried", ds, total, err)
		}
		d := &webhook.Dispatcher{Queue: e.db, AllowPrivate: true}
		if err := d.RunOnce(ctx); err != nil {
			t.Fatalf("Dispatcher.RunOnce: %v", err)
		}
		if n := received.Load(); n != 1 {
			t.Fatalf("the receiver got %d requests, want 1", n)
		}
		var failed []*partnerd.WebhookDelivery
		for d, err := range c.WebhookDeliveriesSeq(ctx, "", ep.ID, partnerd.DeliveryFilter{Status: partnerd.DeliveryFailed}) {
			if err != nil {
				t.Fatalf("WebhookDeliveriesSeq: %v", err)
			}
			failed = append(failed, d)
		}
		if len(failed) != 1 || len(failed[0].Attempts) != 1 || failed[0].Attempts[0].StatusCode == nil ||
			*failed[0].Attempts[0].StatusCode != 500 || failed[0].NextAttemptAt == nil {
			t.Fatalf("failed deliveries = %+v; want the ping, tried once with 500, with a next attempt", failed)
		}
		seq, ok := partnerd.ParseDeliveryID(failed[0].ID)
		if !ok {
			t.Fatalf("delivery id %q", failed[0].ID)
		}
		retried, err := c.RetryWebhookDelivery(ctx, "", ep.ID, seq)
		if err != nil || retried.ID != failed[0].ID || retried.Status != partnerd.DeliveryPending || len(retried.Attempts) != 1 {
			t.Errorf("RetryWebhookDelivery = %+v, %v; want it pending with its attempt", retried, err)
		}
		_, err = c.RetryWebhookDelivery(ctx, "", ep.ID, seq+1000)
		wantCode(t, "RetryWebhookDelivery of an unknown delivery", err, partnerd.ECNotFound)

		if err := c.DeleteWebhookEndpoint(ctx, "", ep.ID); err != nil {
			t.Fatalf("DeleteWebhookEndpoint: %v", err)
		}
		_, err = c.WebhookEndpoint(ctx, "", ep.ID)
		wantCode(t, "a deleted endpoint", err, partnerd.ECNotFound)
		// An id of the wrong shape is the server's to refuse: its answer
		// has a request id, as every API error the client reports.
		for _, id := range []string{"../accounts", "we_nope", "a/b"} {
			_, err = c.WebhookEndpoint(ctx, "", id)
			wantCode(t, "an endpoint id of the wrong shape", err, partnerd.ECNotFound)
			if client.RequestID(err) == "" {
				t.Errorf("WebhookEndpoint(%q) = %v without a request id: not the server's answer", id, err)
			}
		}
		err = c.DeleteWebhookEndpoint(ctx, "", "../accounts")
		wantCode(t, "an endpoint id of the wrong shape", err, partnerd.ECNotFound)
	})
}

// TestAutoTopupSettings sets, reads and turns off a customer's auto
// top-up, and sees one run when the balance falls below its threshold.
func TestAutoTopupSettings(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e *fullEnv) {
		ctx := context.Background()
		c, _, _ := e.mustPartner(t, "Topper", 2000_00)
		a := mustAccount(t, c, "Thirsty", 300_00)
		in := partnerd.AutoTopupInput{Enabled: true, Threshold: 100_00, TargetBalance: 500_00, MaxPerDay: 2000_00,
			MaxPerMonth: 20000_00, MaxCountPerDay: 5}
		got, err := c.SetAutoTopup(ctx, "", a.AuthID, in)
		if err != nil {
			t.Fatalf("SetAutoTopup: %v", err)
		}
		if got.AutoTopupInput != in || got.AuthID != a.AuthID || got.Currency != "INR" || got.CountToday != 0 {
			t.Errorf("SetAutoTopup = %+v, want %+v", got, in)
		}

		// Falling below 100.00 tops the balance up to 500.00, once.
		if _, err := c.Withdraw(ctx, "", partnerd.TransferInput{AuthID: a.AuthID, Amount: 250_00}); err != nil {
			t.Fatalf("Withdraw: %v", err)
		}
		// The server's sweeper runs top-ups after the crossing commits;
		// here the test runs it.
		if n, err := e.db.RunAutoTopups(ctx, time.Now()); err != nil || n != 1 {
			t.Fatalf("RunAutoTopups = %d, %v; want 1 top-up", n, err)
		}
		got, err = c.AutoTopup(ctx, "", a.AuthID)
		if err != nil || got.CountToday != 1 || got.UsedToday != 450_00 || got.UsedThisMonth != 450_00 || got.CountThisMonth != 1 {
			t.Errorf("AutoTopup after the fall = %+v, %v; want one top-up of 450.00 today", got, err)
		}
		if b, err := c.Balance(ctx, a.AuthID); err != nil || b.Balance != 500_00 {
			t.Errorf("balance after the top-up = %+v, %v; want 500.00", b, err)
		}

		off, err := c.DisableAutoTopup(ctx, "", a.AuthID)
		if err != nil || off.Enabled || off.Threshold != in.Threshold {
			t.Errorf("DisableAutoTopup = %+v, %v; want it off with its settings kept", off, err)
		}
		in.TargetBalance = in.Threshold
		_, err = c.SetAutoTopup(ctx, "", a.AuthID, in)
		if pe := errorOf(t, err); pe.Code != partnerd.ECValidation || len(pe.Fields) != 1 || pe.Fields[0].Field != "target_balance" {
			t.Errorf("SetAutoTopup with target_balance = threshold: %+v, want validation_error on target_balance", pe)
		}
		_, err = c.AutoTopup(ctx, "", "MA_00000000")
		wantCode(t, "AutoTopup of an unknown customer", err, partnerd.ECAccountNotFound)

		// Off, a fall below the threshold tops up nothing; turned on again
		// below it, the balance is topped up (once, however often it is set).
		if _, err := c.Withdraw(ctx, "", partnerd.TransferInput{AuthID: a.AuthID, Amount: 450_00}); err != nil {
			t.Fatalf("Withdraw: %v", err)
		}
		if n, err := e.db.RunAutoTopups(ctx, time.Now()); err != nil || n != 0 {
			t.Fatalf("RunAutoTopups while off = %d, %v; want none", n, err)
		}
		in.TargetBalance = 500_00
		for range 2 {
			if _, err := c.SetAutoTopup(ctx, "", a.AuthID, in); err != nil {
				t.Fatalf("SetAutoTopup below the threshold: %v", err)
			}
		}
		if n, err := e.db.RunAutoTopups(ctx, time.Now()); err != nil || n != 1 {
			t.Fatalf("RunAutoTopups after turning it on at 50.00 = %d, %v; want 1 top-up", n, err)
		}
		if b, err := c.Balance(ctx, a.AuthID); err != nil || b.Balance != 500_00 {
			t.Errorf("balance after turning it on at 50.00 = %+v, %v; want 500.00", b, err)
		}
		// Set again above the threshold: nothing to top up.
		if _, err := c.SetAutoTopup(ctx, "", a.AuthID, in); err != nil {
			t.Fatalf("SetAutoTopup above the threshold: %v", err)
		}
		if n, err := e.db.RunAutoTopups(ctx, time.Now()); err != nil || n != 0 {
			t.Fatalf("RunAutoTopups at 500.00 = %d, %v; want none", n, err)
		}
		if got, err := c.AutoTopup(ctx, "", a.AuthID); err != nil || got.CountToday != 2 || got.UsedToday != 900_00 {
			t.Errorf("AutoTopup after both = %+v, %v; want two top-ups of 900.00 today", got, err)
		}
	})
}

// TestTransactionsCSV exports the three logs as CSV.
func TestTransactionsCSV(t *testing.T) {
	t.Parallel()
	e := newFullEnv(t, "sqlite")
	ctx := context.Background()
	c, _, _ := e.mustPartner(t, "Exporter", 1000_00)
	a := mustAccount(t, c, "One", 100_00)
	mustAccount(t, c, "Two", 50_00)
	for _, tt := range []struct {
		name   string
		open   func() (io.ReadCloser, error)
		header string
		rows   int
	}{
		{"account", func() (io.ReadCloser, error) { return c.AccountEntriesCSV(ctx, a.AuthID, partnerd.EntryFilter{}) }, "id,type,amount,", 1},
		{"customers", func() (io.ReadCloser, error) { return c.CustomerEntriesCSV(ctx, partnerd.EntryFilter{}) }, "id,type,amount,", 2},
		{"customers withdrawals", func() (io.ReadCloser, error) {
			return c.CustomerEntriesCSV(ctx, partnerd.EntryFilter{Type: "withdrawal"})
		}, "id,type,amount,", 0},
		{"partner", func() (io.ReadCloser, error) { return c.PartnerEntriesCSV(ctx, partnerd.EntryFilter{}) }, "id,type,amount,", 3},
	} {
		got := readAll(t, tt.open)
		lines := strings.Split(strings.TrimSpace(got), "\n")
		if !strings.HasPrefix(lines[0], tt.header) || len(lines)-1 != tt.rows {
			t.Errorf("%s CSV: %d rows, want %d:\n%s", tt.name, len(lines)-1, tt.rows, got)
		}
	}
	_, err := c.AccountEntriesCSV(ctx, "MA_00000000", partnerd.EntryFilter{})
	wantCode(t, "AccountEntriesCSV of an unknown customer", err, partnerd.ECAccountNotFound)
}
