package partnerd

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// DefaultSIPRealm is the digest realm when the operator sets none
// (partnerd serve --sip-realm).
const DefaultSIPRealm = "partnerd.local"

// SIP endpoint statuses. A deleted endpoint is gone, not a status.
const SIPEndpointActive = "active"

// ECUsernameTaken refuses a SIP username that any endpoint of the server
// already has (409): the switch looks credentials up by username alone.
const ECUsernameTaken = "username_taken"

// SIPEndpoint is one set of a customer's SIP digest credentials, as the
// partner sees it: never the password, never its hashes.
type SIPEndpoint struct {
	ID        string
	AccountID string
	Username  string
	Alias     *string
	// Realm is the digest realm the password was hashed in: the server's
	// --sip-realm when it was set, shown to partners as sip_domain.
	Realm     string
	Status    string
	CreatedAt time.Time
}

// SIPEndpointInput is the body of POST /accounts/{id}/sip-endpoints.
type SIPEndpointInput struct {
	Username string
	Password string
	Alias    *string
}

// SIPPasswordInput is the body of POST …/sip-endpoints/{id}/password.
type SIPPasswordInput struct {
	Password string
}

// SIPCredential is what a switch challenges a SIP client with: the digest
// hashes of its endpoint (lower-case hex) and whose they are.
type SIPCredential struct {
	Username      string
	Realm         string
	HA1           string
	HA1SHA256     string
	AccountAuthID string
	EndpointID    string
}

// SIPService manages customers' SIP endpoints and answers the switch's
// credential lookups. Partner methods are scoped to partnerID: another
// partner's customer is ErrAccountNotFound, an endpoint of another
// customer ECNotFound.
type SIPService interface {
	// CreateSIPEndpoint stores the endpoint with its password's digest
	// hashes in realm (never the password).
	CreateSIPEndpoint(ctx context.Context, partnerID, authID, realm string, in SIPEndpointInput) (*SIPEndpoint, error)
	// ListSIPEndpoints returns one page of the customer's endpoints,
	// newest first, and their number.
	ListSIPEndpoints(ctx context.Context, partnerID, authID string, p Page) ([]*SIPEndpoint, int, error)
	SIPEndpoint(ctx context.Context, partnerID, authID, endpointID string) (*SIPEndpoint, error)
	// DeleteSIPEndpoint removes the endpoint: its credentials stop working
	// at once, and its username may be taken again.
	DeleteSIPEndpoint(ctx context.Context, partnerID, authID, endpointID string) error
	// SetSIPPassword replaces the endpoint's digest hashes with those of
	// the new password in realm.
	SetSIPPassword(ctx context.Context, partnerID, authID, endpointID, realm string, in SIPPasswordInput) (*SIPEndpoint, error)
	// SIPCredential returns the digest credentials of username for the
	// switch, only for an active endpoint of an active account: any other
	// (unknown, deleted, suspended, closed) is ECNotFound, alike.
	SIPCredential(ctx context.Context, username string) (*SIPCredential, error)
}

// Limits of SIP endpoint fields, in characters.
const (
	minSIPUsernameLen = 3
	maxSIPUsernameLen = 64
	maxSIPAliasLen    = 100
)

// Validate checks the username (3–64 of a-z0-9._-), the password (the
// account password policy) and the optional alias (one line, at most 100
// characters; blank is none), reporting every bad field at once.
func (in *SIPEndpointInput) Validate() error {
	var fe FieldErrors
	switch u := in.Username; {
	case u == "":
		fe.Add("username", FCRequired, "username is required")
	case !IsSIPUsername(u):
		fe.Add("username", FCInvalidFormat, "username must be 3 to 64 characters of a-z, 0-9, '.', '_' and '-'")
	}
	validatePassword(&fe, in.Password)
	in.Alias = optionalText(&fe, "alias", in.Alias, lineText, maxSIPAliasLen)
	return fe.Err()
}

// Validate checks the new password against the account password policy.
func (in *SIPPasswordInput) Validate() error {
	var fe FieldErrors
	validatePassword(&fe, in.Password)
	return fe.Err()
}

// IsSIPUsername reports whether u is 3–64 characters of a-z0-9._-, the
// shape of every SIP username (a lookup of anything else needs no database).
func IsSIPUsername(u string) bool {
	if len(u) < minSIPUsernameLen || len(u) > maxSIPUsernameLen {
		return false
	}
	for i := 0; i < len(u); i++ {
		c := u[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// ValidSIPRealm reports whether realm can be a digest realm here: 1–253
// characters of a host name (letters, digits, '.', '-'), so it holds no
// ':' (the separator of the hashed string) and no quote.
func ValidSIPRealm(realm string) bool {
	if realm == "" || len(realm) > 253 {
		return false
	}
	return strings.Trim(realm, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") == ""
}

// DigestHA1 returns HA1 = MD5(username:realm:password) and its SHA-256
// form (RFC 7616), in lower-case hex.
func DigestHA1(username, realm, password string) (ha1, ha1SHA256 string) {
	s := username + ":" + realm + ":" + password
	m := md5.Sum([]byte(s))
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(m[:]), hex.EncodeToString(h[:])
}

// NewSIPEndpointID returns "EP_" and 8 random upper-case alphanumerics
// (the random part of a partner id).
func NewSIPEndpointID() string { return "EP_" + NewPartnerID()[3:] }

// IsSIPEndpointID reports whether s has the shape of an endpoint id.
func IsSIPEndpointID(s string) bool {
	return strings.HasPrefix(s, "EP_") && IsPartnerID("PA_"+s[3:])
}
