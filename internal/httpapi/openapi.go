package httpapi

import (
	_ "embed"
	"net/http"
)

// openAPIDocument is the OpenAPI 3.1 description of every route routes
// registers (openapi.json beside this file). The tests hold the server to
// it: the routes and the document's operations are the same set, and
// every answer the HTTP tests receive validates against it. A new route
// is a new operation there, built from its shared components (errors,
// pagination, money, CSV).
//
//go:embed openapi.json
var openAPIDocument []byte

// handleOpenAPI serves the document, to anyone: it holds no secret.
func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	w.Write(openAPIDocument)
	return nil
}
