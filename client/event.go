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

var _ partnerd.EventService = (*Client)(nil)

// Events returns one page of the partner's events, newest first, and how
// many match f (GET /events). f.Type and f.Account, when not empty, are
// sent as type and account; f.From and f.To, when not zero, as from_date
// and to_date: the days they fall on in their own location, both
// inclusive, which the server reads in the partner's time zone. Events
// are kept 30 days. partnerID must be empty or the client's own id.
func (c *Client) Events(ctx context.Context, partnerID string, f partnerd.EventFilter) ([]*partnerd.Event, int, error) {
	if err := c.checkPartner(partnerID); err != nil {
		return nil, 0, err
	}
	q := pageQuery(f.Page)
	for name, v := range map[string]string{"type": f.Type, "account": f.Account} {
		if v != "" {
			q.Set(name, v)
		}
	}
	for name, t := range map[string]time.Time{"from_date": f.From, "to_date": f.To} {
		if !t.IsZero() {
			q.Set(name, t.Format(time.DateOnly))
		}
	}
	return getList(ctx, c, "/events", q, func(e *wire.Event) (*partnerd.Event, error) {
		return e.Event(c.partnerID), nil
	})
}

// EventsSeq yields every event of the partner that f selects (f.Page
// ignored), newest first.
func (c *Client) EventsSeq(ctx context.Context, partnerID string, f partnerd.EventFilter) iter.Seq2[*partnerd.Event, error] {
	return walk(ctx, func(ctx context.Context, p partnerd.Page) ([]*partnerd.Event, error) {
		f.Page = p
		rows, _, err := c.Events(ctx, partnerID, f)
		return rows, err
	}, func(e *partnerd.Event) string { return e.ID })
}

// Event returns one of the partner's events (GET /events/{id}); another
// partner's, an expired one or an id of the wrong shape is not_found.
func (c *Client) Event(ctx context.Context, partnerID, id string) (*partnerd.Event, error) {
	if err := c.checkPartner(partnerID); err != nil {
		return nil, err
	}
	if !partnerd.IsEventID(id) {
		return nil, partnerd.ErrEventNotFound(id)
	}
	var out wire.Event
	if err := c.do(ctx, http.MethodGet, "/events/"+url.PathEscape(id), nil, nil, &out); err != nil {
		return nil, err
	}
	return out.Event(c.partnerID), nil
}
