package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/partnerd/partnerd"
)

// A server's phase, for /readyz (API.md §7): a load balancer sends
// traffic only to a ready instance, so it is told "not ready" while the
// database is being opened and migrated and while the instance drains
// before shutting down (its requests are still served then).
const (
	phaseReady int32 = iota
	phaseStarting
	phaseDraining
)

// NewStartingServer returns the server that answers while the database
// opens and migrates: /healthz 200 (the process is alive), /readyz and
// every other request 503 unavailable. HandOver passes its traffic to the
// real server once that exists.
func NewStartingServer(log *slog.Logger) *Server {
	s := NewServer(Config{Logger: log})
	s.phase.Store(phaseStarting)
	s.mux = http.NewServeMux()
	s.mux.Handle("GET /healthz", s.handle(s.handleHealth))
	s.mux.Handle("/", s.handle(s.handleReady))
	return s
}

// HandOver makes s serve every later request with next: the starting
// server's listener is the real server's from then on.
func (s *Server) HandOver(next *Server) { s.next.Store(next) }

// Drain makes /readyz answer 503 while the server keeps serving, so that
// load balancers stop sending it requests before it shuts down.
func (s *Server) Drain() { s.phase.Store(phaseDraining) }

// handleHealth answers while the process runs.
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

// handleReady answers 200 only while the server is ready and the database
// answers.
func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) error {
	switch s.phase.Load() {
	case phaseStarting:
		return &partnerd.Error{Code: partnerd.ECUnavailable, Message: "The server is starting: its database is being opened and migrated.", RetryAfter: time.Second}
	case phaseDraining:
		return &partnerd.Error{Code: partnerd.ECUnavailable, Message: "The server is shutting down; send requests to another instance.", RetryAfter: time.Second}
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if s.ping != nil {
		if err := s.ping(ctx); err != nil {
			return &partnerd.Error{Code: partnerd.ECUnavailable, Message: "The database is not answering.", Err: err}
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	return nil
}
