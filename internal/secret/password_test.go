package secret_test

import (
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/partnerd/partnerd/internal/secret"
)

func mustHashPassword(t *testing.T, pw string) string {
	t.Helper()
	h, err := secret.HashPassword(pw)
	if err != nil {
		t.Fatalf("HashPassword: %v", err)
	}
	return h
}

var phcRE = regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)

func TestPasswordRoundTrip(t *testing.T) {
	h := mustHashPassword(t, "correct horse battery staple")
	if !phcRE.MatchString(h) {
		t.Errorf("HashPassword = %q, want form %s", h, phcRE)
	}
	if strings.Contains(h, "correct horse") {
		t.Errorf("HashPassword output contains the password")
	}
	ok, err := secret.VerifyPassword(h, "correct horse battery staple")
	if err != nil || !ok {
		t.Errorf("VerifyPassword(right password) = %v, %v; want true, nil", ok, err)
	}
	ok, err = secret.VerifyPassword(h, "correct horse battery stapler")
	if err != nil || ok {
		t.Errorf("VerifyPassword(wrong password) = %v, %v; want false, nil", ok, err)
	}
	if h2 := mustHashPassword(t, "correct horse battery staple"); h2 == h {
		t.Errorf("two hashes of the same password are equal; want different salts")
	}
}

// TestVerifyPasswordOtherParams checks that parameters are read from the
// string, not assumed: this hash uses m=8192,t=1,p=2 and a 16-byte key.
func TestVerifyPasswordOtherParams(t *testing.T) {
	// argon2.IDKey([]byte("pw"), []byte("0123456789abcdef"), 1, 8192, 2, 16)
	const h = "$argon2id$v=19$m=8192,t=1,p=2$MDEyMzQ1Njc4OWFiY2RlZg$4/36BkzV8JCyXDGEdR1jxA"
	ok, err := secret.VerifyPassword(h, "pw")
	if err != nil || !ok {
		t.Errorf("VerifyPassword = %v, %v; want true, nil", ok, err)
	}
}

func TestVerifyPasswordMalformed(t *testing.T) {
	h := mustHashPassword(t, "pw")
	f := strings.Split(h, "$") // "", argon2id, v=19, m=…, salt, hash
	join := func(parts ...string) string { return strings.Join(parts, "$") }
	tests := []struct {
		name, encoded string
	}{
		{"empty", ""},
		{"garbage", "not a hash"},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"argon2i", join("", "argon2i", f[2], f[3], f[4], f[5])},
		{"old version", join("", "argon2id", "v=16", f[3], f[4], f[5])},
		{"missing version", join("", "argon2id", f[3], f[4], f[5])},
		{"extra field", h + "$x"},
		{"params order", join("", "argon2id", f[2], "t=2,m=19456,p=1", f[4], f[5])},
		{"params not numbers", join("", "argon2id", f[2], "m=x,t=2,p=1", f[4], f[5])},
		{"negative", join("", "argon2id", f[2], "m=19456,t=-2,p=1", f[4], f[5])},
		{"zero time", join("", "argon2id", f[2], "m=19456,t=0,p=1", f[4], f[5])},
		{"zero threads", join("", "argon2id", f[2], "m=19456,t=2,p=0", f[4], f[5])},
		{"threads overflow", join("", "argon2id", f[2], "m=19456,t=2,p=256", f[4], f[5])},
		{"huge memory", join("", "argon2id", f[2], "m=4294967295,t=2,p=1", f[4], f[5])},
		{"huge time", join("", "argon2id", f[2], "m=19456,t=100000,p=1", f[4], f[5])},
		{"salt not base64", join("", "argon2id", f[2], f[3], "!!!!", f[5])},
		{"salt padded", join("", "argon2id", f[2], f[3], f[4]+"==", f[5])},
		{"salt empty", join("", "argon2id", f[2], f[3], "", f[5])},
		{"hash empty", join("", "argon2id", f[2], f[3], f[4], "")},
		{"hash short", join("", "argon2id", f[2], f[3], f[4], f[5][:8])},
		{"hash not base64", join("", "argon2id", f[2], f[3], f[4], strings.Repeat("*", 43))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := secret.VerifyPassword(tt.encoded, "pw")
			if ok || !errors.Is(err, secret.ErrMalformedHash) {
				t.Errorf("VerifyPassword = %v, %v; want false, ErrMalformedHash", ok, err)
			}
		})
	}
}

// TestVerifyPasswordTamperedHash: a well-formed string whose hash bytes
// changed is a mismatch, not an error.
func TestVerifyPasswordTamperedHash(t *testing.T) {
	h := mustHashPassword(t, "pw")
	i := strings.LastIndex(h, "$") + 1
	c := byte('A')
	if h[i] == 'A' {
		c = 'B'
	}
	tampered := h[:i] + string(c) + h[i+1:]
	ok, err := secret.VerifyPassword(tampered, "pw")
	if err != nil || ok {
		t.Errorf("VerifyPassword(tampered) = %v, %v; want false, nil", ok, err)
	}
}

func TestHashPasswordConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			h, err := secret.HashPassword("pw")
			if err != nil {
				t.Errorf("HashPassword: %v", err)
				return
			}
			if ok, err := secret.VerifyPassword(h, "pw"); !ok || err != nil {
				t.Errorf("VerifyPassword = %v, %v; want true, nil", ok, err)
			}
		})
	}
	wg.Wait()
}
