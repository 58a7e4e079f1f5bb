package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptrace"
	"testing"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/client"
)

// expectContinue makes every request with a body wait for the server's
// "100 Continue", which Go's server sends only once a handler reads the
// body: the moment it arrives, the request is certainly in flight.
type expectContinue struct{ http.RoundTripper }

func (e expectContinue) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		r = r.Clone(r.Context())
		r.Header.Set("Expect", "100-continue")
	}
	return e.RoundTripper.RoundTrip(r)
}

// A request in flight when the context is cancelled completes, and its
// effect is durable; run returns nil.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	db := tempDB(t)
	srv := mustServe(t, db)
	partnerID, token := mustCredentials(t, srv.stdout.String())
	hc := &http.Client{Transport: expectContinue{&http.Transport{ExpectContinueTimeout: 30 * time.Second, DisableKeepAlives: true}}}
	c := client.New(srv.url, partnerID, token, client.WithHTTPClient(hc))

	inFlight := make(chan struct{})
	ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
		Got100Continue: func() { close(inFlight) },
	})
	type result struct {
		a   *partnerd.Account
		err error
	}
	done := make(chan result, 1)
	go func() {
		a, err := c.CreateAccount(ctx, "", seedInput())
		done <- result{a, err}
	}()
	select {
	case <-inFlight:
	case r := <-done:
		t.Fatalf("CreateAccount finished before the handler read its body: %v", r.err)
	case <-time.After(15 * time.Second):
		t.Fatal("no 100 Continue within 15s")
	}

	if err := srv.stop(t); err != nil {
		t.Errorf("run after cancel = %v, want nil\nstderr:\n%s", err, srv.stderr)
	}
	r := <-done
	if r.err != nil {
		t.Fatalf("CreateAccount in flight during shutdown: %v", r.err)
	}
	if _, err := http.Get(srv.url + "/healthz"); err == nil {
		t.Errorf("GET /healthz after run returned: answered, want a refused connection")
	}

	// The account committed before run returned.
	stdout, _, err := runCmd("partner", "list", "--db", db)
	if err != nil {
		t.Fatalf("partner list: %v", err)
	}
	var p struct {
		AuthID       string `json:"auth_id"`
		AccountCount int    `json:"account_count"`
	}
	if err := json.Unmarshal([]byte(stdout), &p); err != nil {
		t.Fatalf("partner list output: %v\n%s", err, stdout)
	}
	if p.AuthID != partnerID || p.AccountCount != 1 {
		t.Errorf("after shutdown: partner %s has %d accounts, want %s with 1 (%s)", p.AuthID, p.AccountCount, partnerID, r.a.AuthID)
	}
}
