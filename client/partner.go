package client

import (
	"context"
	"net/http"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/wire"
)

// Me returns the authenticated partner's profile (GET /me). It is also the
// cheapest way to check a partner id and token.
func (c *Client) Me(ctx context.Context) (*partnerd.Partner, error) {
	var out wire.Partner
	if err := c.do(ctx, http.MethodGet, "/me", nil, nil, &out); err != nil {
		return nil, err
	}
	return out.Partner()
}
