package client_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/client"
)

func set(v string) partnerd.Change { return partnerd.Change{Set: true, Value: &v} }

// TestAccountLifecycle drives PATCH, suspend, activate, rotate-token and
// close through the client, and watches the customer's own credentials
// follow each change.
func TestAccountLifecycle(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e *fullEnv) {
		ctx := context.Background()
		c, pid, _ := e.mustPartner(t, "Cycle", 1000_00)
		a := mustAccount(t, c, "Credresolve", 250_00)
		cu := client.NewCustomer(e.url, a.AuthID, a.AuthToken)

		// PATCH: set, change and clear; absent fields stay.
		got, err := c.UpdateAccount(ctx, "", a.AuthID, partnerd.AccountUpdate{Name: set("Credresolve Ltd"),
			Company: set("Credresolve Pvt Ltd"), Description: set("call centre"), City: set("Bengaluru")})
		if err != nil {
			t.Fatalf("UpdateAccount: %v", err)
		}
		if got.Name != "Credresolve Ltd" || opt(got.Company) != "Credresolve Pvt Ltd" || opt(got.City) != "Bengaluru" ||
			got.Email != a.Email || got.AuthToken != a.AuthToken || got.PartnerID != pid {
			t.Errorf("UpdateAccount = %+v", got)
		}
		got, err = c.UpdateAccount(ctx, pid, a.AuthID, partnerd.AccountUpdate{Description: partnerd.Change{Set: true}})
		if err != nil || got.Description != nil || opt(got.City) != "Bengaluru" {
			t.Errorf("UpdateAccount clearing description = %+v, %v; want description nil, city kept", got, err)
		}
		// The own low-balance threshold: set (written in the partner's
		// currency), then back to the partner's with null.
		low := int64(250_75)
		got, err = c.UpdateAccount(ctx, "", a.AuthID, partnerd.AccountUpdate{LowBalanceThreshold: partnerd.AmountChange{Set: true, Value: &low}})
		if err != nil || got.LowBalanceThreshold != low {
			t.Errorf("UpdateAccount low_balance_threshold 250.75 = %+v, %v", got, err)
		}
		got, err = c.UpdateAccount(ctx, "", a.AuthID, partnerd.AccountUpdate{LowBalanceThreshold: partnerd.AmountChange{Set: true}})
		if err != nil || got.LowBalanceThreshold != partnerd.DefaultLowBalance(got.Currency) {
			t.Errorf("UpdateAccount low_balance_threshold null = %+v, %v; want the partner's", got, err)
		}
		_, err = c.UpdateAccount(ctx, "", a.AuthID, partnerd.AccountUpdate{Email: set("not an address"), Password: set("weak")})
		if pe := errorOf(t, err); pe.Code != partnerd.ECValidation || len(pe.Fields) != 2 || client.RequestID(err) == "" {
			t.Errorf("UpdateAccount with two bad fields = %+v, want validation_error naming both, with a request id", pe)
		}
		_, err = c.UpdateAccount(ctx, "PA_OTHER000", a.AuthID, partnerd.AccountUpdate{})
		wantCode(t, "UpdateAccount for another partner", err, partnerd.ECForbidden)

		// The customer's own API sees the profile, without the token.
		own, err := cu.Profile(ctx)
		if err != nil {
			t.Fatalf("Customer.Profile: %v", err)
		}
		if own.AuthID != a.AuthID || own.Name != "Credresolve Ltd" || own.AuthToken != "" || own.Balance != 250_00 {
			t.Errorf("Customer.Profile = %+v", own)
		}

		// Suspend: the reason is kept; the customer's credentials are refused.
		reason := "unpaid invoice"
		got, err = c.SuspendAccount(ctx, "", a.AuthID, partnerd.SuspendInput{Reason: &reason})
		if err != nil || got.Status != partnerd.StatusSuspended || opt(got.StatusReason) != reason {
			t.Errorf("SuspendAccount = %+v, %v", got, err)
		}
		_, err = cu.Balance(ctx)
		wantCode(t, "a suspended customer's Balance", err, partnerd.ECAccountSuspended)
		suspended, _, err := c.ListAccounts(ctx, "", partnerd.AccountFilter{Status: partnerd.StatusSuspended})
		if err != nil || len(suspended) != 1 || suspended[0].AuthID != a.AuthID {
			t.Errorf("ListAccounts status=suspended = %v, %v", suspended, err)
		}
		got, err = c.ActivateAccount(ctx, "", a.AuthID)
		if err != nil || got.Status != partnerd.StatusActive || got.StatusReason != nil {
			t.Errorf("ActivateAccount = %+v, %v", got, err)
		}
		if b, err := cu.Balance(ctx); err != nil || b.Balance != 250_00 {
			t.Errorf("Customer.Balance after activation = %+v, %v", b, err)
		}

		// A new token: the old one stops working at once.
		rotated, err := c.RotateAccountToken(ctx, "", a.AuthID)
		if err != nil || rotated.AuthID != a.AuthID || !strings.HasPrefix(rotated.AuthToken, "sk_live_") || rotated.AuthToken == a.AuthToken {
			t.Fatalf("RotateAccountToken = %+v, %v", rotated, err)
		}
		_, err = cu.Balance(ctx)
		wantCode(t, "the old token", err, partnerd.ECInvalidCredentials)
		cu = client.NewCustomer(e.url+"/api/v1/partner/", a.AuthID, rotated.AuthToken)
		if b, err := cu.Balance(ctx); err != nil || b.AuthID != a.AuthID {
			t.Errorf("Customer.Balance with the new token = %+v, %v", b, err)
		}

		// Close: the balance goes back to the partner; the account stays readable.
		got, err = c.CloseAccount(ctx, "", a.AuthID)
		if err != nil || got.Status != partnerd.StatusClosed || got.Balance != 0 {
			t.Errorf("CloseAccount = %+v, %v", got, err)
		}
		if me, err := c.Me(ctx); err != nil || me.Balance != 1000_00 {
			t.Errorf("partner balance after the close = %+v, %v; want 1000.00", me, err)
		}
		_, err = c.CloseAccount(ctx, "", a.AuthID)
		wantCode(t, "closing again", err, partnerd.ECAccountClosed)
		_, err = c.SuspendAccount(ctx, "", a.AuthID, partnerd.SuspendInput{})
		wantCode(t, "suspending a closed account", err, partnerd.ECAccountClosed)
		_, err = c.UpdateAccount(ctx, "", a.AuthID, partnerd.AccountUpdate{Name: set("Again")})
		wantCode(t, "updating a closed account", err, partnerd.ECAccountClosed)
		_, err = cu.Profile(ctx)
		wantCode(t, "a closed customer's Profile", err, partnerd.ECInvalidCredentials)
		closed, total, err := c.ListAccounts(ctx, "", partnerd.AccountFilter{Status: partnerd.StatusClosed})
		if err != nil || total != 1 || closed[0].Status != partnerd.StatusClosed {
			t.Errorf("ListAccounts status=closed = %v (%d), %v", closed, total, err)
		}

		// Ids of the wrong shape are refused without a request.
		for _, id := range []string{"", "..", "MA_1/../x"} {
			_, err := c.ActivateAccount(ctx, "", id)
			wantCode(t, "ActivateAccount("+id+")", err, partnerd.ECAccountNotFound)
			_, err = c.RotateAccountToken(ctx, "", id)
			wantCode(t, "RotateAccountToken("+id+")", err, partnerd.ECAccountNotFound)
		}
		_, err = c.SuspendAccount(ctx, "", "MA_00000000", partnerd.SuspendInput{})
		wantCode(t, "SuspendAccount of an unknown customer", err, partnerd.ECAccountNotFound)
	})
}

func opt(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

// TestRetryLostAnswerClosesOnce loses the answer to a close after the
// server made it: the client sends it again under the same
// Idempotency-Key, gets the stored profile (not account_closed), and the
// balance goes back to the partner once.
func TestRetryLostAnswerClosesOnce(t *testing.T) {
	t.Parallel()
	e := newFullEnv(t, "sqlite")
	c, pid, token := e.mustPartner(t, "Lossy", 500_00)
	a := mustAccount(t, c, "Leaving", 120_00)
	var keys keyLog
	front := httptest.NewServer(dropFirst(t, keys.wrap(proxyTo(t, e.url)), func(r *http.Request) bool {
		return strings.HasSuffix(r.URL.Path, "/close")
	}))
	t.Cleanup(front.Close)
	lossy := client.New(front.URL, pid, token)

	var res client.Response
	got, err := lossy.CloseAccount(client.WithResponse(context.Background(), &res), "", a.AuthID)
	if err != nil {
		t.Fatalf("CloseAccount through a lossy network: %v", err)
	}
	if got.Status != partnerd.StatusClosed || !res.Replayed {
		t.Errorf("CloseAccount = status %q, replayed %v; want closed, replayed", got.Status, res.Replayed)
	}
	if k := keys.all(); len(k) != 2 || k[0] == "" || k[0] != k[1] {
		t.Errorf("Idempotency-Keys sent = %q, want one key twice", k)
	}
	entries, _, err := c.AccountEntries(context.Background(), "", a.AuthID, partnerd.EntryFilter{Type: "withdrawal"})
	if err != nil || len(entries) != 1 || entries[0].Amount != -120_00 {
		t.Errorf("withdrawals after the close = %v, %v; want one of -120.00", entries, err)
	}
	if me, err := c.Me(context.Background()); err != nil || me.Balance != 500_00 {
		t.Errorf("partner balance = %v, %v; want 500.00", me, err)
	}
}

// TestRetryLostAnswerRotatesOnce loses the answer to a token rotation and
// to a webhook endpoint's creation, each after the server acted: the
// retry under the same key returns the stored answer, whose secret is the
// one in force (a second rotation would have made it stale), and one
// endpoint exists.
func TestRetryLostAnswerRotatesOnce(t *testing.T) {
	t.Parallel()
	e := newFullEnv(t, "sqlite")
	ctx := context.Background()
	c, pid, token := e.mustPartner(t, "Lossy", 0)
	a := mustAccount(t, c, "Rotated", 0)
	// lossy returns a client whose first POST's answer is lost, and the
	// keys of the POSTs it sends.
	lossy := func() (*client.Client, *keyLog) {
		var keys keyLog
		front := httptest.NewServer(dropFirst(t, keys.wrap(proxyTo(t, e.url)), func(r *http.Request) bool {
			return r.Method == http.MethodPost
		}))
		t.Cleanup(front.Close)
		return client.New(front.URL, pid, token), &keys
	}
	oneKeyTwice := func(what string, keys *keyLog) {
		t.Helper()
		if k := keys.all(); len(k) != 2 || k[0] == "" || k[0] != k[1] {
			t.Errorf("%s: Idempotency-Keys sent = %q, want one key twice", what, k)
		}
	}

	lc, keys := lossy()
	rotated, err := lc.RotateAccountToken(ctx, "", a.AuthID)
	if err != nil {
		t.Fatalf("RotateAccountToken through a lossy network: %v", err)
	}
	oneKeyTwice("RotateAccountToken", keys)
	if b, err := client.NewCustomer(e.url, a.AuthID, rotated.AuthToken).Balance(ctx); err != nil || b.AuthID != a.AuthID {
		t.Errorf("the replayed token does not work: %v, %v", b, err)
	}
	if got, err := c.Account(ctx, "", a.AuthID); err != nil || got.AuthToken != rotated.AuthToken {
		t.Errorf("the account's token = %v, %v; want the replayed one", got, err)
	}

	lc, keys = lossy()
	ep, err := lc.CreateWebhookEndpoint(ctx, "", partnerd.WebhookEndpointInput{URL: "https://hooks.example.com/"})
	if err != nil {
		t.Fatalf("CreateWebhookEndpoint through a lossy network: %v", err)
	}
	oneKeyTwice("CreateWebhookEndpoint", keys)
	if secret, err := c.WebhookEndpointSecret(ctx, "", ep.ID); err != nil || secret.Secret != ep.Secret {
		t.Errorf("the endpoint's secret = %v, %v; want the replayed %q", secret, err, ep.Secret)
	}
	if _, total, err := c.WebhookEndpoints(ctx, "", partnerd.Page{}); err != nil || total != 1 {
		t.Errorf("WebhookEndpoints: %d, %v; want 1", total, err)
	}
}

// TestCustomerAPI reads every route of the customer's own API with its
// credentials: the same rows the partner sees of that customer.
func TestCustomerAPI(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e *fullEnv) {
		ctx := context.Background()
		c, pid, _ := e.mustPartner(t, "Owner", 1000_00)
		a := mustAccount(t, c, "Self", 300_00)
		other := mustAccount(t, c, "Other", 0)
		if _, err := e.db.AddNumber(ctx, pid, partnerd.NumberInput{Number: "+912271264217", MonthlyCost: 10_00}); err != nil {
			t.Fatalf("AddNumber: %v", err)
		}
		if _, err := c.AssignNumber(ctx, "", a.AuthID, "+912271264217"); err != nil {
			t.Fatalf("AssignNumber: %v", err)
		}
		ep, err := c.CreateSIPEndpoint(ctx, a.AuthID, partnerd.SIPEndpointInput{Username: "self100", Password: "SecurePass@123"})
		if err != nil {
			t.Fatalf("CreateSIPEndpoint: %v", err)
		}
		cu := client.NewCustomer(e.url, a.AuthID, a.AuthToken)

		b, err := cu.Balance(ctx)
		if err != nil || b.AuthID != a.AuthID || b.Balance != 290_00 || b.Currency != "INR" {
			t.Errorf("Customer.Balance = %+v, %v; want 290.00 INR", b, err)
		}
		want, _, err := c.AccountEntries(ctx, "", a.AuthID, partnerd.EntryFilter{})
		if err != nil {
			t.Fatal(err)
		}
		got, total, err := cu.Entries(ctx, partnerd.EntryFilter{})
		if err != nil || total != 2 {
			t.Fatalf("Customer.Entries = %d rows of %d, %v; want 2", len(got), total, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Customer.Entries differ from the partner's view (-partner +customer):\n%s", diff)
		}
		var types []string
		for en, err := range cu.EntriesSeq(ctx, partnerd.EntryFilter{Type: "debit"}) {
			if err != nil {
				t.Fatalf("Customer.EntriesSeq: %v", err)
			}
			types = append(types, en.Type)
		}
		if diff := cmp.Diff([]string{"debit"}, types); diff != "" {
			t.Errorf("Customer.EntriesSeq type=debit (-want +got):\n%s", diff)
		}
		csv := readAll(t, func() (io.ReadCloser, error) { return cu.EntriesCSV(ctx, partnerd.EntryFilter{}) })
		if lines := strings.Split(strings.TrimSpace(csv), "\n"); len(lines) != 3 || !strings.HasPrefix(lines[0], "id,type,amount") {
			t.Errorf("Customer.EntriesCSV:\n%s", csv)
		}

		ns, total, err := cu.Numbers(ctx, partnerd.NumberFilter{})
		if err != nil || total != 1 || ns[0].Number != "+912271264217" || opt(ns[0].AccountAuthID) != a.AuthID {
			t.Errorf("Customer.Numbers = %v (%d), %v", ns, total, err)
		}
		n := 0
		for _, err := range cu.NumbersSeq(ctx, partnerd.NumberFilter{}) {
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
		if n != 1 {
			t.Errorf("Customer.NumbersSeq yielded %d numbers, want 1", n)
		}
		eps, total, err := cu.SIPEndpoints(ctx, partnerd.Page{})
		if err != nil || total != 1 || eps[0].ID != ep.ID || eps[0].Username != "self100" {
			t.Errorf("Customer.SIPEndpoints = %v (%d), %v", eps, total, err)
		}
		for got, err := range cu.SIPEndpointsSeq(ctx) {
			if err != nil || got.ID != ep.ID {
				t.Errorf("Customer.SIPEndpointsSeq = %v, %v", got, err)
			}
		}
		cdrs, total, err := cu.CDRs(ctx, partnerd.CDRFilter{})
		if err != nil || total != 0 || len(cdrs) != 0 {
			t.Errorf("Customer.CDRs = %v (%d), %v; want none", cdrs, total, err)
		}
		for _, err := range cu.CDRsSeq(ctx, partnerd.CDRFilter{}) {
			t.Errorf("Customer.CDRsSeq yielded a row (%v), want none", err)
		}
		csv = readAll(t, func() (io.ReadCloser, error) { return cu.CDRsCSV(ctx, partnerd.CDRFilter{}) })
		if lines := strings.Split(strings.TrimSpace(csv), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], "call_uuid,") {
			t.Errorf("Customer.CDRsCSV = %q, want the header alone", csv)
		}
		if p, err := cu.Profile(ctx); err != nil || p.AuthID != a.AuthID || p.AuthToken != "" {
			t.Errorf("Customer.Profile = %+v, %v", p, err)
		}

		// Another customer's token; a partner id, refused without a request.
		_, err = client.NewCustomer(e.url, a.AuthID, other.AuthToken).Balance(ctx)
		wantCode(t, "another customer's token", err, partnerd.ECInvalidCredentials)
		_, err = client.NewCustomer(e.url, pid, "sk_live_x").Profile(ctx)
		wantCode(t, "a partner id as the customer", err, partnerd.ECAccountNotFound)
	})
}
