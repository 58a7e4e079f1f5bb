package client

import (
	"context"
	"iter"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/wire"
)

// AuditEvents returns one page of the partner's audit log, newest first,
// and how many rows match f (GET /audit-events, API.md §7). f.Action and
// f.Account, when not empty, are sent as action and account; f.From and
// f.To, when not zero, as from_date and to_date: the days they fall on in
// their own location, both inclusive, which the server reads in the
// partner's time zone. f.Partner is ignored. partnerID must be empty or
// the client's own id.
func (c *Client) AuditEvents(ctx context.Context, partnerID string, f partnerd.AuditFilter) ([]*partnerd.AuditEvent, int, error) {
	if err := c.checkPartner(partnerID); err != nil {
		return nil, 0, err
	}
	q := pageQuery(f.Page)
	for name, v := range map[string]string{"action": f.Action, "account": f.Account} {
		if v != "" {
			q.Set(name, v)
		}
	}
	for name, t := range map[string]time.Time{"from_date": f.From, "to_date": f.To} {
		if !t.IsZero() {
			q.Set(name, t.Format(time.DateOnly))
		}
	}
	return getList(ctx, c, "/audit-events", q, func(e *wire.AuditEvent) (*partnerd.AuditEvent, error) {
		return e.AuditEvent(c.partnerID), nil
	})
}

// AuditEventsSeq yields every audit row of the partner that f selects
// (f.Page ignored), newest first.
func (c *Client) AuditEventsSeq(ctx context.Context, partnerID string, f partnerd.AuditFilter) iter.Seq2[*partnerd.AuditEvent, error] {
	return walk(ctx, func(ctx context.Context, p partnerd.Page) ([]*partnerd.AuditEvent, error) {
		f.Page = p
		rows, _, err := c.AuditEvents(ctx, partnerID, f)
		return rows, err
	}, func(e *partnerd.AuditEvent) string { return e.ID })
}
