package httpapi

// routes lists the whole API on one screen.
func (s *Server) routes() {
	const p = "/api/v1/partner"
	s.mux.Handle("GET /healthz", s.handle(s.handleHealth))
	s.mux.Handle("GET /readyz", s.handle(s.handleReady))

	s.mux.Handle("GET "+p+"/me", s.partner(s.handleMe))

	s.mux.Handle("POST "+p+"/accounts", s.partner(s.handleAccountCreate))
	s.mux.Handle("GET "+p+"/accounts", s.partner(s.handleAccountList))
	s.mux.Handle("GET "+p+"/accounts/{customer_auth_id}", s.partner(s.handleAccountGet))
	s.mux.Handle("GET "+p+"/accounts/{customer_auth_id}/balance", s.partner(s.handleAccountBalance))
}
