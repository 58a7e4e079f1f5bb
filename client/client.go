package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/partnerd/partnerd"
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
	http      *http.Client

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
	req.Header.Set("X-Auth-ID", c.partnerID)
	req.Header.Set("X-Auth-Token", c.token)
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

// decodeError turns an error response into *partnerd.Error. Keys other than
// error, message and fields go to Details, numbers as json.Number so that
// amounts such as current_balance keep their exact text.
func decodeError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	var raw map[string]json.RawMessage
	e := &partnerd.Error{}
	if json.Unmarshal(b, &raw) != nil || json.Unmarshal(raw["error"], &e.Code) != nil || e.Code == "" {
		return statusError(resp)
	}
	json.Unmarshal(raw["message"], &e.Message)
	json.Unmarshal(raw["fields"], &e.Fields)
	for k, v := range raw {
		if k == "error" || k == "message" || k == "fields" {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(v))
		dec.UseNumber()
		var x any
		if dec.Decode(&x) != nil {
			continue
		}
		if e.Details == nil {
			e.Details = make(map[string]any)
		}
		e.Details[k] = x
	}
	return e
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

// parseMoney decodes a JSON amount of currency into minor units without a
// float in between.
func parseMoney(raw json.RawMessage, currency string) (int64, error) {
	text := string(raw)
	v, code := partnerd.ParseAmountText(text, currency)
	switch code {
	case "":
		return v, nil
	case "too_large":
		// ParseAmountText caps input amounts at 1,000,000,000 major units;
		// a balance may hold more, and only has to fit an int64.
		r, ok := new(big.Rat).SetString(text)
		if ok {
			scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(partnerd.CurrencyExponent(currency))), nil)
			r.Mul(r, new(big.Rat).SetInt(scale))
			if r.IsInt() && r.Num().IsInt64() {
				return r.Num().Int64(), nil
			}
		}
	}
	return 0, fmt.Errorf("partnerd client: %q is not an amount of %s", text, currency)
}
