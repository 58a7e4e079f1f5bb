package partnerd

import (
	"context"
	"strings"
	"time"
)

// SwitchToken is a credential of a SIP switch (Kamailio, FreeSWITCH…) on
// the switch API: the operator makes one per switch with partnerd
// switch-token create, and the switch sends it as Authorization: Bearer.
// A switch serves every partner, so its token belongs to none.
type SwitchToken struct {
	ID        string
	Name      *string
	CreatedAt time.Time
	// RevokedAt is nil while the token works.
	RevokedAt *time.Time
}

// SwitchCredential is what authenticating a switch token checks: the token
// its hash names and that hash. Like PartnerCredential, the refusal of a
// revoked token and any caching belong to the HTTP layer.
type SwitchCredential struct {
	Token     SwitchToken
	TokenHash []byte
}

// SwitchTokenService manages switch tokens; operator commands drive it,
// authentication reads it.
type SwitchTokenService interface {
	// CreateSwitchToken returns the new token's record and the token
	// itself, which is shown once and stored only as a hash.
	CreateSwitchToken(ctx context.Context, in SwitchTokenInput) (*SwitchToken, string, error)
	// ListSwitchTokens returns every token, revoked ones too, oldest first.
	ListSwitchTokens(ctx context.Context) ([]*SwitchToken, error)
	// RevokeSwitchToken stops the token id from authenticating (an
	// instance that remembered it within its credential cache's second
	// still accepts it until then). Revoking twice keeps the first time.
	// An unknown id is ECNotFound.
	RevokeSwitchToken(ctx context.Context, id string) (*SwitchToken, error)
	// SwitchCredential returns the token whose SHA-256 hash is tokenHash,
	// revoked or not; none is ECNotFound. It reads the database every
	// time: callers cache.
	SwitchCredential(ctx context.Context, tokenHash []byte) (*SwitchCredential, error)
}

// SwitchTokenInput is what the operator gives to create a switch token.
type SwitchTokenInput struct {
	Name *string
}

// maxSwitchTokenNameLen bounds a switch token's name, in characters.
const maxSwitchTokenNameLen = 100

// Validate checks the optional name (one line, at most 100 characters; a
// blank name is no name).
func (in *SwitchTokenInput) Validate() error {
	var fe FieldErrors
	in.Name = optionalText(&fe, "name", in.Name, lineText, maxSwitchTokenNameLen)
	if in.Name != nil && !fe.Has("name") {
		n := strings.TrimSpace(*in.Name)
		in.Name = &n
	}
	return fe.Err()
}

// NewSwitchTokenID returns "ST_" and 8 random upper-case alphanumerics
// (the random part of a partner id).
func NewSwitchTokenID() string { return "ST_" + NewPartnerID()[3:] }

// IsSwitchTokenID reports whether s has the shape of a switch token id.
func IsSwitchTokenID(s string) bool {
	return strings.HasPrefix(s, "ST_") && IsPartnerID("PA_"+s[3:])
}
