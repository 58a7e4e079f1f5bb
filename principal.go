package partnerd

// PrincipalKind is the kind of credential a caller authenticated with.
type PrincipalKind uint8

// The kinds of caller. A customer (its MA_ id and auth_token) and a
// console session are each one more kind here, one more lookup in a
// service, and one more function in the HTTP layer's authentication.
const (
	// PrincipalPartner is a partner calling with its PA_ id and token.
	PrincipalPartner PrincipalKind = iota + 1
	// PrincipalSwitch is a SIP switch calling the switch API with a
	// switch token (Authorization: Bearer).
	PrincipalSwitch
	// PrincipalCustomer is a customer calling its own read-only API
	// (API.md §6) with its MA_ id and auth_token.
	PrincipalCustomer
)

// String names the kind, as in logs.
func (k PrincipalKind) String() string {
	switch k {
	case PrincipalPartner:
		return "partner"
	case PrincipalSwitch:
		return "switch"
	case PrincipalCustomer:
		return "customer"
	}
	return "unknown"
}

// Principal is an authenticated caller: who is calling, and within which
// partner. Every caller but a switch acts within exactly one partner, so
// PartnerID and Partner are set for them; kinds that name something
// narrower (a customer) add its id. A switch serves every partner: its
// PartnerID is empty, Partner nil, and SwitchTokenID names its token. A
// Principal is shared by the requests that authenticate with the same
// credentials: treat it as read-only.
type Principal struct {
	Kind PrincipalKind
	// PartnerID is the partner the caller acts within.
	PartnerID string
	// Partner is that partner's identity (id, name, email, company, status,
	// currency, created_at) as authentication read it; not its balance.
	Partner *Partner
	// SwitchTokenID is the token a switch authenticated with.
	SwitchTokenID string
	// AccountID is the customer a PrincipalCustomer is.
	AccountID string
}

// PartnerCredential is what authenticating a partner checks against: its
// identity and the SHA-256 hash of its token. The comparison, the refusal
// of an inactive partner and any caching belong to the caller (the HTTP
// layer), so that they are written once for every kind of principal.
type PartnerCredential struct {
	// Partner is the identity, without balance or account count.
	Partner   Partner
	TokenHash []byte
}

// AccountCredential is what authenticating a customer checks against: its
// status, its partner's identity (a customer acts within its partner) and
// the SHA-256 hash of its token.
type AccountCredential struct {
	AuthID    string
	Status    string
	Partner   Partner
	TokenHash []byte
}
