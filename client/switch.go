package client

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/wire"
)

// switchPath is where a partnerd server serves the switch API.
const switchPath = "/api/v1/switch"

// Switch calls the switch API of one partnerd server (API.md §5, Switch
// API) as a SIP switch: it looks up customers' SIP credentials, asks
// before every call and reports every finished call. A switch serves every
// partner, so nothing here is scoped to one. It is safe for concurrent use.
//
//	sw := client.NewSwitch("https://partnerd.example.com", os.Getenv("PARTNERD_SWITCH_TOKEN"))
//	a, err := sw.Authorize(ctx, partnerd.AuthorizeInput{CallUUID: id, Direction: partnerd.DirectionOutbound, …})
//	if err == nil && !a.Authorized { refuse the call: a.Reason }
//	…the call, cut off after a.MaxDuration seconds…
//	results, err := sw.PostCDRs(ctx, []partnerd.CDRInput{cdr})
type Switch struct {
	c *Client
}

// NewSwitch returns a switch client of the server at baseURL (such as
// https://partnerd.example.com, with or without the /api/v1/switch suffix)
// that authenticates with a switch token (from partnerd switch-token
// create) sent as Authorization: Bearer. Options are those of New;
// WithCurrency has no use here, nor WithIdempotencyKey: the switch API
// ignores Idempotency-Key, and the call_uuid makes Authorize and PostCDRs
// safe to retry.
func NewSwitch(baseURL, token string, opts ...Option) *Switch {
	base := strings.TrimRight(baseURL, "/")
	base = strings.TrimSuffix(base, basePath)
	if !strings.HasSuffix(base, switchPath) {
		base += switchPath
	}
	c := &Client{base: base, bearer: token, http: newHTTPClient(), retries: DefaultRetries}
	for _, opt := range opts {
		opt(c)
	}
	return &Switch{c: c}
}

// SIPCredential returns the digest credentials of an active SIP endpoint
// (GET /sip-credentials/{username}), with which the switch challenges a
// customer's phone. Every miss (unknown or deleted endpoint, account not
// active, a name that cannot be a username) is the same ECNotFound.
func (s *Switch) SIPCredential(ctx context.Context, username string) (*partnerd.SIPCredential, error) {
	// Refused here as the server would, which also keeps odd names ("",
	// "..", "a/b") out of the URL path.
	if !partnerd.IsSIPUsername(username) {
		return nil, partnerd.Errorf(partnerd.ECNotFound, "No active SIP endpoint has this username.")
	}
	var out wire.SIPCredential
	if err := s.c.do(ctx, http.MethodGet, "/sip-credentials/"+username, nil, nil, &out); err != nil {
		return nil, err
	}
	return out.SIPCredential(), nil
}

// Authorize asks whether a call may proceed (POST /authorize). A refusal
// is not an error: the answer has Authorized false and Reason set (one of
// the partnerd.Reason constants); errors are for a question the server
// cannot answer (validation_error naming the field, authentication,
// transport). An authorized call may last MaxDuration seconds, at
// Rate.PerMinute in Currency; the switch must cut it off then. For an
// inbound call SIPUsernames lists the endpoints to ring.
//
// Only what the wire carries is set: Direction is in.Direction, and
// PartnerID, Reserved, CreatedAt, ExpiresAt and the rate's prefix and
// increments stay zero. Asking again with the same CallUUID returns the
// first answer, so a retry after a lost answer is safe.
func (s *Switch) Authorize(ctx context.Context, in partnerd.AuthorizeInput) (*partnerd.Authorization, error) {
	var out wire.Authorization
	if err := s.c.do(ctx, http.MethodPost, "/authorize", nil, wire.NewAuthorizeRequest(in), &out); err != nil {
		return nil, err
	}
	a, err := out.Authorization()
	if err != nil {
		return nil, err
	}
	a.Direction = in.Direction
	return a, nil
}

// PostCDRs reports finished calls (POST /cdrs) and returns one result per
// record, in the order sent: charged (Cost in Currency was charged once
// and the call's reservation released), duplicate (that CallUUID was
// reported before; nothing changed, Cost is the first report's), or
// rejected (Err says why, naming the field at fault; the record's
// neighbours are not affected).
//
// It always sends the batch form {"cdrs": [...]}, even for one record (the
// server also takes a bare CDR object; the answer is the same list). A
// batch holds 1 to partnerd.MaxCDRBatch records; more is refused here
// without a request, as the server would refuse it whole. Reporting a
// batch again after a lost answer is safe: every record comes back as a
// duplicate.
func (s *Switch) PostCDRs(ctx context.Context, ins []partnerd.CDRInput) ([]partnerd.CDRResult, error) {
	switch {
	case len(ins) == 0:
		return nil, partnerd.FieldErrors{{Field: "cdrs", Code: partnerd.FCRequired, Message: "cdrs must hold at least one CDR"}}.Err()
	case len(ins) > partnerd.MaxCDRBatch:
		return nil, partnerd.FieldErrors{{Field: "cdrs", Code: partnerd.FCTooLarge,
			Message: "a batch holds at most " + strconv.Itoa(partnerd.MaxCDRBatch) + " CDRs"}}.Err()
	}
	batch := wire.CDRBatch{CDRs: make([]wire.CDR, len(ins))}
	for i, in := range ins {
		batch.CDRs[i] = wire.NewCDR(in)
	}
	var out wire.CDRResults
	if err := s.c.do(ctx, http.MethodPost, "/cdrs", nil, batch, &out); err != nil {
		return nil, err
	}
	if len(out.Results) != len(ins) {
		return nil, fmt.Errorf("partnerd client: POST %s/cdrs answered %d results for %d CDRs", switchPath, len(out.Results), len(ins))
	}
	results := make([]partnerd.CDRResult, len(out.Results))
	for i := range out.Results {
		r, err := out.Results[i].Result()
		if err != nil {
			return nil, err
		}
		results[i] = r
	}
	return results, nil
}
