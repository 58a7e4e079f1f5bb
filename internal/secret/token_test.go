package secret_test

import (
	"strings"
	"testing"

	"github.com/partnerd/partnerd/internal/secret"
)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

func TestNewTokenShape(t *testing.T) {
	seen := make(map[string]bool)
	for range 1000 {
		tok := secret.NewToken()
		rest, ok := strings.CutPrefix(tok, "sk_live_")
		if !ok {
			t.Fatalf("NewToken() = %q, want prefix sk_live_", tok)
		}
		if got, want := len(rest), 40; got != want {
			t.Fatalf("NewToken() random part has %d characters, want %d", got, want)
		}
		if i := strings.IndexFunc(rest, func(r rune) bool { return !strings.ContainsRune(base62, r) }); i >= 0 {
			t.Fatalf("NewToken() = %q has non-base62 character %q", tok, rest[i])
		}
		if seen[tok] {
			t.Fatalf("NewToken() repeated %q", tok)
		}
		seen[tok] = true
	}
}

// TestNewTokenUniform catches modulo bias: with plain byte%62 the first eight
// characters would come up 25% more often than the rest.
func TestNewTokenUniform(t *testing.T) {
	counts := make(map[rune]int)
	const n = 2000
	for range n {
		for _, r := range strings.TrimPrefix(secret.NewToken(), "sk_live_") {
			counts[r]++
		}
	}
	want := float64(n*40) / 62
	for _, r := range base62 {
		// ±15% is more than 5 standard deviations: it never flakes, yet
		// the biased characters (+21%) would fall outside it.
		if got := float64(counts[r]); got < want*0.85 || got > want*1.15 {
			t.Errorf("character %q appeared %v times, want about %.0f", r, got, want)
		}
	}
}

func TestTokenMatches(t *testing.T) {
	tok := secret.NewToken()
	hash := secret.HashToken(tok)
	if got, want := len(hash), 32; got != want {
		t.Fatalf("len(HashToken) = %d, want %d", got, want)
	}
	if !secret.TokenMatches(hash, tok) {
		t.Errorf("TokenMatches(HashToken(tok), tok) = false, want true")
	}
	if secret.TokenMatches(hash, secret.NewToken()) {
		t.Errorf("TokenMatches with another token = true, want false")
	}
	if secret.TokenMatches(hash, tok[:len(tok)-1]) {
		t.Errorf("TokenMatches with truncated token = true, want false")
	}
	if secret.TokenMatches(nil, tok) {
		t.Errorf("TokenMatches(nil, tok) = true, want false")
	}
}
