package httpapi

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/secret"
)

// Authentication lives in this file, whatever the kind of caller: reading
// the credentials of a request, checking them (constant-time, the same
// answer for an unknown id and a wrong token), refusing an inactive
// principal, and remembering recent successes. The store only looks
// credentials up. A new kind of principal is one lookup function of the
// shape of lookupPartner, chosen in authenticate.

// credentialTTL is how long a successful authentication is remembered.
// Every request authenticates, so this spares the database one query per
// request; a token rotated or a partner suspended by another instance (or
// by an operator command) is refused at most this much later. The instance
// that makes such a change calls ForgetCredentials and refuses it at once.
const credentialTTL = time.Second

// credentialCacheSize bounds the remembered authentications (about 200
// bytes each): past it, expired entries are dropped, then arbitrary ones.
const credentialCacheSize = 10_000

// principalKey is the cache key of a credential: its kind and id together
// with the hash of the token, so that a different token for the same id
// never hits.
type principalKey struct {
	kind      partnerd.PrincipalKind
	id        string
	tokenHash [sha256.Size]byte
}

type cachedPrincipal struct {
	p     *partnerd.Principal
	until time.Time
}

// credentialCache remembers successful authentications for credentialTTL.
// Failures (a wrong token, an unknown id, an inactive partner) are never
// remembered.
type credentialCache struct {
	now func() time.Time
	mu  sync.RWMutex
	m   map[principalKey]cachedPrincipal
	// forgets counts ForgetCredentials calls, so that an authentication
	// that read the database before one does not remember what it read.
	forgets uint64
}

func (c *credentialCache) get(k principalKey) *partnerd.Principal {
	c.mu.RLock()
	e, ok := c.m[k]
	c.mu.RUnlock()
	if !ok || !c.now().Before(e.until) {
		return nil
	}
	return e.p
}

// generation returns the count of forgets, to pass to put.
func (c *credentialCache) generation() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.forgets
}

// put remembers p unless a forget happened since gen was read.
func (c *credentialCache) put(k principalKey, p *partnerd.Principal, gen uint64) {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.forgets {
		return
	}
	if c.m == nil {
		c.m = make(map[principalKey]cachedPrincipal)
	}
	if len(c.m) >= credentialCacheSize {
		for k, e := range c.m {
			if !now.Before(e.until) {
				delete(c.m, k)
			}
		}
		for k := range c.m {
			if len(c.m) < credentialCacheSize {
				break
			}
			delete(c.m, k) // map order is arbitrary: an arbitrary victim
		}
	}
	c.m[k] = cachedPrincipal{p: p, until: now.Add(credentialTTL)}
}

// forget drops every remembered principal acting within partnerID.
func (c *credentialCache) forget(partnerID string) {
	c.forgetWhere(func(p *partnerd.Principal) bool {
		return p.Kind != partnerd.PrincipalSwitch && p.PartnerID == partnerID
	})
}

// forgetWhere drops every remembered principal that match reports.
func (c *credentialCache) forgetWhere(match func(*partnerd.Principal) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.forgets++
	for k, e := range c.m {
		if match(e.p) {
			delete(c.m, k)
		}
	}
}

// ForgetCredentials makes the next request of partnerID, or of any caller
// acting within it, authenticate against the database again. Call it
// after rotating a token or changing a status; other instances notice
// within credentialTTL.
func (s *Server) ForgetCredentials(partnerID string) {
	s.credentials.forget(partnerID)
}

// ForgetSwitchToken makes the next request with switch token id
// authenticate against the database again. Call it after revoking the
// token; other instances, and operator commands (partnerd switch-token
// revoke), take effect within credentialTTL.
func (s *Server) ForgetSwitchToken(id string) {
	s.credentials.forgetWhere(func(p *partnerd.Principal) bool { return p.Kind == partnerd.PrincipalSwitch && p.SwitchTokenID == id })
}

// credential is what a lookup found for an id: the principal it would
// authenticate, the hash its token must match, and the refusal to give
// once the token matched (an inactive partner), if any.
type credential struct {
	principal *partnerd.Principal
	tokenHash []byte
	refuse    error
}

// errUnknownID is a lookup's answer for an id that names nothing.
var errUnknownID = errors.New("unknown credential id")

// dummyTokenHash is compared against when the id is unknown, so that an
// unknown id costs the same work as a wrong token.
var dummyTokenHash = secret.HashToken("sk_live_dummy")

// authenticate returns the principal of the request's X-Auth-ID and
// X-Auth-Token.
func (s *Server) authenticate(r *http.Request) (*partnerd.Principal, error) {
	if err := onceEach(r, "X-Auth-ID", "X-Auth-Token"); err != nil {
		return nil, err
	}
	id, token := r.Header.Get("X-Auth-ID"), r.Header.Get("X-Auth-Token")
	if id == "" || token == "" {
		return nil, partnerd.Errorf(partnerd.ECMissingCredentials, "Send your partner id in X-Auth-ID and your token in X-Auth-Token.")
	}
	// Later kinds are chosen here by the shape of the id (a customer's
	// MA_… with lookupAccount, say), each with its own lookup.
	return s.check(r.Context(), partnerd.PrincipalPartner, id, token, s.lookupPartner)
}

// onceEach refuses credentials sent twice: which of two X-Auth-Token
// values counts is a guess a proxy in front may make differently, so
// neither does (401, a failed authentication like a wrong token).
func onceEach(r *http.Request, headers ...string) error {
	for _, h := range headers {
		if len(r.Header.Values(h)) > 1 {
			return partnerd.Errorf(partnerd.ECInvalidCredentials, "%s was sent more than once; send it once.", h)
		}
	}
	return nil
}

// check authenticates id and token with lookup, through the cache.
func (s *Server) check(ctx context.Context, kind partnerd.PrincipalKind, id, token string,
	lookup func(context.Context, string) (*credential, error)) (*partnerd.Principal, error) {
	// The same digest as secret.HashToken, into an array for the key.
	k := principalKey{kind: kind, id: id, tokenHash: sha256.Sum256([]byte(token))}
	if p := s.credentials.get(k); p != nil {
		return p, nil
	}
	gen := s.credentials.generation()
	c, err := lookup(ctx, id)
	if errors.Is(err, errUnknownID) {
		subtle.ConstantTimeCompare(dummyTokenHash, k.tokenHash[:])
		return nil, errInvalidCredentials(kind)
	}
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare(c.tokenHash, k.tokenHash[:]) != 1 {
		return nil, errInvalidCredentials(kind)
	}
	if c.refuse != nil {
		return nil, c.refuse
	}
	s.credentials.put(k, c.principal, gen)
	return c.principal, nil
}

// errInvalidCredentials is the one answer for an unknown id and a wrong
// token: it never says which part was wrong. A switch token (which has no
// id) gets it unknown or revoked alike.
func errInvalidCredentials(kind partnerd.PrincipalKind) error {
	switch kind {
	case partnerd.PrincipalSwitch:
		return partnerd.Errorf(partnerd.ECInvalidCredentials, "The bearer token is not a valid switch token.")
	case partnerd.PrincipalCustomer:
		return partnerd.Errorf(partnerd.ECInvalidCredentials, "The X-Auth-ID and X-Auth-Token do not match any customer account.")
	}
	return partnerd.Errorf(partnerd.ECInvalidCredentials, "The X-Auth-ID and X-Auth-Token do not match any partner.")
}

// lookupPartner reads a partner's credential.
func (s *Server) lookupPartner(ctx context.Context, id string) (*credential, error) {
	pc, err := s.partners.PartnerCredential(ctx, id)
	if partnerd.ErrorCode(err) == partnerd.ECNotFound {
		return nil, errUnknownID
	}
	if err != nil {
		return nil, err
	}
	p := pc.Partner
	c := &credential{
		principal: &partnerd.Principal{Kind: partnerd.PrincipalPartner, PartnerID: p.ID, Partner: &p},
		tokenHash: pc.TokenHash,
	}
	if p.Status != partnerd.StatusActive {
		c.refuse = partnerd.Errorf(partnerd.ECPartnerInactive, "Partner %s is %s.", p.ID, p.Status)
	}
	return c, nil
}

// partner authenticates the request before running h, which then finds
// the caller with principalFrom (or partnerFrom).
func (s *Server) partner(h handlerFunc) http.Handler {
	return s.as(partnerd.PrincipalPartner, s.authenticate, h)
}

// as authenticates the request with authenticate, the way callers of kind
// sign in, within the rate limits (ratelimit.go), before running h.
func (s *Server) as(kind partnerd.PrincipalKind, authenticate func(*http.Request) (*partnerd.Principal, error), h handlerFunc) http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		p, err := s.admit(w, r, kind, authenticate)
		if err != nil {
			return err
		}
		info(r.Context()).principal = p
		if !s.noAudit {
			r = audited(r, p)
		}
		return h(w, r)
	})
}

// authenticateSwitch returns the switch principal of the request's
// Authorization: Bearer token. The switch API takes nothing else, and the
// partner API never reads Authorization, so each refuses the other's
// credentials with 401.
func (s *Server) authenticateSwitch(r *http.Request) (*partnerd.Principal, error) {
	if err := onceEach(r, "Authorization"); err != nil {
		return nil, err
	}
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	token = strings.TrimSpace(token)
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		return nil, partnerd.Errorf(partnerd.ECMissingCredentials, "Send your switch token as Authorization: Bearer TOKEN.")
	}
	return s.check(r.Context(), partnerd.PrincipalSwitch, "", token, func(ctx context.Context, _ string) (*credential, error) {
		return s.lookupSwitch(ctx, token)
	})
}

// lookupSwitch reads the credential of a switch token. It is found by its
// hash, so the token has no id of its own to send; an unknown token and a
// revoked one get the same answer.
func (s *Server) lookupSwitch(ctx context.Context, token string) (*credential, error) {
	if s.switches == nil {
		return nil, errUnknownID
	}
	sc, err := s.switches.SwitchCredential(ctx, secret.HashToken(token))
	if partnerd.ErrorCode(err) == partnerd.ECNotFound {
		return nil, errUnknownID
	}
	if err != nil {
		return nil, err
	}
	c := &credential{
		principal: &partnerd.Principal{Kind: partnerd.PrincipalSwitch, SwitchTokenID: sc.Token.ID},
		tokenHash: sc.TokenHash,
	}
	if sc.Token.RevokedAt != nil {
		c.refuse = errInvalidCredentials(partnerd.PrincipalSwitch)
	}
	return c, nil
}

// switchAPI authenticates a switch before running h.
func (s *Server) switchAPI(h handlerFunc) http.Handler {
	return s.as(partnerd.PrincipalSwitch, s.authenticateSwitch, h)
}

// principalFrom returns the authenticated caller of the request.
func principalFrom(ctx context.Context) *partnerd.Principal {
	return info(ctx).principal
}

// partnerFrom returns the partner the request's caller acts within.
func partnerFrom(ctx context.Context) *partnerd.Partner {
	if p := principalFrom(ctx); p != nil {
		return p.Partner
	}
	return nil
}

// authenticateCustomer returns the customer principal of the request's
// X-Auth-ID (an MA_ id) and X-Auth-Token, for the customer's own API
// (API.md §6). A partner's id is as unknown here as a customer's is on
// the partner API: 401 either way.
func (s *Server) authenticateCustomer(r *http.Request) (*partnerd.Principal, error) {
	if err := onceEach(r, "X-Auth-ID", "X-Auth-Token"); err != nil {
		return nil, err
	}
	id, token := r.Header.Get("X-Auth-ID"), r.Header.Get("X-Auth-Token")
	if id == "" || token == "" {
		return nil, partnerd.Errorf(partnerd.ECMissingCredentials, "Send your customer auth_id in X-Auth-ID and your auth_token in X-Auth-Token.")
	}
	lookup := s.lookupAccount
	if !partnerd.IsAccountID(id) || s.lifecycle == nil {
		lookup = func(context.Context, string) (*credential, error) { return nil, errUnknownID }
	}
	return s.check(r.Context(), partnerd.PrincipalCustomer, id, token, lookup)
}

// lookupAccount reads a customer's credential. A closed account's token
// is dead (the same answer as a wrong one); a suspended account, or one
// whose partner is inactive, is refused with 403 once its token matched.
func (s *Server) lookupAccount(ctx context.Context, id string) (*credential, error) {
	ac, err := s.lifecycle.AccountCredential(ctx, id)
	if partnerd.ErrorCode(err) == partnerd.ECNotFound {
		return nil, errUnknownID
	}
	if err != nil {
		return nil, err
	}
	p := ac.Partner
	c := &credential{
		principal: &partnerd.Principal{Kind: partnerd.PrincipalCustomer, PartnerID: p.ID, Partner: &p, AccountID: ac.AuthID},
		tokenHash: ac.TokenHash,
	}
	switch {
	case ac.Status == partnerd.StatusClosed:
		c.refuse = errInvalidCredentials(partnerd.PrincipalCustomer)
	case ac.Status == partnerd.StatusSuspended:
		c.refuse = partnerd.Errorf(partnerd.ECAccountSuspended, "Customer account %s is suspended; ask your provider.", ac.AuthID)
	case p.Status != partnerd.StatusActive:
		c.refuse = partnerd.Errorf(partnerd.ECPartnerInactive, "The provider of customer account %s is %s.", ac.AuthID, p.Status)
	}
	return c, nil
}

// customer authenticates a customer before running h.
func (s *Server) customer(h handlerFunc) http.Handler {
	return s.as(partnerd.PrincipalCustomer, s.authenticateCustomer, h)
}
