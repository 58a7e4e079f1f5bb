package partnerd

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Partner is a reseller: it owns customer accounts and a master wallet.
type Partner struct {
	ID           string
	Name         string
	Email        string
	Company      *string
	Status       string
	Currency     string
	Balance      int64
	AccountCount int
	CreatedAt    time.Time
	// Timezone is the IANA zone its days are counted in (UTC unless the
	// operator set another); LowBalance the balance under which a
	// customer counts as low, in minor units.
	Timezone   string
	LowBalance int64
	// RateLimit is the partner's own request rate limit in requests per
	// second, set by the operator; 0 means the server's default.
	RateLimit int
}

// Location returns the partner's time zone (UTC if it cannot be loaded,
// which validation prevents).
func (p *Partner) Location() *time.Location { return LoadLocation(p.Timezone) }

// locations caches loaded time zones: time.LoadLocation reads the zone
// database every time.
var locations sync.Map // name → *time.Location

// LoadLocation returns the time zone name, UTC when it is empty or not
// known.
func LoadLocation(name string) *time.Location {
	if name == "" || name == "UTC" {
		return time.UTC
	}
	if l, ok := locations.Load(name); ok {
		return l.(*time.Location)
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC
	}
	locations.Store(name, l)
	return l
}

// DefaultLowBalance is the low-balance threshold of a partner that set
// none: 100 of the currency's major units.
func DefaultLowBalance(currency string) int64 {
	v := int64(100)
	for range CurrencyExponent(currency) {
		v *= 10
	}
	return v
}

// Partner statuses the operator sets: an inactive partner's credentials
// get 403 partner_inactive.
const PartnerInactive = "inactive"

// PartnerSettings is what partnerd partner set changes; nil fields stay.
type PartnerSettings struct {
	Status     *string
	Timezone   *string
	LowBalance *int64
	// RateLimit is requests per second; 0 restores the server's default.
	RateLimit *int
}

// Validate checks the settings given.
func (in *PartnerSettings) Validate() error {
	var fe FieldErrors
	if in.Status != nil && *in.Status != StatusActive && *in.Status != PartnerInactive {
		fe.Add("status", FCInvalidValue, "status must be active or inactive")
	}
	if in.Timezone != nil && !validTimezone(*in.Timezone) {
		fe.Add("timezone", FCInvalidValue, "timezone must be an IANA time zone name such as Asia/Kolkata")
	}
	if in.LowBalance != nil && *in.LowBalance < 0 {
		fe.Add("low_balance", FCOutOfRange, "low_balance must not be negative")
	}
	if in.RateLimit != nil && (*in.RateLimit < 0 || *in.RateLimit > MaxRateLimit) {
		fe.Add("rate_limit", FCOutOfRange, fmt.Sprintf("rate_limit must be between 0 (the server's default) and %d requests per second", MaxRateLimit))
	}
	if in.Status == nil && in.Timezone == nil && in.LowBalance == nil && in.RateLimit == nil && len(fe) == 0 {
		fe.Add("settings", FCRequired, "give at least one setting to change")
	}
	return fe.Err()
}

// MaxRateLimit bounds a partner's rate limit (requests per second).
const MaxRateLimit = 1_000_000

// PartnerInput is what the operator gives to create a partner.
type PartnerInput struct {
	Name     string
	Email    string
	Company  *string
	Currency string
}

// PartnerService manages partners; it is driven by operator commands and by
// authentication.
type PartnerService interface {
	// CreatePartner returns the new partner and its token, which is shown
	// once and stored only as a hash.
	CreatePartner(ctx context.Context, in PartnerInput) (*Partner, string, error)
	// PartnerCredential returns what authenticating partner id checks
	// against, whatever its status; an unknown id is ECNotFound. It reads
	// the database every time: callers cache.
	PartnerCredential(ctx context.Context, id string) (*PartnerCredential, error)
	Partner(ctx context.Context, id string) (*Partner, error)
	ListPartners(ctx context.Context) ([]*Partner, error)
	// SetPartner changes a partner's settings and returns it.
	SetPartner(ctx context.Context, id string, in PartnerSettings) (*Partner, error)
	// RotatePartnerToken gives the partner a new token, returned once and
	// stored only as a hash; the old one stops working.
	RotatePartnerToken(ctx context.Context, id string) (string, error)
}

// Page is a validated page request: Page ≥ 1 and 1 ≤ Size ≤ 100.
type Page struct {
	Page int
	Size int
}

// Offset is the number of rows before this page.
func (p Page) Offset() int { return (p.Page - 1) * p.Size }

// TotalPages is the number of pages needed for total rows.
func (p Page) TotalPages(total int) int { return (total + p.Size - 1) / p.Size }
