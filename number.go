package partnerd

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"
)

// Phone numbers (DIDs) a partner holds in its pool and rents to its
// customers (API.md §5, Numbers).

// Number error codes.
const (
	ECNumberNotFound = "number_not_found" // 404: not in this partner's pool
	ECNumberAssigned = "number_assigned"  // 409: already rented to a customer
	ECNumberExists   = "number_exists"    // 409: already in a pool (numbers are unique server-wide)
)

// Number types.
const (
	NumberLocal    = "local"
	NumberTollFree = "tollfree"
	NumberMobile   = "mobile"
)

// NumberTypes are the values of a number's type.
var NumberTypes = []string{NumberLocal, NumberTollFree, NumberMobile}

// Number statuses. A suspended number is assigned to a customer whose
// renewal could not be charged; it stays the customer's until a later
// renewal charges it.
const (
	NumberAvailable = "available"
	NumberAssigned  = "assigned"
	NumberSuspended = "suspended"
)

// NumberStatuses are the values of a number's status.
var NumberStatuses = []string{NumberAvailable, NumberAssigned, NumberSuspended}

// InitiatedBySystem marks ledger transactions made by partnerd itself
// (renewals).
const InitiatedBySystem = "system"

// Number is one DID of a partner's pool.
type Number struct {
	Number      string // E.164
	PartnerID   string
	Type        string
	Country     string // ISO 3166-1 alpha-2, derived from the number
	Region      *string
	MonthlyCost int64 // minor units of Currency
	Currency    string
	Status      string
	// Set while the number is assigned (or suspended).
	AccountAuthID *string
	AccountName   *string
	AssignedAt    *time.Time
	// PaidUntil is the end of the last period charged: the next renewal.
	PaidUntil *time.Time
}

// NumberInput adds one number to a partner's pool. Validate normalizes it
// in place.
type NumberInput struct {
	Number      string
	Type        string // "" means local
	Region      *string
	MonthlyCost int64 // minor units; 0 is a free number
}

// maxRegionLen bounds a number's region.
const maxRegionLen = 100

// Validate checks and normalizes the input, reporting every bad field.
func (in *NumberInput) Validate() error { return in.ValidateWith(nil) }

// ValidateWith is Validate for input whose reading already found the
// errors fe (an operator's amount that did not parse): they are reported
// with the input's own.
func (in *NumberInput) ValidateWith(fe FieldErrors) error {
	in.Number = checkE164(&fe, "number", in.Number)
	if in.Type == "" {
		in.Type = NumberLocal
	}
	if !slices.Contains(NumberTypes, in.Type) {
		fe.Add("type", FCInvalidValue, "type must be one of local, tollfree, mobile")
	}
	in.Region = optionalText(&fe, "region", in.Region, lineText, maxRegionLen)
	if in.Region != nil && !fe.Has("region") {
		r := strings.TrimSpace(*in.Region)
		in.Region = &r
	}
	if in.MonthlyCost < 0 {
		fe.Add("monthly_cost", FCOutOfRange, "monthly_cost must not be negative")
	}
	return fe.Err()
}

// ParseMonthlyCost reads an operator's monthly cost (a flag, a CSV cell)
// in currency: an amount from 0 (a free number). A bad one is added to fe
// as field, and read as 0.
func ParseMonthlyCost(fe *FieldErrors, field, text, currency string) int64 {
	v, code := ParseAmountText(strings.TrimSpace(text), currency)
	if code != "" || v < 0 {
		what, example := "a whole amount", "25"
		if exp := CurrencyExponent(currency); exp > 0 {
			what, example = fmt.Sprintf("an amount with at most %d decimals", exp), "25."+strings.Repeat("0", exp)
		}
		fe.Add(field, FCInvalidFormat, fmt.Sprintf("%s must be %s of %s from 0, as %s", field, what, currency, example))
		return 0
	}
	return v
}

// NormalizeNumber returns the E.164 form of a phone number written in
// E.164 (a leading +, digits, optional spaces or dashes), or a
// validation_error on field.
func NormalizeNumber(field, s string) (string, error) {
	var fe FieldErrors
	n := checkE164(&fe, field, s)
	return n, fe.Err()
}

// checkE164 adds an error for field unless s is a valid number in
// international form, and returns its E.164 form.
func checkE164(fe *FieldErrors, field, s string) string {
	s, ok := requiredLine(fe, field, s, 32)
	if !ok {
		return s
	}
	if !strings.HasPrefix(s, "+") {
		fe.Add(field, FCInvalidFormat, field+" must be an E.164 number such as +912271264217")
		return s
	}
	n, err := phonenumbers.Parse(s, "ZZ")
	if err != nil || !phonenumbers.IsValidNumber(n) {
		fe.Add(field, FCInvalidFormat, field+" must be a valid E.164 number such as +912271264217")
		return s
	}
	return phonenumbers.Format(n, phonenumbers.E164)
}

// NumberCountry is the ISO 3166-1 alpha-2 country of a valid E.164 number
// ("" when the plan does not name one, as for +800 numbers).
func NumberCountry(e164 string) string {
	n, err := phonenumbers.Parse(e164, "ZZ")
	if err != nil {
		return ""
	}
	c := phonenumbers.GetRegionCodeForNumber(n)
	if c == "001" || c == "ZZ" {
		return ""
	}
	return c
}

// NumberFilter selects a page of numbers, newest first. Search is a
// substring of the number; Status, when not empty, one of NumberStatuses.
type NumberFilter struct {
	Search string
	Status string
	Page   Page
}

// NumberParams is a number list's filter as a query string carries it.
type NumberParams struct {
	Page   PageParams
	Search *string
	Status *string
}

// Filter returns the filter the parameters ask for, or a validation_error
// listing every bad parameter.
func (q NumberParams) Filter() (NumberFilter, error) {
	var fe FieldErrors
	f := NumberFilter{Page: q.Page.Parse(&fe)}
	if s := optionalText(&fe, "search", q.Search, lineText, 32); s != nil && !fe.Has("search") {
		f.Search = strings.TrimSpace(*s)
	}
	if q.Status != nil {
		f.Status = *q.Status
		if !slices.Contains(NumberStatuses, f.Status) {
			fe.Add("status", FCInvalidValue, "status must be one of available, assigned, suspended")
		}
	}
	return f, fe.Err()
}

// RenewalReport is what one renewal sweep did.
type RenewalReport struct {
	Charged   int // periods charged (free numbers' included)
	Suspended int // numbers suspended because their customer could not pay
	Restored  int // suspended numbers charged again, back to assigned
}

// NumberService manages a partner's numbers. Every method is scoped to
// partnerID: another partner's number is number_not_found and another
// partner's customer account_not_found.
type NumberService interface {
	// AssignNumber rents a free number of the pool to a customer and
	// charges the first month in the same transaction.
	AssignNumber(ctx context.Context, partnerID, authID, number string) (*Number, error)
	// ReleaseNumber returns a customer's number to the pool; nothing is refunded.
	ReleaseNumber(ctx context.Context, partnerID, authID, number string) error
	// ListAccountNumbers is one page of a customer's numbers, newest first.
	ListAccountNumbers(ctx context.Context, partnerID, authID string, f NumberFilter) ([]*Number, int, error)
	// ListNumbers is one page of the partner's pool, newest first.
	ListNumbers(ctx context.Context, partnerID string, f NumberFilter) ([]*Number, int, error)
}

// ErrNumberNotFound answers for unknown and foreign numbers alike.
func ErrNumberNotFound(number string) *Error {
	return Errorf(ECNumberNotFound, "No number %s exists in this partner's pool.", number)
}

// ErrNumberNotHeld answers a release of a number the customer does not
// hold, whether it is in the pool, another customer's or unknown.
func ErrNumberNotHeld(authID, number string) *Error {
	return Errorf(ECNumberNotFound, "Customer account %s holds no number %s.", authID, number)
}

// ErrNumberAssigned refuses a number that is already rented.
func ErrNumberAssigned(number string) *Error {
	return Errorf(ECNumberAssigned, "Number %s is already assigned to a customer.", number)
}

// MonthlyRental is the description of a number's monthly charge.
func MonthlyRental(number string) string {
	return fmt.Sprintf("Monthly rental of %s", number)
}
