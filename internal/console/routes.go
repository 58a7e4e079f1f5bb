package console

import (
	"net/http"
	"strings"
)

// routes lists the whole console on one screen. Every POST changes state;
// CrossOriginProtection (New) refuses those sent from other sites.
func (s *Server) routes(mux *http.ServeMux) {
	mux.Handle("GET /console/static/", s.static())
	mux.Handle("GET /console", http.RedirectHandler("/console/", http.StatusSeeOther))

	// Signing in (auth.go).
	mux.Handle("GET /console/login", s.handle(s.handleLogin))
	mux.Handle("POST /console/login", s.handle(s.handleLoginPost))
	mux.Handle("GET /console/setup/{token}", s.handle(s.handleSetup))
	mux.Handle("POST /console/setup/{token}", s.handle(s.handleSetupPost))
	mux.Handle("POST /console/logout", s.session(s.handleLogout))
	mux.Handle("POST /console/logout-everywhere", s.session(s.handleLogoutEverywhere))

	mux.Handle("GET /console/{$}", s.session(s.handleOverview))

	// Customers (customers.go, customer.go).
	mux.Handle("GET /console/customers", s.session(s.handleCustomers))
	mux.Handle("POST /console/customers", s.session(s.handleCustomerCreate))
	mux.Handle("GET /console/customers/{auth_id}", s.session(s.handleCustomer))
	mux.Handle("POST /console/customers/{auth_id}/profile", s.session(s.handleCustomerUpdate))
	mux.Handle("POST /console/customers/{auth_id}/transfer", s.session(s.handleTransfer))
	mux.Handle("POST /console/customers/{auth_id}/withdraw", s.session(s.handleWithdraw))
	mux.Handle("POST /console/customers/{auth_id}/suspend", s.session(s.handleSuspend))
	mux.Handle("POST /console/customers/{auth_id}/activate", s.session(s.handleActivate))
	mux.Handle("POST /console/customers/{auth_id}/close", s.session(s.handleClose))
	mux.Handle("POST /console/customers/{auth_id}/rotate-token", s.session(s.handleRotateCustomerToken))
	mux.Handle("POST /console/customers/{auth_id}/numbers", s.session(s.handleNumberAssign))
	mux.Handle("POST /console/customers/{auth_id}/numbers/release", s.session(s.handleNumberRelease))
	mux.Handle("POST /console/customers/{auth_id}/sip-endpoints", s.session(s.handleSIPCreate))
	mux.Handle("POST /console/customers/{auth_id}/sip-endpoints/{endpoint_id}/delete", s.session(s.handleSIPDelete))
	mux.Handle("POST /console/customers/{auth_id}/sip-endpoints/{endpoint_id}/password", s.session(s.handleSIPPassword))
	mux.Handle("POST /console/customers/{auth_id}/auto-topup", s.session(s.handleAutoTopupSet))
	mux.Handle("POST /console/customers/{auth_id}/auto-topup/disable", s.session(s.handleAutoTopupDisable))

	// The partner's lists (lists.go) and their CSV downloads.
	mux.Handle("GET /console/numbers", s.session(s.handleNumbers))
	mux.Handle("GET /console/calls", s.session(s.handleCalls))
	mux.Handle("GET /console/calls.csv", s.session(s.handleCallsCSV))
	mux.Handle("GET /console/transactions", s.session(s.handleTransactions))
	mux.Handle("GET /console/transactions.csv", s.session(s.handleTransactionsCSV))

	// The audit log (audit.go).
	mux.Handle("GET /console/audit", s.session(s.handleAudit))

	// Webhooks (webhooks.go).
	mux.Handle("GET /console/webhooks", s.session(s.handleWebhooks))
	mux.Handle("POST /console/webhooks", s.session(s.handleWebhookCreate))
	mux.Handle("GET /console/webhooks/{endpoint_id}", s.session(s.handleWebhook))
	mux.Handle("POST /console/webhooks/{endpoint_id}", s.session(s.handleWebhookUpdate))
	mux.Handle("POST /console/webhooks/{endpoint_id}/status", s.session(s.handleWebhookStatus))
	mux.Handle("POST /console/webhooks/{endpoint_id}/rotate-secret", s.session(s.handleWebhookRotate))
	mux.Handle("POST /console/webhooks/{endpoint_id}/test", s.session(s.handleWebhookTest))
	mux.Handle("POST /console/webhooks/{endpoint_id}/delete", s.session(s.handleWebhookDelete))
	mux.Handle("POST /console/webhooks/{endpoint_id}/deliveries/{delivery_id}/retry", s.session(s.handleWebhookRetry))

	// Settings (settings.go).
	mux.Handle("GET /console/settings", s.session(s.handleSettings))
	mux.Handle("POST /console/settings/rotate-token", s.session(s.handleRotatePartnerToken))
	mux.Handle("POST /console/settings/password", s.session(s.handlePasswordChange))
	mux.Handle("POST /console/settings/timezone", s.session(s.handleTimezone))

	mux.Handle("/console/", s.handle(func(w http.ResponseWriter, r *http.Request) error {
		// A route of another method: 405 with the methods it takes.
		if allow := allowed(mux, r); len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			s.renderError(w, r, http.StatusMethodNotAllowed, "This address does not take "+r.Method+" requests.")
			return nil
		}
		s.renderError(w, r, http.StatusNotFound, "There is no such page.")
		return nil
	}))
}

// allowed lists the methods whose routes (other than the catch-all)
// serve r's path.
func allowed(mux *http.ServeMux, r *http.Request) []string {
	var out []string
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost} {
		if m == r.Method {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := mux.Handler(probe); pattern != "" && pattern != "/console/" {
			out = append(out, m)
		}
	}
	return out
}

// static serves the embedded assets, and no listing of their folders.
func (s *Server) static() http.Handler {
	files := http.StripPrefix("/console/", http.FileServerFS(staticFS))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			s.renderError(w, r, http.StatusNotFound, "There is no such page.")
			return
		}
		files.ServeHTTP(w, r)
	})
}
