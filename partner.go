package partnerd

import (
	"context"
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
}

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
