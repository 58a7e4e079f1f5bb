package secret

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// ErrMalformedHash is returned by VerifyPassword for an encoded hash it cannot parse.
var ErrMalformedHash = errors.New("secret: malformed password hash")

// argonParams are the argon2id cost parameters recorded in a PHC string.
type argonParams struct {
	memory  uint32 // KiB
	time    uint32
	threads uint8
}

// defaultParams are OWASP's argon2id recommendation (Password Storage Cheat Sheet).
var defaultParams = argonParams{memory: 19 * 1024, time: 2, threads: 1}

const (
	saltLen = 16
	keyLen  = 32
)

// Upper bounds for parameters read back from a stored hash, so a corrupt
// row cannot make VerifyPassword allocate gigabytes or spin for minutes.
const (
	maxMemory  = 256 * 1024 // KiB
	maxTime    = 16
	maxThreads = 16
)

// b64 is the PHC string encoding: standard alphabet, no padding. Strict
// rejects non-zero trailing bits, so every hash has exactly one spelling.
var b64 = base64.RawStdEncoding.Strict()

// argonSlots bounds concurrent argon2 runs: each one holds ~19 MiB, and a
// burst of logins must not multiply that without limit.
var argonSlots = make(chan struct{}, runtime.NumCPU())

func argonKey(pw, salt []byte, p argonParams, n uint32) []byte {
	argonSlots <- struct{}{}
	defer func() { <-argonSlots }()
	return argon2.IDKey(pw, salt, p.time, p.memory, p.threads, n)
}

// HashPassword returns pw hashed with argon2id, as a PHC string
// "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>".
func HashPassword(pw string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	p := defaultParams
	key := argonKey([]byte(pw), salt, p, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.memory, p.time, p.threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword reports whether pw matches encoded, a PHC string from
// HashPassword. The parameters come from encoded, so hashes made with older
// costs keep verifying. A wrong password is (false, nil); an unparsable
// encoded is an error wrapping ErrMalformedHash.
func VerifyPassword(encoded, pw string) (bool, error) {
	p, salt, want, err := parsePHC(encoded)
	if err != nil {
		return false, err
	}
	got := argonKey([]byte(pw), salt, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// parsePHC splits "$argon2id$v=19$m=…,t=…,p=…$salt$hash". Error messages
// name the bad part but never repeat the string.
func parsePHC(s string) (p argonParams, salt, key []byte, err error) {
	bad := func(what string) (argonParams, []byte, []byte, error) {
		return argonParams{}, nil, nil, fmt.Errorf("%w: %s", ErrMalformedHash, what)
	}
	f := strings.Split(s, "$")
	if len(f) != 6 || f[0] != "" {
		return bad("want $argon2id$v=…$m=…,t=…,p=…$salt$hash")
	}
	if f[1] != "argon2id" {
		return bad("algorithm is not argon2id")
	}
	if f[2] != "v="+strconv.Itoa(argon2.Version) {
		return bad("unsupported argon2 version")
	}
	kv := strings.Split(f[3], ",")
	if len(kv) != 3 {
		return bad("want parameters m=…,t=…,p=…")
	}
	m, okM := parseParam(kv[0], "m=", 32)
	t, okT := parseParam(kv[1], "t=", 32)
	th, okP := parseParam(kv[2], "p=", 8)
	if !okM || !okT || !okP {
		return bad("want parameters m=…,t=…,p=…")
	}
	// argon2 needs at least 8 KiB of memory per lane.
	if t < 1 || t > maxTime || th < 1 || th > maxThreads || m < 8*th || m > maxMemory {
		return bad("parameters out of range")
	}
	p = argonParams{memory: uint32(m), time: uint32(t), threads: uint8(th)}
	if salt, err = b64.DecodeString(f[4]); err != nil || len(salt) < 8 || len(salt) > 64 {
		return bad("bad salt")
	}
	if key, err = b64.DecodeString(f[5]); err != nil || len(key) < 16 || len(key) > 64 {
		return bad("bad hash")
	}
	return p, salt, key, nil
}

func parseParam(s, prefix string, bits int) (uint64, bool) {
	v, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(v, 10, bits)
	return n, err == nil
}
