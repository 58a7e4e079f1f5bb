package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// afterForwarding is a proxy to s that forwards the requests match
// selects and answers them with fail instead of the server's answer, as a
// proxy or network that fails after the server acted; only the first
// limit of them (0: all). Other requests pass.
func afterForwarding(t *testing.T, s *server, limit int32, match func(*http.Request) bool, fail http.HandlerFunc) string {
	t.Helper()
	u, _ := url.Parse(s.url)
	proxy := httputil.NewSingleHostReverseProxy(u)
	var n atomic.Int32
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !match(r) || (limit > 0 && n.Add(1) > limit) {
			proxy.ServeHTTP(w, r)
			return
		}
		proxy.ServeHTTP(httptest.NewRecorder(), r)
		fail(w, r)
	}))
	t.Cleanup(front.Close)
	return front.URL
}

// hangUp closes the connection without an answer.
func hangUp(t *testing.T) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		conn.Close()
	}
}

// gateway answers as a proxy does, without a partnerd error body.
func gateway(status int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { http.Error(w, http.StatusText(status), status) }
}

func transfers(r *http.Request) bool {
	return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/transfer-balance")
}

var reRetryKey = regexp.MustCompile(`Run the same command again with --idempotency-key (pdc_\S+) to finish it safely\.`)

// TestLostAnswerNamesKey: a transfer whose every answer is lost exits 3
// naming its Idempotency-Key, and running it again with that key moves
// the money once.
func TestLostAnswerNamesKey(t *testing.T) {
	s := mustServer(t)
	s.mustFund(t, 1000_00)
	id := s.mustCustomer(t, "Lossy")
	for name, fail := range map[string]http.HandlerFunc{"hang-up": hangUp(t), "502": gateway(http.StatusBadGateway)} {
		front := s.via(afterForwarding(t, s, 0, transfers, fail))
		r := front.ctl(t, "transfer", id, "100.00")
		m := reRetryKey.FindStringSubmatch(r.stderr)
		if r.code != exitNoAnswer || m == nil || !strings.Contains(r.stderr, "the transfer may or may not have been made") ||
			!strings.Contains(r.stderr, "no answer from "+front.url) {
			t.Fatalf("%s: transfer with its answers lost: exit %d, stderr:\n%s\nwant exit 3 naming the key", name, r.code, r.stderr)
		}
		r = s.mustOK(t, "transfer", "--idempotency-key", m[1], id, "100.00")
		if !strings.Contains(r.stderr, "already made this movement") {
			t.Errorf("%s: the transfer again under its key: stderr %q, want the replay noted", name, r.stderr)
		}
	}
	r := s.mustOK(t, "balance", "--output", "json", id)
	if got := mustJSON(t, r.stdout)["balance"]; got != json.Number("200.00") {
		t.Errorf("balance after two transfers each finished under its key = %v, want 200.00 (each moved once)", got)
	}
}

// TestGatewayRetried: a proxy's 504 after the server made the transfer is
// retried under the same key; the stored answer comes back, exit 0, and
// the replay is not taken for an earlier command's.
func TestGatewayRetried(t *testing.T) {
	s := mustServer(t)
	s.mustFund(t, 1000_00)
	id := s.mustCustomer(t, "Proxied")
	front := s.via(afterForwarding(t, s, 1, transfers, gateway(http.StatusGatewayTimeout)))
	r := front.mustOK(t, "transfer", "--output", "json", id, "100.00")
	if got := mustJSON(t, r.stdout)["customer_balance_after"]; got != json.Number("100.00") {
		t.Errorf("customer_balance_after = %v, want 100.00", got)
	}
	if strings.Contains(r.stderr, "already made") || !strings.Contains(r.stderr, "the first attempt's answer was lost") {
		t.Errorf("stderr = %q, want the lost first answer noted, not an earlier command's", r.stderr)
	}
	r = s.mustOK(t, "balance", "--output", "json", id)
	if got := mustJSON(t, r.stdout)["balance"]; got != json.Number("100.00") {
		t.Errorf("balance = %v, want 100.00 (moved once)", got)
	}
}

// TestTimeoutAndTransportErrors: --timeout (or PARTNERD_TIMEOUT) bounds a
// command against a server that never answers; errors say what happened
// in words; a URL without a scheme is a usage error.
func TestTimeoutAndTransportErrors(t *testing.T) {
	s := mustServer(t)
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	t.Cleanup(hang.Close)
	hung := s.via(hang.URL)
	for _, args := range [][]string{{"me", "--timeout", "300ms"}, {"me"}} {
		h := *hung
		if len(args) == 1 {
			h.env = map[string]string{"PARTNERD_TIMEOUT": "300ms"}
		}
		start := time.Now()
		r := h.ctl(t, args...)
		if took := time.Since(start); r.code != exitNoAnswer || took > 5*time.Second ||
			r.stderr != "partnerctl: no answer from "+hang.URL+" (nothing within --timeout 300ms)\n" {
			t.Errorf("partnerctl %s against a hung server: exit %d after %v, stderr %q", strings.Join(args, " "), r.code, took, r.stderr)
		}
	}

	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	r := s.via(closed.URL).ctl(t, "accounts", "list")
	if r.code != exitNoAnswer || r.stderr != "partnerctl: no answer from "+closed.URL+" (connection refused)\n" {
		t.Errorf("accounts list against a closed port: exit %d, stderr %q", r.code, r.stderr)
	}
	r = s.via(closed.URL).ctl(t, "numbers", "assign", "MA_00000000", "+912271264217")
	if r.code != exitNoAnswer || !strings.Contains(r.stderr, "never reached it") {
		t.Errorf("numbers assign against a closed port: exit %d, stderr %q", r.code, r.stderr)
	}

	for _, bad := range []string{"127.0.0.1:8080", "ftp://x", "http://"} {
		if r := s.via(bad).ctl(t, "me"); r.code != exitUsage || !strings.Contains(r.stderr, "PARTNERD_URL") {
			t.Errorf("PARTNERD_URL=%s: exit %d, stderr %q; want a usage error naming PARTNERD_URL", bad, r.code, r.stderr)
		}
	}
	if r := s.ctl(t, "me", "--timeout", "soon"); r.code != exitUsage || !strings.Contains(r.stderr, "--timeout") {
		t.Errorf("--timeout soon: exit %d, stderr %q", r.code, r.stderr)
	}
}
