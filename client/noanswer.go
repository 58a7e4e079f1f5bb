package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"syscall"

	"github.com/partnerd/partnerd"
)

// NoAnswerError is the error of a call that got no usable answer once its
// retries were spent: the connection failed or closed, the context ended,
// or a proxy in front of the server answered 502, 503 or 504 without a
// partnerd error body. When MayHaveActed, the request may have reached the
// server, so a write may or may not have been carried out: sending it
// again under the same IdempotencyKey (WithIdempotencyKey) finishes it
// safely, acting at most once.
type NoAnswerError struct {
	Method string
	// URL is the request's URL.
	URL string
	// IdempotencyKey is the key every attempt carried; "" for requests
	// that carry none (GET, PUT, PATCH, DELETE, the switch API).
	IdempotencyKey string
	// Attempts is how many requests were sent.
	Attempts int
	// MayHaveActed reports that some attempt may have reached the server
	// (not only connections that were never made).
	MayHaveActed bool
	// Err is the last attempt's failure: a transport or context error, or
	// the *partnerd.Error describing a proxy's answer.
	Err error
}

func (e *NoAnswerError) Error() string {
	return fmt.Sprintf("no answer from %s: %s", Server(e.URL), Describe(e.Err))
}

func (e *NoAnswerError) Unwrap() error { return e.Err }

// Server is the scheme and host of a URL, what a person recognises of it.
func Server(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return rawURL
	}
	return u.Scheme + "://" + u.Host
}

// Describe says in a few words why no answer arrived: "connection
// refused", not Post "…": dial tcp …: connect: connection refused.
func Describe(err error) string {
	var pe *partnerd.Error
	var dns *net.DNSError
	var ne net.Error
	switch {
	case errors.As(err, &pe):
		if status, ok := pe.Details["status"].(int); ok {
			return fmt.Sprintf("a proxy answered %d %s", status, http.StatusText(status))
		}
		return pe.Message
	case errors.Is(err, context.DeadlineExceeded):
		return "no answer in time"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the connection closed before an answer"
	case errors.As(err, &dns):
		return "no such host " + dns.Name
	case errors.As(err, &ne) && ne.Timeout():
		return "timed out"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// mayHaveReached reports whether a request that failed with err may have
// reached the server: every failure but a connection never made.
func mayHaveReached(err error) bool {
	var op *net.OpError
	var dns *net.DNSError
	return !(errors.As(err, &op) && op.Op == "dial") && !errors.As(err, &dns)
}

// RedirectError is the error of an answer that redirects. partnerd never
// redirects, so the URL points elsewhere (an http:// URL in front of an
// https-only proxy, a wrong path); the client does not follow it, which
// would send the credentials to wherever it points.
type RedirectError struct {
	Method, URL string
	Status      int
	Location    string
}

func (e *RedirectError) Error() string {
	return fmt.Sprintf("%s answered %s %s with a redirect (%d) to %q, which partnerd never does: check the URL",
		Server(e.URL), e.Method, e.URL, e.Status, e.Location)
}

// refuseRedirects is every client's CheckRedirect: the redirect is
// returned as the answer, never followed with the credentials.
func refuseRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// newHTTPClient is the default HTTP client of New, NewSwitch and
// NewCustomer.
func newHTTPClient() *http.Client {
	return &http.Client{Timeout: defaultTimeout, CheckRedirect: refuseRedirects}
}
