package httpapi

import (
	"net/http"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/wire"
)

// handleSIPCredentials answers a switch's digest challenge lookup. Every
// miss (a name that cannot be a username, an unknown or deleted endpoint,
// a suspended or closed account) is the same 404, and nothing is cached:
// a deleted endpoint stops authenticating with the next lookup.
func (s *Server) handleSIPCredentials(w http.ResponseWriter, r *http.Request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	username := r.PathValue("username")
	if !partnerd.IsSIPUsername(username) || s.sip == nil {
		return errNoSIPCredential()
	}
	c, err := s.sip.SIPCredential(r.Context(), username)
	if partnerd.ErrorCode(err) == partnerd.ECNotFound {
		return errNoSIPCredential()
	}
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	w.Write(wire.NewSIPCredential(c).AppendJSON(make([]byte, 0, 320)))
	return nil
}

// errNoSIPCredential is the one answer for every username that does not
// authenticate; it does not say why.
func errNoSIPCredential() error {
	return partnerd.Errorf(partnerd.ECNotFound, "No active SIP endpoint has this username.")
}
