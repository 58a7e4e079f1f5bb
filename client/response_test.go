package client_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/client"
)

func TestWithResponse(t *testing.T) {
	t.Parallel()
	e := newLedgerEnv(t)
	pid, token := e.partner(t, "Acme", "INR", 1_000_00)
	c := client.New(e.url, pid, token, client.WithCurrency("INR"))
	a := e.customer(t, c, "Credresolve")

	ctx := client.WithIdempotencyKey(context.Background(), "recharge-1")
	in := partnerd.TransferInput{AuthID: a, Amount: 100_00}
	var first, again, refused client.Response
	if _, err := c.Transfer(client.WithResponse(ctx, &first), "", in); err != nil {
		t.Fatalf("Transfer: %v", err)
	}
	if _, err := c.Transfer(client.WithResponse(ctx, &again), "", in); err != nil {
		t.Fatalf("Transfer again: %v", err)
	}
	in.Amount++
	_, err := c.Transfer(client.WithResponse(ctx, &refused), "", in)
	pe := errorOf(t, err)

	for _, tt := range []struct {
		name     string
		got      client.Response
		status   int
		replayed bool
	}{
		{"first", first, http.StatusOK, false},
		{"again", again, http.StatusOK, true},
		{"other body", refused, http.StatusUnprocessableEntity, false},
	} {
		if tt.got.Status != tt.status || tt.got.Replayed != tt.replayed {
			t.Errorf("%s: Status %d, Replayed %v; want %d, %v", tt.name, tt.got.Status, tt.got.Replayed, tt.status, tt.replayed)
		}
		if tt.got.RequestID == "" || tt.got.RequestID != tt.got.Header.Get("X-Request-ID") {
			t.Errorf("%s: RequestID %q, header %q; want the same, not empty", tt.name, tt.got.RequestID, tt.got.Header.Get("X-Request-ID"))
		}
	}
	if first.RequestID == again.RequestID {
		t.Errorf("two requests share the request id %q", first.RequestID)
	}
	if got := pe.Details["request_id"]; got != refused.RequestID {
		t.Errorf("error body request_id %v, Response.RequestID %q; want the same", got, refused.RequestID)
	}
}
