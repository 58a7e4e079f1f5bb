package client

import (
	"context"
	"iter"
	"net/http"
	"net/url"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/wire"
)

var _ partnerd.WebhookService = (*Client)(nil)

// Webhook endpoints (API.md §8): the partner's URLs that receive its
// events, signed with the endpoint's secret (Standard Webhooks). An
// endpoint's Secret is set only by the calls that return it:
// CreateWebhookEndpoint, WebhookEndpointSecret and RotateWebhookSecret.
// partnerID must be empty or the client's own id; an id of the wrong
// shape is not_found without a request.

// webhookEndpointRequest is the body of POST /webhook-endpoints.
type webhookEndpointRequest struct {
	URL         string   `json:"url"`
	EventTypes  []string `json:"event_types,omitempty"`
	Description *string  `json:"description,omitempty"`
}

// CreateWebhookEndpoint subscribes in.URL to in.EventTypes (none: every
// type) (POST /webhook-endpoints). The answer carries the signing secret.
func (c *Client) CreateWebhookEndpoint(ctx context.Context, partnerID string, in partnerd.WebhookEndpointInput) (*partnerd.WebhookEndpoint, error) {
	if err := c.checkPartner(partnerID); err != nil {
		return nil, err
	}
	var out wire.WebhookEndpoint
	body := webhookEndpointRequest{URL: in.URL, EventTypes: in.EventTypes, Description: in.Description}
	if err := c.do(ctx, http.MethodPost, "/webhook-endpoints", nil, body, &out); err != nil {
		return nil, err
	}
	return c.webhookEndpoint(&out), nil
}

// WebhookEndpoints returns one page of the partner's endpoints and their
// number (GET /webhook-endpoints).
func (c *Client) WebhookEndpoints(ctx context.Context, partnerID string, p partnerd.Page) ([]*partnerd.WebhookEndpoint, int, error) {
	if err := c.checkPartner(partnerID); err != nil {
		return nil, 0, err
	}
	return getList(ctx, c, "/webhook-endpoints", pageQuery(p), func(e *wire.WebhookEndpoint) (*partnerd.WebhookEndpoint, error) {
		return c.webhookEndpoint(e), nil
	})
}

// WebhookEndpointsSeq yields every endpoint of the partner.
func (c *Client) WebhookEndpointsSeq(ctx context.Context, partnerID string) iter.Seq2[*partnerd.WebhookEndpoint, error] {
	return walk(ctx, func(ctx context.Context, p partnerd.Page) ([]*partnerd.WebhookEndpoint, error) {
		rows, _, err := c.WebhookEndpoints(ctx, partnerID, p)
		return rows, err
	}, func(e *partnerd.WebhookEndpoint) string { return e.ID })
}

// WebhookEndpoint returns one endpoint, without its secret
// (GET /webhook-endpoints/{id}).
func (c *Client) WebhookEndpoint(ctx context.Context, partnerID, id string) (*partnerd.WebhookEndpoint, error) {
	var out wire.WebhookEndpoint
	if err := c.webhooks(ctx, partnerID, http.MethodGet, id, "", nil, nil, &out); err != nil {
		return nil, err
	}
	return c.webhookEndpoint(&out), nil
}

// webhookPatch is the body of PATCH /webhook-endpoints/{id}: the fields
// to change, and a null description to clear it.
type webhookPatch struct {
	URL         *string   `json:"url,omitempty"`
	EventTypes  *[]string `json:"event_types,omitempty"`
	Description *string   `json:"description,omitempty"`
	Status      *string   `json:"status,omitempty"`
}

// UpdateWebhookEndpoint changes the fields of p that are not nil
// (PATCH /webhook-endpoints/{id}); p.ClearDescription sets the
// description to null. p.Status enabled or disabled turns deliveries on
// or off.
func (c *Client) UpdateWebhookEndpoint(ctx context.Context, partnerID, id string, p partnerd.WebhookEndpointPatch) (*partnerd.WebhookEndpoint, error) {
	if p.EventTypes != nil && *p.EventTypes == nil {
		// A nil list is none, every type: [] on the wire, never null.
		p.EventTypes = &[]string{}
	}
	var body any = webhookPatch{URL: p.URL, EventTypes: p.EventTypes, Description: p.Description, Status: p.Status}
	if p.ClearDescription && p.Description == nil {
		// omitempty cannot write a null: the body is a map instead.
		m := map[string]any{"description": nil}
		if p.URL != nil {
			m["url"] = *p.URL
		}
		if p.EventTypes != nil {
			m["event_types"] = *p.EventTypes
		}
		if p.Status != nil {
			m["status"] = *p.Status
		}
		body = m
	}
	var out wire.WebhookEndpoint
	if err := c.webhooks(ctx, partnerID, http.MethodPatch, id, "", nil, body, &out); err != nil {
		return nil, err
	}
	return c.webhookEndpoint(&out), nil
}

// DeleteWebhookEndpoint removes an endpoint (DELETE /webhook-endpoints/{id}):
// nothing more is sent to it.
func (c *Client) DeleteWebhookEndpoint(ctx context.Context, partnerID, id string) error {
	return c.webhooks(ctx, partnerID, http.MethodDelete, id, "", nil, nil, nil)
}

// WebhookEndpointSecret returns an endpoint's current signing secret
// (GET /webhook-endpoints/{id}/secret): an endpoint with only ID,
// PartnerID and Secret set.
func (c *Client) WebhookEndpointSecret(ctx context.Context, partnerID, id string) (*partnerd.WebhookEndpoint, error) {
	var out wire.WebhookSecret
	if err := c.webhooks(ctx, partnerID, http.MethodGet, id, "/secret", nil, nil, &out); err != nil {
		return nil, err
	}
	return &partnerd.WebhookEndpoint{ID: out.ID, PartnerID: c.partnerID, Secret: out.Secret}, nil
}

// RotateWebhookSecret gives an endpoint a new secret
// (POST /webhook-endpoints/{id}/rotate-secret); the old one keeps signing
// for overlap (whole seconds, 0 to partnerd.MaxSecretOverlap). The answer
// is as WebhookEndpointSecret's, with the new secret.
func (c *Client) RotateWebhookSecret(ctx context.Context, partnerID, id string, overlap time.Duration) (*partnerd.WebhookEndpoint, error) {
	body := map[string]int64{"expire_old_in_seconds": int64(overlap / time.Second)}
	var out wire.WebhookSecret
	if err := c.webhooks(ctx, partnerID, http.MethodPost, id, "/rotate-secret", nil, body, &out); err != nil {
		return nil, err
	}
	return &partnerd.WebhookEndpoint{ID: out.ID, PartnerID: c.partnerID, Secret: out.Secret}, nil
}

// TestWebhookEndpoint sends the endpoint a ping event
// (POST /webhook-endpoints/{id}/test) and returns that event; its
// delivery shows in WebhookDeliveries.
func (c *Client) TestWebhookEndpoint(ctx context.Context, partnerID, id string) (*partnerd.Event, error) {
	var out wire.Event
	if err := c.webhooks(ctx, partnerID, http.MethodPost, id, "/test", nil, nil, &out); err != nil {
		return nil, err
	}
	return out.Event(c.partnerID), nil
}

// WebhookDeliveries returns one page of an endpoint's deliveries, newest
// first, each with its attempts, and how many match f
// (GET /webhook-endpoints/{id}/deliveries); f.Status, when not empty, is
// one of partnerd.DeliveryStatuses.
func (c *Client) WebhookDeliveries(ctx context.Context, partnerID, endpointID string, f partnerd.DeliveryFilter) ([]*partnerd.WebhookDelivery, int, error) {
	q := pageQuery(f.Page)
	if f.Status != "" {
		q.Set("status", f.Status)
	}
	var out wire.List[wire.WebhookDelivery]
	if err := c.webhooks(ctx, partnerID, http.MethodGet, endpointID, "/deliveries", q, nil, &out); err != nil {
		return nil, 0, err
	}
	ds := make([]*partnerd.WebhookDelivery, 0, len(out.Data))
	for i := range out.Data {
		ds = append(ds, webhookDelivery(&out.Data[i]))
	}
	return ds, out.Meta.Total, nil
}

// WebhookDeliveriesSeq yields every delivery of an endpoint that f selects
// (f.Page ignored), newest first.
func (c *Client) WebhookDeliveriesSeq(ctx context.Context, partnerID, endpointID string, f partnerd.DeliveryFilter) iter.Seq2[*partnerd.WebhookDelivery, error] {
	return walk(ctx, func(ctx context.Context, p partnerd.Page) ([]*partnerd.WebhookDelivery, error) {
		f.Page = p
		rows, _, err := c.WebhookDeliveries(ctx, partnerID, endpointID, f)
		return rows, err
	}, func(d *partnerd.WebhookDelivery) string { return d.ID })
}

// RetryWebhookDelivery schedules a failed or dead delivery to be sent now
// (POST /webhook-endpoints/{id}/deliveries/{delivery_id}/retry); deliveryID
// is the number of its id (see partnerd.ParseDeliveryID).
func (c *Client) RetryWebhookDelivery(ctx context.Context, partnerID, endpointID string, deliveryID int64) (*partnerd.WebhookDelivery, error) {
	var out wire.WebhookDelivery
	suffix := "/deliveries/" + partnerd.DeliveryID(deliveryID) + "/retry"
	if err := c.webhooks(ctx, partnerID, http.MethodPost, endpointID, suffix, nil, nil, &out); err != nil {
		return nil, err
	}
	return webhookDelivery(&out), nil
}

// webhooks calls /webhook-endpoints/{id}{suffix}.
func (c *Client) webhooks(ctx context.Context, partnerID, method, id, suffix string, q url.Values, in, out any) error {
	if err := c.checkPartner(partnerID); err != nil {
		return err
	}
	// Any id goes to the server, which answers one it does not know with
	// its not_found and request id.
	return c.do(ctx, method, "/webhook-endpoints/"+url.PathEscape(id)+suffix, q, in, out)
}

func (c *Client) webhookEndpoint(b *wire.WebhookEndpoint) *partnerd.WebhookEndpoint {
	return &partnerd.WebhookEndpoint{ID: b.ID, PartnerID: c.partnerID, URL: b.URL, EventTypes: b.EventTypes,
		Description: b.Description, Status: b.Status, Secret: b.Secret, CreatedAt: b.CreatedAt, UpdatedAt: b.UpdatedAt}
}

func webhookDelivery(b *wire.WebhookDelivery) *partnerd.WebhookDelivery {
	d := &partnerd.WebhookDelivery{ID: b.ID, EndpointID: b.EndpointID, EventID: b.EventID, EventType: b.EventType,
		Status: b.Status, NextAttemptAt: b.NextAttemptAt, CreatedAt: b.CreatedAt,
		Attempts: make([]partnerd.WebhookAttempt, 0, len(b.Attempts))}
	for _, a := range b.Attempts {
		d.Attempts = append(d.Attempts, partnerd.WebhookAttempt{At: a.At, StatusCode: a.StatusCode, Error: a.Error,
			Duration: time.Duration(a.DurationMS) * time.Millisecond})
	}
	return d
}
