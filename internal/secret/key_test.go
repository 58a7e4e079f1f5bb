package secret_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/partnerd/partnerd/internal/secret"
)

func TestLoadKeyFromEnv(t *testing.T) {
	want := make([]byte, 32)
	for i := range want {
		want[i] = byte(i * 7)
	}
	tests := []struct{ name, env string }{
		{"hex", hex.EncodeToString(want)},
		{"hex upper", strings.ToUpper(hex.EncodeToString(want))},
		{"hex newline", hex.EncodeToString(want) + "\n"},
		{"base64 std", base64.StdEncoding.EncodeToString(want)},
		{"base64 raw std", base64.RawStdEncoding.EncodeToString(want)},
		{"base64 url", base64.URLEncoding.EncodeToString(want)},
		{"base64 raw url", base64.RawURLEncoding.EncodeToString(want)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The key file must not be touched when the env value is set.
			keyFile := filepath.Join(t.TempDir(), "secret.key")
			got, err := secret.LoadKey(tt.env, keyFile)
			if err != nil {
				t.Fatalf("LoadKey: %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("LoadKey = %x, want %x", got, want)
			}
			if _, err := os.Stat(keyFile); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("key file stat error = %v, want it not created", err)
			}
		})
	}
}

func TestLoadKeyBadEnv(t *testing.T) {
	tests := []struct{ name, env string }{
		{"hex 31 bytes", hex.EncodeToString(make([]byte, 31))},
		{"hex 33 bytes", hex.EncodeToString(make([]byte, 33))},
		{"hex bad char", strings.Repeat("g", 64)},
		{"base64 16 bytes", base64.StdEncoding.EncodeToString(make([]byte, 16))},
		{"base64 48 bytes", base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xff}, 48))},
		{"password", "hunter2-my-secret-password"},
		{"spaces", "   "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, err := secret.LoadKey(tt.env, filepath.Join(t.TempDir(), "secret.key"))
			if !errors.Is(err, secret.ErrInvalidKey) {
				t.Fatalf("LoadKey = %x, %v; want ErrInvalidKey", key, err)
			}
			if v := strings.TrimSpace(tt.env); v != "" && strings.Contains(err.Error(), v) {
				t.Errorf("error %q repeats the env value", err)
			}
		})
	}
}

func TestLoadKeyNoSource(t *testing.T) {
	if key, err := secret.LoadKey("", ""); err == nil {
		t.Errorf("LoadKey(\"\", \"\") = %x, nil; want error", key)
	}
}

// TestReadKeyCreatesNothing: ReadKey reads a key file but never makes
// one; a missing file is fs.ErrNotExist, so the caller decides.
func TestReadKeyCreatesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret.key")
	if key, err := secret.ReadKey("", path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("ReadKey(missing file) = %x, %v; want fs.ErrNotExist", key, err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("ReadKey made %s (stat: %v)", path, err)
	}
	want, err := secret.LoadKey("", path)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := secret.ReadKey("", path); err != nil || !bytes.Equal(got, want) {
		t.Errorf("ReadKey after LoadKey = %x, %v; want the key LoadKey made", got, err)
	}
}

func TestLoadKeyCreatesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret.key")
	key, err := secret.LoadKey("", path)
	if err != nil {
		t.Fatalf("LoadKey: %v", err)
	}
	if got, want := len(key), 32; got != want {
		t.Fatalf("len(key) = %d, want %d", got, want)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fi.Mode().Perm(), os.FileMode(0o600); got != want && runtime.GOOS != "windows" {
		t.Errorf("key file mode = %#o, want %#o", got, want)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), hex.EncodeToString(key)+"\n"; got != want {
		t.Errorf("key file content = %q, want %q", got, want)
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the key file (temporary file left behind?)", len(entries))
	}

	again, err := secret.LoadKey("", path)
	if err != nil {
		t.Fatalf("LoadKey again: %v", err)
	}
	if !bytes.Equal(again, key) {
		t.Errorf("second LoadKey = %x, want the first key %x", again, key)
	}
	if other, err := secret.LoadKey("", filepath.Join(t.TempDir(), "secret.key")); err != nil || bytes.Equal(other, key) {
		t.Errorf("LoadKey in another directory = %x, %v; want a different key", other, err)
	}
}

func TestLoadKeyConcurrentCreate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret.key")
	const n = 16
	keys := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { keys[i], errs[i] = secret.LoadKey("", path) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("LoadKey #%d: %v", i, errs[i])
		}
		if !bytes.Equal(keys[i], keys[0]) {
			t.Errorf("LoadKey #%d = %x, want %x like #0", i, keys[i], keys[0])
		}
	}
}

func TestLoadKeyReadsExistingFile(t *testing.T) {
	want := bytes.Repeat([]byte{0xab}, 32)
	for _, content := range []string{hex.EncodeToString(want), hex.EncodeToString(want) + "\n"} {
		path := mustWriteKeyFile(t, content, 0o600)
		got, err := secret.LoadKey("", path)
		if err != nil {
			t.Fatalf("LoadKey(file %q): %v", content, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("LoadKey = %x, want %x", got, want)
		}
	}
	path := mustWriteKeyFile(t, hex.EncodeToString(want), 0o400)
	if _, err := secret.LoadKey("", path); err != nil {
		t.Errorf("LoadKey(file mode 0400): %v, want nil", err)
	}
}

func TestLoadKeyBadFile(t *testing.T) {
	for _, content := range []string{"", "\n", hex.EncodeToString(make([]byte, 16)), strings.Repeat("z", 64), base64.StdEncoding.EncodeToString(make([]byte, 32))} {
		path := mustWriteKeyFile(t, content, 0o600)
		if key, err := secret.LoadKey("", path); !errors.Is(err, secret.ErrInvalidKey) {
			t.Errorf("LoadKey(file %q) = %x, %v; want ErrInvalidKey", content, key, err)
		}
		// A damaged key file must be left alone, not replaced by a new key.
		if b, err := os.ReadFile(path); err != nil || string(b) != content {
			t.Errorf("key file now holds %q, %v; want it unchanged", b, err)
		}
	}
}

func TestLoadKeyOpenPermissions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permissions on Windows")
	}
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o660, 0o700, 0o666} {
		path := mustWriteKeyFile(t, hex.EncodeToString(make([]byte, 32)), mode)
		if key, err := secret.LoadKey("", path); !errors.Is(err, secret.ErrKeyFileMode) {
			t.Errorf("LoadKey(file mode %#o) = %x, %v; want ErrKeyFileMode", mode, key, err)
		}
	}
}

func TestLoadKeyDirectory(t *testing.T) {
	if key, err := secret.LoadKey("", t.TempDir()); err == nil {
		t.Errorf("LoadKey(directory) = %x, nil; want error", key)
	}
}

func mustWriteKeyFile(t *testing.T, content string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "secret.key")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	// Chmod after writing: WriteFile's mode is filtered by the umask.
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}
