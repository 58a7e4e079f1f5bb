package httpapi

import (
	"net/http"

	"github.com/partnerd/partnerd"
)

// partnerProfile is the body of GET /me.
type partnerProfile struct {
	AuthID       string         `json:"auth_id"`
	Name         string         `json:"name"`
	Email        string         `json:"email"`
	Company      *string        `json:"company"`
	Status       string         `json:"status"`
	Balance      partnerd.Money `json:"balance"`
	Currency     string         `json:"currency"`
	AccountCount int            `json:"account_count"`
	CreatedAt    string         `json:"created_at"`
}

func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) error {
	p, err := s.partners.Partner(r.Context(), partnerFrom(r.Context()).ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, partnerProfile{
		AuthID: p.ID, Name: p.Name, Email: p.Email, Company: p.Company, Status: p.Status,
		Balance: partnerd.Money{Minor: p.Balance, Currency: p.Currency}, Currency: p.Currency,
		AccountCount: p.AccountCount, CreatedAt: timestamp(p.CreatedAt),
	})
	return nil
}
