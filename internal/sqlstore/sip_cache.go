package sqlstore

import (
	"sync"
	"time"

	"github.com/partnerd/partnerd"
)

// sipCredentialTTL is how long SIPCredential remembers a credential it
// found, by the rule partner credentials follow (internal/httpapi's
// credentialTTL): the switch asks before every call and every REGISTER,
// and a lookup through the database cost half of the request's time
// (BenchmarkSIPCredentials). A change this store makes (an endpoint
// deleted or given a new password, an account suspended or closed)
// forgets every remembered credential once it committed, so it applies
// to the next lookup; one made by another instance or an operator
// command applies within this.
const sipCredentialTTL = time.Second

// sipCredentialCacheSize bounds the remembered credentials (a few hundred
// bytes each): past it the cache starts again empty.
const sipCredentialCacheSize = 100_000

// sipCredentialCache remembers found credentials by username. Misses are
// never remembered, so a new endpoint authenticates at once.
type sipCredentialCache struct {
	mu sync.RWMutex
	m  map[string]cachedSIPCredential
	// forgets counts forgetAll calls, so that a lookup that read the
	// database before one does not remember what it read.
	forgets uint64
}

type cachedSIPCredential struct {
	c     partnerd.SIPCredential
	until time.Time
}

func (c *sipCredentialCache) get(username string, now time.Time) (*partnerd.SIPCredential, bool) {
	c.mu.RLock()
	e, ok := c.m[username]
	c.mu.RUnlock()
	if !ok || !now.Before(e.until) || now.Add(sipCredentialTTL).Before(e.until) {
		return nil, false
	}
	cred := e.c
	return &cred, true
}

// generation returns the count of forgets, to pass to put.
func (c *sipCredentialCache) generation() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.forgets
}

// put remembers cred, read at now, unless a forget happened since gen was
// read.
func (c *sipCredentialCache) put(cred *partnerd.SIPCredential, gen uint64, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.forgets {
		return
	}
	if c.m == nil || len(c.m) >= sipCredentialCacheSize {
		c.m = make(map[string]cachedSIPCredential)
	}
	c.m[cred.Username] = cachedSIPCredential{c: *cred, until: now.Add(sipCredentialTTL)}
}

// forgetAll drops every remembered credential. The changes that call it
// are rare (a deleted endpoint, a new password, a status change), so it
// need not know which usernames they touched.
func (c *sipCredentialCache) forgetAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.forgets++
	c.m = nil
}

// forgetSIPCredentials makes every next SIPCredential read the database:
// called after a write that may have changed who authenticates has
// returned (committed, or not), so no lookup caches what it replaced.
func (db *DB) forgetSIPCredentials() { db.sipCache.forgetAll() }
