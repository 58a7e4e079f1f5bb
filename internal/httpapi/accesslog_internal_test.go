package httpapi

import (
	"bytes"
	"context"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestAccessLineLikeSlog checks that a hand-built access line is the line
// the slog JSON handler writes for the same request, byte for byte apart
// from the time's digits.
func TestAccessLineLikeSlog(t *testing.T) {
	reTime := regexp.MustCompile(`^\{"time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)",`)
	for _, a := range []accessLine{
		{method: "GET", route: "GET /api/v1/partner/accounts/{customer_auth_id}/balance", path: "/api/v1/partner/accounts/MA_48149cf4/balance",
			status: 200, duration: 1234567 * time.Nanosecond, bytes: 118, requestID: "req_0123456789abcdef01234567", partnerID: "PA_ABCDEFGH"},
		{method: "POST", path: "/no/such/\"route\"\\\n\r\t\x00\x1f\x7f<&>é\u2028\u2029\xff\xc3(", status: 404,
			duration: 999 * time.Hour, requestID: "client.id-1"},
		{method: "GET", path: "", status: 500, duration: 0, requestID: "x"},
	} {
		var sl bytes.Buffer
		s := &Server{log: slog.New(slog.NewJSONHandler(&sl, nil))}
		s.logRequest(context.Background(), &a)
		a.time = time.Now()
		got, want := string(a.appendTo(nil)), sl.String()
		if !reTime.MatchString(got) || !reTime.MatchString(want) {
			t.Fatalf("lines do not start with a time:\n hand: %s slog: %s", got, want)
		}
		got, want = reTime.ReplaceAllString(got, ""), reTime.ReplaceAllString(want, "")
		if got != want {
			t.Errorf("hand-built line differs from slog's:\n hand: %s slog: %s", got, want)
		}
	}
}

// TestLineWriterWholeLines checks that the access log never splits a line
// and writes every line before Close returns.
func TestLineWriterWholeLines(t *testing.T) {
	var out chunks
	l := newLineWriter(&out)
	var want strings.Builder
	for i := range 3000 {
		line := strings.Repeat("x", i%700) + "\n"
		want.WriteString(line)
		l.write([]byte(line))
	}
	long := strings.Repeat("y", 3*maxLogChunk) + "\n"
	want.WriteString(long)
	l.write([]byte(long))
	l.close()
	if got := strings.Join(out.list, ""); got != want.String() {
		t.Fatalf("wrote %d bytes, want %d in order", len(got), want.Len())
	}
	for i, c := range out.list {
		if !strings.HasSuffix(c, "\n") || len(c) > maxLogChunk && strings.Count(c, "\n") > 1 {
			t.Errorf("write %d (%d bytes, %d lines) is not whole lines of at most %d bytes or one long line", i, len(c), strings.Count(c, "\n"), maxLogChunk)
		}
	}
}

// chunks records each write. Only the lineWriter's goroutine writes before
// close, and close waits for it.
type chunks struct{ list []string }

func (c *chunks) Write(b []byte) (int, error) {
	c.list = append(c.list, string(b))
	return len(b), nil
}
