package httpapi

import (
	"net/http"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/wire"
)

// The customer's own read-only API (API.md §6), under
// /api/v1/Account/{auth_id} with the customer's credentials. Each route
// is the partner's view of that customer, run by the partner's handler
// within the customer's partner: the same shapes, filters and code.

// own runs h, a handler of the partner API's /accounts/{customer_auth_id}
// routes, for the authenticated customer, when the path names it.
// Another auth_id, existing or not, is not found.
func (s *Server) own(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id := r.PathValue("auth_id")
		if p := principalFrom(r.Context()); p == nil || p.AccountID != id {
			return partnerd.Errorf(partnerd.ECAccountNotFound, "No customer account %q is reachable with these credentials; use your own auth_id in the path.", id)
		}
		r.SetPathValue("customer_auth_id", id)
		return h(w, r)
	}
}

// handleOwnProfile is GET /api/v1/Account/{auth_id}: the profile the
// partner sees, without the token (the customer holds it already, and a
// response is no place to keep a secret).
func (s *Server) handleOwnProfile(w http.ResponseWriter, r *http.Request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	a, err := s.account(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wire.NewOwnProfile(a))
	return nil
}
