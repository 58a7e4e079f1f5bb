package webhook

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/partnerd/partnerd"
)

// Defaults of a Dispatcher (API.md §8).
const (
	DefaultTimeout     = 15 * time.Second
	DefaultConcurrency = 8
	// DefaultLease is how long a claimed delivery is this dispatcher's:
	// long enough for the deliveries of one claim to wait for their
	// endpoint's turn (Concurrency at a time) and be sent. An instance
	// that dies holds its claims this long, then another takes them.
	DefaultLease = 5 * time.Minute
	// DefaultPoll is how often the dispatcher looks for due deliveries
	// besides the wake-ups of its own commits (retries that came due,
	// other instances' deliveries).
	DefaultPoll = time.Second
	// maxResponseRead is how much of a response body is read (and
	// discarded) before the connection is closed.
	maxResponseRead = 64 << 10
	// maxInFlight bounds the deliveries one dispatcher holds at a time,
	// and claimBatch how many one claim takes.
	maxInFlight = 512
	claimBatch  = 128
)

// Dispatcher sends due deliveries. The zero value is not usable: set
// Queue and call Run (or RunOnce, in tests).
type Dispatcher struct {
	Queue partnerd.DeliveryQueue
	// Owner names this dispatcher in its claims (random if empty).
	Owner string
	// Now is the clock of claims, signatures and the retry schedule.
	Now func() time.Time
	// Timeout bounds one attempt (DefaultTimeout if zero).
	Timeout time.Duration
	// Concurrency bounds the attempts to one endpoint at a time
	// (DefaultConcurrency if zero).
	Concurrency int
	Lease       time.Duration
	Poll        time.Duration
	// AllowPrivate lets deliveries reach loopback and private addresses
	// (--webhook-allow-private: tests and closed networks).
	AllowPrivate bool
	Log          *slog.Logger
	// Jitter returns a number in [0, 1) that spreads retries (random if nil).
	Jitter func() float64
	// Observe, if set, is called with each attempt's result:
	// "succeeded", "failed", "dead", "lost" (the lease was lost) or
	// "error" (the result could not be recorded).
	Observe func(result string)

	once   sync.Once
	client *http.Client
	mu     sync.Mutex
	// busy counts this dispatcher's deliveries per endpoint (sending or
	// waiting for a turn), slots the endpoints' turns.
	busy   map[string]int
	slots  map[string]chan struct{}
	total  int
	freed  chan struct{}
	sendWG sync.WaitGroup
}

func (d *Dispatcher) init() {
	d.once.Do(func() {
		if d.Owner == "" {
			var b [8]byte
			rand.Read(b[:])
			d.Owner = hex.EncodeToString(b[:])
		}
		if d.Now == nil {
			d.Now = time.Now
		}
		if d.Timeout == 0 {
			d.Timeout = DefaultTimeout
		}
		if d.Concurrency == 0 {
			d.Concurrency = DefaultConcurrency
		}
		if d.Lease == 0 {
			d.Lease = DefaultLease
		}
		if d.Poll == 0 {
			d.Poll = DefaultPoll
		}
		if d.Log == nil {
			d.Log = slog.New(slog.DiscardHandler)
		}
		if d.Jitter == nil {
			d.Jitter = jitter
		}
		dialer := &net.Dialer{Timeout: d.Timeout}
		if !d.AllowPrivate {
			dialer.Control = publicOnly
		}
		d.client = &http.Client{
			Timeout: d.Timeout,
			Transport: &http.Transport{
				DialContext:           dialer.DialContext,
				TLSHandshakeTimeout:   d.Timeout,
				ResponseHeaderTimeout: d.Timeout,
				MaxIdleConnsPerHost:   d.Concurrency,
				IdleConnTimeout:       90 * time.Second,
				// No proxy: a proxy would dial for us, past publicOnly.
				Proxy: nil,
			},
			// Redirects are not followed (API.md §8): a 3xx is a failure.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
		d.busy = map[string]int{}
		d.slots = map[string]chan struct{}{}
		d.freed = make(chan struct{}, 1)
	})
}

// Run dispatches until ctx ends, then waits for the attempts in flight
// (each bounded by Timeout) and returns.
func (d *Dispatcher) Run(ctx context.Context) {
	d.init()
	defer d.sendWG.Wait()
	tick := time.NewTicker(d.Poll)
	defer tick.Stop()
	wake := d.Queue.DeliveriesCommitted()
	var failing claimFailures
	for {
		full, err := d.claimAndSend(ctx)
		if ctx.Err() == nil {
			failing.note(d.Log, err, time.Now())
		}
		if full && err == nil {
			continue // more may be due right now
		}
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-tick.C:
		case <-d.freed:
		}
	}
}

// claimFailures keeps a database outage, which fails every poll's claim,
// from logging an error a second: a failure is logged at most once a
// minute, with how many failed meanwhile, and the recovery after a logged
// failure once (claims that fail and succeed by turns log no more).
type claimFailures struct {
	n, unlogged int
	logged      time.Time
	// told: a failure was logged since the last recovery was.
	told bool
}

func (f *claimFailures) note(log *slog.Logger, err error, now time.Time) {
	switch {
	case err == nil && f.told:
		log.Info("webhook claims work again", "failed_claims", f.n)
		f.n, f.unlogged, f.told = 0, 0, false
	case err == nil:
	case f.logged.IsZero() || now.Sub(f.logged) >= claimFailureLogEvery:
		f.n++
		log.Error("webhook claim failed; deliveries wait (retrying every poll)", "err", err, "failed_claims", f.n,
			"unlogged_since_last", f.unlogged)
		f.logged, f.unlogged, f.told = now, 0, true
	default:
		f.n++
		f.unlogged++
	}
}

// claimFailureLogEvery spaces the errors of a claim that keeps failing.
const claimFailureLogEvery = time.Minute

// RunOnce claims what is due now, sends it and records the outcomes
// before it returns: one step of Run, for tests driving the clock.
func (d *Dispatcher) RunOnce(ctx context.Context) error {
	d.init()
	for {
		full, err := d.claimAndSend(ctx)
		d.sendWG.Wait()
		if err != nil || !full {
			return err
		}
	}
}

// claimAndSend claims due deliveries for the free slots, leaving out the
// endpoints already at their concurrency, and starts sending them. It
// reports whether it took as many as it asked for.
func (d *Dispatcher) claimAndSend(ctx context.Context) (bool, error) {
	d.mu.Lock()
	n := min(maxInFlight-d.total, claimBatch)
	busy := make([]string, 0, len(d.busy))
	for id, k := range d.busy {
		if k >= d.Concurrency {
			busy = append(busy, id)
		}
	}
	d.mu.Unlock()
	if n <= 0 {
		return false, nil
	}
	claims, err := d.Queue.ClaimDeliveries(ctx, d.Owner, n, busy, d.Now(), d.Lease)
	if err != nil {
		return false, err
	}
	d.mu.Lock()
	for _, c := range claims {
		d.busy[c.EndpointID]++
		d.total++
		if d.slots[c.EndpointID] == nil {
			d.slots[c.EndpointID] = make(chan struct{}, d.Concurrency)
		}
	}
	d.mu.Unlock()
	for _, c := range claims {
		d.sendWG.Add(1)
		go func() {
			defer d.sendWG.Done()
			d.deliver(c)
		}()
	}
	return len(claims) == n, nil
}

// deliver waits for a turn of its endpoint, makes the attempt and records it.
func (d *Dispatcher) deliver(c *partnerd.DeliveryClaim) {
	d.mu.Lock()
	slot := d.slots[c.EndpointID]
	d.mu.Unlock()
	slot <- struct{}{}
	o := d.attempt(c)
	<-slot
	d.mu.Lock()
	if d.busy[c.EndpointID]--; d.busy[c.EndpointID] == 0 {
		delete(d.busy, c.EndpointID)
		delete(d.slots, c.EndpointID)
	}
	d.total--
	d.mu.Unlock()
	select {
	case d.freed <- struct{}{}:
	default:
	}
	// Recorded even when Run's context has ended: the attempt was made.
	ok, err := d.Queue.RecordDelivery(context.Background(), o)
	result := o.Status
	switch {
	case err != nil:
		d.Log.Error("webhook outcome not recorded", "delivery", partnerd.DeliveryID(c.Seq), "err", err)
		result = "error"
	case !ok:
		result = "lost"
	}
	if d.Observe != nil {
		d.Observe(result)
	}
}

// attempt sends c once and decides what follows.
func (d *Dispatcher) attempt(c *partnerd.DeliveryClaim) partnerd.DeliveryOutcome {
	start := d.Now()
	code, retryAfterHeader, err := d.send(c, start)
	o := partnerd.DeliveryOutcome{Claim: c, At: start, HTTPCode: code, Duration: max(d.Now().Sub(start), 0)}
	end := start.Add(o.Duration)
	if err == nil && code >= 200 && code < 300 {
		o.Status, o.Recovered = partnerd.DeliverySucceeded, !c.FailingSince.IsZero()
		return o
	}
	if err != nil {
		o.Error = err.Error()
	} else {
		o.Error = "HTTP " + strconv.Itoa(code)
	}
	o.Status = partnerd.DeliveryFailed
	// Each wait counts from the attempt's end: after an attempt that
	// took the whole timeout, the receiver still gets its 5 s.
	wait, more := nextDelay(c.Attempt, d.Jitter())
	// A 429 or 503 may ask for a longer wait, never a shorter one: the
	// reply spends one attempt like any failure, and a short Retry-After
	// in its place would spend the schedule's ten in seconds.
	if ra, ok := retryAfter(retryAfterHeader, end); ok && (code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable) {
		wait = max(wait, ra)
	}
	o.NextAt = end.Add(wait)
	if !more {
		o.Status = partnerd.DeliveryDead
	}
	switch {
	case code == http.StatusGone:
		o.Status, o.Disable = partnerd.DeliveryDead, true
	case !c.FailingSince.IsZero() && start.Sub(c.FailingSince) >= disableAfter:
		o.Disable = true
	}
	return o
}

// send makes the request and returns the status and Retry-After, or the
// network error.
func (d *Dispatcher) send(c *partnerd.DeliveryClaim, now time.Time) (int, string, error) {
	body := Body(&c.Event)
	ts := now.Unix()
	sig, err := Sign(c.Secrets, c.Event.ID, ts, body)
	if err != nil {
		return 0, "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), d.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(body))
	if err != nil {
		return 0, "", fmt.Errorf("bad URL: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "partnerd-webhooks/1")
	req.Header.Set("webhook-id", c.Event.ID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("webhook-signature", sig)
	resp, err := d.client.Do(req)
	if err != nil {
		var ue interface{ Timeout() bool }
		if errors.As(err, &ue) && ue.Timeout() {
			return 0, "", fmt.Errorf("timed out after %s", d.Timeout)
		}
		if errors.Is(err, errPrivate) {
			return 0, "", errPrivate
		}
		// A lookup error names the resolver it asked ("on 10.0.0.53:53"):
		// this network's layout, not the partner's business.
		var dns *net.DNSError
		if errors.As(err, &dns) {
			if dns.IsNotFound {
				return 0, "", fmt.Errorf("DNS lookup of %s: no such host", dns.Name)
			}
			return 0, "", fmt.Errorf("DNS lookup of %s failed", dns.Name)
		}
		// The url.Error's cause, without the URL (it may hold a token).
		if cause := errors.Unwrap(err); cause != nil {
			return 0, "", cause
		}
		return 0, "", err
	}
	// Read at most maxResponseRead, so the connection may be reused
	// without a huge body being swallowed.
	io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseRead))
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Retry-After"), nil
}
