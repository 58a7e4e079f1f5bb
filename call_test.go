package partnerd

import (
	"testing"
	"time"
)

func TestCDRInputValidate(t *testing.T) {
	start := time.Date(2026, 3, 25, 10, 0, 0, 0, time.UTC)
	answer := start.Add(5 * time.Second)
	acct := "MA_48149cf4"
	valid := func() CDRInput {
		a := answer
		return CDRInput{CallUUID: "c1", Direction: DirectionOutbound, AccountAuthID: &acct, FromNumber: "+919876543210",
			ToNumber: "+14155550100", StartTime: start, AnswerTime: &a, EndTime: start.Add(65 * time.Second),
			DurationSeconds: 65, Billsec: 60}
	}
	tests := []struct {
		name  string
		edit  func(*CDRInput)
		field string // "" for valid
	}{
		{"valid", func(*CDRInput) {}, ""},
		{"a second of rounding", func(in *CDRInput) { in.DurationSeconds, in.Billsec = 66, 61 }, ""},
		{"unanswered", func(in *CDRInput) { in.AnswerTime, in.Billsec = nil, 0 }, ""},
		{"missing call_uuid", func(in *CDRInput) { in.CallUUID = "" }, "call_uuid"},
		{"unknown direction", func(in *CDRInput) { in.Direction = "sideways" }, "direction"},
		{"outbound without account", func(in *CDRInput) { in.AccountAuthID = nil }, "account_auth_id"},
		{"end before start", func(in *CDRInput) { in.EndTime = start.Add(-time.Second) }, "end_time"},
		{"negative duration", func(in *CDRInput) { in.DurationSeconds = -1 }, "duration_seconds"},
		{"negative billsec", func(in *CDRInput) { in.Billsec = -1 }, "billsec"},
		{"billsec over duration", func(in *CDRInput) { in.Billsec = 66; in.DurationSeconds = 65 }, "billsec"},
		{"duration over the times", func(in *CDRInput) { in.DurationSeconds, in.Billsec = 600, 0; in.AnswerTime = nil }, "duration_seconds"},
		{"billsec over the answered time", func(in *CDRInput) {
			in.EndTime, in.DurationSeconds = start.Add(600*time.Second), 600
			a := start.Add(590 * time.Second)
			in.AnswerTime, in.Billsec = &a, 300
		}, "billsec"},
		{"billed but not answered", func(in *CDRInput) { in.AnswerTime = nil }, "answer_time"},
		{"answer after end", func(in *CDRInput) { a := start.Add(time.Hour); in.AnswerTime = &a }, "answer_time"},
		{"sip code", func(in *CDRInput) { c := 99; in.SIPResponseCode = &c }, "sip_response_code"},
		{"a call before 1970", func(in *CDRInput) {
			in.StartTime = time.Date(1969, 12, 31, 23, 59, 0, 0, time.UTC)
			in.AnswerTime, in.Billsec, in.EndTime, in.DurationSeconds = nil, 0, in.StartTime.Add(time.Second), 1
		}, "start_time"},
		{"a call after 9998", func(in *CDRInput) {
			in.StartTime = time.Date(9999, 12, 31, 23, 59, 0, 0, time.UTC)
			in.AnswerTime, in.Billsec, in.EndTime, in.DurationSeconds = nil, 0, in.StartTime.Add(time.Second), 1
		}, "start_time"},
		{"an end after 9998", func(in *CDRInput) {
			in.StartTime = time.Date(9998, 12, 31, 23, 59, 59, 0, time.UTC)
			in.AnswerTime, in.Billsec, in.EndTime, in.DurationSeconds = nil, 0, in.StartTime.Add(2*time.Second), 2
		}, "end_time"},
		{"the last second of 9998", func(in *CDRInput) {
			in.StartTime = time.Date(9998, 12, 31, 23, 59, 58, 0, time.UTC)
			in.AnswerTime, in.Billsec, in.EndTime, in.DurationSeconds = nil, 0, in.StartTime.Add(time.Second), 1
		}, ""},
	}
	for _, tt := range tests {
		in := valid()
		tt.edit(&in)
		err := in.Validate()
		if tt.field == "" {
			if err != nil {
				t.Errorf("%s: %v, want valid", tt.name, err)
			}
			continue
		}
		e, ok := err.(*Error)
		if !ok || !FieldErrors(e.Fields).Has(tt.field) {
			t.Errorf("%s: %v, want %s refused", tt.name, err, tt.field)
		}
	}
}

// TestCDRInputValidateEmptyText: an empty optional text is an absent one,
// stored and answered as null (API.md §1).
func TestCDRInputValidateEmptyText(t *testing.T) {
	start := time.Date(2026, 3, 25, 10, 0, 0, 0, time.UTC)
	acct, empty, cause := "MA_48149cf4", "", "NO_ANSWER"
	in := CDRInput{CallUUID: "c1", Direction: DirectionOutbound, AccountAuthID: &acct, FromNumber: "+919876543210",
		ToNumber: "+14155550100", StartTime: start, EndTime: start.Add(5 * time.Second), DurationSeconds: 5,
		HangupCause: &empty, TrunkID: &empty, Context: &empty}
	if err := in.Validate(); err != nil {
		t.Fatal(err)
	}
	if in.HangupCause != nil || in.TrunkID != nil || in.Context != nil {
		t.Errorf("empty texts = %v %v %v, want absent", in.HangupCause, in.TrunkID, in.Context)
	}
	in.HangupCause = &cause
	if err := in.Validate(); err != nil || in.HangupCause == nil || *in.HangupCause != cause {
		t.Errorf("Validate kept hangup_cause %v (%v), want %s", in.HangupCause, err, cause)
	}
}
