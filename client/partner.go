package client

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/partnerd/partnerd"
)

// partnerJSON is the body of GET /me.
type partnerJSON struct {
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

// Me returns the authenticated partner's profile (GET /me). It is also the
// cheapest way to check a partner id and token.
func (c *Client) Me(ctx context.Context) (*partnerd.Partner, error) {
	var out partnerJSON
	if err := c.do(ctx, http.MethodGet, "/me", nil, nil, &out); err != nil {
		return nil, err
	}
	balance, err := parseMoney(out.Balance, out.Currency)
	if err != nil {
		return nil, err
	}
	return &partnerd.Partner{
		ID: out.AuthID, Name: out.Name, Email: out.Email, Company: out.Company, Status: out.Status,
		Currency: out.Currency, Balance: balance, AccountCount: out.AccountCount, CreatedAt: out.CreatedAt,
	}, nil
}
