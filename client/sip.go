package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/wire"
)

// The SIP endpoints of a customer (API.md §5). The server hashes the
// password in its own realm (--sip-realm), which each answer names as the
// endpoint's Realm (sip_domain).

// CreateSIPEndpoint gives a customer a new SIP endpoint
// (POST /accounts/{id}/sip-endpoints).
func (c *Client) CreateSIPEndpoint(ctx context.Context, authID string, in partnerd.SIPEndpointInput) (*partnerd.SIPEndpoint, error) {
	var out wire.SIPEndpoint
	if err := c.sipEndpoints(ctx, http.MethodPost, authID, "", "", nil, wire.NewSIPEndpointRequest(in), &out); err != nil {
		return nil, err
	}
	return out.SIPEndpoint(authID), nil
}

// ListSIPEndpoints returns one page of a customer's endpoints, newest
// first, and their number. A zero page or size takes the server's default.
func (c *Client) ListSIPEndpoints(ctx context.Context, authID string, p partnerd.Page) ([]*partnerd.SIPEndpoint, int, error) {
	q := url.Values{}
	if p.Page != 0 {
		q.Set("page", strconv.Itoa(p.Page))
	}
	if p.Size != 0 {
		q.Set("size", strconv.Itoa(p.Size))
	}
	var out wire.List[wire.SIPEndpoint]
	if err := c.sipEndpoints(ctx, http.MethodGet, authID, "", "", q, nil, &out); err != nil {
		return nil, 0, err
	}
	endpoints := make([]*partnerd.SIPEndpoint, 0, len(out.Data))
	for i := range out.Data {
		endpoints = append(endpoints, out.Data[i].SIPEndpoint(authID))
	}
	return endpoints, out.Meta.Total, nil
}

// SIPEndpoint returns one of a customer's endpoints.
func (c *Client) SIPEndpoint(ctx context.Context, authID, endpointID string) (*partnerd.SIPEndpoint, error) {
	var out wire.SIPEndpoint
	if err := c.sipEndpoints(ctx, http.MethodGet, authID, endpointID, "", nil, nil, &out); err != nil {
		return nil, err
	}
	return out.SIPEndpoint(authID), nil
}

// DeleteSIPEndpoint removes an endpoint: its credentials stop working at once.
func (c *Client) DeleteSIPEndpoint(ctx context.Context, authID, endpointID string) error {
	return c.sipEndpoints(ctx, http.MethodDelete, authID, endpointID, "", nil, nil, nil)
}

// SetSIPPassword gives an endpoint a new password.
func (c *Client) SetSIPPassword(ctx context.Context, authID, endpointID, password string) (*partnerd.SIPEndpoint, error) {
	var out wire.SIPEndpoint
	if err := c.sipEndpoints(ctx, http.MethodPost, authID, endpointID, "/password", nil, wire.SIPPasswordRequest{Password: password}, &out); err != nil {
		return nil, err
	}
	return out.SIPEndpoint(authID), nil
}

// sipEndpoints calls …/accounts/{authID}/sip-endpoints[/{endpointID}suffix]. Ids of
// the wrong shape are refused here, as the server would, which also keeps
// odd ids ("", "..") out of the URL path.
func (c *Client) sipEndpoints(ctx context.Context, method, authID, endpointID, suffix string, q url.Values, in, out any) error {
	if !partnerd.IsAccountID(authID) {
		return partnerd.ErrAccountNotFound(authID)
	}
	path := "/accounts/" + authID + "/sip-endpoints"
	if endpointID != "" || suffix != "" {
		if !partnerd.IsSIPEndpointID(endpointID) {
			return partnerd.Errorf(partnerd.ECNotFound, "No SIP endpoint %q exists for this customer.", endpointID)
		}
		path += "/" + endpointID + suffix
	}
	return c.do(ctx, method, path, q, in, out)
}
