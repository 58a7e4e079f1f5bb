package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/partnerd/partnerd"
)

// handleHealth answers while the process runs.
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

// handleReady answers 200 only while the database answers.
func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) error {
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
