package httpapi

import (
	"context"
	"net/http"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/wire"
)

// sipEndpointFields are the keys POST …/sip-endpoints accepts.
var sipEndpointFields = []string{"username", "password", "alias"}

// customerID returns the path's customer id, or account_not_found for one
// that cannot be any customer's.
func customerID(r *http.Request) (string, error) {
	id := r.PathValue("customer_auth_id")
	if !partnerd.IsAccountID(id) {
		return "", partnerd.ErrAccountNotFound(id)
	}
	return id, nil
}

// endpointPath returns the path's customer and endpoint ids. An endpoint
// id of the wrong shape names no endpoint; the customer is checked first,
// as the store does.
func endpointPath(r *http.Request) (authID, endpointID string, err error) {
	if authID, err = customerID(r); err != nil {
		return "", "", err
	}
	return authID, r.PathValue("endpoint_id"), nil
}

func renderSIPEndpoint(e *partnerd.SIPEndpoint) any { return wire.NewSIPEndpoint(e) }

func (s *Server) handleSIPEndpointCreate(w http.ResponseWriter, r *http.Request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	authID, err := customerID(r)
	if err != nil {
		return err
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	o, err := decodeObject(body, sipEndpointFields...)
	if err != nil {
		return err
	}
	in := partnerd.SIPEndpointInput{Username: o.str("username"), Password: o.str("password"), Alias: o.optString("alias")}
	if err := o.validate(&in); err != nil {
		return err
	}
	return commit(w, r, http.StatusCreated, renderSIPEndpoint, func(ctx context.Context) (*partnerd.SIPEndpoint, error) {
		return s.sip.CreateSIPEndpoint(ctx, partnerFrom(ctx).ID, authID, s.sipRealm, in)
	})
}

func (s *Server) handleSIPEndpointList(w http.ResponseWriter, r *http.Request) error {
	q := parseQuery(r, pageParams)
	var fe partnerd.FieldErrors
	page := q.page().Parse(&fe)
	if err := q.check(fe.Err()); err != nil {
		return err
	}
	authID, err := customerID(r)
	if err != nil {
		return err
	}
	endpoints, total, err := s.sip.ListSIPEndpoints(r.Context(), partnerFrom(r.Context()).ID, authID, page)
	if err != nil {
		return err
	}
	out := wire.List[wire.SIPEndpoint]{Data: make([]wire.SIPEndpoint, 0, len(endpoints)), Meta: wire.NewPageMeta(page, total)}
	for _, e := range endpoints {
		out.Data = append(out.Data, wire.NewSIPEndpoint(e))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) handleSIPEndpointGet(w http.ResponseWriter, r *http.Request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	authID, endpointID, err := endpointPath(r)
	if err != nil {
		return err
	}
	e, err := s.sip.SIPEndpoint(r.Context(), partnerFrom(r.Context()).ID, authID, endpointID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wire.NewSIPEndpoint(e))
	return nil
}

func (s *Server) handleSIPEndpointDelete(w http.ResponseWriter, r *http.Request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	authID, endpointID, err := endpointPath(r)
	if err != nil {
		return err
	}
	if err := s.sip.DeleteSIPEndpoint(r.Context(), partnerFrom(r.Context()).ID, authID, endpointID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) handleSIPPassword(w http.ResponseWriter, r *http.Request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	authID, endpointID, err := endpointPath(r)
	if err != nil {
		return err
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	o, err := decodeObject(body, "password")
	if err != nil {
		return err
	}
	in := partnerd.SIPPasswordInput{Password: o.str("password")}
	if err := o.validate(&in); err != nil {
		return err
	}
	return commit(w, r, http.StatusOK, renderSIPEndpoint, func(ctx context.Context) (*partnerd.SIPEndpoint, error) {
		return s.sip.SetSIPPassword(ctx, partnerFrom(ctx).ID, authID, endpointID, s.sipRealm, in)
	})
}
