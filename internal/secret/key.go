package secret

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// ErrInvalidKey means PARTNERD_SECRET_KEY or the key file does not hold a
// 32-byte key in an accepted encoding.
var ErrInvalidKey = errors.New("secret: invalid key")

// ErrKeyFileMode means the key file is readable or writable by more than its owner.
var ErrKeyFileMode = errors.New("secret: key file permissions too open")

// LoadKey returns the Box key, as ReadKey does, except that a key file
// that does not exist yet is created with a fresh random key and mode 0600.
func LoadKey(envValue string, keyFile string) ([]byte, error) {
	key, err := ReadKey(envValue, keyFile)
	if envValue == "" && keyFile != "" && errors.Is(err, fs.ErrNotExist) {
		return createKeyFile(keyFile)
	}
	return key, err
}

// ReadKey returns the Box key. envValue is the content of
// PARTNERD_SECRET_KEY: when non-empty it must be 64 hex characters or
// base64 (standard or URL alphabet, padded or not) of exactly 32 bytes.
// Otherwise the key comes from keyFile; an error wrapping fs.ErrNotExist
// means there is no such file.
func ReadKey(envValue string, keyFile string) ([]byte, error) {
	if envValue != "" {
		return parseEnvKey(envValue)
	}
	if keyFile == "" {
		return nil, errors.New("secret: no key: set PARTNERD_SECRET_KEY or configure a key file")
	}
	return readKeyFile(keyFile)
}

// parseEnvKey decodes PARTNERD_SECRET_KEY. Its errors give the length but
// never the value, and never wrap decoder errors, which quote bad bytes.
func parseEnvKey(v string) ([]byte, error) {
	v = strings.TrimSpace(v)
	// Hex first: 64 hex characters are also valid base64 (of 48 bytes).
	if len(v) == hex.EncodedLen(KeySize) {
		if key, err := hex.DecodeString(v); err == nil {
			return key, nil
		}
	}
	encodings := []*base64.Encoding{
		base64.StdEncoding, base64.RawStdEncoding,
		base64.URLEncoding, base64.RawURLEncoding,
	}
	for _, enc := range encodings {
		if key, err := enc.DecodeString(v); err == nil && len(key) == KeySize {
			return key, nil
		}
	}
	return nil, fmt.Errorf("%w: PARTNERD_SECRET_KEY (%d characters) must be 64 hex characters or base64 of exactly %d bytes",
		ErrInvalidKey, len(v), KeySize)
}

// readKeyFile reads a key file: 64 hex characters and an optional newline.
// A damaged file is an error, never replaced: a new key would make every
// stored customer token undecryptable.
func readKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("secret: key file %s is not a regular file", path)
	}
	// Windows reports every file as 0666; its ACLs are out of our reach.
	if perm := fi.Mode().Perm(); perm&^0o600 != 0 && runtime.GOOS != "windows" {
		return nil, fmt.Errorf("%w: %s has mode %#o, want 0600 (chmod 600 %s)", ErrKeyFileMode, path, perm, path)
	}
	b, err := io.ReadAll(io.LimitReader(f, 1024))
	if err != nil {
		return nil, fmt.Errorf("secret: reading key file: %w", err)
	}
	s := strings.TrimRight(string(b), "\r\n")
	key, err := hex.DecodeString(s)
	if err != nil || len(key) != KeySize {
		return nil, fmt.Errorf("%w: key file %s must hold %d hex characters", ErrInvalidKey, path, hex.EncodedLen(KeySize))
	}
	return key, nil
}

// createKeyFile writes a fresh key to a 0600 temporary file (created with
// O_EXCL), fsyncs it, then hard-links it into place. The link fails if the
// name exists, so when two processes start at once exactly one key wins and
// the loser reads it; and unlike writing the final name directly, nobody can
// ever read a half-written file.
func createKeyFile(path string) ([]byte, error) {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("secret: creating key file: %w", err)
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName)
	if err := writeSynced(tmp, hex.EncodeToString(key)+"\n"); err != nil {
		return nil, fmt.Errorf("secret: writing key file: %w", err)
	}
	err = os.Link(tmpName, path)
	if errors.Is(err, fs.ErrExist) {
		return readKeyFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("secret: creating key file: %w", err)
	}
	os.Remove(tmpName)
	syncDir(dir)
	return key, nil
}

// writeSynced writes s to f, forces mode 0600 whatever the umask, fsyncs and closes f.
func writeSynced(f *os.File, s string) error {
	err := f.Chmod(0o600)
	if err == nil {
		_, err = f.WriteString(s)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncDir makes the new directory entry durable, so a crash just after first
// start cannot lose the key that tokens were already encrypted under. Best
// effort: some platforms cannot fsync a directory.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	d.Sync()
	d.Close()
}
