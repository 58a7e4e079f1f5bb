package banktest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/client"
)

// instances sends the run's requests to its partnerd instances through the
// public Go client, one client per instance.
type instances struct {
	clients []*client.Client
	timeout time.Duration
	// allow5xx makes a read answered with a 5xx try another instance
	// instead of failing.
	allow5xx bool
}

func newInstances(cfg Config, hc *http.Client, opts ...client.Option) *instances {
	c := &instances{timeout: cfg.RequestTimeout, allow5xx: cfg.Allow5xx}
	// Each attempt is a request of the run's own, checked on its own:
	// the client must not retry behind its back.
	opts = append([]client.Option{client.WithHTTPClient(hc), client.WithRetries(0)}, opts...)
	for _, u := range cfg.BaseURLs {
		c.clients = append(c.clients, client.New(strings.TrimSuffix(u, "/"), cfg.PartnerID, cfg.Token, opts...))
	}
	return c
}

// answer is one answered POST: its HTTP description, and the transfer it
// returned (a 2xx) or the error it answered.
type answer struct {
	res      client.Response
	transfer *partnerd.Transfer
	err      error // a *partnerd.Error, or a 2xx body that did not decode
	instance int
}

func (a *answer) ok() bool { return a.res.Status >= 200 && a.res.Status <= 299 }

// code is the error code of a non-2xx answer.
func (a *answer) code() string { return partnerd.ErrorCode(a.err) }

// notReady reports a 503 unavailable: an instance that is starting (its
// database still migrating), draining or without its database, which did
// nothing and asks to be retried (API.md §7). Like a refused connection it
// is never a failure; the request is retried or sent to another instance.
func notReady(status int, code string) bool {
	return status == http.StatusServiceUnavailable && code == partnerd.ECUnavailable
}

// errTimeout marks a request the server did not answer in time; unlike a
// refused or reset connection it may still be running there.
var errTimeout = errors.New("no answer within the request timeout")

// move posts a transfer or withdrawal of amount under o's key to instance
// i. A request that got no answer is returned as an error: the caller
// cannot know whether the server acted on it.
func (c *instances) move(ctx context.Context, i int, o *op, amount int64) (*answer, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	a := &answer{instance: i}
	ctx = client.WithResponse(client.WithIdempotencyKey(ctx, o.key), &a.res)
	in := partnerd.TransferInput{AuthID: o.customer, Amount: amount, Description: &o.desc}
	move, verb := c.clients[i].Transfer, "transfer-balance"
	if o.withdraw {
		move, verb = c.clients[i].Withdraw, "withdraw-balance"
	}
	a.transfer, a.err = move(ctx, "", in)
	if a.res.Status == 0 {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("POST %s of %s on instance %d: %w", verb, o.customer, i, errTimeout)
		}
		return nil, fmt.Errorf("POST %s of %s on instance %d: %w", verb, o.customer, i, a.err)
	}
	return a, nil
}

// read runs one read (get) on a random instance, trying the others when
// one cannot be reached (or, if allowed, answers with a 5xx). Any other
// error fails the read.
func (c *instances) read(ctx context.Context, rng *rand.Rand, what string, get func(context.Context, *client.Client) error) error {
	var errs []error
	first := rng.IntN(len(c.clients))
	for n := range len(c.clients) {
		i := (first + n) % len(c.clients)
		var res client.Response
		rctx, cancel := context.WithTimeout(client.WithResponse(ctx, &res), c.timeout)
		err := get(rctx, c.clients[i])
		cut := rctx.Err() != nil // the answer may have been cut short, even after its status line
		cancel()
		switch {
		case err == nil:
			return nil
		case res.Status == 0, cut, res.Status >= 500 && c.allow5xx, notReady(res.Status, partnerd.ErrorCode(err)):
			errs = append(errs, fmt.Errorf("%s on instance %d: status %d: %w", what, i, res.Status, err))
			continue
		}
		return fmt.Errorf("%s on instance %d: status %d: %w", what, i, res.Status, err)
	}
	return &unreachableError{errors.Join(errs...)}
}

// unreachableError is a read that no instance answered.
type unreachableError struct{ err error }

func (e *unreachableError) Error() string { return "no instance answered: " + e.err.Error() }
func (e *unreachableError) Unwrap() error { return e.err }

// other picks a random instance other than i when there are several.
func (c *instances) other(rng *rand.Rand, i int) int {
	if len(c.clients) == 1 {
		return i
	}
	j := rng.IntN(len(c.clients) - 1)
	if j >= i {
		j++
	}
	return j
}

// me reads the partner's profile.
func (c *instances) me(ctx context.Context, rng *rand.Rand) (*partnerd.Partner, error) {
	var p *partnerd.Partner
	err := c.read(ctx, rng, "GET /me", func(ctx context.Context, cl *client.Client) (err error) {
		p, err = cl.Me(ctx)
		return err
	})
	return p, err
}

// entries reads one page of the partner's log (partner) or of all its
// customers' logs, newest first, and the total.
func (c *instances) entries(ctx context.Context, rng *rand.Rand, partner bool, f partnerd.EntryFilter) ([]*partnerd.Entry, int, error) {
	what, list := "GET /transactions", (*client.Client).CustomerEntries
	if partner {
		what, list = "GET /me/transactions", (*client.Client).PartnerEntries
	}
	var rows []*partnerd.Entry
	var total int
	err := c.read(ctx, rng, what, func(ctx context.Context, cl *client.Client) (err error) {
		rows, total, err = list(cl, ctx, "", f)
		return err
	})
	return rows, total, err
}

// formatMinor writes minor units as a decimal with the currency's
// decimals, for messages.
func formatMinor(v int64, currency string) string { return partnerd.FormatMinor(v, currency) }
