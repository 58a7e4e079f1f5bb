package httpapi_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/httpapi"
)

// TestEveryAnswerIsJSON sends raw requests over TCP to the HTTP server as
// serve configures it, and checks that every answer is the API's JSON:
// the answers of the handlers, and those net/http would write by itself
// (431, 400, 501, 505, 417, a mux redirect, OPTIONS *), with the §1 error
// shape, its keys in order, a request_id equal to X-Request-ID, and
// Cache-Control: no-store (every answer; the test also names those that
// carry a customer's auth_token).
func TestEveryAnswerIsJSON(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	c := e.mustPartner(t, "Edge Partner")
	addr := serveHTTP(t, e.api, httpapi.HTTPOptions{})
	// The 408 case needs a read timeout the test can wait for.
	slowAddr := serveHTTP(t, e.api, httpapi.HTTPOptions{ReadTimeout: 300 * time.Millisecond})

	auth := []string{"X-Auth-ID: " + c.ID, "X-Auth-Token: " + c.Token}
	withAuth := func(h ...string) []string { return append(h, auth...) }
	create := rawRequest("POST", base+"/accounts", withAuth("Content-Type: application/json", "Idempotency-Key: edge-1"),
		string(mustMarshal(t, validAccount("Edge Customer", "edge@customer.example"))))
	first := roundTrip(t, addr, create)
	if first.status != http.StatusCreated {
		t.Fatalf("POST /accounts = %d, want 201; body: %s", first.status, first.raw)
	}
	id := str(first.body["auth_id"])

	// Client errors log no error, 501 and 505 included (after the subtests).
	t.Cleanup(func() {
		if strings.Contains(e.logs.String(), `"level":"ERROR"`) {
			t.Errorf("a client error was logged as a server error:\n%s", e.logs)
		}
	})

	errorKeys := []string{"error", "message", "request_id"}
	tests := []struct {
		name   string
		raw    string // the request, byte for byte
		slow   bool   // sent to the server with the short read timeout
		status int
		code   string   // the error code; "" for a success
		keys   []string // the error body's keys, in order
		header map[string]string
		secret bool // the body carries a customer's auth_token
	}{
		// Handler answers.
		{name: "create carries the token", secret: true, status: http.StatusCreated,
			raw: rawRequest("POST", base+"/accounts", withAuth("Content-Type: application/json"),
				string(mustMarshal(t, validAccount("Edge Customer", "edge2@customer.example"))))},
		{name: "replay of the create carries the token", secret: true, status: http.StatusCreated,
			raw: create, header: map[string]string{"Idempotent-Replayed": "true"}},
		{name: "get carries the token", secret: true, status: http.StatusOK,
			raw: rawRequest("GET", base+"/accounts/"+id, auth, "")},
		{name: "balance", status: http.StatusOK, raw: rawRequest("GET", base+"/accounts/"+id+"/balance", auth, "")},
		{name: "validation error: fields after request_id", status: http.StatusBadRequest, code: partnerd.ECValidation,
			keys: []string{"error", "message", "request_id", "fields"},
			raw:  rawRequest("POST", base+"/accounts", withAuth("Content-Type: application/json"), `{}`)},
		{name: "details after request_id, by key", status: http.StatusBadRequest, code: partnerd.ECCurrencyMismatch,
			keys: []string{"error", "message", "request_id", "currency", "requested_currency"},
			raw: rawRequest("POST", base+"/accounts/"+id+"/transfer-balance", withAuth("Content-Type: application/json"),
				`{"amount":"1.00","currency":"USD"}`)},
		{name: "missing credentials", status: http.StatusUnauthorized, code: partnerd.ECMissingCredentials,
			raw: rawRequest("GET", base+"/me", nil, "")},
		{name: "unknown route", status: http.StatusNotFound, code: partnerd.ECRouteNotFound,
			raw: rawRequest("GET", base+"/nope", auth, "")},
		{name: "wrong method", status: http.StatusMethodNotAllowed, code: partnerd.ECMethodNotAllowed,
			raw: rawRequest("DELETE", base+"/me", auth, ""), header: map[string]string{"Allow": "GET, HEAD"}},

		// Paths the mux would redirect (307, HTML body).
		{name: "double slash", status: http.StatusNotFound, code: partnerd.ECRouteNotFound,
			raw: rawRequest("GET", "/"+base+"/me", auth, "")},
		{name: "empty segment", status: http.StatusNotFound, code: partnerd.ECRouteNotFound,
			raw: rawRequest("GET", base+"//me", auth, "")},
		{name: "dot segment", status: http.StatusNotFound, code: partnerd.ECRouteNotFound,
			raw: rawRequest("GET", base+"/./me", auth, "")},
		{name: "dot-dot segment", status: http.StatusNotFound, code: partnerd.ECRouteNotFound,
			raw: rawRequest("GET", base+"/accounts/../me", auth, "")},
		{name: "OPTIONS *", status: http.StatusNotFound, code: partnerd.ECRouteNotFound,
			raw: rawRequest("OPTIONS", "*", nil, "")},

		// Requests net/http refuses before any handler runs.
		{name: "oversized header", status: http.StatusRequestHeaderFieldsTooLarge, code: partnerd.ECHeadersTooLarge,
			raw: rawRequest("GET", base+"/me", withAuth("X-Filler: "+strings.Repeat("a", 70<<10)), "")},
		{name: "oversized URL", status: http.StatusRequestHeaderFieldsTooLarge, code: partnerd.ECHeadersTooLarge,
			raw: rawRequest("GET", base+"/accounts?search="+strings.Repeat("a", 70<<10), auth, "")},
		{name: "malformed request line", status: http.StatusBadRequest, code: partnerd.ECMalformedRequest,
			raw: "GARBAGE\r\n\r\n"},
		{name: "invalid method", status: http.StatusBadRequest, code: partnerd.ECMalformedRequest,
			raw: "G{T /healthz HTTP/1.1\r\nHost: x\r\n\r\n"},
		{name: "missing Host", status: http.StatusBadRequest, code: partnerd.ECMalformedRequest,
			raw: "GET /healthz HTTP/1.1\r\n\r\n"},
		{name: "header line without colon", status: http.StatusBadRequest, code: partnerd.ECMalformedRequest,
			raw: "GET /healthz HTTP/1.1\r\nHost: x\r\nnot a header\r\n\r\n"},
		{name: "control character in a header value", status: http.StatusBadRequest, code: partnerd.ECMalformedRequest,
			raw: "GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n"},
		{name: "bad Content-Length", status: http.StatusBadRequest, code: partnerd.ECMalformedRequest,
			raw: "POST " + base + "/accounts HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n"},
		{name: "unsupported Transfer-Encoding", status: http.StatusNotImplemented, code: partnerd.ECNotImplemented,
			raw: "POST " + base + "/accounts HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n"},
		{name: "HTTP/2.0 request line", status: http.StatusHTTPVersionNotSupported, code: partnerd.ECHTTPVersionNotSupported,
			raw: "GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n"},
		{name: "HTTP/2 preface on the HTTP/1 port", status: http.StatusHTTPVersionNotSupported, code: partnerd.ECHTTPVersionNotSupported,
			raw: "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"},
		{name: "Expect other than 100-continue", status: http.StatusExpectationFailed, code: partnerd.ECExpectationFailed,
			raw: rawRequest("GET", base+"/me", withAuth("Expect: teapot"), "")},

		// A body that never arrives: headers and a Content-Length, then a stall.
		{name: "stalled body", slow: true, status: http.StatusRequestTimeout, code: partnerd.ECRequestTimeout,
			raw: strings.TrimSuffix(rawRequest("POST", base+"/accounts", withAuth("Content-Type: application/json"),
				`{"name":"Edge Customer","email":"edge3@customer.example"}`), `"edge3@customer.example"}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			to := addr
			if tt.slow {
				to = slowAddr
			}
			r := roundTrip(t, to, tt.raw)
			if r.status != tt.status {
				t.Errorf("status = %d, want %d; body: %s", r.status, tt.status, r.raw)
			}
			if got, want := r.header.Get("Content-Type"), "application/json; charset=utf-8"; got != want {
				t.Errorf("Content-Type = %q, want %q", got, want)
			}
			if got := r.header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", got)
			}
			for k, want := range tt.header {
				if got := r.header.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			if r.body == nil {
				t.Fatalf("body is not a JSON object: %q", r.raw)
			}
			if tt.secret && !reToken.MatchString(str(r.body["auth_token"])) {
				t.Errorf("auth_token = %q, want a token: the case does not test a secret", r.body["auth_token"])
			}
			hid := r.header.Get("X-Request-ID")
			if !reSaneReqID.MatchString(hid) {
				t.Errorf("X-Request-ID = %q, want a request id", hid)
			}
			if !logged(e.logs, fmt.Sprintf(`"status":%d,`, r.status), `"request_id":"`+hid+`"`) {
				t.Errorf("no access line with status %d and request_id %s", r.status, hid)
			}
			if tt.code == "" {
				return
			}
			if got := str(r.body["error"]); got != tt.code {
				t.Errorf("error = %q, want %q; body: %s", got, tt.code, r.raw)
			}
			if str(r.body["message"]) == "" {
				t.Errorf("error body has no message: %s", r.raw)
			}
			if got := str(r.body["request_id"]); got != hid {
				t.Errorf("request_id = %q, want X-Request-ID %q", got, hid)
			}
			want := tt.keys
			if want == nil {
				want = errorKeys
			}
			if diff := cmp.Diff(want, objectKeys(t, r.raw)); diff != "" {
				t.Errorf("error body keys, in order (-want +got):\n%s", diff)
			}
		})
	}
}

// serveHTTP serves api on a random local port with the server serve uses,
// until the test ends, and returns its address.
func serveHTTP(t *testing.T, api *httpapi.Server, o httpapi.HTTPOptions) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := api.HTTPServer(o)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// rawRequest writes an HTTP/1.1 request with a Host header, the given
// header lines, and a Content-Length when body is not empty.
func rawRequest(method, target string, header []string, body string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: partnerd.test\r\n", method, target)
	for _, h := range header {
		b.WriteString(h + "\r\n")
	}
	if body != "" {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(body))
	}
	return b.String() + "\r\n" + body
}

// roundTrip sends raw on a new connection to addr and reads one answer.
func roundTrip(t *testing.T, addr, raw string) reply {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(conn, raw); err != nil {
		t.Fatalf("sending the request: %v", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the answer's body: %v", err)
	}
	if v := mustContract().rawProblems(raw, resp, b); len(v) > 0 {
		t.Errorf("%.200q answered %d, which the OpenAPI document does not allow:\n\t%s\n\tbody: %.600s", raw, resp.StatusCode, strings.Join(v, "\n\t"), b)
	}
	r := reply{status: resp.StatusCode, header: resp.Header, raw: string(b)}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if dec.Decode(&m) == nil {
		r.body = m
	}
	return r
}

// logged reports whether one line of logs holds every part, waiting a
// little: the access line may be written just after the answer.
func logged(logs *syncBuffer, parts ...string) bool {
	for range 50 {
		for line := range strings.Lines(logs.String()) {
			if containsAll(line, parts) {
				return true
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

func containsAll(s string, parts []string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

// objectKeys returns the keys of the JSON object raw, in the order written.
func objectKeys(t *testing.T, raw string) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("%q is not a JSON object", raw)
	}
	var out []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("%q: %v", raw, err)
		}
		out = append(out, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatalf("%q: %v", raw, err)
		}
	}
	return out
}
