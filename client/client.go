package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/wire"
)

// basePath is where a partnerd server serves the partner API.
const basePath = "/api/v1/partner"

const userAgent = "partnerd-go-client"

// maxErrorBody bounds how much of an error response is read.
const maxErrorBody = 1 << 20

// Client calls the partner API of one partnerd server as one partner. It is
// safe for concurrent use.
type Client struct {
	base      string // scheme://host[:port]/api/v1/partner
	partnerID string
	token     string
	// bearer, when not empty, is a switch token sent as Authorization:
	// Bearer instead of the partner headers (see NewSwitch).
	bearer string
	http   *http.Client
	// retries is how many times a call is sent again (see WithRetries).
	retries int

	// currency is the partner's currency, in which the client writes the
	// amounts it sends: given by WithCurrency, or learned from GET /me by
	// the first transfer or withdrawal and kept (see transfer.go).
	currency atomic.Pointer[string]
}

// Option configures a Client.
type Option func(*Client)

// defaultTimeout bounds each attempt of the default HTTP client.
const defaultTimeout = 30 * time.Second

// WithHTTPClient sends requests with a copy of hc instead of a default
// client with a 30-second timeout. The copy never follows a redirect,
// whatever hc's CheckRedirect: following one would send the credentials
// to another URL, and partnerd never redirects (see RedirectError).
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		cp := *hc
		cp.CheckRedirect = refuseRedirects
		c.http = &cp
	}
}

// New returns a client of the server at baseURL (such as
// https://partnerd.example.com, with or without the /api/v1/partner suffix)
// that authenticates as partnerID with token.
func New(baseURL, partnerID, token string, opts ...Option) *Client {
	base := strings.TrimRight(baseURL, "/")
	if !strings.HasSuffix(base, basePath) {
		base += basePath
	}
	c := &Client{base: base, partnerID: partnerID, token: token, http: newHTTPClient(), retries: DefaultRetries}
	for _, opt := range opts {
		opt(c)
	}
	return c
}

type idempotencyKeyCtx struct{}

// WithIdempotencyKey returns a context whose POST requests carry key in the
// Idempotency-Key header: a retry of the same call with the same key gets
// the first answer again instead of acting twice.
func WithIdempotencyKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, idempotencyKeyCtx{}, key)
}

// checkPartner accepts the partnerID argument of the partnerd service
// methods: empty or the client's own id. The server scopes every request to
// the credentials, so another id could only be silently ignored; it is
// refused instead.
func (c *Client) checkPartner(partnerID string) error {
	if partnerID == "" || partnerID == c.partnerID {
		return nil
	}
	return partnerd.Errorf(partnerd.ECForbidden, "This client is authenticated as partner %s and cannot act for %s.", c.partnerID, partnerID)
}

// do sends one logical request with a JSON body in (if not nil) and
// decodes a 2xx JSON answer into out (if not nil). Other answers become
// *partnerd.Error. It retries as retry.go describes; a POST of the partner
// API carries one Idempotency-Key across all its attempts, so the server
// acts on it at most once.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, in, out any) error {
	var body []byte
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = b
	}
	resp, err := c.send(ctx, method, path, query, body, "application/json")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("partnerd client: decoding the answer to %s %s: %w", method, path, err)
	}
	return nil
}

// send sends a request until it gets an answer that is not worth retrying,
// and returns that answer if it is a 2xx (its body is the caller's to
// close), else its error. accept is the Accept header. A call that got no
// usable answer returns *NoAnswerError; a redirect, *RedirectError.
func (c *Client) send(ctx context.Context, method, path string, query url.Values, body []byte, accept string) (*http.Response, error) {
	u := c.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	key := c.idempotencyKey(ctx, method)
	repeatable := c.safeToRepeat(method, key)
	// reached: an earlier attempt may have reached the server, so its
	// outcome is unknown.
	reached := false
	noAnswer := func(attempt int, err error) error {
		return &NoAnswerError{Method: method, URL: u, IdempotencyKey: key, Attempts: attempt, MayHaveActed: reached, Err: err}
	}
	for attempt := 1; ; attempt++ {
		var r io.Reader
		if body != nil {
			r = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, u, r)
		if err != nil {
			return nil, err
		}
		if c.bearer != "" {
			req.Header.Set("Authorization", "Bearer "+c.bearer)
		} else {
			req.Header.Set("X-Auth-ID", c.partnerID)
			req.Header.Set("X-Auth-Token", c.token)
		}
		req.Header.Set("Accept", accept)
		req.Header.Set("User-Agent", userAgent)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		resp, err := c.http.Do(req)
		if err != nil {
			reached = reached || mayHaveReached(err)
			if ctx.Err() != nil || !c.wait(ctx, attempt, 0) {
				return nil, noAnswer(attempt, err)
			}
			continue
		}
		if info, ok := ctx.Value(responseCtx{}).(*Response); ok {
			info.fill(resp)
			info.Attempts = attempt
		}
		if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
			return resp, nil
		}
		if resp.StatusCode >= 300 && resp.StatusCode <= 399 {
			resp.Body.Close()
			return nil, &RedirectError{Method: method, URL: u, Status: resp.StatusCode, Location: resp.Header.Get("Location")}
		}
		apiErr, fromServer := decodeError(resp)
		resp.Body.Close()
		if !fromServer && gatewayStatus(resp.StatusCode) {
			// A proxy's 502, 503 or 504: the request may have reached
			// the server. Repeated only when that is safe.
			reached = true
			if !repeatable || !c.wait(ctx, attempt, apiErr.RetryAfter) {
				return nil, noAnswer(attempt, apiErr)
			}
			continue
		}
		if reached && method == http.MethodDelete && goneAfterLostAnswer(resp.StatusCode, apiErr) {
			// The lost attempt deleted it (see retry.go).
			return &http.Response{Status: "204 No Content", StatusCode: http.StatusNoContent, Header: resp.Header,
				Body: http.NoBody, Request: req}, nil
		}
		if !retryable(resp.StatusCode, apiErr) || !c.wait(ctx, attempt, apiErr.RetryAfter) {
			return nil, apiErr
		}
	}
}

// decodeError turns an error response into *partnerd.Error (see
// wire.ParseError), or describes its status when it has no error body
// (fromServer false: a proxy's answer, not partnerd's). The request id of
// the X-Request-ID header fills a body without one, and Retry-After
// becomes the error's RetryAfter.
func decodeError(resp *http.Response) (e *partnerd.Error, fromServer bool) {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	e, ok := wire.ParseError(b)
	if !ok {
		e = statusError(resp)
	}
	if id := resp.Header.Get("X-Request-ID"); id != "" {
		if _, has := e.Details["request_id"]; !has {
			if e.Details == nil {
				e.Details = map[string]any{}
			}
			e.Details["request_id"] = id
		}
	}
	e.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	return e, ok
}

// statusError describes an answer without a partnerd error body, as a proxy
// in front of the server may send.
func statusError(resp *http.Response) *partnerd.Error {
	code := partnerd.ECInternal
	switch resp.StatusCode {
	case http.StatusTooManyRequests:
		code = partnerd.ECRateLimited
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		code = partnerd.ECUnavailable
	}
	return &partnerd.Error{
		Code:    code,
		Message: fmt.Sprintf("The server answered %s without a partnerd error body.", resp.Status),
		Details: map[string]any{"status": resp.StatusCode},
	}
}
