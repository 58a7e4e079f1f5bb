package wire

import (
	"encoding/json"
	"time"

	"github.com/partnerd/partnerd"
)

// Partner is the body of GET /me.
type Partner struct {
	AuthID       string          `json:"auth_id"`
	Name         string          `json:"name"`
	Email        string          `json:"email"`
	Company      *string         `json:"company"`
	Status       string          `json:"status"`
	Balance      json.RawMessage `json:"balance"`
	Currency     string          `json:"currency"`
	AccountCount int             `json:"account_count"`
	CreatedAt    time.Time       `json:"created_at"`
}

// NewPartner renders a partner's profile.
func NewPartner(p *partnerd.Partner) Partner {
	return Partner{
		AuthID: p.ID, Name: p.Name, Email: p.Email, Company: p.Company, Status: p.Status,
		Balance: Money(p.Balance, p.Currency), Currency: p.Currency, AccountCount: p.AccountCount,
		CreatedAt: Time(p.CreatedAt),
	}
}

// Partner returns the profile as the domain type.
func (b *Partner) Partner() (*partnerd.Partner, error) {
	balance, err := ParseMoney(b.Balance, b.Currency)
	if err != nil {
		return nil, err
	}
	return &partnerd.Partner{
		ID: b.AuthID, Name: b.Name, Email: b.Email, Company: b.Company, Status: b.Status,
		Currency: b.Currency, Balance: balance, AccountCount: b.AccountCount, CreatedAt: b.CreatedAt,
	}, nil
}
