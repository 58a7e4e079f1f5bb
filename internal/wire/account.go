package wire

import (
	"encoding/json"
	"time"

	"github.com/partnerd/partnerd"
)

// AccountRequest is the body of POST /accounts. Absent optional fields
// are left out rather than sent as null.
type AccountRequest struct {
	Name        string  `json:"name"`
	Email       string  `json:"email"`
	Password    string  `json:"password"`
	Phone       string  `json:"phone"`
	Country     string  `json:"country"`
	Description *string `json:"description,omitempty"`
	Company     *string `json:"company,omitempty"`
	Address     *string `json:"address,omitempty"`
	City        *string `json:"city,omitempty"`
	State       *string `json:"state,omitempty"`
	ZipCode     *string `json:"zip_code,omitempty"`
	Timezone    *string `json:"timezone,omitempty"`
	GSTIN       *string `json:"gstin,omitempty"`
	GSTStatus   *string `json:"gst_status,omitempty"`
	AccountType *string `json:"account_type,omitempty"`
	// LowBalanceThreshold is the account's own threshold (API.md §8).
	LowBalanceThreshold json.RawMessage `json:"low_balance_threshold,omitempty"`
}

// NewAccountRequest is the body that asks for in, amounts written in
// currency (the partner's).
func NewAccountRequest(in partnerd.AccountInput, currency string) AccountRequest {
	var low json.RawMessage
	if in.LowBalanceThreshold != nil {
		low = Money(*in.LowBalanceThreshold, currency)
	}
	return AccountRequest{
		LowBalanceThreshold: low,
		Name:                in.Name, Email: in.Email, Password: in.Password, Phone: in.Phone, Country: in.Country,
		Description: in.Description, Company: in.Company, Address: in.Address, City: in.City,
		State: in.State, ZipCode: in.ZipCode, Timezone: in.Timezone, GSTIN: in.GSTIN,
		GSTStatus: in.GSTStatus, AccountType: in.AccountType,
	}
}

// AccountCreated is the 201 body of POST /accounts: the published fields
// plus auth_token.
type AccountCreated struct {
	AuthID    string          `json:"auth_id"`
	AuthToken string          `json:"auth_token"`
	Name      string          `json:"name"`
	Email     string          `json:"email"`
	Status    string          `json:"status"`
	Balance   json.RawMessage `json:"balance"`
	Currency  string          `json:"currency"`
	Country   string          `json:"country"`
	Timezone  string          `json:"timezone"`
	CreatedAt time.Time       `json:"created_at"`
}

// NewAccountCreated renders a new account.
func NewAccountCreated(a *partnerd.Account) AccountCreated {
	return AccountCreated{
		AuthID: a.AuthID, AuthToken: a.AuthToken, Name: a.Name, Email: a.Email, Status: a.Status,
		Balance: Money(a.Balance, a.Currency), Currency: a.Currency, Country: a.Country, Timezone: a.Timezone,
		CreatedAt: Time(a.CreatedAt),
	}
}

// Account returns the fields the body holds; the others stay zero.
func (b *AccountCreated) Account(partnerID string) (*partnerd.Account, error) {
	balance, err := ParseMoney(b.Balance, b.Currency)
	if err != nil {
		return nil, err
	}
	return &partnerd.Account{
		AuthID: b.AuthID, PartnerID: partnerID, AuthToken: b.AuthToken, Name: b.Name, Email: b.Email,
		Status: b.Status, Balance: balance, Currency: b.Currency, Country: b.Country, Timezone: b.Timezone,
		CreatedAt: b.CreatedAt,
	}, nil
}

// AccountItem is one row of GET /accounts.
type AccountItem struct {
	AuthID    string          `json:"auth_id"`
	Name      string          `json:"name"`
	Email     string          `json:"email"`
	Status    string          `json:"status"`
	Balance   json.RawMessage `json:"balance"`
	Currency  string          `json:"currency"`
	CreatedAt time.Time       `json:"created_at"`
}

// NewAccountItem renders a list row.
func NewAccountItem(a *partnerd.Account) AccountItem {
	return AccountItem{
		AuthID: a.AuthID, Name: a.Name, Email: a.Email, Status: a.Status, Balance: Money(a.Balance, a.Currency),
		Currency: a.Currency, CreatedAt: Time(a.CreatedAt),
	}
}

// Account returns the fields the row holds; the others stay zero.
func (b *AccountItem) Account(partnerID string) (*partnerd.Account, error) {
	balance, err := ParseMoney(b.Balance, b.Currency)
	if err != nil {
		return nil, err
	}
	return &partnerd.Account{
		AuthID: b.AuthID, PartnerID: partnerID, Name: b.Name, Email: b.Email, Status: b.Status,
		Balance: balance, Currency: b.Currency, CreatedAt: b.CreatedAt,
	}, nil
}

// AccountProfile is the full profile of GET /accounts/{id}.
type AccountProfile struct {
	AuthID    string  `json:"auth_id"`
	AuthToken string  `json:"auth_token"`
	Name      string  `json:"name"`
	Email     string  `json:"email"`
	Phone     string  `json:"phone"`
	Company   *string `json:"company"`
	Status    string  `json:"status"`
	// StatusReason is the reason given for a suspension (API.md §6), null
	// otherwise.
	StatusReason *string         `json:"status_reason"`
	Balance      json.RawMessage `json:"balance"`
	Currency     string          `json:"currency"`
	GSTIN        *string         `json:"gstin"`
	GSTStatus    *string         `json:"gst_status"`
	Country      string          `json:"country"`
	Timezone     string          `json:"timezone"`
	CreatedAt    time.Time       `json:"created_at"`
	Description  *string         `json:"description"`
	Address      *string         `json:"address"`
	City         *string         `json:"city"`
	State        *string         `json:"state"`
	ZipCode      *string         `json:"zip_code"`
	AccountType  string          `json:"account_type"`
	UpdatedAt    time.Time       `json:"updated_at"`
	// LowBalanceThreshold is the balance under which balance.low fires:
	// the account's own, else its partner's (API.md §8).
	LowBalanceThreshold json.RawMessage `json:"low_balance_threshold"`
}

// NewAccountProfile renders a customer's full profile.
func NewAccountProfile(a *partnerd.Account) AccountProfile {
	return AccountProfile{
		AuthID: a.AuthID, AuthToken: a.AuthToken, Name: a.Name, Email: a.Email, Phone: a.Phone,
		Company: a.Company, Status: a.Status, StatusReason: a.StatusReason, Balance: Money(a.Balance, a.Currency), Currency: a.Currency,
		GSTIN: a.GSTIN, GSTStatus: a.GSTStatus, Country: a.Country, Timezone: a.Timezone,
		CreatedAt: Time(a.CreatedAt), Description: a.Description, Address: a.Address, City: a.City,
		State: a.State, ZipCode: a.ZipCode, AccountType: a.AccountType, UpdatedAt: Time(a.UpdatedAt),
		LowBalanceThreshold: Money(a.LowBalanceThreshold, a.Currency),
	}
}

// OwnProfile is the customer's own profile (GET /api/v1/Account/{auth_id}):
// the partner's view of it without auth_token.
type OwnProfile struct {
	AuthID       string          `json:"auth_id"`
	Name         string          `json:"name"`
	Email        string          `json:"email"`
	Phone        string          `json:"phone"`
	Company      *string         `json:"company"`
	Status       string          `json:"status"`
	StatusReason *string         `json:"status_reason"`
	Balance      json.RawMessage `json:"balance"`
	Currency     string          `json:"currency"`
	GSTIN        *string         `json:"gstin"`
	GSTStatus    *string         `json:"gst_status"`
	Country      string          `json:"country"`
	Timezone     string          `json:"timezone"`
	CreatedAt    time.Time       `json:"created_at"`
	Description  *string         `json:"description"`
	Address      *string         `json:"address"`
	City         *string         `json:"city"`
	State        *string         `json:"state"`
	ZipCode      *string         `json:"zip_code"`
	AccountType  string          `json:"account_type"`
	UpdatedAt    time.Time       `json:"updated_at"`
	// LowBalanceThreshold: as in AccountProfile.
	LowBalanceThreshold json.RawMessage `json:"low_balance_threshold"`
}

// NewOwnProfile renders a customer's profile for the customer.
func NewOwnProfile(a *partnerd.Account) OwnProfile {
	p := NewAccountProfile(a)
	return OwnProfile{
		AuthID: p.AuthID, Name: p.Name, Email: p.Email, Phone: p.Phone, Company: p.Company, Status: p.Status,
		StatusReason: p.StatusReason, Balance: p.Balance, Currency: p.Currency, GSTIN: p.GSTIN, GSTStatus: p.GSTStatus,
		Country: p.Country, Timezone: p.Timezone, CreatedAt: p.CreatedAt, Description: p.Description,
		Address: p.Address, City: p.City, State: p.State, ZipCode: p.ZipCode, AccountType: p.AccountType,
		UpdatedAt: p.UpdatedAt, LowBalanceThreshold: p.LowBalanceThreshold,
	}
}

// AccountToken is the body of POST /accounts/{id}/rotate-token.
type AccountToken struct {
	AuthID    string `json:"auth_id"`
	AuthToken string `json:"auth_token"`
}

// Account returns every field of the profile; BalanceUpdatedAt stays zero.
func (b *AccountProfile) Account(partnerID string) (*partnerd.Account, error) {
	balance, err := ParseMoney(b.Balance, b.Currency)
	if err != nil {
		return nil, err
	}
	low, err := ParseMoney(b.LowBalanceThreshold, b.Currency)
	if err != nil {
		return nil, err
	}
	return &partnerd.Account{
		AuthID: b.AuthID, PartnerID: partnerID, Name: b.Name, Email: b.Email, Phone: b.Phone,
		Country: b.Country, Description: b.Description, Company: b.Company, Address: b.Address,
		City: b.City, State: b.State, ZipCode: b.ZipCode, Timezone: b.Timezone, GSTIN: b.GSTIN,
		GSTStatus: b.GSTStatus, AccountType: b.AccountType, Status: b.Status, StatusReason: b.StatusReason, Currency: b.Currency,
		Balance: balance, AuthToken: b.AuthToken, CreatedAt: b.CreatedAt, UpdatedAt: b.UpdatedAt,
		LowBalanceThreshold: low,
	}, nil
}

// AccountBalance is the body of GET /accounts/{id}/balance.
type AccountBalance struct {
	AuthID      string          `json:"auth_id"`
	Name        string          `json:"name"`
	Balance     json.RawMessage `json:"balance"`
	Currency    string          `json:"currency"`
	LastUpdated time.Time       `json:"last_updated"`
	// Beyond the published page (API.md §5): the part of balance held for
	// live calls, and what is left to spend otherwise.
	Reserved  json.RawMessage `json:"reserved"`
	Available json.RawMessage `json:"available"`
}

// NewAccountBalance renders a customer's wallet.
func NewAccountBalance(a *partnerd.Account) AccountBalance {
	return AccountBalance{
		AuthID: a.AuthID, Name: a.Name, Balance: Money(a.Balance, a.Currency), Currency: a.Currency,
		LastUpdated: Time(a.BalanceUpdatedAt),
		Reserved:    Money(a.Reserved, a.Currency), Available: Money(a.Balance-a.Reserved, a.Currency),
	}
}

// Account returns an Account with only AuthID, Name, Balance, Currency,
// BalanceUpdatedAt and Reserved set.
func (b *AccountBalance) Account(partnerID string) (*partnerd.Account, error) {
	balance, err := ParseMoney(b.Balance, b.Currency)
	if err != nil {
		return nil, err
	}
	var reserved int64
	if b.Reserved != nil {
		if reserved, err = ParseMoney(b.Reserved, b.Currency); err != nil {
			return nil, err
		}
	}
	return &partnerd.Account{
		AuthID: b.AuthID, PartnerID: partnerID, Name: b.Name, Balance: balance, Currency: b.Currency,
		BalanceUpdatedAt: b.LastUpdated, Reserved: reserved,
	}, nil
}

// AppendJSON appends b as encoding/json writes it, and a newline: built by
// hand because it is the API's hottest response (encoding/json's
// reflection was a tenth of the request's time in the server).
func (b AccountBalance) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"auth_id":`...)
	dst = AppendString(dst, b.AuthID, true)
	dst = append(dst, `,"name":`...)
	dst = AppendString(dst, b.Name, true)
	dst = append(dst, `,"balance":`...)
	dst = append(dst, b.Balance...)
	dst = append(dst, `,"currency":`...)
	dst = AppendString(dst, b.Currency, true)
	dst = append(dst, `,"last_updated":"`...)
	dst = b.LastUpdated.AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, `","reserved":`...)
	dst = append(dst, b.Reserved...)
	dst = append(dst, `,"available":`...)
	dst = append(dst, b.Available...)
	return append(dst, "}\n"...)
}
