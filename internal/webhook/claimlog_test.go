package webhook

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// A claim that fails every poll (the database down) logs its first
// failure, then at most one a minute counting the others, and then its
// recovery once; claims failing by turns log no more than that.
func TestClaimFailuresLogged(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	var f claimFailures
	t0 := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	down := errors.New("connection refused")
	f.note(log, nil, t0)
	for i := range 120 { // two minutes of one poll a second
		f.note(log, down, t0.Add(time.Duration(i)*time.Second))
	}
	f.note(log, nil, t0.Add(121*time.Second))
	f.note(log, nil, t0.Add(122*time.Second))
	// Then claims that fail and succeed by turns (a disk nearly full):
	// one failure logged, one recovery, and nothing more for a minute.
	for i := range 50 {
		var err error
		if i%2 == 0 {
			err = down
		}
		f.note(log, err, t0.Add(time.Duration(200+i)*time.Second))
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	want := []string{
		"level=ERROR msg=\"webhook claim failed; deliveries wait (retrying every poll)\" err=\"connection refused\" failed_claims=1 unlogged_since_last=0",
		"level=ERROR msg=\"webhook claim failed; deliveries wait (retrying every poll)\" err=\"connection refused\" failed_claims=61 unlogged_since_last=59",
		"level=INFO msg=\"webhook claims work again\" failed_claims=120",
		"level=ERROR msg=\"webhook claim failed; deliveries wait (retrying every poll)\" err=\"connection refused\" failed_claims=1 unlogged_since_last=0",
		"level=INFO msg=\"webhook claims work again\" failed_claims=1",
	}
	if len(lines) != len(want) {
		t.Fatalf("logged %d lines, want %d:\n%s", len(lines), len(want), buf.String())
	}
	for i, l := range lines {
		if _, rest, _ := strings.Cut(l, " "); rest != want[i] { // past time=…
			t.Errorf("line %d = %s\nwant       %s", i+1, rest, want[i])
		}
	}
}
