package partnerd

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Why authorize refuses a call (API.md §5, Switch API): the reason of an
// answer with authorized false.
const (
	ReasonInsufficientBalance = ECInsufficientBalance
	ReasonAccountSuspended    = "account_suspended"
	ReasonAccountClosed       = ECAccountClosed
	ReasonNoRate              = ECNoRate
	ReasonNumberNotAssigned   = "number_not_assigned"
	ReasonNumberSuspended     = "number_suspended"
	ReasonAccountNotFound     = ECAccountNotFound
)

// ReservationGrace is how long after its maximum duration an authorized
// call's reservation lasts when its CDR never arrives.
const ReservationGrace = 15 * time.Minute

// ReservationSweepInterval is how often the server releases the
// reservations that expired: none outlives its expiry by more than this
// (ledger verify checks it).
const ReservationSweepInterval = time.Minute

// MaxCallUUIDLen bounds a call_uuid (Kamailio's Call-ID, a FreeSWITCH UUID).
const MaxCallUUIDLen = 128

// AuthorizeInput is the switch's question before a call: may it proceed,
// and for how long. AccountAuthID is required for outbound calls; an
// inbound call belongs to the customer holding the DID To.
type AuthorizeInput struct {
	CallUUID      string
	Direction     string
	From          string
	To            string
	AccountAuthID *string
}

// Validate checks the question's fields.
func (in *AuthorizeInput) Validate() error {
	var fe FieldErrors
	checkCallUUID(&fe, "call_uuid", in.CallUUID)
	checkDirection(&fe, "direction", in.Direction)
	checkCallParty(&fe, "from", in.From)
	checkCallParty(&fe, "to", in.To)
	checkCallAccount(&fe, in.Direction, in.AccountAuthID)
	return fe.Err()
}

// Authorization is authorize's answer. An authorized call may last
// MaxDuration seconds; Reserved, its cost, is held from the customer's
// available balance until the call's CDR arrives or ExpiresAt passes. A
// refused one says why in Reason (one of the Reason constants).
type Authorization struct {
	CallUUID      string
	Direction     string
	Authorized    bool
	Reason        string
	AccountAuthID string
	PartnerID     string
	MaxDuration   int
	// Rate is the rate the call is charged at (nil when refused before
	// one was found).
	Rate     *Rate
	Currency string
	Reserved int64
	// SIPUsernames are, for an inbound call, the account's active SIP
	// endpoints, which the switch rings.
	SIPUsernames []string
	CreatedAt    time.Time
	ExpiresAt    time.Time
}

// CDR statuses of one call record in the switch's POST /cdrs answer.
const (
	CDRCharged   = "charged"
	CDRDuplicate = "duplicate"
	CDRRejected  = "rejected"
)

// MaxCDRBatch is the most CDRs one POST /api/v1/switch/cdrs carries.
const MaxCDRBatch = 1000

// maxCallSeconds bounds what a CDR may say a call lasted (a week): beyond
// it the figures are a switch's bug, not a call.
const maxCDRSeconds = 7 * 24 * 3600

// CDRInput is one call record as the switch reports it. Optional fields
// are nil when absent.
type CDRInput struct {
	CallUUID        string
	Direction       string
	AccountAuthID   *string
	FromNumber      string
	ToNumber        string
	StartTime       time.Time
	AnswerTime      *time.Time
	EndTime         time.Time
	DurationSeconds int
	Billsec         int
	HangupCause     *string
	SIPResponseCode *int
	TrunkID         *string
	Context         *string
}

// outOfFilterYears reports whether t (UTC) lies outside the years the
// lists' date filters accept.
func outOfFilterYears(t time.Time) bool {
	y := t.UTC().Year()
	return y < minFilterYear || y > maxFilterYear
}

// Validate checks one call record: what it says must be a call that can
// have happened.
func (in *CDRInput) Validate() error {
	var fe FieldErrors
	checkCallUUID(&fe, "call_uuid", in.CallUUID)
	checkDirection(&fe, "direction", in.Direction)
	checkCallParty(&fe, "from_number", in.FromNumber)
	checkCallParty(&fe, "to_number", in.ToNumber)
	checkCallAccount(&fe, in.Direction, in.AccountAuthID)
	if in.StartTime.IsZero() {
		fe.Add("start_time", FCRequired, "start_time is required")
	} else if outOfFilterYears(in.StartTime) {
		// A call no date filter could ever find.
		fe.Add("start_time", FCOutOfRange, "start_time must be between 1970-01-01 and 9998-12-31")
	}
	if in.EndTime.IsZero() {
		fe.Add("end_time", FCRequired, "end_time is required")
	} else if outOfFilterYears(in.EndTime) {
		fe.Add("end_time", FCOutOfRange, "end_time must be between 1970-01-01 and 9998-12-31")
	} else if !in.StartTime.IsZero() && in.EndTime.Before(in.StartTime) {
		fe.Add("end_time", FCOutOfRange, "end_time must not be before start_time")
	}
	if in.AnswerTime != nil && !in.StartTime.IsZero() && !in.EndTime.IsZero() &&
		(in.AnswerTime.Before(in.StartTime) || in.AnswerTime.After(in.EndTime)) {
		fe.Add("answer_time", FCOutOfRange, "answer_time must lie between start_time and end_time")
	}
	switch {
	case in.DurationSeconds < 0:
		fe.Add("duration_seconds", FCOutOfRange, "duration_seconds must not be negative")
	case in.DurationSeconds > maxCDRSeconds:
		fe.Add("duration_seconds", FCOutOfRange, fmt.Sprintf("duration_seconds must be at most %d", maxCDRSeconds))
	}
	switch {
	case in.Billsec < 0:
		fe.Add("billsec", FCOutOfRange, "billsec must not be negative")
	case in.Billsec > in.DurationSeconds && in.DurationSeconds >= 0:
		fe.Add("billsec", FCOutOfRange, "billsec must not exceed duration_seconds")
	case in.Billsec > 0 && in.AnswerTime == nil:
		fe.Add("answer_time", FCRequired, "answer_time is required for a call with billsec > 0")
	}
	// The durations must fit the times they were measured between, to a
	// second of rounding (switches count in milliseconds).
	if !in.StartTime.IsZero() && !in.EndTime.IsZero() && !in.EndTime.Before(in.StartTime) && !fe.Has("duration_seconds") &&
		time.Duration(in.DurationSeconds)*time.Second > in.EndTime.Sub(in.StartTime)+time.Second {
		fe.Add("duration_seconds", FCOutOfRange, "duration_seconds must not exceed end_time - start_time")
	}
	if in.AnswerTime != nil && !in.EndTime.IsZero() && !fe.Has("billsec") && !fe.Has("answer_time") &&
		time.Duration(in.Billsec)*time.Second > in.EndTime.Sub(*in.AnswerTime)+time.Second {
		fe.Add("billsec", FCOutOfRange, "billsec must not exceed end_time - answer_time")
	}
	if in.SIPResponseCode != nil && (*in.SIPResponseCode < 100 || *in.SIPResponseCode > 699) {
		fe.Add("sip_response_code", FCOutOfRange, "sip_response_code must be a SIP status code (100-699)")
	}
	// An empty optional text is an absent one (API.md §1): stored and
	// answered as null.
	for _, p := range []**string{&in.HangupCause, &in.TrunkID, &in.Context} {
		if *p != nil && **p == "" {
			*p = nil
		}
	}
	checkOptText(&fe, "hangup_cause", in.HangupCause, 64)
	checkOptText(&fe, "trunk_id", in.TrunkID, 128)
	checkOptText(&fe, "context", in.Context, 128)
	return fe.Err()
}

// CDRResult is the outcome of one posted call record, in the order sent.
// Cost is the rated cost (what was charged plus any unbilled rest); Err
// says why a rejected record was refused.
type CDRResult struct {
	CallUUID string
	Status   string
	Cost     int64
	Currency string
	Err      *Error
}

// CDR is a stored call record.
type CDR struct {
	CallUUID        string
	PartnerID       string
	AccountAuthID   string
	Direction       string
	FromNumber      string
	ToNumber        string
	StartTime       time.Time
	AnswerTime      *time.Time
	EndTime         time.Time
	DurationSeconds int
	Billsec         int
	HangupCause     *string
	SIPResponseCode *int
	TrunkID         *string
	Context         *string
	RatePerMinute   int64
	Cost            int64
	UnbilledAmount  int64
	Currency        string
	TransactionID   *string
	CreatedAt       time.Time
}

// ExpiryReport says what one sweep of expired reservations did.
type ExpiryReport struct {
	Released int   // reservations released
	Amount   int64 // the minor units they held, summed (across currencies when a server has several)
}

// SwitchService is what the SIP switch drives: it asks before every call
// and reports after it. A switch serves every partner, so nothing here is
// scoped to one.
type SwitchService interface {
	// Authorize answers whether a call may proceed and reserves what its
	// longest affordable duration costs. The same call_uuid asked again
	// gets the first answer.
	Authorize(ctx context.Context, in AuthorizeInput) (*Authorization, error)
	// PostCDRs rates and charges each valid record once, releasing its
	// reservation; a record already seen is a duplicate. ins[i] that
	// failed validation has invalid[i] set and is only reported.
	PostCDRs(ctx context.Context, ins []CDRInput, invalid []*Error) ([]CDRResult, error)
	// ExpireReservations releases the reservations whose expiry passed by
	// now, each once whatever sweeps run at the same time.
	ExpireReservations(ctx context.Context, now time.Time) (ExpiryReport, error)
}

// checkCallAccount checks a call's account_auth_id: a customer's, and
// given for an outbound call (an inbound one belongs to its DID's holder).
func checkCallAccount(fe *FieldErrors, direction string, account *string) {
	if account != nil && !IsAccountID(*account) {
		fe.Add("account_auth_id", FCInvalidFormat, "account_auth_id must be a customer auth_id (MA_ and 8 characters)")
	} else if account == nil && direction == DirectionOutbound {
		fe.Add("account_auth_id", FCRequired, "account_auth_id is required for an outbound call")
	}
}

func checkCallUUID(fe *FieldErrors, field, s string) {
	switch {
	case s == "":
		fe.Add(field, FCRequired, field+" is required")
	case len(s) > MaxCallUUIDLen:
		fe.Add(field, FCTooLong, fmt.Sprintf("%s must be at most %d bytes", field, MaxCallUUIDLen))
	case !isPrintableASCII(s):
		fe.Add(field, FCInvalidFormat, field+" must be printable ASCII without spaces")
	}
}

func checkDirection(fe *FieldErrors, field, s string) {
	switch {
	case s == "":
		fe.Add(field, FCRequired, field+" is required")
	case !slices.Contains(Directions, s):
		fe.Add(field, FCInvalidValue, field+` must be "outbound" or "inbound"`)
	}
}

// checkCallParty checks a calling or called party: a number as the switch
// saw it (E.164 or any dialled string), at most 64 printable characters.
func checkCallParty(fe *FieldErrors, field, s string) {
	switch {
	case s == "":
		fe.Add(field, FCRequired, field+" is required")
	case len(s) > 64:
		fe.Add(field, FCTooLong, field+" must be at most 64 bytes")
	case !isPrintableASCII(s):
		fe.Add(field, FCInvalidFormat, field+" must be printable ASCII without spaces")
	}
}

func checkOptText(fe *FieldErrors, field string, s *string, maxLen int) {
	switch {
	case s == nil:
	case len(*s) > maxLen:
		fe.Add(field, FCTooLong, fmt.Sprintf("%s must be at most %d bytes", field, maxLen))
	case !isPrintableASCII(*s):
		fe.Add(field, FCInvalidFormat, field+" must be printable ASCII without spaces")
	}
}

func isPrintableASCII(s string) bool {
	for i := range len(s) {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}
