package banktest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// client sends partner API requests to the instances of a run.
type client struct {
	http      *http.Client
	bases     []string // each ends in /api/v1/partner
	partnerID string
	token     string
	timeout   time.Duration
	// allow5xx makes a read answered with a 5xx try another instance
	// instead of failing.
	allow5xx bool
}

// response is one answered request.
type response struct {
	status   int
	header   http.Header
	body     []byte
	instance int
}

// errorBody is the flat error shape of API.md §1.
type errorBody struct {
	Code            string          `json:"error"`
	Message         string          `json:"message"`
	CurrentBalance  json.RawMessage `json:"current_balance"`
	RequestedAmount json.RawMessage `json:"requested_amount"`
	Currency        string          `json:"currency"`
}

// code returns the error code of a non-2xx response, or a placeholder
// naming the status when the body is not the error shape.
func (r *response) code() string {
	var e errorBody
	if err := json.Unmarshal(r.body, &e); err != nil || e.Code == "" {
		return fmt.Sprintf("http_%d_without_code", r.status)
	}
	return e.Code
}

func (r *response) replayed() bool { return r.header.Get("Idempotent-Replayed") == "true" }

// errTimeout marks a request the server did not answer in time; unlike a
// refused or reset connection it may still be running there.
var errTimeout = errors.New("no answer within the request timeout")

// do sends one request to instance i. A transport failure is returned as an
// error: the caller cannot know whether the server acted on it.
func (c *client) do(ctx context.Context, i int, method, path, key string, body []byte) (*response, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.bases[i]+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("X-Auth-ID", c.partnerID)
	req.Header.Set("X-Auth-Token", c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	res, err := c.http.Do(req)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("%s %s on instance %d: %w", method, path, i, errTimeout)
		}
		return nil, fmt.Errorf("%s %s on instance %d: %w", method, path, i, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("%s %s on instance %d: reading body: %w", method, path, i, errTimeout)
		}
		return nil, fmt.Errorf("%s %s on instance %d: reading body: %w", method, path, i, err)
	}
	return &response{status: res.StatusCode, header: res.Header, body: b, instance: i}, nil
}

// get reads path as JSON into v from a random instance, trying the others
// when one cannot be reached (or, if allowed, answers with a 5xx). Any
// other status but 200 is an error.
func (c *client) get(ctx context.Context, rng *rand.Rand, path string, v any) error {
	var errs []error
	first := rng.IntN(len(c.bases))
	for n := range len(c.bases) {
		res, err := c.do(ctx, (first+n)%len(c.bases), http.MethodGet, path, "", nil)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if res.status >= 500 && c.allow5xx {
			errs = append(errs, fmt.Errorf("GET %s on instance %d: status %d", path, res.instance, res.status))
			continue
		}
		if res.status != http.StatusOK {
			return fmt.Errorf("GET %s on instance %d: status %d, body %s", path, res.instance, res.status, res.body)
		}
		if err := json.Unmarshal(res.body, v); err != nil {
			return fmt.Errorf("GET %s on instance %d: %v; body %s", path, res.instance, err, res.body)
		}
		return nil
	}
	return &unreachableError{errors.Join(errs...)}
}

// unreachableError is a read that no instance answered.
type unreachableError struct{ err error }

func (e *unreachableError) Error() string { return "no instance answered: " + e.err.Error() }
func (e *unreachableError) Unwrap() error { return e.err }

// other picks a random instance other than i when there are several.
func (c *client) other(rng *rand.Rand, i int) int {
	if len(c.bases) == 1 {
		return i
	}
	j := rng.IntN(len(c.bases) - 1)
	if j >= i {
		j++
	}
	return j
}

// JSON shapes read by the run. Money stays raw until parseMinor checks it
// is written with exactly the currency's decimals.

type meBody struct {
	AuthID   string          `json:"auth_id"`
	Balance  json.RawMessage `json:"balance"`
	Currency string          `json:"currency"`
}

type accountItem struct {
	AuthID   string          `json:"auth_id"`
	Balance  json.RawMessage `json:"balance"`
	Currency string          `json:"currency"`
}

type listMeta struct {
	Total int `json:"total"`
}

type accountList struct {
	Data []accountItem `json:"data"`
	Meta listMeta      `json:"meta"`
}

type entryItem struct {
	ID            string          `json:"id"`
	AccountAuthID string          `json:"account_auth_id"`
	Type          string          `json:"type"`
	Amount        json.RawMessage `json:"amount"`
	BalanceBefore json.RawMessage `json:"balance_before"`
	BalanceAfter  json.RawMessage `json:"balance_after"`
	Description   *string         `json:"description"`
}

type entryList struct {
	Data []entryItem `json:"data"`
	Meta listMeta    `json:"meta"`
}

type transferBody struct {
	TransactionID        string          `json:"transaction_id"`
	FromAccount          string          `json:"from_account"`
	ToAccount            string          `json:"to_account"`
	Amount               json.RawMessage `json:"amount"`
	Currency             string          `json:"currency"`
	Description          *string         `json:"description"`
	Status               string          `json:"status"`
	PartnerBalanceAfter  json.RawMessage `json:"partner_balance_after"`
	CustomerBalanceAfter json.RawMessage `json:"customer_balance_after"`
	Timestamp            string          `json:"timestamp"`
}

// parseMinor reads a JSON money number written with exactly exp decimals
// (API.md §1) as minor units. It is independent of the server's own
// parser, so a formatting bug there cannot hide here.
func parseMinor(raw json.RawMessage, exp int) (int64, error) {
	s := string(raw)
	neg := strings.HasPrefix(s, "-")
	digits := strings.TrimPrefix(s, "-")
	intPart, frac, hasDot := strings.Cut(digits, ".")
	if hasDot != (exp > 0) || len(frac) != exp || intPart == "" || (len(intPart) > 1 && intPart[0] == '0') {
		return 0, fmt.Errorf("money %q is not written with exactly %d decimals", s, exp)
	}
	for _, c := range intPart + frac {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("money %q is not a plain decimal number", s)
		}
	}
	v, err := strconv.ParseInt(intPart+frac, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("money %q: %v", s, err)
	}
	if neg {
		v = -v
	}
	return v, nil
}

// formatMinor writes minor units as a decimal with exp decimals.
func formatMinor(v int64, exp int) string {
	s := strconv.FormatInt(v, 10)
	if exp == 0 {
		return s
	}
	for len(s) <= exp {
		s = "0" + s
	}
	return s[:len(s)-exp] + "." + s[len(s)-exp:]
}

// listPath builds a list URL path with query values.
func listPath(path string, q url.Values) string { return path + "?" + q.Encode() }
