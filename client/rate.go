package client

import (
	"context"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/wire"
)

var _ partnerd.RateService = (*Client)(nil)

// ListRates returns one page of the partner's rate deck, ordered by
// direction and prefix, and the number of rates matching f (GET /rates).
// A zero page or size takes the server's default; f.Direction and
// f.Prefix, when not empty, are sent as direction and prefix. Rates are
// priced in the partner's currency. partnerID must be empty or the
// client's own id.
func (c *Client) ListRates(ctx context.Context, partnerID string, f partnerd.RateFilter) ([]*partnerd.Rate, int, error) {
	if err := c.checkPartner(partnerID); err != nil {
		return nil, 0, err
	}
	q := pageQuery(f.Page)
	if f.Direction != "" {
		q.Set("direction", f.Direction)
	}
	if f.Prefix != "" {
		q.Set("prefix", f.Prefix)
	}
	return getList(ctx, c, "/rates", q, (*wire.Rate).Rate)
}
