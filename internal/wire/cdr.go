package wire

import (
	"encoding/json"
	"time"

	"github.com/partnerd/partnerd"
)

// CDRRow is one row of GET /accounts/{id}/cdrs (API.md §5, Call records).
type CDRRow struct {
	CallUUID        string          `json:"call_uuid"`
	FromNumber      string          `json:"from_number"`
	ToNumber        string          `json:"to_number"`
	Direction       string          `json:"direction"`
	Status          string          `json:"status"`
	DurationSeconds int             `json:"duration_seconds"`
	Billsec         int             `json:"billsec"`
	HangupCause     *string         `json:"hangup_cause"`
	Cost            json.RawMessage `json:"cost"`
	Currency        string          `json:"currency"`
	StartTime       time.Time       `json:"start_time"`
	AnswerTime      *time.Time      `json:"answer_time"`
	EndTime         time.Time       `json:"end_time"`
	TrunkID         *string         `json:"trunk_id"`
	Context         *string         `json:"context"`
}

// NewCDRRow renders a call for a customer's list.
func NewCDRRow(c *partnerd.CDR) CDRRow {
	var answer *time.Time
	if c.AnswerTime != nil {
		t := Time(*c.AnswerTime)
		answer = &t
	}
	return CDRRow{
		CallUUID: c.CallUUID, FromNumber: c.FromNumber, ToNumber: c.ToNumber, Direction: c.Direction,
		Status: partnerd.CallStatus(c.Billsec, c.HangupCause), DurationSeconds: c.DurationSeconds, Billsec: c.Billsec,
		HangupCause: c.HangupCause, Cost: Money(c.Cost, c.Currency), Currency: c.Currency,
		StartTime: Time(c.StartTime), AnswerTime: answer, EndTime: Time(c.EndTime), TrunkID: c.TrunkID, Context: c.Context,
	}
}

// CDRItem is one row of GET /cdrs: a CDRRow with its account.
type CDRItem struct {
	CDRRow
	AccountAuthID string `json:"account_auth_id"`
}

// NewCDRItem renders a call for the partner-wide list.
func NewCDRItem(c *partnerd.CDR) CDRItem {
	return CDRItem{CDRRow: NewCDRRow(c), AccountAuthID: c.AccountAuthID}
}

// CDRDetail is GET /accounts/{id}/cdrs/{call_uuid}: the row and what only
// one call shows.
type CDRDetail struct {
	CDRRow
	SIPResponseCode *int            `json:"sip_response_code"`
	UnbilledAmount  json.RawMessage `json:"unbilled_amount"`
	RatePerMinute   json.RawMessage `json:"rate_per_minute"`
	AccountAuthID   string          `json:"account_auth_id"`
}

// NewCDRDetail renders one call.
func NewCDRDetail(c *partnerd.CDR) CDRDetail {
	return CDRDetail{
		CDRRow: NewCDRRow(c), SIPResponseCode: c.SIPResponseCode, UnbilledAmount: Money(c.UnbilledAmount, c.Currency),
		RatePerMinute: RatePerMinute(c.RatePerMinute), AccountAuthID: c.AccountAuthID,
	}
}
