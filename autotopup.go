package partnerd

import (
	"context"
	"time"
)

// InitiatedByAutoTopup marks the ledger transactions of auto top-ups.
const InitiatedByAutoTopup = "auto_topup"

// Why an auto top-up did not happen (auto_topup.failed's reason).
const (
	TopupPartnerInsufficient = "partner_insufficient_balance"
	TopupDailyCap            = "daily_cap"
	TopupMonthlyCap          = "monthly_cap"
	TopupDailyCount          = "daily_count"
)

// MaxTopupCountPerDay bounds max_count_per_day.
const MaxTopupCountPerDay = 1000

// AutoTopupInput is the body of PUT /accounts/{id}/auto-topup, amounts in
// minor units. Every field is required (the HTTP layer checks presence).
type AutoTopupInput struct {
	Enabled                                          bool
	Threshold, TargetBalance, MaxPerDay, MaxPerMonth int64
	MaxCountPerDay                                   int
}

// Validate checks the settings and reports every bad field.
func (in AutoTopupInput) Validate() error {
	var fe FieldErrors
	// A balance never falls below zero: a threshold of zero would never
	// be crossed.
	if in.Threshold <= 0 {
		fe.Add("threshold", FCMustBePositive, "threshold must be greater than zero")
	}
	if in.TargetBalance <= in.Threshold {
		fe.Add("target_balance", FCOutOfRange, "target_balance must be greater than threshold")
	}
	if in.MaxPerDay <= 0 {
		fe.Add("max_per_day", FCMustBePositive, "max_per_day must be greater than zero")
	}
	if in.MaxPerMonth <= 0 {
		fe.Add("max_per_month", FCMustBePositive, "max_per_month must be greater than zero")
	}
	if in.MaxCountPerDay < 1 || in.MaxCountPerDay > MaxTopupCountPerDay {
		fe.Add("max_count_per_day", FCOutOfRange, "max_count_per_day must be an integer from 1 to 1000")
	}
	return fe.Err()
}

// AutoTopup is an account's auto top-up settings with what it has used of
// its caps today and this month (days in the partner's time zone).
type AutoTopup struct {
	AuthID string
	AutoTopupInput
	Currency                   string
	UsedToday, UsedThisMonth   int64
	CountToday, CountThisMonth int
	UpdatedAt                  time.Time
}

// AutoTopupService manages customers' auto top-up, scoped to partnerID.
type AutoTopupService interface {
	SetAutoTopup(ctx context.Context, partnerID, authID string, in AutoTopupInput) (*AutoTopup, error)
	AutoTopup(ctx context.Context, partnerID, authID string) (*AutoTopup, error)
	// DisableAutoTopup turns it off (keeping the settings) and returns them.
	DisableAutoTopup(ctx context.Context, partnerID, authID string) (*AutoTopup, error)
}
