package client

import (
	"context"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/wire"
)

var _ partnerd.CDRService = (*Client)(nil)

// Call records (API.md §5). For every CDR method: f.From and f.To, when
// not zero, are sent as start_date (the day From falls on, in its own
// location) and end_date (the day of the last instant before To), both
// inclusive days that the server reads in the partner's time zone;
// without them the server lists the last 30 days. Every other field of f,
// when not zero, is sent as its filter (call_direction, status,
// from_number, to_number, hangup_cause, min_duration, max_duration,
// search). partnerID must be empty or the client's own id.

// ListAccountCDRs returns one page of a customer's calls, newest first,
// and how many match f (GET /accounts/{id}/cdrs).
func (c *Client) ListAccountCDRs(ctx context.Context, partnerID, authID string, f partnerd.CDRFilter) ([]*partnerd.CDR, int, error) {
	if err := c.checkPartner(partnerID); err != nil {
		return nil, 0, err
	}
	if !partnerd.IsAccountID(authID) {
		return nil, 0, partnerd.ErrAccountNotFound(authID)
	}
	return getList(ctx, c, "/accounts/"+authID+"/cdrs", cdrQuery(f), func(r *wire.CDRRow) (*partnerd.CDR, error) {
		return cdrFromRow(r, c.partnerID, authID)
	})
}

// ListCDRs returns one page of the calls of every customer of the
// partner, newest first, and how many match f (GET /cdrs).
func (c *Client) ListCDRs(ctx context.Context, partnerID string, f partnerd.CDRFilter) ([]*partnerd.CDR, int, error) {
	if err := c.checkPartner(partnerID); err != nil {
		return nil, 0, err
	}
	return getList(ctx, c, "/cdrs", cdrQuery(f), func(r *wire.CDRItem) (*partnerd.CDR, error) {
		return cdrFromRow(&r.CDRRow, c.partnerID, r.AccountAuthID)
	})
}

// AccountCDR returns one of a customer's calls with what only one call
// shows: SIP response code, unbilled amount and rate
// (GET /accounts/{id}/cdrs/{call_uuid}).
func (c *Client) AccountCDR(ctx context.Context, partnerID, authID, callUUID string) (*partnerd.CDR, error) {
	if err := c.checkPartner(partnerID); err != nil {
		return nil, err
	}
	if !partnerd.IsAccountID(authID) {
		return nil, partnerd.ErrAccountNotFound(authID)
	}
	if callUUID == "" {
		return nil, partnerd.ErrCDRNotFound(callUUID)
	}
	var out wire.CDRDetail
	if err := c.do(ctx, http.MethodGet, "/accounts/"+authID+"/cdrs/"+url.PathEscape(callUUID), nil, nil, &out); err != nil {
		return nil, err
	}
	cdr, err := cdrFromRow(&out.CDRRow, c.partnerID, out.AccountAuthID)
	if err != nil {
		return nil, err
	}
	cdr.SIPResponseCode = out.SIPResponseCode
	if cdr.UnbilledAmount, err = wire.ParseMoney(out.UnbilledAmount, out.Currency); err != nil {
		return nil, err
	}
	if cdr.RatePerMinute, err = wire.ParseRatePerMinute(out.RatePerMinute); err != nil {
		return nil, err
	}
	return cdr, nil
}

// AccountCDRsSeq yields every call of a customer that f selects (f.Page
// ignored), newest first, walking the list's pages as AccountEntriesSeq
// does. An error, including ctx ending, is the last value yielded.
func (c *Client) AccountCDRsSeq(ctx context.Context, partnerID, authID string, f partnerd.CDRFilter) iter.Seq2[*partnerd.CDR, error] {
	return walk(ctx, func(ctx context.Context, p partnerd.Page) ([]*partnerd.CDR, error) {
		f.Page = p
		rows, _, err := c.ListAccountCDRs(ctx, partnerID, authID, f)
		return rows, err
	}, cdrKey)
}

// CDRsSeq yields every call of the partner's customers that f selects,
// newest first, as AccountCDRsSeq does.
func (c *Client) CDRsSeq(ctx context.Context, partnerID string, f partnerd.CDRFilter) iter.Seq2[*partnerd.CDR, error] {
	return walk(ctx, func(ctx context.Context, p partnerd.Page) ([]*partnerd.CDR, error) {
		f.Page = p
		rows, _, err := c.ListCDRs(ctx, partnerID, f)
		return rows, err
	}, cdrKey)
}

func cdrKey(c *partnerd.CDR) string { return c.CallUUID }

// AccountCDRsCSV streams every call of a customer that f selects (f.Page
// ignored) as CSV, header row first, in the server's constant memory
// (Accept: text/csv on GET /accounts/{id}/cdrs). The caller reads and
// closes it; a connection lost mid-stream is a read error.
func (c *Client) AccountCDRsCSV(ctx context.Context, authID string, f partnerd.CDRFilter) (io.ReadCloser, error) {
	if !partnerd.IsAccountID(authID) {
		return nil, partnerd.ErrAccountNotFound(authID)
	}
	return c.csv(ctx, "/accounts/"+authID+"/cdrs", f)
}

// CDRsCSV streams every call of the partner's customers that f selects as
// CSV (GET /cdrs), as AccountCDRsCSV does.
func (c *Client) CDRsCSV(ctx context.Context, f partnerd.CDRFilter) (io.ReadCloser, error) {
	return c.csv(ctx, "/cdrs", f)
}

func (c *Client) csv(ctx context.Context, path string, f partnerd.CDRFilter) (io.ReadCloser, error) {
	f.Page = partnerd.Page{}
	return c.stream(ctx, path, cdrQuery(f))
}

// stream asks for a list at path as CSV (Accept: text/csv) and returns
// the answer's body.
func (c *Client) stream(ctx context.Context, path string, q url.Values) (io.ReadCloser, error) {
	resp, err := c.send(ctx, http.MethodGet, path, q, nil, "text/csv")
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// cdrQuery is the query string of a CDR list; zero fields are left to the
// server's defaults.
func cdrQuery(f partnerd.CDRFilter) url.Values {
	q := pageQuery(f.Page)
	if !f.From.IsZero() {
		q.Set("start_date", f.From.Format(time.DateOnly))
	}
	if !f.To.IsZero() {
		q.Set("end_date", f.To.Add(-time.Nanosecond).Format(time.DateOnly))
	}
	for name, v := range map[string]string{
		"call_direction": f.Direction, "status": f.Status, "from_number": f.FromNumber, "to_number": f.ToNumber,
		"hangup_cause": f.HangupCause, "search": f.Search,
	} {
		if v != "" {
			q.Set(name, v)
		}
	}
	if f.MinBillsec != nil {
		q.Set("min_duration", strconv.Itoa(*f.MinBillsec))
	}
	if f.MaxBillsec != nil {
		q.Set("max_duration", strconv.Itoa(*f.MaxBillsec))
	}
	return q
}

// cdrFromRow returns a list row as the domain type; authID fills the
// account of rows that do not name it (a customer's list).
func cdrFromRow(r *wire.CDRRow, partnerID, authID string) (*partnerd.CDR, error) {
	cost, err := wire.ParseMoney(r.Cost, r.Currency)
	if err != nil {
		return nil, err
	}
	return &partnerd.CDR{
		CallUUID: r.CallUUID, PartnerID: partnerID, AccountAuthID: authID, Direction: r.Direction,
		FromNumber: r.FromNumber, ToNumber: r.ToNumber, StartTime: r.StartTime, AnswerTime: r.AnswerTime,
		EndTime: r.EndTime, DurationSeconds: r.DurationSeconds, Billsec: r.Billsec, HangupCause: r.HangupCause,
		TrunkID: r.TrunkID, Context: r.Context, Cost: cost, Currency: r.Currency,
	}, nil
}
