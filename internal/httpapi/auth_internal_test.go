package httpapi

import (
	"strconv"
	"testing"
	"time"

	"github.com/partnerd/partnerd"
)

// TestCredentialCacheBound checks the documented bound of the credential
// cache: never more than credentialCacheSize entries, expired ones going
// first.
func TestCredentialCacheBound(t *testing.T) {
	now := time.Date(2026, 3, 25, 10, 0, 0, 0, time.UTC)
	c := &credentialCache{now: func() time.Time { return now }}
	p := &partnerd.Principal{Kind: partnerd.PrincipalPartner, PartnerID: "PA_AAAAAAAA"}
	key := func(i int) principalKey { return principalKey{id: "PA_" + strconv.Itoa(i)} }
	for i := range credentialCacheSize + 100 {
		c.put(key(i), p, c.generation())
		if len(c.m) > credentialCacheSize {
			t.Fatalf("after %d puts the cache holds %d entries, want at most %d", i+1, len(c.m), credentialCacheSize)
		}
	}
	if c.get(key(credentialCacheSize+99)) == nil {
		t.Errorf("the newest entry was evicted")
	}
	// Once they have expired, a full cache drops them all.
	now = now.Add(credentialTTL)
	c.put(key(-1), p, c.generation())
	if len(c.m) != 1 || c.get(key(-1)) == nil {
		t.Errorf("after expiry the cache holds %d entries, want only the new one", len(c.m))
	}
	// A lookup that began before a forget is not remembered.
	gen := c.generation()
	c.forget("PA_ZZZZZZZZ")
	c.put(key(-2), p, gen)
	if c.get(key(-2)) != nil {
		t.Errorf("an entry read before a forget was remembered")
	}
}
