package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"fmt"
)

// KeySize is the length in bytes of a Box key (AES-256).
const KeySize = 32

// ErrDecrypt is returned by Open for any ciphertext that does not
// authenticate: tampered, truncated, sealed under another key or other
// additional data, or of an unknown format version.
var ErrDecrypt = errors.New("secret: cannot decrypt")

// boxVersion is the first byte of every sealed value, so the format can
// change later without guessing which rows were written by which code.
const boxVersion byte = 0x01

// Box encrypts small secrets, such as customer auth tokens, for storage.
// A sealed value is: version byte 0x01 | 12-byte random nonce | AES-256-GCM
// ciphertext and tag. A Box is safe for concurrent use.
type Box struct {
	aead cipher.AEAD
}

// NewBox returns a Box using key, which must be KeySize bytes.
func NewBox(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secret: box key is %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	// Random 96-bit nonces are safe for up to 2^32 seals per key, far more
	// tokens than one server will ever store.
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, err
	}
	return &Box{aead: aead}, nil
}

// Seal encrypts plaintext with no additional data.
func (b *Box) Seal(plaintext []byte) []byte {
	return b.SealWith(plaintext, nil)
}

// Open decrypts a value from Seal.
func (b *Box) Open(ciphertext []byte) ([]byte, error) {
	return b.OpenWith(ciphertext, nil)
}

// SealWith encrypts plaintext bound to aad (for example the account id), so
// the result opens only with the same aad and cannot be copied to another row.
func (b *Box) SealWith(plaintext, aad []byte) []byte {
	out := make([]byte, 1, 1+b.aead.Overhead()+len(plaintext))
	out[0] = boxVersion
	return b.aead.Seal(out, nil, plaintext, aad)
}

// OpenWith decrypts a value from SealWith with the same aad. Every failure
// is ErrDecrypt.
func (b *Box) OpenWith(ciphertext, aad []byte) ([]byte, error) {
	if len(ciphertext) < 1+b.aead.Overhead() || ciphertext[0] != boxVersion {
		return nil, ErrDecrypt
	}
	plaintext, err := b.aead.Open(nil, nil, ciphertext[1:], aad)
	if err != nil {
		return nil, ErrDecrypt
	}
	return plaintext, nil
}
