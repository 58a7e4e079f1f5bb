package wire

import (
	"time"

	"github.com/partnerd/partnerd"
)

// SIPEndpointRequest is the body of POST /accounts/{id}/sip-endpoints.
type SIPEndpointRequest struct {
	Username string  `json:"username"`
	Password string  `json:"password"`
	Alias    *string `json:"alias,omitempty"`
}

// NewSIPEndpointRequest is the body that asks for in.
func NewSIPEndpointRequest(in partnerd.SIPEndpointInput) SIPEndpointRequest {
	return SIPEndpointRequest{Username: in.Username, Password: in.Password, Alias: in.Alias}
}

// SIPPasswordRequest is the body of POST …/sip-endpoints/{id}/password.
type SIPPasswordRequest struct {
	Password string `json:"password"`
}

// SIPEndpoint is an endpoint as partners see it (create, get, list rows,
// password change): never the password or its hashes.
type SIPEndpoint struct {
	EndpointID string    `json:"endpoint_id"`
	Username   string    `json:"username"`
	Alias      *string   `json:"alias"`
	SIPDomain  string    `json:"sip_domain"`
	Status     string    `json:"status"`
	CreatedAt  time.Time `json:"created_at"`
}

// NewSIPEndpoint renders an endpoint.
func NewSIPEndpoint(e *partnerd.SIPEndpoint) SIPEndpoint {
	return SIPEndpoint{
		EndpointID: e.ID, Username: e.Username, Alias: e.Alias, SIPDomain: e.Realm, Status: e.Status,
		CreatedAt: Time(e.CreatedAt),
	}
}

// SIPEndpoint returns the endpoint the body describes, as a customer's.
func (b *SIPEndpoint) SIPEndpoint(authID string) *partnerd.SIPEndpoint {
	return &partnerd.SIPEndpoint{
		ID: b.EndpointID, AccountID: authID, Username: b.Username, Alias: b.Alias, Realm: b.SIPDomain,
		Status: b.Status, CreatedAt: b.CreatedAt,
	}
}

// SIPCredential is the body of GET /api/v1/switch/sip-credentials/{username}.
type SIPCredential struct {
	Username      string `json:"username"`
	Realm         string `json:"realm"`
	HA1           string `json:"ha1"`
	HA1SHA256     string `json:"ha1_sha256"`
	AccountAuthID string `json:"account_auth_id"`
	EndpointID    string `json:"endpoint_id"`
}

// NewSIPCredential renders a switch's credential lookup.
func NewSIPCredential(c *partnerd.SIPCredential) SIPCredential {
	return SIPCredential{
		Username: c.Username, Realm: c.Realm, HA1: c.HA1, HA1SHA256: c.HA1SHA256,
		AccountAuthID: c.AccountAuthID, EndpointID: c.EndpointID,
	}
}

// SIPCredential returns the credential the body holds.
func (b *SIPCredential) SIPCredential() *partnerd.SIPCredential {
	return &partnerd.SIPCredential{
		Username: b.Username, Realm: b.Realm, HA1: b.HA1, HA1SHA256: b.HA1SHA256,
		AccountAuthID: b.AccountAuthID, EndpointID: b.EndpointID,
	}
}

// AppendJSON appends b as encoding/json writes it, and a newline: built by
// hand because the switch asks it before every call (see AccountBalance).
func (b SIPCredential) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"username":`...)
	dst = AppendString(dst, b.Username, true)
	dst = append(dst, `,"realm":`...)
	dst = AppendString(dst, b.Realm, true)
	dst = append(dst, `,"ha1":`...)
	dst = AppendString(dst, b.HA1, true)
	dst = append(dst, `,"ha1_sha256":`...)
	dst = AppendString(dst, b.HA1SHA256, true)
	dst = append(dst, `,"account_auth_id":`...)
	dst = AppendString(dst, b.AccountAuthID, true)
	dst = append(dst, `,"endpoint_id":`...)
	dst = AppendString(dst, b.EndpointID, true)
	return append(dst, "}\n"...)
}
