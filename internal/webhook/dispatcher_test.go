package webhook_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/webhook"
)

// TestSignTestVector signs the Standard Webhooks specification's published
// example, and checks the test's own verifier against it too.
func TestSignTestVector(t *testing.T) {
	const (
		secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
		id     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
		body   = `{"test": 2432232314}`
		want   = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	)
	got, err := webhook.Sign([]string{secret}, id, 1614265330, []byte(body))
	if err != nil || got != want {
		t.Fatalf("Sign = %q, %v; want %q", got, err, want)
	}
	h := http.Header{}
	h.Set("webhook-id", id)
	h.Set("webhook-timestamp", "1614265330")
	h.Set("webhook-signature", "v1,bm9wZQ== "+want)
	if !verify(secret, h, []byte(body)) {
		t.Fatal("the verifier refuses the published example")
	}
	if verify(secret, h, []byte(body+" ")) {
		t.Fatal("the verifier accepts a changed body")
	}
}

// TestDeliverySignedAndShaped delivers a transfer's event: signed, with
// the documented headers and body, recorded as succeeded.
func TestDeliverySignedAndShaped(t *testing.T) {
	e := newEnv(t)
	rcv := newReceiver(t, status(http.StatusNoContent))
	ep := e.mustEndpoint(t, rcv.URL)
	tr := e.mustTransfer(t, 12_345)
	e.runOnce(t)
	got := rcv.requests()
	if len(got) != 1 {
		t.Fatalf("receiver got %d requests, want 1 (the transfer; account.created came before the endpoint)", len(got))
	}
	r := got[0]
	if !verify(ep.Secret, r.header, r.body) {
		t.Errorf("signature %q does not verify", r.header.Get("webhook-signature"))
	}
	if ts := r.header.Get("webhook-timestamp"); ts != strconv.FormatInt(e.clock.Now().Unix(), 10) {
		t.Errorf("webhook-timestamp = %q, want the attempt's time", ts)
	}
	p := mustPayload(t, r.body)
	if p.Type != partnerd.EventBalanceTransferred || p.Timestamp != "2026-03-25T10:00:00Z" ||
		p.Data["id"] != r.header.Get("webhook-id") || p.Data["account_auth_id"] != e.customer || p.Data["sequence"] != 2.0 ||
		p.Data["transaction_id"] != tr.TransactionID || p.Data["amount"] != 123.45 {
		t.Errorf("body = %s", r.body)
	}
	if !partnerd.IsEventID(r.header.Get("webhook-id")) || r.header.Get("Content-Type") != "application/json" {
		t.Errorf("headers = %v", r.header)
	}
	ds := e.deliveries(t, ep.ID)
	if len(ds) != 1 {
		t.Fatalf("%d deliveries, want 1", len(ds))
	}
	wantAttempts(t, ds[0], partnerd.DeliverySucceeded, 204)
	// Nothing more is due.
	e.clock.Add(48 * time.Hour)
	e.runOnce(t)
	if n := len(rcv.requests()); n != 1 {
		t.Errorf("%d requests after a success, want 1", n)
	}
}

// TestDeliveryBodyKeysOnce delivers number.assigned, whose data holds
// account_auth_id already: the body names each key of data once, with
// the event's id, account_auth_id and sequence.
func TestDeliveryBodyKeysOnce(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	rcv := newReceiver(t, status(200))
	e.mustEndpoint(t, rcv.URL, partnerd.EventNumberAssigned)
	if _, err := e.db.AddNumbers(ctx, e.partner, []partnerd.NumberInput{{Number: "+912271264217"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.AssignNumber(ctx, e.partner, e.customer, "+912271264217"); err != nil {
		t.Fatal(err)
	}
	e.runOnce(t)
	rs := rcv.requests()
	if len(rs) != 1 {
		t.Fatalf("%d requests, want 1", len(rs))
	}
	if dup, err := duplicateKey(rs[0].body); dup != "" || err != nil {
		t.Errorf("body %s: key %q given twice (%v)", rs[0].body, dup, err)
	}
	p := mustPayload(t, rs[0].body)
	if p.Type != partnerd.EventNumberAssigned || p.Data["id"] != rs[0].header.Get("webhook-id") || p.Data["account_auth_id"] != e.customer ||
		p.Data["sequence"] != 2.0 || p.Data["number"] != "+912271264217" {
		t.Errorf("body = %s", rs[0].body)
	}
}

// TestDeliveryRetrySchedule fails twice with 500 and then succeeds: each
// retry comes at the documented time (jitter fixed at its middle), with
// the same webhook-id, and not before.
func TestDeliveryRetrySchedule(t *testing.T) {
	e := newEnv(t)
	rcv := newReceiver(t, status(500), status(500), status(200))
	ep := e.mustEndpoint(t, rcv.URL)
	e.mustTransfer(t, 100)
	e.runOnce(t) // attempt 1: 500
	for _, step := range []struct {
		wait     time.Duration
		requests int
	}{
		{4999 * time.Millisecond, 1}, // the first retry is due 5 s after
		{time.Millisecond, 2},        // attempt 2: 500
		{5*time.Minute - time.Second, 2},
		{time.Second, 3}, // attempt 3: 200
		{48 * time.Hour, 3},
	} {
		e.clock.Add(step.wait)
		e.runOnce(t)
		if n := len(rcv.requests()); n != step.requests {
			t.Fatalf("after %s more: %d requests, want %d", step.wait, n, step.requests)
		}
	}
	got := rcv.requests()
	for _, r := range got {
		if r.header.Get("webhook-id") != got[0].header.Get("webhook-id") || !verify(ep.Secret, r.header, r.body) {
			t.Errorf("retry with id %s, verified %v", r.header.Get("webhook-id"), verify(ep.Secret, r.header, r.body))
		}
	}
	if got[2].header.Get("webhook-timestamp") == got[0].header.Get("webhook-timestamp") {
		t.Error("a retry kept the first attempt's timestamp")
	}
	wantAttempts(t, e.deliveries(t, ep.ID)[0], partnerd.DeliverySucceeded, 500, 500, 200)
}

// TestDeliveryDeadAndRetryByHand fails every attempt: after the tenth the
// delivery is dead; retried by hand it is tried once more.
func TestDeliveryDeadAndRetryByHand(t *testing.T) {
	e := newEnv(t)
	rcv := newReceiver(t, status(500))
	ep := e.mustEndpoint(t, rcv.URL)
	e.mustTransfer(t, 100)
	// Each retry when it is due (jitter is fixed at its middle): about
	// three days in all, before the 5 days that disable an endpoint.
	for _, wait := range []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour,
		10 * time.Hour, 14 * time.Hour, 20 * time.Hour, 24 * time.Hour, 48 * time.Hour} {
		e.runOnce(t)
		e.clock.Add(wait)
	}
	if n := len(rcv.requests()); n != webhook.MaxAttempts {
		t.Fatalf("%d attempts, want %d", n, webhook.MaxAttempts)
	}
	d := e.deliveries(t, ep.ID)[0]
	codes := slices.Repeat([]int{500}, webhook.MaxAttempts)
	wantAttempts(t, d, partnerd.DeliveryDead, codes...)
	seq, _ := partnerd.ParseDeliveryID(d.ID)
	r, err := e.db.RetryWebhookDelivery(context.Background(), e.partner, ep.ID, seq)
	if err != nil || r.Status != partnerd.DeliveryPending {
		t.Fatalf("RetryWebhookDelivery = %+v, %v", r, err)
	}
	e.runOnce(t)
	if n := len(rcv.requests()); n != webhook.MaxAttempts+1 {
		t.Fatalf("%d attempts after a retry by hand, want %d", n, webhook.MaxAttempts+1)
	}
	wantAttempts(t, e.deliveries(t, ep.ID)[0], partnerd.DeliveryDead, append(codes, 500)...)
}

// TestDeliveryResponses scripts the other answers of API.md §8.
func TestDeliveryResponses(t *testing.T) {
	t.Run("ResetConnection", func(t *testing.T) {
		e := newEnv(t)
		rcv := newReceiver(t, func(w http.ResponseWriter, _ *http.Request) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.(*net.TCPConn).SetLinger(0) // RST, not FIN
				conn.Close()
			}
		}, status(200))
		ep := e.mustEndpoint(t, rcv.URL)
		e.mustTransfer(t, 100)
		e.runOnce(t)
		wantAttempts(t, e.deliveries(t, ep.ID)[0], partnerd.DeliveryFailed, 0)
		e.clock.Add(6 * time.Second)
		e.runOnce(t)
		wantAttempts(t, e.deliveries(t, ep.ID)[0], partnerd.DeliverySucceeded, 0, 200)
	})
	t.Run("HangPastTimeout", func(t *testing.T) {
		e := newEnv(t)
		e.d.Timeout = 200 * time.Millisecond
		rcv := newReceiver(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
		ep := e.mustEndpoint(t, rcv.URL)
		e.mustTransfer(t, 100)
		e.runOnce(t)
		d := e.deliveries(t, ep.ID)[0]
		wantAttempts(t, d, partnerd.DeliveryFailed, 0)
		if len(d.Attempts) == 1 && !strings.Contains(*d.Attempts[0].Error, "timed out") {
			t.Errorf("error = %q, want a timeout", *d.Attempts[0].Error)
		}
	})
	t.Run("DelayCountsFromTimeout", func(t *testing.T) {
		e := newEnv(t)
		e.d.Timeout = 200 * time.Millisecond
		// The attempt lasts the (fake) 15 s of a timeout.
		rcv := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
			e.clock.Add(webhook.DefaultTimeout)
			<-r.Context().Done()
		}, status(200))
		ep := e.mustEndpoint(t, rcv.URL)
		e.mustTransfer(t, 100)
		start := e.clock.Now()
		e.runOnce(t)
		d := e.deliveries(t, ep.ID)[0]
		if want := start.Add(webhook.DefaultTimeout + 5*time.Second); d.NextAttemptAt == nil || !d.NextAttemptAt.Equal(want) {
			t.Errorf("next attempt at %v, want %v: 5 s after the attempt ended", d.NextAttemptAt, want)
		}
		e.clock.Add(4999 * time.Millisecond)
		e.runOnce(t)
		if n := len(rcv.requests()); n != 1 {
			t.Fatalf("%d requests within 5 s of the timeout, want 1", n)
		}
		e.clock.Add(time.Millisecond)
		e.runOnce(t)
		wantAttempts(t, e.deliveries(t, ep.ID)[0], partnerd.DeliverySucceeded, 0, 200)
	})
	t.Run("GoneDisables", func(t *testing.T) {
		e := newEnv(t)
		rcv := newReceiver(t, status(http.StatusGone))
		other := newReceiver(t, status(200))
		ep := e.mustEndpoint(t, rcv.URL)
		watcher := e.mustEndpoint(t, other.URL, partnerd.EventWebhookEndpointDisabled)
		e.mustTransfer(t, 100)
		e.runOnce(t)
		wantAttempts(t, e.deliveries(t, ep.ID)[0], partnerd.DeliveryDead, 410)
		got, err := e.db.WebhookEndpoint(context.Background(), e.partner, ep.ID)
		if err != nil || got.Status != partnerd.WebhookDisabled {
			t.Fatalf("endpoint after 410: %+v, %v", got, err)
		}
		// The disabling is an event, delivered to the other endpoint.
		e.runOnce(t)
		if rs := other.requests(); len(rs) != 1 || mustPayload(t, rs[0].body).Type != partnerd.EventWebhookEndpointDisabled ||
			mustPayload(t, rs[0].body).Data["endpoint_id"] != ep.ID {
			t.Errorf("watcher got %d requests: %v", len(rs), rs)
		}
		wantAttempts(t, e.deliveries(t, watcher.ID)[0], partnerd.DeliverySucceeded, 200)
		// A disabled endpoint gets no new deliveries.
		e.mustTransfer(t, 100)
		e.clock.Add(time.Hour)
		e.runOnce(t)
		if n := len(rcv.requests()); n != 1 {
			t.Errorf("disabled endpoint got %d requests, want 1", n)
		}
	})
	t.Run("TooManyRequestsRetryAfter", func(t *testing.T) {
		e := newEnv(t)
		rcv := newReceiver(t, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(http.StatusTooManyRequests)
		}, status(200))
		ep := e.mustEndpoint(t, rcv.URL)
		e.mustTransfer(t, 100)
		e.runOnce(t)
		e.clock.Add(119 * time.Second)
		e.runOnce(t)
		if n := len(rcv.requests()); n != 1 {
			t.Fatalf("%d requests before Retry-After passed, want 1", n)
		}
		e.clock.Add(time.Second)
		e.runOnce(t)
		wantAttempts(t, e.deliveries(t, ep.ID)[0], partnerd.DeliverySucceeded, 429, 200)
	})
	t.Run("ShortRetryAfterKeepsSchedule", func(t *testing.T) {
		// Retry-After: 1 on every reply: each retry still waits its turn
		// of the schedule, and the delivery is dead only after all ten.
		e := newEnv(t)
		rcv := newReceiver(t, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
		})
		ep := e.mustEndpoint(t, rcv.URL)
		e.mustTransfer(t, 100)
		for i, wait := range []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour,
			10 * time.Hour, 14 * time.Hour, 20 * time.Hour, 24 * time.Hour} {
			e.runOnce(t)
			e.clock.Add(wait - time.Millisecond)
			e.runOnce(t)
			if n := len(rcv.requests()); n != i+1 {
				t.Fatalf("%d requests before retry %d was due, want %d", n, i+1, i+1)
			}
			e.clock.Add(time.Millisecond)
		}
		e.runOnce(t)
		wantAttempts(t, e.deliveries(t, ep.ID)[0], partnerd.DeliveryDead, slices.Repeat([]int{503}, webhook.MaxAttempts)...)
	})
	t.Run("RedirectNotFollowed", func(t *testing.T) {
		e := newEnv(t)
		target := newReceiver(t, status(200))
		rcv := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target.URL, http.StatusTemporaryRedirect)
		})
		ep := e.mustEndpoint(t, rcv.URL)
		e.mustTransfer(t, 100)
		e.runOnce(t)
		wantAttempts(t, e.deliveries(t, ep.ID)[0], partnerd.DeliveryFailed, 307)
		if n := len(target.requests()); n != 0 {
			t.Errorf("the redirect's target got %d requests", n)
		}
	})
	t.Run("HugeResponseNotRead", func(t *testing.T) {
		e := newEnv(t)
		const huge = 1 << 30
		var written atomic.Int64
		rcv := newReceiver(t, func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(200)
			chunk := make([]byte, 64<<10)
			for written.Load() < huge {
				n, err := w.Write(chunk)
				written.Add(int64(n))
				if err != nil {
					return
				}
			}
		})
		ep := e.mustEndpoint(t, rcv.URL)
		e.mustTransfer(t, 100)
		e.runOnce(t)
		wantAttempts(t, e.deliveries(t, ep.ID)[0], partnerd.DeliverySucceeded, 200)
		rcv.CloseClientConnections()
		if w := written.Load(); w >= huge {
			t.Errorf("the receiver wrote all of its %d bytes: the response was read to the end", w)
		}
	})
}

// TestEndpointDisabledAfterFiveDays fails every attempt of an endpoint:
// an attempt that fails 5 days after its first failure disables it.
func TestEndpointDisabledAfterFiveDays(t *testing.T) {
	e := newEnv(t)
	rcv := newReceiver(t, status(500))
	ep := e.mustEndpoint(t, rcv.URL)
	e.mustTransfer(t, 100)
	for range 4 * 24 {
		e.runOnce(t)
		e.clock.Add(time.Hour)
	}
	if got, _ := e.db.WebhookEndpoint(context.Background(), e.partner, ep.ID); got.Status != partnerd.WebhookEnabled {
		t.Fatalf("disabled after 4 days of failures")
	}
	e.mustTransfer(t, 100) // a new event, failing into the sixth day
	for range 48 {
		e.runOnce(t)
		e.clock.Add(time.Hour)
	}
	if got, _ := e.db.WebhookEndpoint(context.Background(), e.partner, ep.ID); got.Status != partnerd.WebhookDisabled {
		t.Fatalf("still %s after 5 days of failures", got.Status)
	}
	es, _, err := e.db.Events(context.Background(), e.partner, partnerd.EventFilter{Page: partnerd.Page{Page: 1, Size: 10},
		Type: partnerd.EventWebhookEndpointDisabled})
	if err != nil || len(es) != 1 {
		t.Fatalf("webhook_endpoint.disabled events: %d, %v", len(es), err)
	}
}

// TestSecretRotation signs with both secrets until the old one expires.
func TestSecretRotation(t *testing.T) {
	e := newEnv(t)
	rcv := newReceiver(t, status(200))
	ep := e.mustEndpoint(t, rcv.URL)
	ctx := context.Background()
	rotated, err := e.db.RotateWebhookSecret(ctx, e.partner, ep.ID, time.Hour)
	if err != nil || rotated.Secret == ep.Secret || !strings.HasPrefix(rotated.Secret, "whsec_") {
		t.Fatalf("RotateWebhookSecret = %+v, %v", rotated, err)
	}
	if got, _ := e.db.WebhookEndpointSecret(ctx, e.partner, ep.ID); got.Secret != rotated.Secret {
		t.Errorf("GET secret after a rotation = %q, want the new one", got.Secret)
	}
	e.mustTransfer(t, 100)
	e.runOnce(t)
	e.clock.Add(time.Hour)
	e.mustTransfer(t, 100)
	e.runOnce(t)
	rs := rcv.requests()
	if len(rs) != 2 {
		t.Fatalf("%d requests, want 2", len(rs))
	}
	sigs := func(r received) int { return len(strings.Fields(r.header.Get("webhook-signature"))) }
	if !verify(ep.Secret, rs[0].header, rs[0].body) || !verify(rotated.Secret, rs[0].header, rs[0].body) || sigs(rs[0]) != 2 {
		t.Errorf("during the overlap: %d signatures, old verifies %v, new %v", sigs(rs[0]),
			verify(ep.Secret, rs[0].header, rs[0].body), verify(rotated.Secret, rs[0].header, rs[0].body))
	}
	if verify(ep.Secret, rs[1].header, rs[1].body) || !verify(rotated.Secret, rs[1].header, rs[1].body) || sigs(rs[1]) != 1 {
		t.Errorf("after the overlap: %d signatures, old verifies %v", sigs(rs[1]), verify(ep.Secret, rs[1].header, rs[1].body))
	}
}

func TestSecretRotationsSQLite(t *testing.T)   { testSecretRotations(t, "sqlite") }
func TestSecretRotationsPostgres(t *testing.T) { testSecretRotations(t, "postgres") }

// testSecretRotations rotates twice inside the first overlap: each
// secret rotated out signs until its own overlap ends, not until the next
// rotation; and no more than MaxOldSecrets sign at once.
func testSecretRotations(t *testing.T, engine string) {
	e := setUp(t, instances(t, engine, 1)[0])
	rcv := newReceiver(t, status(200))
	a := e.mustEndpoint(t, rcv.URL)
	ctx := context.Background()
	rotate := func(overlap time.Duration) string {
		t.Helper()
		r, err := e.db.RotateWebhookSecret(ctx, e.partner, a.ID, overlap)
		if err != nil {
			t.Fatalf("RotateWebhookSecret(%s): %v", overlap, err)
		}
		return r.Secret
	}
	t0 := e.clock.Now()
	b := rotate(600 * time.Second) // a signs until 600 s
	e.clock.Add(100 * time.Second)
	c := rotate(600 * time.Second) // b signs until 700 s
	for _, step := range []struct {
		at      time.Duration // since t0, the first rotation
		signing []string
	}{
		{100 * time.Second, []string{a.Secret, b, c}},
		{599 * time.Second, []string{a.Secret, b, c}},
		{600 * time.Second, []string{b, c}},
		{700 * time.Second, []string{c}},
	} {
		e.clock.Add(t0.Add(step.at).Sub(e.clock.Now()))
		e.mustTransfer(t, 1)
		e.runOnce(t)
		rs := rcv.requests()
		r := rs[len(rs)-1]
		if n := len(strings.Fields(r.header.Get("webhook-signature"))); n != len(step.signing) {
			t.Errorf("at %s: %d signatures, want %d", step.at, n, len(step.signing))
		}
		for i, s := range []string{a.Secret, b, c} {
			if got, want := verify(s, r.header, r.body), slices.Contains(step.signing, s); got != want {
				t.Errorf("at %s: secret %c verifies %v, want %v", step.at, 'A'+i, got, want)
			}
		}
	}
	// MaxOldSecrets more rotations with an overlap fill the old secrets
	// (c first); one more is refused rather than silencing one of them.
	for range partnerd.MaxOldSecrets {
		rotate(time.Hour)
	}
	_, err := e.db.RotateWebhookSecret(ctx, e.partner, a.ID, time.Hour)
	var pe *partnerd.Error
	if !errors.As(err, &pe) || pe.Code != partnerd.ECValidation || len(pe.Fields) != 1 || pe.Fields[0].Field != "expire_old_in_seconds" {
		t.Fatalf("rotation past %d signing secrets: %v, want validation_error on expire_old_in_seconds", partnerd.MaxOldSecrets, err)
	}
	e.mustTransfer(t, 1)
	e.runOnce(t)
	rs := rcv.requests()
	if r := rs[len(rs)-1]; len(strings.Fields(r.header.Get("webhook-signature"))) != 1+partnerd.MaxOldSecrets || !verify(c, r.header, r.body) {
		t.Errorf("after %d rotations: signatures %q, want %d including c's", partnerd.MaxOldSecrets, r.header.Get("webhook-signature"), 1+partnerd.MaxOldSecrets)
	}
	// A rotation without overlap (a leaked secret) leaves the new one alone.
	last := rotate(0)
	e.mustTransfer(t, 1)
	e.runOnce(t)
	rs = rcv.requests()
	if r := rs[len(rs)-1]; len(strings.Fields(r.header.Get("webhook-signature"))) != 1 || !verify(last, r.header, r.body) {
		t.Errorf("after a rotation without overlap: signatures %q, want the new secret's alone", r.header.Get("webhook-signature"))
	}
}

// TestPrivateAddressesRefused sends nothing to loopback, private and
// link-local addresses, nor to a name resolving to one, without
// AllowPrivate; the attempt fails naming the reason.
func TestPrivateAddressesRefused(t *testing.T) {
	e := newEnv(t)
	e.d.AllowPrivate = false
	e.d.Timeout = time.Second
	rcv := newReceiver(t, status(200))
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(rcv.URL, "http://"))
	urls := []string{
		rcv.URL, "http://localhost:" + port + "/hook", "http://[::1]:" + port + "/", "http://10.1.2.3/hook",
		"http://169.254.169.254/latest/meta-data", "http://192.168.0.1/", "http://0.0.0.0:" + port + "/",
	}
	var eps []*partnerd.WebhookEndpoint
	for _, u := range urls {
		eps = append(eps, e.mustEndpoint(t, u))
	}
	e.mustTransfer(t, 100)
	e.runOnce(t)
	if n := len(rcv.requests()); n != 0 {
		t.Errorf("the loopback receiver got %d requests", n)
	}
	for i, ep := range eps {
		d := e.deliveries(t, ep.ID)[0]
		wantAttempts(t, d, partnerd.DeliveryFailed, 0)
		if len(d.Attempts) == 1 && !strings.Contains(*d.Attempts[0].Error, "not public") {
			t.Errorf("%s: error %q, want the address refused", urls[i], *d.Attempts[0].Error)
		}
	}
}

// TestLookupErrorHidesResolver records a failed name lookup by the name
// alone: Go's error names the resolver asked ("on 10.0.0.53:53"), which
// is this network's layout, not the partner's.
func TestLookupErrorHidesResolver(t *testing.T) {
	e := newEnv(t)
	e.d.Timeout = 5 * time.Second
	ep := e.mustEndpoint(t, "http://partnerd-test.invalid/hook")
	e.mustTransfer(t, 100)
	e.runOnce(t)
	d := e.deliveries(t, ep.ID)[0]
	wantAttempts(t, d, partnerd.DeliveryFailed, 0)
	if len(d.Attempts) != 1 {
		t.Fatalf("%d attempts, want 1", len(d.Attempts))
	}
	msg := *d.Attempts[0].Error
	if !strings.HasPrefix(msg, "DNS lookup of partnerd-test.invalid") || strings.Contains(msg, ":53") || strings.Contains(msg, " on ") {
		t.Errorf("error %q, want the lookup of partnerd-test.invalid named without the resolver", msg)
	}
}

// TestSlowEndpointDoesNotDelayOthers runs the dispatcher's loop: while
// one endpoint holds every request it gets, another receives all of its
// deliveries.
func TestSlowEndpointDoesNotDelayOthers(t *testing.T) {
	e := newEnv(t)
	e.db.Now, e.d.Now = time.Now, time.Now
	e.d.Timeout = time.Minute
	release := make(chan struct{})
	slow := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	fast := newReceiver(t, status(200))
	e.mustEndpoint(t, slow.URL)
	e.mustEndpoint(t, fast.URL)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		e.d.Run(ctx)
		close(done)
	}()
	defer func() {
		cancel()
		<-done
	}()
	const n = 40
	for range n {
		e.mustTransfer(t, 100)
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(fast.requests()) < n && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := len(fast.requests()); got != n {
		t.Fatalf("the fast endpoint got %d of %d deliveries while the slow one held its requests", got, n)
	}
	if got := len(slow.requests()); got > webhook.DefaultConcurrency {
		t.Errorf("the slow endpoint has %d requests in flight, want at most %d", got, webhook.DefaultConcurrency)
	}
}

// TestPingGoesToItsEndpointOnly sends the test event to the endpoint
// tested, whatever its types, and to no other.
func TestPingGoesToItsEndpointOnly(t *testing.T) {
	e := newEnv(t)
	a, b := newReceiver(t, status(200)), newReceiver(t, status(200))
	ep := e.mustEndpoint(t, a.URL, partnerd.EventNumberAssigned)
	e.mustEndpoint(t, b.URL)
	ev, err := e.db.TestWebhookEndpoint(context.Background(), e.partner, ep.ID)
	if err != nil {
		t.Fatal(err)
	}
	e.runOnce(t)
	if rs := a.requests(); len(rs) != 1 || rs[0].header.Get("webhook-id") != ev.ID || mustPayload(t, rs[0].body).Type != "ping" {
		t.Errorf("tested endpoint got %v", rs)
	}
	if n := len(b.requests()); n != 0 {
		t.Errorf("the other endpoint got %d requests", n)
	}
}
