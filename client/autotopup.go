package client

import (
	"context"
	"net/http"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/wire"
)

var _ partnerd.AutoTopupService = (*Client)(nil)

// Auto top-up (API.md §8): when a customer's balance falls below its
// threshold, the server moves target_balance − balance from the partner's
// master wallet, within the caps. Every answer carries the settings and
// what the top-ups of today and this month used. partnerID must be empty
// or the client's own id.

// autoTopupRequest is the body of PUT /accounts/{id}/auto-topup: every
// field is required; amounts are decimal strings in the partner's
// currency, as transfers send them.
type autoTopupRequest struct {
	Enabled        bool   `json:"enabled"`
	Threshold      string `json:"threshold"`
	TargetBalance  string `json:"target_balance"`
	MaxPerDay      string `json:"max_per_day"`
	MaxPerMonth    string `json:"max_per_month"`
	MaxCountPerDay int    `json:"max_count_per_day"`
}

// SetAutoTopup sets every auto top-up setting of a customer at once
// (PUT /accounts/{id}/auto-topup), amounts in minor units of the
// partner's currency (see WithCurrency).
func (c *Client) SetAutoTopup(ctx context.Context, partnerID, authID string, in partnerd.AutoTopupInput) (*partnerd.AutoTopup, error) {
	if err := c.checkAccount(partnerID, authID); err != nil {
		return nil, err
	}
	cur, err := c.partnerCurrency(ctx)
	if err != nil {
		return nil, err
	}
	m := func(v int64) string { return partnerd.FormatMinor(v, cur) }
	body := autoTopupRequest{Enabled: in.Enabled, Threshold: m(in.Threshold), TargetBalance: m(in.TargetBalance),
		MaxPerDay: m(in.MaxPerDay), MaxPerMonth: m(in.MaxPerMonth), MaxCountPerDay: in.MaxCountPerDay}
	return c.autoTopup(ctx, http.MethodPut, authID, body)
}

// AutoTopup returns a customer's auto top-up (GET /accounts/{id}/auto-topup).
func (c *Client) AutoTopup(ctx context.Context, partnerID, authID string) (*partnerd.AutoTopup, error) {
	if err := c.checkAccount(partnerID, authID); err != nil {
		return nil, err
	}
	return c.autoTopup(ctx, http.MethodGet, authID, nil)
}

// DisableAutoTopup turns a customer's auto top-up off, keeping its
// settings (DELETE /accounts/{id}/auto-topup), and returns them.
func (c *Client) DisableAutoTopup(ctx context.Context, partnerID, authID string) (*partnerd.AutoTopup, error) {
	if err := c.checkAccount(partnerID, authID); err != nil {
		return nil, err
	}
	return c.autoTopup(ctx, http.MethodDelete, authID, nil)
}

func (c *Client) autoTopup(ctx context.Context, method, authID string, body any) (*partnerd.AutoTopup, error) {
	var out wire.AutoTopup
	if err := c.do(ctx, method, "/accounts/"+authID+"/auto-topup", nil, body, &out); err != nil {
		return nil, err
	}
	a := &partnerd.AutoTopup{AuthID: out.AuthID, Currency: out.Currency, UpdatedAt: out.UpdatedAt,
		CountToday: out.Usage.Today.Count, CountThisMonth: out.Usage.ThisMonth.Count}
	a.Enabled, a.MaxCountPerDay = out.Enabled, out.MaxCountPerDay
	for _, f := range []struct {
		dst *int64
		raw []byte
	}{
		{&a.Threshold, out.Threshold}, {&a.TargetBalance, out.TargetBalance}, {&a.MaxPerDay, out.MaxPerDay},
		{&a.MaxPerMonth, out.MaxPerMonth}, {&a.UsedToday, out.Usage.Today.Amount}, {&a.UsedThisMonth, out.Usage.ThisMonth.Amount},
	} {
		v, err := wire.ParseMoney(f.raw, out.Currency)
		if err != nil {
			return nil, err
		}
		*f.dst = v
	}
	return a, nil
}
