package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/wire"
)

var _ partnerd.NumberService = (*Client)(nil)

// AssignNumber rents a free number of the partner's pool to a customer
// (POST /accounts/{id}/numbers); the first month is charged at once. A
// context from WithIdempotencyKey makes a retry return the first answer
// instead of charging again. partnerID must be empty or the client's own id.
func (c *Client) AssignNumber(ctx context.Context, partnerID, authID, number string) (*partnerd.Number, error) {
	if err := c.checkPartner(partnerID); err != nil {
		return nil, err
	}
	if !partnerd.IsAccountID(authID) {
		return nil, partnerd.ErrAccountNotFound(authID)
	}
	var out wire.NumberItem
	if err := c.do(ctx, http.MethodPost, "/accounts/"+authID+"/numbers", nil, wire.NumberRequest{Number: number}, &out); err != nil {
		return nil, err
	}
	return out.PartnerNumber(c.partnerID)
}

// ReleaseNumber returns a customer's number to the partner's pool
// (DELETE /accounts/{id}/numbers/{number}); nothing is refunded.
func (c *Client) ReleaseNumber(ctx context.Context, partnerID, authID, number string) error {
	if err := c.checkPartner(partnerID); err != nil {
		return err
	}
	if !partnerd.IsAccountID(authID) {
		return partnerd.ErrAccountNotFound(authID)
	}
	// url.PathEscape leaves + alone; the API documents it as %2B.
	escaped := strings.ReplaceAll(url.PathEscape(number), "+", "%2B")
	return c.do(ctx, http.MethodDelete, "/accounts/"+authID+"/numbers/"+escaped, nil, nil, nil)
}

// ListAccountNumbers returns one page of a customer's numbers, newest
// first, and how many match f (GET /accounts/{id}/numbers). f.Status is
// not a filter of this list and must be empty.
func (c *Client) ListAccountNumbers(ctx context.Context, partnerID, authID string, f partnerd.NumberFilter) ([]*partnerd.Number, int, error) {
	if err := c.checkPartner(partnerID); err != nil {
		return nil, 0, err
	}
	if !partnerd.IsAccountID(authID) {
		return nil, 0, partnerd.ErrAccountNotFound(authID)
	}
	ns, total, err := c.numbers(ctx, "/accounts/"+authID+"/numbers", f)
	for _, n := range ns {
		n.AccountAuthID = &authID
	}
	return ns, total, err
}

// ListNumbers returns one page of the partner's pool, newest first, and
// how many match f (GET /numbers).
func (c *Client) ListNumbers(ctx context.Context, partnerID string, f partnerd.NumberFilter) ([]*partnerd.Number, int, error) {
	if err := c.checkPartner(partnerID); err != nil {
		return nil, 0, err
	}
	return c.numbers(ctx, "/numbers", f)
}

// numbers fetches one page of a number list. A customer's list has no
// account columns: they stay nil.
func (c *Client) numbers(ctx context.Context, path string, f partnerd.NumberFilter) ([]*partnerd.Number, int, error) {
	var out wire.List[wire.NumberItem]
	if err := c.do(ctx, http.MethodGet, path, numberQuery(f), nil, &out); err != nil {
		return nil, 0, err
	}
	ns := make([]*partnerd.Number, 0, len(out.Data))
	for i := range out.Data {
		n, err := out.Data[i].PartnerNumber(c.partnerID)
		if err != nil {
			return nil, 0, err
		}
		ns = append(ns, n)
	}
	return ns, out.Meta.Total, nil
}

// numberQuery is the query string of a number list; zero fields are left
// to the server's defaults.
func numberQuery(f partnerd.NumberFilter) url.Values {
	q := url.Values{}
	if f.Page.Page != 0 {
		q.Set("page", strconv.Itoa(f.Page.Page))
	}
	if f.Page.Size != 0 {
		q.Set("size", strconv.Itoa(f.Page.Size))
	}
	if f.Search != "" {
		q.Set("search", f.Search)
	}
	if f.Status != "" {
		q.Set("status", f.Status)
	}
	return q
}
