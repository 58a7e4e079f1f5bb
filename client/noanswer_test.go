package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/client"
)

// afterForwarding serves h, but the requests that match selects are
// handled in full by h and answered instead by fail, as a proxy that gave
// up on the server after forwarding; limit is how many (0: all).
func afterForwarding(h http.Handler, limit int32, match func(*http.Request) bool, fail http.HandlerFunc) http.Handler {
	var n atomic.Int32
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !match(r) || (limit > 0 && n.Add(1) > limit) {
			h.ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(httptest.NewRecorder(), r)
		fail(w, r)
	})
}

// gateway answers as a proxy does, with no partnerd error body.
func gateway(status int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { http.Error(w, http.StatusText(status), status) }
}

// hangUp closes the connection without a byte of answer.
func hangUp(t *testing.T) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijacking the connection: %v", err)
			return
		}
		conn.Close()
	}
}

func isPost(r *http.Request) bool { return r.Method == http.MethodPost }

// TestGatewayAnswersRetried: a proxy's 502, 504 and bare 503 after the
// server acted are retried under the same Idempotency-Key and the stored
// answer comes back; the money moves once.
func TestGatewayAnswersRetried(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			t.Parallel()
			e := newLedgerEnv(t)
			pid, token := e.partner(t, "Proxied", "INR", 1000_00)
			setup := client.New(e.url, pid, token)
			a := e.customer(t, setup, "Behind")
			var log keyLog
			front := httptest.NewServer(log.wrap(afterForwarding(proxyTo(t, e.url), 1, func(r *http.Request) bool {
				return isPost(r) && strings.HasSuffix(r.URL.Path, "/transfer-balance")
			}, gateway(status))))
			t.Cleanup(front.Close)
			var res client.Response
			c := client.New(front.URL, pid, token, client.WithCurrency("INR"))
			got, err := c.Transfer(client.WithResponse(context.Background(), &res), "", partnerd.TransferInput{AuthID: a, Amount: 100_00})
			if err != nil {
				t.Fatalf("Transfer behind a proxy answering %d once: %v", status, err)
			}
			if keys := log.all(); len(keys) != 2 || keys[0] != keys[1] {
				t.Errorf("Idempotency-Keys = %q, want two equal keys", keys)
			}
			if !res.Replayed || res.Attempts != 2 {
				t.Errorf("answer replayed %v after %d attempts, want the stored answer after 2", res.Replayed, res.Attempts)
			}
			if p, cu := balances(t, setup, a); p != 900_00 || cu != 100_00 || got.CustomerBalanceAfter != 100_00 {
				t.Errorf("balances partner %d customer %d, want 90000 and 10000 (moved once)", p, cu)
			}
		})
	}
}

// TestNoAnswerAfterRetries: when every attempt's answer is lost (a hang-up
// or a 504 after the server acted), the call returns *NoAnswerError naming
// the Idempotency-Key; sending it again under that key finishes it once.
func TestNoAnswerAfterRetries(t *testing.T) {
	t.Parallel()
	for name, fail := range map[string]func(t *testing.T) http.HandlerFunc{
		"hang-up": hangUp,
		"504":     func(*testing.T) http.HandlerFunc { return gateway(http.StatusGatewayTimeout) },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newLedgerEnv(t)
			pid, token := e.partner(t, "Lost", "INR", 1000_00)
			setup := client.New(e.url, pid, token)
			a := e.customer(t, setup, "Unlucky")
			var log keyLog
			front := httptest.NewServer(log.wrap(afterForwarding(proxyTo(t, e.url), 0, isPost, fail(t))))
			t.Cleanup(front.Close)
			c := client.New(front.URL, pid, token, client.WithCurrency("INR"), client.WithRetries(2))
			_, err := c.Transfer(context.Background(), "", partnerd.TransferInput{AuthID: a, Amount: 100_00})
			var na *client.NoAnswerError
			if !errors.As(err, &na) {
				t.Fatalf("Transfer = %v (%T), want *client.NoAnswerError", err, err)
			}
			keys := log.all()
			if len(keys) != 3 || na.IdempotencyKey == "" || keys[0] != na.IdempotencyKey || !na.MayHaveActed || na.Attempts != 3 {
				t.Errorf("NoAnswerError %+v after keys %q, want the key of 3 attempts and MayHaveActed", na, keys)
			}
			if !strings.HasPrefix(err.Error(), "no answer from "+front.URL+": ") {
				t.Errorf("error = %q", err)
			}
			var res client.Response
			ctx := client.WithResponse(client.WithIdempotencyKey(context.Background(), na.IdempotencyKey), &res)
			if _, err := client.New(e.url, pid, token).Transfer(ctx, "", partnerd.TransferInput{AuthID: a, Amount: 100_00}); err != nil || !res.Replayed {
				t.Fatalf("Transfer again under the key: %v, replayed %v", err, res.Replayed)
			}
			if p, cu := balances(t, setup, a); p != 900_00 || cu != 100_00 {
				t.Errorf("balances partner %d customer %d, want 90000 and 10000 (moved once)", p, cu)
			}
		})
	}
}

// TestGatewayNotRepeatedUnlessSafe: a PATCH carries no key, so a proxy's
// 504 after it is not sent again.
func TestGatewayNotRepeatedUnlessSafe(t *testing.T) {
	t.Parallel()
	e := newFullEnv(t, "sqlite")
	setup, pid, token := e.mustPartner(t, "Patchy", 0)
	a := mustAccount(t, setup, "Patched", 0)
	var sent atomic.Int32
	front := httptest.NewServer(afterForwarding(proxyTo(t, e.url), 0, func(r *http.Request) bool {
		if r.Method == http.MethodPatch {
			sent.Add(1)
			return true
		}
		return false
	}, gateway(http.StatusGatewayTimeout)))
	t.Cleanup(front.Close)
	c := client.New(front.URL, pid, token)
	name := "Renamed"
	_, err := c.UpdateAccount(context.Background(), "", a.AuthID, partnerd.AccountUpdate{Name: partnerd.Change{Set: true, Value: &name}})
	var na *client.NoAnswerError
	if !errors.As(err, &na) || !na.MayHaveActed || sent.Load() != 1 {
		t.Errorf("UpdateAccount behind a 504: %v after %d requests, want *NoAnswerError after 1", err, sent.Load())
	}
}

// TestDeleteAfterLostAnswer: a DELETE whose answer was lost deleted; its
// retry's 404 is success. A DELETE answered 404 at once still fails.
func TestDeleteAfterLostAnswer(t *testing.T) {
	t.Parallel()
	e := newFullEnv(t, "sqlite")
	setup, pid, token := e.mustPartner(t, "Deleter", 0)
	ctx := context.Background()
	w, err := setup.CreateWebhookEndpoint(ctx, "", partnerd.WebhookEndpointInput{URL: "https://hooks.example.com/x"})
	if err != nil {
		t.Fatalf("CreateWebhookEndpoint: %v", err)
	}
	front := httptest.NewServer(dropFirst(t, proxyTo(t, e.url), func(r *http.Request) bool { return r.Method == http.MethodDelete }))
	t.Cleanup(front.Close)
	c := client.New(front.URL, pid, token)
	if err := c.DeleteWebhookEndpoint(ctx, "", w.ID); err != nil {
		t.Errorf("DeleteWebhookEndpoint whose answer was lost: %v, want success", err)
	}
	if _, err := setup.WebhookEndpoint(ctx, "", w.ID); partnerd.ErrorCode(err) != partnerd.ECNotFound {
		t.Errorf("the endpoint after the delete: %v, want not_found", err)
	}
	wantCode(t, "DeleteWebhookEndpoint again", c.DeleteWebhookEndpoint(ctx, "", w.ID), partnerd.ECNotFound)
}

// TestRedirectNotFollowed: a redirect is an error naming where it points,
// and the credentials never reach that place, also with the caller's own
// *http.Client.
func TestRedirectNotFollowed(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var leaked []string
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		leaked = append(leaked, r.Header.Get("X-Auth-Token")+r.Header.Get("Authorization"))
		mu.Unlock()
		answer(w, http.StatusOK, `{}`)
	}))
	t.Cleanup(elsewhere.Close)
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	t.Cleanup(redirector.Close)
	ctx := context.Background()
	calls := map[string]func() error{
		"New": func() error { _, err := client.New(redirector.URL, testPartner, testToken).Me(ctx); return err },
		"WithHTTPClient": func() error {
			_, err := client.New(redirector.URL, testPartner, testToken, client.WithHTTPClient(&http.Client{})).Me(ctx)
			return err
		},
		"NewSwitch": func() error {
			_, err := client.NewSwitch(redirector.URL, "st_token").SIPCredential(ctx, "desk100")
			return err
		},
	}
	for name, call := range calls {
		err := call()
		var re *client.RedirectError
		if !errors.As(err, &re) || re.Status != http.StatusTemporaryRedirect || !strings.HasPrefix(re.Location, elsewhere.URL) ||
			!strings.Contains(err.Error(), "which partnerd never does") {
			t.Errorf("%s: error %v, want a *client.RedirectError to %s", name, err, elsewhere.URL)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(leaked) > 0 {
		t.Errorf("the redirect's target got %d requests with credentials %q", len(leaked), leaked)
	}
}
