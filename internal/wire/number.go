package wire

import (
	"encoding/json"
	"time"

	"github.com/partnerd/partnerd"
)

// NumberRequest is the body of POST /accounts/{id}/numbers.
type NumberRequest struct {
	Number string `json:"number"`
}

// Number is a row of GET /accounts/{id}/numbers (API.md §5). expires_at is
// always null: numbers renew monthly until released. application_id is
// null until applications exist.
type Number struct {
	Number        string          `json:"number"`
	NumberType    string          `json:"number_type"`
	Country       string          `json:"country"`
	Region        *string         `json:"region"`
	Status        string          `json:"status"`
	ApplicationID *string         `json:"application_id"`
	MonthlyCost   json.RawMessage `json:"monthly_cost"`
	Currency      string          `json:"currency"`
	AssignedAt    *time.Time      `json:"assigned_at"`
	ExpiresAt     *time.Time      `json:"expires_at"`
}

// NumberItem is a row of GET /numbers and the 201 body of an assignment:
// a Number with the customer renting it (both null when available).
type NumberItem struct {
	Number
	AccountAuthID *string `json:"account_auth_id"`
	AccountName   *string `json:"account_name"`
}

// NewNumber renders a number as a customer's list shows it.
func NewNumber(n *partnerd.Number) Number {
	var assigned *time.Time
	if n.AssignedAt != nil {
		t := Time(*n.AssignedAt)
		assigned = &t
	}
	return Number{
		Number: n.Number, NumberType: n.Type, Country: n.Country, Region: n.Region, Status: n.Status,
		MonthlyCost: Money(n.MonthlyCost, n.Currency), Currency: n.Currency, AssignedAt: assigned,
	}
}

// NewNumberItem renders a number with its customer.
func NewNumberItem(n *partnerd.Number) NumberItem {
	return NumberItem{Number: NewNumber(n), AccountAuthID: n.AccountAuthID, AccountName: n.AccountName}
}

// PartnerNumber returns the row as the domain type. PaidUntil is not in
// the row and stays nil.
func (b *Number) PartnerNumber(partnerID string) (*partnerd.Number, error) {
	cost, err := ParseMoney(b.MonthlyCost, b.Currency)
	if err != nil {
		return nil, err
	}
	return &partnerd.Number{
		Number: b.Number, PartnerID: partnerID, Type: b.NumberType, Country: b.Country, Region: b.Region,
		MonthlyCost: cost, Currency: b.Currency, Status: b.Status, AssignedAt: b.AssignedAt,
	}, nil
}

// PartnerNumber returns the row, with its customer, as the domain type.
func (b *NumberItem) PartnerNumber(partnerID string) (*partnerd.Number, error) {
	n, err := b.Number.PartnerNumber(partnerID)
	if err != nil {
		return nil, err
	}
	n.AccountAuthID, n.AccountName = b.AccountAuthID, b.AccountName
	return n, nil
}
