package wire

import (
	"encoding/json"
	"time"

	"github.com/partnerd/partnerd"
)

// AutoTopup is the body of GET, PUT and DELETE /accounts/{id}/auto-topup.
type AutoTopup struct {
	AuthID         string          `json:"auth_id"`
	Enabled        bool            `json:"enabled"`
	Threshold      json.RawMessage `json:"threshold"`
	TargetBalance  json.RawMessage `json:"target_balance"`
	MaxPerDay      json.RawMessage `json:"max_per_day"`
	MaxPerMonth    json.RawMessage `json:"max_per_month"`
	MaxCountPerDay int             `json:"max_count_per_day"`
	Currency       string          `json:"currency"`
	Usage          TopupUsage      `json:"usage"`
	UpdatedAt      time.Time       `json:"updated_at"`
}

// TopupUsage is what the top-ups of today and this month used of the caps.
type TopupUsage struct {
	Today     TopupUse `json:"today"`
	ThisMonth TopupUse `json:"this_month"`
}

// TopupUse is an amount topped up and the number of top-ups.
type TopupUse struct {
	Amount json.RawMessage `json:"amount"`
	Count  int             `json:"count"`
}

// NewAutoTopup renders an account's auto top-up.
func NewAutoTopup(a *partnerd.AutoTopup) AutoTopup {
	m := func(v int64) json.RawMessage { return Money(v, a.Currency) }
	return AutoTopup{
		AuthID: a.AuthID, Enabled: a.Enabled, Threshold: m(a.Threshold), TargetBalance: m(a.TargetBalance),
		MaxPerDay: m(a.MaxPerDay), MaxPerMonth: m(a.MaxPerMonth), MaxCountPerDay: a.MaxCountPerDay, Currency: a.Currency,
		Usage: TopupUsage{
			Today:     TopupUse{Amount: m(a.UsedToday), Count: a.CountToday},
			ThisMonth: TopupUse{Amount: m(a.UsedThisMonth), Count: a.CountThisMonth},
		},
		UpdatedAt: Time(a.UpdatedAt),
	}
}
