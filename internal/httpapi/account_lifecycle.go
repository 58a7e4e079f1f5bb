package httpapi

import (
	"context"
	"net/http"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/wire"
)

// The account lifecycle (API.md §6). Every change answers the full
// profile, and forgets the credentials remembered within the partner
// before it answers, so that a customer suspended, closed or given a new
// token on this instance is refused at once by it (other instances:
// within credentialTTL).

func renderAccountProfile(a *partnerd.Account) any { return wire.NewAccountProfile(a) }

func (s *Server) handleAccountSuspend(w http.ResponseWriter, r *http.Request) error {
	o, err := s.lifecycleBody(r, "reason")
	if err != nil {
		return err
	}
	in := partnerd.SuspendInput{Reason: o.optString("reason")}
	if err := o.validate(&in); err != nil {
		return err
	}
	return s.changeAccount(w, r, func(ctx context.Context, partnerID, authID string) (*partnerd.Account, error) {
		return s.lifecycle.SuspendAccount(ctx, partnerID, authID, in)
	})
}

func (s *Server) handleAccountActivate(w http.ResponseWriter, r *http.Request) error {
	o, err := s.lifecycleBody(r)
	if err != nil {
		return err
	}
	if err := o.errs.Err(); err != nil {
		return err
	}
	return s.changeAccount(w, r, s.lifecycle.ActivateAccount)
}

// lifecycleBody reads the optional body of a lifecycle POST, which may
// hold the fields allowed and nothing else.
func (s *Server) lifecycleBody(r *http.Request, allowed ...string) (*object, error) {
	if err := noQuery(r); err != nil {
		return nil, err
	}
	body, err := readOptionalBody(r)
	if err != nil {
		return nil, err
	}
	return decodeOptionalObject(body, allowed...)
}

// changeAccount runs a change to the path's customer and answers its
// profile with 200.
func (s *Server) changeAccount(w http.ResponseWriter, r *http.Request,
	change func(ctx context.Context, partnerID, authID string) (*partnerd.Account, error)) error {
	id := r.PathValue("customer_auth_id")
	if !partnerd.IsAccountID(id) {
		return partnerd.ErrAccountNotFound(id)
	}
	return commit(w, r, http.StatusOK, renderAccountProfile, func(ctx context.Context) (*partnerd.Account, error) {
		pid := partnerFrom(ctx).ID
		a, err := change(ctx, pid, id)
		if err == nil {
			s.ForgetCredentials(pid)
		}
		return a, err
	})
}
