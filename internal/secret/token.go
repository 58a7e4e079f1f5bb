package secret

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
)

// TokenPrefix starts every auth token, so a leaked one is easy to recognise.
const TokenPrefix = "sk_live_"

// tokenRandomLen base62 characters carry about 238 bits of entropy.
const tokenRandomLen = 40

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// NewToken returns a fresh auth token: TokenPrefix plus 40 random base62 characters.
func NewToken() string {
	b := make([]byte, len(TokenPrefix), len(TokenPrefix)+tokenRandomLen)
	copy(b, TokenPrefix)
	var buf [64]byte
	for len(b) < cap(b) {
		rand.Read(buf[:])
		for _, c := range buf {
			// 248 is the largest multiple of 62 that fits in a byte; rejecting
			// bytes at or above it keeps every character equally likely
			// (plain c%62 would favour the first eight).
			if c >= 248 {
				continue
			}
			b = append(b, base62[c%62])
			if len(b) == cap(b) {
				break
			}
		}
	}
	return string(b)
}

// HashToken returns the SHA-256 digest under which a token is stored.
//
// A fast hash is right here, unlike for passwords: a token has ~238 random
// bits, so there is nothing to brute-force, and a slow hash would only make
// every authenticated request slow.
func HashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// TokenMatches reports whether token hashes to hash, in constant time.
func TokenMatches(hash []byte, token string) bool {
	return subtle.ConstantTimeCompare(hash, HashToken(token)) == 1
}
