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

	// currency is the partner's currency, in which the client writes the
	// amounts it sends: given by WithCurrency, or learned from GET /me by
	// the first transfer or withdrawal and kept (see transfer.go).
	currency atomic.Pointer[string]
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sends requests with hc instead of a default client with a
// 30-second timeout.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) { c.http = hc }
}

// New returns a client of the server at baseURL (such as
// https://partnerd.example.com, with or without the /api/v1/partner suffix)
// that authenticates as partnerID with token.
func New(baseURL, partnerID, token string, opts ...Option) *Client {
	base := strings.TrimRight(baseURL, "/")
	if !strings.HasSuffix(base, basePath) {
		base += basePath
	}
	c := &Client{base: base, partnerID: partnerID, token: token, http: &http.Client{Timeout: 30 * time.Second}}
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

// do sends one request with a JSON body in (if not nil) and decodes a 2xx
// JSON answer into out (if not nil). Other answers become *partnerd.Error.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, in, out any) error {
	u := c.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return err
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	} else {
		req.Header.Set("X-Auth-ID", c.partnerID)
		req.Header.Set("X-Auth-Token", c.token)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key, ok := ctx.Value(idempotencyKeyCtx{}).(string); ok && method == http.MethodPost {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if info, ok := ctx.Value(responseCtx{}).(*Response); ok {
		info.fill(resp)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return decodeError(resp)
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("partnerd client: decoding the answer to %s %s: %w", method, path, err)
	}
	return nil
}

// decodeError turns an error response into *partnerd.Error (see
// wire.ParseError), or describes its status when it has no error body.
func decodeError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	if e, ok := wire.ParseError(b); ok {
		return e
	}
	return statusError(resp)
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
