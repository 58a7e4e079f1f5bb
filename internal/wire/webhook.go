package wire

import (
	"time"

	"github.com/partnerd/partnerd"
)

// WebhookEndpoint is an endpoint as the API shows it; Secret only in the
// 201 of its creation.
type WebhookEndpoint struct {
	ID          string    `json:"id"`
	URL         string    `json:"url"`
	EventTypes  []string  `json:"event_types"`
	Description *string   `json:"description"`
	Status      string    `json:"status"`
	Secret      string    `json:"secret,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// NewWebhookEndpoint renders an endpoint, with its secret when withSecret.
func NewWebhookEndpoint(e *partnerd.WebhookEndpoint, withSecret bool) WebhookEndpoint {
	b := WebhookEndpoint{ID: e.ID, URL: e.URL, EventTypes: e.EventTypes, Description: e.Description, Status: e.Status,
		CreatedAt: Time(e.CreatedAt), UpdatedAt: Time(e.UpdatedAt)}
	if b.EventTypes == nil {
		b.EventTypes = []string{}
	}
	if withSecret {
		b.Secret = e.Secret
	}
	return b
}

// WebhookSecret is the body of GET …/secret and of a rotation.
type WebhookSecret struct {
	ID     string `json:"id"`
	Secret string `json:"secret"`
}

// WebhookAttempt is one try of a delivery.
type WebhookAttempt struct {
	At         time.Time `json:"at"`
	StatusCode *int      `json:"status_code"`
	Error      *string   `json:"error"`
	DurationMS int64     `json:"duration_ms"`
}

// WebhookDelivery is a row of GET …/deliveries.
type WebhookDelivery struct {
	ID            string           `json:"id"`
	EndpointID    string           `json:"endpoint_id"`
	EventID       string           `json:"event_id"`
	EventType     string           `json:"event_type"`
	Status        string           `json:"status"`
	NextAttemptAt *time.Time       `json:"next_attempt_at"`
	Attempts      []WebhookAttempt `json:"attempts"`
	CreatedAt     time.Time        `json:"created_at"`
}

// NewWebhookDelivery renders a delivery with its attempts.
func NewWebhookDelivery(d *partnerd.WebhookDelivery) WebhookDelivery {
	b := WebhookDelivery{ID: d.ID, EndpointID: d.EndpointID, EventID: d.EventID, EventType: d.EventType, Status: d.Status,
		Attempts: make([]WebhookAttempt, 0, len(d.Attempts)), CreatedAt: Time(d.CreatedAt)}
	if d.NextAttemptAt != nil {
		t := Time(*d.NextAttemptAt)
		b.NextAttemptAt = &t
	}
	for _, a := range d.Attempts {
		b.Attempts = append(b.Attempts, WebhookAttempt{At: Time(a.At), StatusCode: a.StatusCode, Error: a.Error, DurationMS: a.Duration.Milliseconds()})
	}
	return b
}
