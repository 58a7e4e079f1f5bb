package partnerd

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// The event types of API.md §8. An event is written in the same database
// transaction as the change it announces.
const (
	EventAccountCreated          = "account.created"
	EventAccountUpdated          = "account.updated"
	EventAccountSuspended        = "account.suspended"
	EventAccountActivated        = "account.activated"
	EventAccountClosed           = "account.closed"
	EventBalanceTransferred      = "balance.transferred"
	EventBalanceLow              = "balance.low"
	EventBalanceDepleted         = "balance.depleted"
	EventAutoTopupSucceeded      = "auto_topup.succeeded"
	EventAutoTopupFailed         = "auto_topup.failed"
	EventNumberAssigned          = "number.assigned"
	EventNumberReleased          = "number.released"
	EventNumberRenewed           = "number.renewed"
	EventNumberSuspended         = "number.suspended"
	EventCallRefused             = "call.refused"
	EventWebhookEndpointDisabled = "webhook_endpoint.disabled"
	// EventPing is sent by POST /webhook-endpoints/{id}/test to that
	// endpoint alone; it is not a type endpoints subscribe to.
	EventPing = "ping"
)

// EventTypes are the types an endpoint may subscribe to and GET /events
// filters on.
var EventTypes = []string{
	EventAccountCreated, EventAccountUpdated, EventAccountSuspended, EventAccountActivated, EventAccountClosed,
	EventBalanceTransferred, EventBalanceLow, EventBalanceDepleted, EventAutoTopupSucceeded, EventAutoTopupFailed,
	EventNumberAssigned, EventNumberReleased, EventNumberRenewed, EventNumberSuspended, EventCallRefused,
	EventWebhookEndpointDisabled,
}

// EventRetention is how long events are kept (API.md §8).
const EventRetention = 30 * 24 * time.Hour

// Event is one recorded change. Data is the change's JSON, frozen when the
// change committed. Sequence strictly increases per customer account (per
// partner for events of no account), in commit order.
type Event struct {
	ID            string
	PartnerID     string
	Type          string
	AccountAuthID *string
	Sequence      int64
	Data          json.RawMessage
	CreatedAt     time.Time
}

// NewEventID returns "evt_" and a suffix that sorts by creation time, as
// NewTransactionID does.
func NewEventID(now time.Time) string {
	var buf [16]byte
	binary.BigEndian.PutUint64(buf[:8], uint64(now.UnixMilli())<<16)
	rand.Read(buf[6:])
	return "evt_" + hex.EncodeToString(buf[:])
}

// IsEventID reports whether s has the shape of an event id.
func IsEventID(s string) bool {
	return len(s) == 36 && strings.HasPrefix(s, "evt_") && isLowerHex(s[4:])
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !(s[i] >= '0' && s[i] <= '9' || s[i] >= 'a' && s[i] <= 'f') {
			return false
		}
	}
	return true
}

// EventFilter selects a page of a partner's events, newest first. From
// and To are days as the partner counts them (see DayIn), zero when
// unbounded; Type and Account are empty when unfiltered.
type EventFilter struct {
	Page     Page
	Type     string
	Account  string
	From, To time.Time
}

// EventParams is GET /events's filter as a query string carries it.
type EventParams struct {
	Page             PageParams
	Type, Account    *string
	FromDate, ToDate *string
}

// Filter returns the filter the parameters ask for, with days in loc, or
// a validation_error listing every bad parameter.
func (q EventParams) Filter(loc *time.Location) (EventFilter, error) {
	var fe FieldErrors
	f := EventFilter{Page: q.Page.Parse(&fe)}
	f.From = parseDay(&fe, "from_date", q.FromDate)
	f.To = parseDay(&fe, "to_date", q.ToDate)
	if !f.From.IsZero() && !f.To.IsZero() && f.To.Before(f.From) && !fe.Has("to_date") {
		fe.Add("to_date", FCInvalidValue, "to_date must not be before from_date")
	}
	if q.Type != nil {
		f.Type = *q.Type
		if !slices.Contains(EventTypes, f.Type) && f.Type != EventPing {
			fe.Add("type", FCInvalidValue, "type must be one of "+strings.Join(EventTypes, ", ")+" or ping")
		}
	}
	if q.Account != nil {
		f.Account = *q.Account
		if !IsAccountID(f.Account) {
			fe.Add("account", FCInvalidFormat, "account must be a customer auth_id (MA_ and 8 hex digits)")
		}
	}
	f.From, f.To = DayIn(f.From, loc), DayIn(f.To, loc)
	return f, fe.Err()
}

// ErrEventNotFound is the not_found answer for an event id.
func ErrEventNotFound(id string) error {
	return Errorf(ECNotFound, "No event %q exists.", id)
}

// EventService reads a partner's events.
type EventService interface {
	// Events is one page of the partner's events, newest first, and the
	// number of events the filter matches.
	Events(ctx context.Context, partnerID string, f EventFilter) ([]*Event, int, error)
	// Event is one of the partner's events; not_found for another's.
	Event(ctx context.Context, partnerID, id string) (*Event, error)
}
