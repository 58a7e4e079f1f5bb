package wire

import (
	"encoding/json"
	"time"

	"github.com/partnerd/partnerd"
)

// Event is a row of GET /events and the body of GET /events/{id}.
type Event struct {
	ID            string          `json:"id"`
	Type          string          `json:"type"`
	CreatedAt     time.Time       `json:"created_at"`
	AccountAuthID *string         `json:"account_auth_id"`
	Sequence      int64           `json:"sequence"`
	Data          json.RawMessage `json:"data"`
}

// NewEvent renders an event.
func NewEvent(e *partnerd.Event) Event {
	return Event{ID: e.ID, Type: e.Type, CreatedAt: Time(e.CreatedAt), AccountAuthID: e.AccountAuthID,
		Sequence: e.Sequence, Data: e.Data}
}

// Event returns the body as the domain type.
func (b *Event) Event(partnerID string) *partnerd.Event {
	return &partnerd.Event{ID: b.ID, PartnerID: partnerID, Type: b.Type, AccountAuthID: b.AccountAuthID,
		Sequence: b.Sequence, Data: b.Data, CreatedAt: b.CreatedAt}
}
