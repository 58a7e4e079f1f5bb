package httpapi_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/httpapi"
)

// While the database opens and migrates, the process is alive but not
// ready; once the real server takes over, it is ready.
func TestReadyWhileStarting(t *testing.T) {
	t.Parallel()
	starting := httpapi.NewStartingServer(slog.New(slog.DiscardHandler))
	srv := httptest.NewServer(starting)
	defer srv.Close()
	e := &testEnv{srv: srv}
	if r := e.get(t, "/healthz", noCreds); r.status != http.StatusOK {
		t.Errorf("GET /healthz while starting = %d, want 200", r.status)
	}
	r := e.send(t, http.MethodGet, "/readyz", noCreds, nil, nil)
	wantError(t, r, http.StatusServiceUnavailable, partnerd.ECUnavailable)
	if r.header.Get("Retry-After") == "" {
		t.Errorf("503 while starting has no Retry-After")
	}
	wantError(t, e.send(t, http.MethodGet, base+"/me", noCreds, nil, nil), http.StatusServiceUnavailable, partnerd.ECUnavailable)

	ready, _ := newOpsEnv(t, nil)
	starting.HandOver(ready.api)
	if r := e.get(t, "/readyz", noCreds); r.status != http.StatusOK {
		t.Errorf("GET /readyz after the hand-over = %d, want 200", r.status)
	}
	p := ready.mustPartner(t, "Handed")
	if r := e.get(t, base+"/me", p); r.status != http.StatusOK {
		t.Errorf("GET /me after the hand-over = %d, want 200", r.status)
	}
}

// Draining: /readyz answers 503 while every other request is still
// served.
func TestReadyWhileDraining(t *testing.T) {
	t.Parallel()
	e, _ := newOpsEnv(t, nil)
	p := e.mustPartner(t, "Drained")
	if r := e.get(t, "/readyz", noCreds); r.status != http.StatusOK {
		t.Fatalf("GET /readyz = %d, want 200", r.status)
	}
	e.api.Drain()
	wantError(t, e.send(t, http.MethodGet, "/readyz", noCreds, nil, nil), http.StatusServiceUnavailable, partnerd.ECUnavailable)
	if r := e.get(t, "/healthz", noCreds); r.status != http.StatusOK {
		t.Errorf("GET /healthz while draining = %d, want 200", r.status)
	}
	if r := e.get(t, base+"/me", p); r.status != http.StatusOK {
		t.Errorf("GET /me while draining = %d, want 200", r.status)
	}
	// Every probe of a deploy's drain is answered 503: a state, not an
	// error for the log's alerts (its access line records it).
	if strings.Contains(e.logs.String(), `"level":"ERROR"`) {
		t.Errorf("draining logged an error:\n%s", e.logs.String())
	}
}
