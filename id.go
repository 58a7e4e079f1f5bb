package partnerd

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"time"
)

const upperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// NewPartnerID returns "PA_" and 8 random upper-case alphanumerics.
func NewPartnerID() string {
	var b strings.Builder
	b.WriteString("PA_")
	var buf [1]byte
	for b.Len() < 11 {
		rand.Read(buf[:])
		// 252 = 7×36: rejecting larger bytes keeps the choice unbiased.
		if buf[0] < 252 {
			b.WriteByte(upperAlnum[buf[0]%36])
		}
	}
	return b.String()
}

// NewAccountID returns "MA_" and 8 random lower-case hex digits, as MA_48149cf4.
func NewAccountID() string {
	var buf [4]byte
	rand.Read(buf[:])
	return "MA_" + hex.EncodeToString(buf[:])
}

// NewTransactionID returns "txn_" and a suffix that sorts by creation time:
// 48 bits of milliseconds then 80 random bits, in lower-case hex.
func NewTransactionID(now time.Time) string {
	var buf [16]byte
	binary.BigEndian.PutUint64(buf[:8], uint64(now.UnixMilli())<<16)
	rand.Read(buf[6:])
	return "txn_" + hex.EncodeToString(buf[:])
}

// IsPartnerID reports whether s has the shape of a partner id.
func IsPartnerID(s string) bool {
	if len(s) != 11 || !strings.HasPrefix(s, "PA_") {
		return false
	}
	for i := 3; i < len(s); i++ {
		if !strings.ContainsRune(upperAlnum, rune(s[i])) {
			return false
		}
	}
	return true
}

// IsAccountID reports whether s has the shape of a customer auth_id.
func IsAccountID(s string) bool {
	if len(s) != 11 || !strings.HasPrefix(s, "MA_") {
		return false
	}
	for i := 3; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
