package httpapi

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/partnerd/partnerd"
)

// The HTTP server's limits, in one place.
const (
	// maxHeaderBytes bounds the request head (request line and headers):
	// net/http answers 431 once it has read 4 KiB past it. The URL has no
	// limit of its own: net/http cannot tell which part of the head
	// overflowed, and every URL of the API is far shorter.
	maxHeaderBytes    = 64 << 10
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 60 * time.Second
	idleTimeout       = 120 * time.Second
)

// HTTPOptions tune an HTTPServer; the zero value is production's.
type HTTPOptions struct {
	// ReadTimeout bounds reading a whole request, body included; a body
	// still expected then is answered 408. Default 30 s.
	ReadTimeout time.Duration
}

// HTTPServer serves a Server over HTTP/1.1 with its limits and timeouts,
// and answers in the API's JSON even what net/http answers by itself.
type HTTPServer struct {
	srv *http.Server
	api *Server
}

// HTTPServer returns the HTTP server of s, configured as partnerd serves.
func (s *Server) HTTPServer(o HTTPOptions) *HTTPServer {
	read := o.ReadTimeout
	if read <= 0 {
		read = readTimeout
	}
	return &HTTPServer{api: s, srv: &http.Server{
		Handler:           s,
		ReadHeaderTimeout: min(readHeaderTimeout, read),
		ReadTimeout:       read,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		// "OPTIONS *" goes to the API (404 route_not_found), not to
		// net/http's empty 200.
		DisableGeneralOptionsHandler: true,
		ErrorLog:                     slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}}
}

// Serve accepts connections on ln until Shutdown or Close.
func (h *HTTPServer) Serve(ln net.Listener) error {
	return h.srv.Serve(answerListener{ln, h.api})
}

// Shutdown stops accepting and waits for the requests in flight, as
// http.Server.Shutdown.
func (h *HTTPServer) Shutdown(ctx context.Context) error { return h.srv.Shutdown(ctx) }

// Close closes every connection at once, as http.Server.Close.
func (h *HTTPServer) Close() error { return h.srv.Close() }

// SetKeepAlivesEnabled is http.Server's: with false, each answer closes
// its connection (Connection: close), and idle connections close now.
func (h *HTTPServer) SetKeepAlivesEnabled(v bool) { h.srv.SetKeepAlivesEnabled(v) }

// Some requests net/http refuses before any handler runs, writing the
// answer on the connection itself in plain text: a head over
// MaxHeaderBytes (431), a request line or header it cannot parse (400),
// an unsupported Transfer-Encoding (501) or HTTP version (505), an Expect
// other than 100-continue (417). No hook of http.Server reaches these, so
// the listener's connections replace each such answer by the JSON error
// of its status, built by the same middleware and error table as every
// other answer. Such an answer is told apart by what it lacks: every
// answer of the handler carries X-Request-Id (observe sets it first), and
// net/http's own never do. It is one whole write (net/http writes it in
// one), starts a response, and its head parses as one; a body's bytes
// cannot pass for a head, since JSON holds no raw CR or LF and chunk
// framing lines are hex digits. Each such answer closes the connection,
// so replacing it leaves nothing after it to frame.

// answerListener wraps the connections it accepts in answerConn.
type answerListener struct {
	net.Listener
	api *Server
}

func (l answerListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &answerConn{Conn: c, api: l.api}, nil
}

// answerConn replaces net/http's own error answers by JSON ones.
type answerConn struct {
	net.Conn
	api *Server
}

func (c *answerConn) Write(b []byte) (int, error) {
	status, detail, ok := ownAnswer(b)
	if !ok {
		return c.Conn.Write(b)
	}
	if _, err := c.Conn.Write(c.api.answer(status, detail)); err != nil {
		return 0, err
	}
	return len(b), nil
}

// CloseWrite lets net/http half-close the connection after a 431, as it
// does on a bare TCP connection, so that the client reads the answer.
func (c *answerConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// ownAnswer reports whether b is an error answer net/http wrote by itself,
// and returns its status and the detail of its status line ("missing
// required Host header" in "400 Bad Request: missing required Host
// header"; net/http's own constant text, never the client's).
func ownAnswer(b []byte) (status int, detail string, ok bool) {
	// Cheap tests first: this runs on every write of every connection.
	if len(b) < 13 || string(b[:9]) != "HTTP/1.1 " || b[9] < '4' || b[9] > '5' {
		return 0, "", false
	}
	head, _, ok := bytes.Cut(b, []byte("\r\n\r\n"))
	if !ok || bytes.Contains(head, []byte("\r\nX-Request-Id:")) {
		return 0, "", false
	}
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(b)), nil)
	if err != nil {
		return 0, "", false
	}
	resp.Body.Close()
	_, detail, _ = strings.Cut(resp.Status, ": ")
	return resp.StatusCode, detail, true
}

// ownAnswerErrors are the errors of net/http's own answers, by status.
var ownAnswerErrors = map[int]*partnerd.Error{
	http.StatusBadRequest: {Code: partnerd.ECMalformedRequest,
		Message: "The request is not valid HTTP/1.1."},
	http.StatusRequestHeaderFieldsTooLarge: {Code: partnerd.ECHeadersTooLarge,
		Message: fmt.Sprintf("The request line and headers exceed %d bytes.", maxHeaderBytes)},
	http.StatusExpectationFailed: {Code: partnerd.ECExpectationFailed,
		Message: "The only expectation this server meets is Expect: 100-continue."},
	http.StatusNotImplemented: {Code: partnerd.ECNotImplemented,
		Message: "The request's Transfer-Encoding is not supported; send chunked or a Content-Length."},
	http.StatusHTTPVersionNotSupported: {Code: partnerd.ECHTTPVersionNotSupported,
		Message: "This server speaks HTTP/1.1."},
}

// answer renders net/http's own answer of status as a whole HTTP/1.1
// response in the API's JSON, through the same middleware as every
// request (request id, headers, access line). A status the table does not
// know (a later net/http's) is answered as a malformed request.
func (s *Server) answer(status int, detail string) []byte {
	e, ok := ownAnswerErrors[status]
	if !ok {
		e = ownAnswerErrors[http.StatusBadRequest]
	}
	if detail != "" {
		e = &partnerd.Error{Code: e.Code, Message: strings.TrimSuffix(e.Message, ".") + " (" + detail + ")."}
	}
	rec := &answerRecorder{header: http.Header{}}
	r := &http.Request{Method: "", URL: &url.URL{}, Header: http.Header{}, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}
	s.observe(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, e)
	})).ServeHTTP(rec, r)
	rec.header.Set("Connection", "close")
	rec.header.Set("Content-Length", strconv.Itoa(rec.body.Len()))
	rec.header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	var out bytes.Buffer
	fmt.Fprintf(&out, "HTTP/1.1 %d %s\r\n", rec.status, http.StatusText(rec.status))
	rec.header.Write(&out)
	out.WriteString("\r\n")
	out.Write(rec.body.Bytes())
	return out.Bytes()
}

// answerRecorder is the ResponseWriter answer renders into.
type answerRecorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (a *answerRecorder) Header() http.Header { return a.header }

func (a *answerRecorder) WriteHeader(status int) {
	if a.status == 0 {
		a.status = status
	}
}

func (a *answerRecorder) Write(b []byte) (int, error) {
	if a.status == 0 {
		a.status = http.StatusOK
	}
	return a.body.Write(b)
}
