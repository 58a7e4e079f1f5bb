package httpapi

import (
	"net/http"

	"github.com/partnerd/partnerd/internal/wire"
)

func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	p, err := s.partners.Partner(r.Context(), partnerFrom(r.Context()).ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wire.NewPartner(p))
	return nil
}
