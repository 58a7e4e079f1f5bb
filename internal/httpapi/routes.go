package httpapi

import "net/http"

// routes lists the whole API on one screen.
func (s *Server) routes() {
	const p = "/api/v1/partner"
	s.register("GET /healthz", s.handle(s.handleHealth))
	s.register("GET /readyz", s.handle(s.handleReady))
	s.register("GET /api/v1/openapi.json", s.handle(s.handleOpenAPI))

	s.register("GET "+p+"/me", s.partner(s.handleMe))
	s.register("GET "+p+"/me/transactions", s.partner(s.handleMeTransactions))

	s.register("POST "+p+"/accounts", s.partner(s.idempotent(s.handleAccountCreate)))
	s.register("GET "+p+"/accounts", s.partner(s.handleAccountList))
	s.register("GET "+p+"/accounts/{customer_auth_id}", s.partner(s.handleAccountGet))
	s.register("GET "+p+"/accounts/{customer_auth_id}/balance", s.partner(s.handleAccountBalance))
	// The account lifecycle (API.md §6).
	s.register("POST "+p+"/accounts/{customer_auth_id}/suspend", s.partner(s.idempotent(s.handleAccountSuspend)))
	s.register("POST "+p+"/accounts/{customer_auth_id}/activate", s.partner(s.idempotent(s.handleAccountActivate)))
	s.register("POST "+p+"/accounts/{customer_auth_id}/close", s.partner(s.idempotent(s.handleAccountClose)))
	s.register("POST "+p+"/accounts/{customer_auth_id}/rotate-token", s.partner(s.idempotent(s.handleAccountRotateToken)))
	s.register("PATCH "+p+"/accounts/{customer_auth_id}", s.partner(s.handleAccountUpdate))
	s.register("POST "+p+"/accounts/{customer_auth_id}/transfer-balance", s.partner(s.idempotent(s.handleTransfer)))
	s.register("POST "+p+"/accounts/{customer_auth_id}/withdraw-balance", s.partner(s.idempotent(s.handleWithdraw)))
	s.register("GET "+p+"/accounts/{customer_auth_id}/transactions", s.partner(s.handleAccountTransactions))
	s.register("GET "+p+"/transactions", s.partner(s.handleTransactions))

	// Numbers (API.md §5): a customer's rented numbers and the partner's pool.
	s.register("POST "+p+"/accounts/{customer_auth_id}/numbers", s.partner(s.idempotent(s.handleNumberAssign)))
	s.register("GET "+p+"/accounts/{customer_auth_id}/numbers", s.partner(s.handleAccountNumbers))
	s.register("DELETE "+p+"/accounts/{customer_auth_id}/numbers/{number}", s.partner(s.handleNumberRelease))
	s.register("GET "+p+"/numbers", s.partner(s.handleNumbers))

	// Rates (API.md §5): the partner reads its deck; the operator replaces
	// it with partnerd rate import.
	s.register("GET "+p+"/rates", s.partner(s.handleRateList))

	// Call records (API.md §5): what the switch reported, rated and charged.
	s.register("GET "+p+"/accounts/{customer_auth_id}/cdrs", s.partner(s.handleAccountCDRs))
	s.register("GET "+p+"/accounts/{customer_auth_id}/cdrs/{call_uuid}", s.partner(s.handleAccountCDR))
	s.register("GET "+p+"/cdrs", s.partner(s.handleCDRList))

	// Partner overview (API.md §5): maintained aggregates, not scans.
	s.register("GET "+p+"/dashboard", s.partner(s.handleDashboard))
	s.register("GET "+p+"/analytics", s.partner(s.handleAnalytics))

	// Events (API.md §8): every change, recorded with it.
	s.register("GET "+p+"/events", s.partner(s.handleEventList))
	s.register("GET "+p+"/events/{event_id}", s.partner(s.handleEventGet))
	s.register("PUT "+p+"/accounts/{customer_auth_id}/auto-topup", s.partner(s.handleAutoTopupPut))
	s.register("GET "+p+"/accounts/{customer_auth_id}/auto-topup", s.partner(s.handleAutoTopupGet))
	s.register("DELETE "+p+"/accounts/{customer_auth_id}/auto-topup", s.partner(s.handleAutoTopupDelete))
	s.register("POST "+p+"/webhook-endpoints", s.partner(s.idempotent(s.handleWebhookEndpointCreate)))
	s.register("GET "+p+"/webhook-endpoints", s.partner(s.handleWebhookEndpointList))
	s.register("GET "+p+"/webhook-endpoints/{endpoint_id}", s.partner(s.handleWebhookEndpointGet))
	s.register("PATCH "+p+"/webhook-endpoints/{endpoint_id}", s.partner(s.handleWebhookEndpointUpdate))
	s.register("DELETE "+p+"/webhook-endpoints/{endpoint_id}", s.partner(s.handleWebhookEndpointDelete))
	s.register("GET "+p+"/webhook-endpoints/{endpoint_id}/secret", s.partner(s.handleWebhookSecret))
	s.register("POST "+p+"/webhook-endpoints/{endpoint_id}/rotate-secret", s.partner(s.idempotent(s.handleWebhookRotate)))
	s.register("POST "+p+"/webhook-endpoints/{endpoint_id}/test", s.partner(s.idempotent(s.handleWebhookTest)))
	s.register("GET "+p+"/webhook-endpoints/{endpoint_id}/deliveries", s.partner(s.handleWebhookDeliveries))
	s.register("POST "+p+"/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/retry", s.partner(s.idempotent(s.handleWebhookRetry)))

	// The audit log (API.md §7): who changed what, recorded with the
	// change; every mutating route declares its action in audit.go.
	s.register("GET "+p+"/audit-events", s.partner(s.handleAuditList))

	// SIP endpoints (API.md §5), and the switch API's credential lookup,
	// which takes only switch tokens (Authorization: Bearer).
	s.register("POST "+p+"/accounts/{customer_auth_id}/sip-endpoints", s.partner(s.idempotent(s.handleSIPEndpointCreate)))
	s.register("GET "+p+"/accounts/{customer_auth_id}/sip-endpoints", s.partner(s.handleSIPEndpointList))
	s.register("GET "+p+"/accounts/{customer_auth_id}/sip-endpoints/{endpoint_id}", s.partner(s.handleSIPEndpointGet))
	s.register("DELETE "+p+"/accounts/{customer_auth_id}/sip-endpoints/{endpoint_id}", s.partner(s.handleSIPEndpointDelete))
	s.register("POST "+p+"/accounts/{customer_auth_id}/sip-endpoints/{endpoint_id}/password", s.partner(s.idempotent(s.handleSIPPassword)))
	s.register("GET /api/v1/switch/sip-credentials/{username}", s.switchAPI(s.handleSIPCredentials))

	// The switch asks before every call and reports after it (API.md §5).
	// Both are idempotent by call_uuid, so no Idempotency-Key is read.
	s.register("POST /api/v1/switch/authorize", s.switchAPI(s.handleAuthorize))
	s.register("POST /api/v1/switch/cdrs", s.switchAPI(s.handleCDRs))

	// The customer's own read-only API (API.md §6): the partner's views of
	// that one customer, with the customer's credentials.
	const c = "/api/v1/Account/{auth_id}"
	s.register("GET "+c, s.customer(s.own(s.handleOwnProfile)))
	// API.md §6 names the profile "GET /" under the account's path: with
	// that trailing slash too (the one path that has one).
	s.register("GET "+c+"/{$}", s.customer(s.own(s.handleOwnProfile)))
	s.register("GET "+c+"/balance", s.customer(s.own(s.handleAccountBalance)))
	s.register("GET "+c+"/transactions", s.customer(s.own(s.handleAccountTransactions)))
	s.register("GET "+c+"/cdrs", s.customer(s.own(s.handleAccountCDRs)))
	s.register("GET "+c+"/numbers", s.customer(s.own(s.handleAccountNumbers)))
	s.register("GET "+c+"/sip-endpoints", s.customer(s.own(s.handleSIPEndpointList)))
}

// register registers pattern on the mux and remembers it, so that tests
// (tenancy, the OpenAPI document, audit) walk every route the server
// serves: a new route cannot be forgotten by them.
func (s *Server) register(pattern string, h http.Handler) {
	s.mux.Handle(pattern, h)
	s.patterns = append(s.patterns, pattern)
}

// Routes returns the patterns the server registers ("METHOD /path/{wildcard}"),
// in the order of routes.
func (s *Server) Routes() []string {
	return append([]string(nil), s.patterns...)
}
