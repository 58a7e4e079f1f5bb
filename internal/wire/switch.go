package wire

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/partnerd/partnerd"
)

// AuthorizeRequest is the body of POST /api/v1/switch/authorize.
type AuthorizeRequest struct {
	CallUUID      string  `json:"call_uuid"`
	Direction     string  `json:"direction"`
	From          string  `json:"from"`
	To            string  `json:"to"`
	AccountAuthID *string `json:"account_auth_id,omitempty"`
}

// NewAuthorizeRequest renders the switch's question.
func NewAuthorizeRequest(in partnerd.AuthorizeInput) AuthorizeRequest {
	return AuthorizeRequest{CallUUID: in.CallUUID, Direction: in.Direction, From: in.From, To: in.To, AccountAuthID: in.AccountAuthID}
}

// Authorization is authorize's answer: {authorized, call_uuid,
// account_auth_id, max_duration_seconds, rate_per_minute, currency} (and
// sip_usernames for an inbound call), or {authorized: false, call_uuid,
// reason}.
type Authorization struct {
	Authorized         bool            `json:"authorized"`
	CallUUID           string          `json:"call_uuid"`
	AccountAuthID      string          `json:"account_auth_id,omitempty"`
	MaxDurationSeconds *int            `json:"max_duration_seconds,omitempty"`
	RatePerMinute      json.RawMessage `json:"rate_per_minute,omitempty"`
	Currency           string          `json:"currency,omitempty"`
	SIPUsernames       *[]string       `json:"sip_usernames,omitempty"`
	Reason             string          `json:"reason,omitempty"`
}

// NewAuthorization renders an answer.
func NewAuthorization(a *partnerd.Authorization) Authorization {
	if !a.Authorized {
		return Authorization{CallUUID: a.CallUUID, Reason: a.Reason}
	}
	max := a.MaxDuration
	b := Authorization{
		Authorized: true, CallUUID: a.CallUUID, AccountAuthID: a.AccountAuthID, MaxDurationSeconds: &max,
		RatePerMinute: RatePerMinute(a.Rate.PerMinute), Currency: a.Currency,
	}
	if a.Direction == partnerd.DirectionInbound {
		names := append([]string{}, a.SIPUsernames...)
		b.SIPUsernames = &names
	}
	return b
}

// Authorization returns the answer as the domain type (Reserved, times and
// the rate's prefix and increments are not on the wire).
func (b *Authorization) Authorization() (*partnerd.Authorization, error) {
	a := &partnerd.Authorization{CallUUID: b.CallUUID, Authorized: b.Authorized, Reason: b.Reason,
		AccountAuthID: b.AccountAuthID, Currency: b.Currency}
	if !b.Authorized {
		return a, nil
	}
	if b.MaxDurationSeconds == nil {
		return nil, fmt.Errorf("partnerd: an authorized answer without max_duration_seconds")
	}
	a.MaxDuration = *b.MaxDurationSeconds
	v, err := ParseRatePerMinute(b.RatePerMinute)
	if err != nil {
		return nil, err
	}
	a.Rate = &partnerd.Rate{PerMinute: v}
	if b.SIPUsernames != nil {
		a.Direction = partnerd.DirectionInbound
		a.SIPUsernames = *b.SIPUsernames
	}
	return a, nil
}

// CDR is one call record of POST /api/v1/switch/cdrs, as a client sends
// it (the server reads each field by itself, so that one bad record names
// its field and spares its neighbours).
type CDR struct {
	CallUUID        string     `json:"call_uuid"`
	Direction       string     `json:"direction"`
	AccountAuthID   *string    `json:"account_auth_id,omitempty"`
	FromNumber      string     `json:"from_number"`
	ToNumber        string     `json:"to_number"`
	StartTime       time.Time  `json:"start_time"`
	AnswerTime      *time.Time `json:"answer_time"`
	EndTime         time.Time  `json:"end_time"`
	DurationSeconds int        `json:"duration_seconds"`
	Billsec         int        `json:"billsec"`
	HangupCause     *string    `json:"hangup_cause,omitempty"`
	SIPResponseCode *int       `json:"sip_response_code,omitempty"`
	TrunkID         *string    `json:"trunk_id,omitempty"`
	Context         *string    `json:"context,omitempty"`
}

// NewCDR renders a call record.
func NewCDR(in partnerd.CDRInput) CDR {
	return CDR{
		CallUUID: in.CallUUID, Direction: in.Direction, AccountAuthID: in.AccountAuthID,
		FromNumber: in.FromNumber, ToNumber: in.ToNumber, StartTime: in.StartTime, AnswerTime: in.AnswerTime,
		EndTime: in.EndTime, DurationSeconds: in.DurationSeconds, Billsec: in.Billsec, HangupCause: in.HangupCause,
		SIPResponseCode: in.SIPResponseCode, TrunkID: in.TrunkID, Context: in.Context,
	}
}

// CDRBatch is the batch form of POST /api/v1/switch/cdrs.
type CDRBatch struct {
	CDRs []CDR `json:"cdrs"`
}

// CDRResults is the answer of POST /api/v1/switch/cdrs, one result per
// record in the order sent.
type CDRResults struct {
	Results []CDRResult `json:"results"`
}

// CDRResult is one record's outcome: cost and currency are null for a
// rejected record, error null for the others.
type CDRResult struct {
	CallUUID string          `json:"call_uuid"`
	Status   string          `json:"status"`
	Cost     json.RawMessage `json:"cost"`
	Currency *string         `json:"currency"`
	Error    *CDRError       `json:"error"`
}

// CDRError says why a record was rejected; the message names the field at
// fault.
type CDRError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// NewCDRResults renders the outcomes of a batch.
func NewCDRResults(rs []partnerd.CDRResult) CDRResults {
	out := CDRResults{Results: make([]CDRResult, len(rs))}
	for i, r := range rs {
		b := CDRResult{CallUUID: r.CallUUID, Status: r.Status, Cost: json.RawMessage("null")}
		if r.Err != nil {
			b.Error = &CDRError{Code: r.Err.Code, Message: r.Err.Message}
			if len(r.Err.Fields) > 1 {
				b.Error.Message = fieldMessages(r.Err.Fields)
			}
		} else if r.Currency != "" {
			currency := r.Currency
			b.Cost, b.Currency = Money(r.Cost, currency), &currency
		}
		out.Results[i] = b
	}
	return out
}

// fieldMessages joins the messages of several invalid fields into one.
func fieldMessages(fs []partnerd.FieldError) string {
	msg := ""
	for i, f := range fs {
		if i > 0 {
			msg += "; "
		}
		msg += f.Message
	}
	return msg + "."
}

// Result returns one outcome as the domain type.
func (b *CDRResult) Result() (partnerd.CDRResult, error) {
	r := partnerd.CDRResult{CallUUID: b.CallUUID, Status: b.Status}
	if b.Error != nil {
		r.Err = &partnerd.Error{Code: b.Error.Code, Message: b.Error.Message}
	}
	if b.Currency != nil {
		cost, err := ParseMoney(b.Cost, *b.Currency)
		if err != nil {
			return r, err
		}
		r.Cost, r.Currency = cost, *b.Currency
	}
	return r, nil
}
