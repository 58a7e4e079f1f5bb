package secret_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/partnerd/partnerd/internal/secret"
)

func mustBox(t *testing.T, key []byte) *secret.Box {
	t.Helper()
	b, err := secret.NewBox(key)
	if err != nil {
		t.Fatalf("NewBox: %v", err)
	}
	return b
}

func testKey(fill byte) []byte {
	return bytes.Repeat([]byte{fill}, secret.KeySize)
}

func TestNewBoxKeySize(t *testing.T) {
	for _, n := range []int{0, 16, 24, 31, 33, 64} {
		if _, err := secret.NewBox(make([]byte, n)); err == nil {
			t.Errorf("NewBox(%d-byte key) succeeded, want error", n)
		}
	}
}

func TestBoxRoundTrip(t *testing.T) {
	b := mustBox(t, testKey(1))
	for _, pt := range [][]byte{[]byte("sk_live_abc"), {}, bytes.Repeat([]byte("x"), 4096)} {
		ct := b.Seal(pt)
		if got, want := ct[0], byte(0x01); got != want {
			t.Errorf("Seal()[0] = %#x, want %#x", got, want)
		}
		if got, want := len(ct), 1+12+len(pt)+16; got != want {
			t.Errorf("len(Seal(%d bytes)) = %d, want %d", len(pt), got, want)
		}
		if len(pt) > 0 && bytes.Contains(ct, pt) {
			t.Errorf("Seal output contains the plaintext")
		}
		got, err := b.Open(ct)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if !bytes.Equal(got, pt) {
			t.Errorf("Open(Seal(%q)) = %q", pt, got)
		}
	}
	if bytes.Equal(b.Seal([]byte("same")), b.Seal([]byte("same"))) {
		t.Errorf("two seals of the same plaintext are equal; want fresh nonces")
	}
}

func TestBoxAdditionalData(t *testing.T) {
	b := mustBox(t, testKey(2))
	pt := []byte("sk_live_token")
	ct := b.SealWith(pt, []byte("MA_48149cf4"))
	got, err := b.OpenWith(ct, []byte("MA_48149cf4"))
	if err != nil || !bytes.Equal(got, pt) {
		t.Errorf("OpenWith(same aad) = %q, %v; want %q, nil", got, err, pt)
	}
	if _, err := b.OpenWith(ct, []byte("MA_00000000")); !errors.Is(err, secret.ErrDecrypt) {
		t.Errorf("OpenWith(other aad) error = %v, want ErrDecrypt", err)
	}
	if _, err := b.Open(ct); !errors.Is(err, secret.ErrDecrypt) {
		t.Errorf("Open(sealed with aad) error = %v, want ErrDecrypt", err)
	}
	if _, err := b.OpenWith(b.Seal(pt), []byte("MA_48149cf4")); !errors.Is(err, secret.ErrDecrypt) {
		t.Errorf("OpenWith(sealed without aad) error = %v, want ErrDecrypt", err)
	}
}

func TestBoxTampered(t *testing.T) {
	b := mustBox(t, testKey(3))
	ct := b.Seal([]byte("sk_live_token"))
	for i := range ct {
		bad := bytes.Clone(ct)
		bad[i] ^= 0x01
		if got, err := b.Open(bad); !errors.Is(err, secret.ErrDecrypt) || got != nil {
			t.Errorf("Open(byte %d flipped) = %q, %v; want nil, ErrDecrypt", i, got, err)
		}
	}
	if _, err := mustBox(t, testKey(4)).Open(ct); !errors.Is(err, secret.ErrDecrypt) {
		t.Errorf("Open with another key: error = %v, want ErrDecrypt", err)
	}
	if _, err := b.Open(append(bytes.Clone(ct), 0)); !errors.Is(err, secret.ErrDecrypt) {
		t.Errorf("Open(extra byte) error = %v, want ErrDecrypt", err)
	}
}

func TestBoxShortCiphertext(t *testing.T) {
	b := mustBox(t, testKey(5))
	ct := b.Seal(nil)
	for n := range len(ct) {
		if _, err := b.Open(ct[:n]); !errors.Is(err, secret.ErrDecrypt) {
			t.Errorf("Open(%d bytes) error = %v, want ErrDecrypt", n, err)
		}
	}
	if _, err := b.Open(nil); !errors.Is(err, secret.ErrDecrypt) {
		t.Errorf("Open(nil) error = %v, want ErrDecrypt", err)
	}
}
