package httpapi

// routes lists the whole API on one screen.
func (s *Server) routes() {
	const p = "/api/v1/partner"
	s.mux.Handle("GET /healthz", s.handle(s.handleHealth))
	s.mux.Handle("GET /readyz", s.handle(s.handleReady))

	s.mux.Handle("GET "+p+"/me", s.partner(s.handleMe))
	s.mux.Handle("GET "+p+"/me/transactions", s.partner(s.handleMeTransactions))

	s.mux.Handle("POST "+p+"/accounts", s.partner(s.idempotent(s.handleAccountCreate)))
	s.mux.Handle("GET "+p+"/accounts", s.partner(s.handleAccountList))
	s.mux.Handle("GET "+p+"/accounts/{customer_auth_id}", s.partner(s.handleAccountGet))
	s.mux.Handle("GET "+p+"/accounts/{customer_auth_id}/balance", s.partner(s.handleAccountBalance))
	s.mux.Handle("POST "+p+"/accounts/{customer_auth_id}/transfer-balance", s.partner(s.idempotent(s.handleTransfer)))
	s.mux.Handle("POST "+p+"/accounts/{customer_auth_id}/withdraw-balance", s.partner(s.idempotent(s.handleWithdraw)))
	s.mux.Handle("GET "+p+"/accounts/{customer_auth_id}/transactions", s.partner(s.handleAccountTransactions))
	s.mux.Handle("GET "+p+"/transactions", s.partner(s.handleTransactions))

	// Numbers (API.md §5): a customer's rented numbers and the partner's pool.
	s.mux.Handle("POST "+p+"/accounts/{customer_auth_id}/numbers", s.partner(s.idempotent(s.handleNumberAssign)))
	s.mux.Handle("GET "+p+"/accounts/{customer_auth_id}/numbers", s.partner(s.handleAccountNumbers))
	s.mux.Handle("DELETE "+p+"/accounts/{customer_auth_id}/numbers/{number}", s.partner(s.handleNumberRelease))
	s.mux.Handle("GET "+p+"/numbers", s.partner(s.handleNumbers))

	// Rates (API.md §5): the partner reads its deck; the operator replaces
	// it with partnerd rate import.
	s.mux.Handle("GET "+p+"/rates", s.partner(s.handleRateList))

	// Call records (API.md §5): what the switch reported, rated and charged.
	s.mux.Handle("GET "+p+"/accounts/{customer_auth_id}/cdrs", s.partner(s.handleAccountCDRs))
	s.mux.Handle("GET "+p+"/accounts/{customer_auth_id}/cdrs/{call_uuid}", s.partner(s.handleAccountCDR))
	s.mux.Handle("GET "+p+"/cdrs", s.partner(s.handleCDRList))

	// Partner overview (API.md §5): maintained aggregates, not scans.
	s.mux.Handle("GET "+p+"/dashboard", s.partner(s.handleDashboard))
	s.mux.Handle("GET "+p+"/analytics", s.partner(s.handleAnalytics))

	// SIP endpoints (API.md §5), and the switch API's credential lookup,
	// which takes only switch tokens (Authorization: Bearer).
	s.mux.Handle("POST "+p+"/accounts/{customer_auth_id}/sip-endpoints", s.partner(s.idempotent(s.handleSIPEndpointCreate)))
	s.mux.Handle("GET "+p+"/accounts/{customer_auth_id}/sip-endpoints", s.partner(s.handleSIPEndpointList))
	s.mux.Handle("GET "+p+"/accounts/{customer_auth_id}/sip-endpoints/{endpoint_id}", s.partner(s.handleSIPEndpointGet))
	s.mux.Handle("DELETE "+p+"/accounts/{customer_auth_id}/sip-endpoints/{endpoint_id}", s.partner(s.handleSIPEndpointDelete))
	s.mux.Handle("POST "+p+"/accounts/{customer_auth_id}/sip-endpoints/{endpoint_id}/password", s.partner(s.idempotent(s.handleSIPPassword)))
	s.mux.Handle("GET /api/v1/switch/sip-credentials/{username}", s.switchAPI(s.handleSIPCredentials))

	// The switch asks before every call and reports after it (API.md §5).
	// Both are idempotent by call_uuid, so no Idempotency-Key is read.
	s.mux.Handle("POST /api/v1/switch/authorize", s.switchAPI(s.handleAuthorize))
	s.mux.Handle("POST /api/v1/switch/cdrs", s.switchAPI(s.handleCDRs))
}
