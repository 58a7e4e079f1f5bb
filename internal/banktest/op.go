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
	"github.com/partnerd/partnerd/internal/wire"
)

// outcome is what the answers so far say about a key.
type outcome int

const (
	outPending outcome = iota // another attempt holds the key: ask again
	outUnknown                // no answer (or a 5xx): money may have moved
	outRefused                // a definitive refusal: the key moved nothing
	outMoved                  // a 2xx: the key moved money, once
)

// op is one money movement under its own Idempotency-Key.
type op struct {
	key, customer, path, desc string
	withdraw                  bool
	amount                    int64
	// altAmount makes a different body under the same key. It asks for
	// more than the partner and its customers hold in all (or for zero
	// when that is too much for the API), so it can never succeed:
	// whichever attempt wins the key, it moves no money.
	altAmount int64
	altSent   bool

	state outcome
	// ok is the first 2xx transfer; every 2xx of the key must equal it.
	ok            *partnerd.Transfer
	executions    int // 2xx without Idempotent-Replayed: true
	partnerAfter  int64
	customerAfter int64
}

// attempt is one request of an op and its answer.
type attempt struct {
	alt     bool
	afterOK bool // sent after the key had been answered with a 2xx
	res     *answer
	err     error
}

// How each op is sent, in percent.
const (
	pctOnce        = 65 // one request
	pctRetryAfter  = 12 // the same request again once the first is answered
	pctRetryDuring = 13 // the same request twice at once, to different instances
	pctAltAfter    = 5  // a different body under the key once it got a 2xx
	// the rest: a different body while the first is in flight
)

type worker struct {
	run *run
	id  int
	rng *rand.Rand // only this worker's goroutine uses it
}

// loop runs ops until the worker's count or the deadline is reached and
// returns them with their outcomes.
func (w *worker) loop(ctx context.Context, deadline time.Time) []*op {
	var ops []*op
	for n := 0; ctx.Err() == nil; n++ {
		if w.run.cfg.Ops > 0 && n >= w.run.cfg.Ops || !deadline.IsZero() && !time.Now().Before(deadline) {
			break
		}
		o := w.newOp(n)
		w.do(ctx, o)
		ops = append(ops, o)
	}
	return ops
}

func (w *worker) newOp(n int) *op {
	r := w.run
	o := &op{
		key:      fmt.Sprintf("bank-%s-%02d-%05d", r.runID, w.id, n),
		customer: r.cfg.Customers[w.rng.IntN(len(r.cfg.Customers))],
		withdraw: w.rng.IntN(100) < 45,
		amount:   w.amount(),
	}
	o.desc = "banktest " + o.key
	verb := "transfer-balance"
	if o.withdraw {
		verb = "withdraw-balance"
	}
	o.path = "/accounts/" + o.customer + "/" + verb
	if r.funded < r.maxAmount() {
		o.altAmount = r.funded + 1 + w.rng.Int64N(min(r.maxAmount()-r.funded, 1000))
	}
	return o
}

// maxAmount is the largest amount the API accepts: 1,000,000,000 major units.
func (r *run) maxAmount() int64 {
	m := int64(1_000_000_000)
	for range partnerd.CurrencyExponent(r.currency) {
		m *= 10
	}
	return m
}

// amount picks a random amount: mostly small, some large enough to empty
// a wallet, a few larger than the partner and customers hold together.
func (w *worker) amount() int64 {
	r := w.run
	n := int64(len(r.cfg.Customers))
	small := max(r.funded/(4*n), 1)
	var a int64
	switch p := w.rng.IntN(100); {
	case p < 85:
		a = 1 + w.rng.Int64N(small)
	case p < 95:
		a = small + w.rng.Int64N(max(2*r.funded/n, 1))
	default:
		a = r.funded/2 + w.rng.Int64N(r.funded+1)
	}
	return min(max(a, 1), r.maxAmount())
}

// do sends o in one of the ways above, then retries it until its outcome
// is definitive.
func (w *worker) do(ctx context.Context, o *op) {
	r := w.run
	i := w.rng.IntN(len(r.c.clients))
	switch p := w.rng.IntN(100); {
	case p < pctOnce:
		o.state = w.judge(o, w.send(ctx, o, i, false))
	case p < pctOnce+pctRetryAfter:
		o.state = w.judge(o, w.send(ctx, o, i, false))
		i = r.c.other(w.rng, i)
		w.note(o, w.judge(o, w.send(ctx, o, i, false)))
	case p < pctOnce+pctRetryAfter+pctRetryDuring:
		a, b := w.sendTwo(ctx, o, i, false)
		o.state = combine(w.judge(o, a), w.judge(o, b))
	case p < pctOnce+pctRetryAfter+pctRetryDuring+pctAltAfter:
		o.state = w.judge(o, w.send(ctx, o, i, false))
		if o.ok != nil {
			i = r.c.other(w.rng, i)
			o.altSent = true
			w.judge(o, w.send(ctx, o, i, true))
		}
	default:
		o.altSent = true
		a, b := w.sendTwo(ctx, o, i, true)
		o.state = w.judge(o, a)
		w.judge(o, b)
	}
	w.settle(ctx, o, i)
}

// note records the outcome of a request sent after every earlier one of
// the key was answered: it is the latest word on the key.
func (w *worker) note(o *op, out outcome) {
	if o.ok == nil {
		o.state = out
	}
}

// combine merges the outcomes of two concurrent requests of the same body.
func combine(a, b outcome) outcome {
	switch {
	case a == outMoved || b == outMoved:
		return outMoved
	case a == outUnknown || b == outUnknown:
		return outUnknown
	case a == outRefused || b == outRefused:
		return outRefused
	}
	return outPending
}

// settle retries o with its own body on other instances until it has a
// 2xx or a definitive refusal. A refusal is definitive only when no
// earlier attempt can still be running: answers are waited for, and a
// dead instance runs nothing more, so the latest answer decides.
func (w *worker) settle(ctx context.Context, o *op, i int) {
	deadline := time.Now().Add(w.run.cfg.SettleTimeout)
	backoff := time.Millisecond
	for o.ok == nil && o.state != outRefused {
		if ctx.Err() != nil {
			return
		}
		if time.Now().After(deadline) {
			w.run.fail("key %s: no definitive answer after %v", o.key, w.run.cfg.SettleTimeout)
			return
		}
		time.Sleep(backoff/2 + time.Duration(w.rng.Int64N(int64(backoff))))
		backoff = min(2*backoff, 250*time.Millisecond)
		i = w.run.c.other(w.rng, i)
		w.note(o, w.judge(o, w.send(ctx, o, i, false)))
	}
}

// send posts o's body (or its alternative) to instance i.
func (w *worker) send(ctx context.Context, o *op, i int, alt bool) attempt {
	amount := o.amount
	if alt {
		amount = o.altAmount
	}
	a := attempt{alt: alt, afterOK: o.ok != nil}
	start := time.Now()
	a.res, a.err = w.run.c.move(ctx, i, o, amount)
	w.run.count(a.res, a.err, time.Since(start))
	return a
}

// sendTwo sends o's body to instance i and, after a short random pause
// (often while the first is still running), o's body again or its
// alternative to another instance.
func (w *worker) sendTwo(ctx context.Context, o *op, i int, alt bool) (first, second attempt) {
	j := w.run.c.other(w.rng, i)
	pause := time.Duration(w.rng.IntN(3000)) * time.Microsecond
	if w.rng.IntN(4) == 0 {
		pause = 0
	}
	done := make(chan attempt, 1)
	go func() { done <- w.send(ctx, o, i, false) }()
	time.Sleep(pause)
	second = w.send(ctx, o, j, alt)
	return <-done, second
}

// judge checks one answer against the API contract and says what it tells
// about the key. Answers to alt never settle the key: alt cannot move money.
func (w *worker) judge(o *op, a attempt) outcome {
	r := w.run
	what := fmt.Sprintf("key %s POST %s", o.key, o.path)
	if a.alt {
		what += " (different body)"
	}
	if a.err != nil {
		if errors.Is(a.err, errTimeout) {
			r.fail("%s: %v", what, a.err)
		}
		return outUnknown
	}
	res := a.res
	what += fmt.Sprintf(" on instance %d (request %s)", res.instance, res.res.RequestID)
	if res.ok() {
		if a.alt {
			r.fail("%s: got %d for a different body under a used key, want 409 or 422: %+v", what, res.res.Status, res.transfer)
			return outPending
		}
		if a.afterOK && !res.res.Replayed {
			r.fail("%s: a retry after the key's 2xx got a 2xx without Idempotent-Replayed: true", what)
		}
		w.checkOK(o, res, what)
		return outMoved
	}
	status := res.res.Status
	if status >= 500 {
		if !r.cfg.Allow5xx && !notReady(status, res.code()) {
			r.fail("%s: got %d: %v", what, status, res.err)
		}
		return outUnknown
	}
	code := res.code()
	switch {
	case a.afterOK && !a.alt:
		r.fail("%s: a retry after the key's 2xx got %d %s, want the 2xx replayed: %v", what, status, code, res.err)
		return outPending
	case a.afterOK && !(status == http.StatusUnprocessableEntity && code == partnerd.ECIdempotencyReused):
		r.fail("%s: a different body after the key's 2xx got %d %s, want 422 %s: %v",
			what, status, code, partnerd.ECIdempotencyReused, res.err)
		return outPending
	case status == http.StatusConflict && code == partnerd.ECIdempotencyInUse:
		return outPending
	case status == http.StatusUnprocessableEntity && code == partnerd.ECIdempotencyReused:
		if !a.alt && !o.altSent {
			r.fail("%s: got 422 %s, but only this body was ever sent with the key", what, code)
		}
		return outPending
	case status == http.StatusBadRequest && code == partnerd.ECInsufficientBalance:
		w.checkInsufficient(o, a.alt, res, what)
		return outRefused
	case status == http.StatusBadRequest && code == partnerd.ECValidation && a.alt && o.altAmount == 0:
		return outRefused
	}
	r.fail("%s: unexpected %d %s: %v", what, status, code, res.err)
	return outRefused
}

// checkOK checks a 2xx transfer, and that every 2xx of the key is the
// same transfer with only the first executed.
func (w *worker) checkOK(o *op, res *answer, what string) {
	r := w.run
	if ct := res.res.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		r.fail("%s: Content-Type %q", what, ct)
	}
	if res.err != nil {
		r.fail("%s: 2xx body: %v", what, res.err)
		return
	}
	b := res.transfer
	if o.ok == nil {
		o.ok = b
	} else if !sameTransfer(o.ok, b) {
		r.fail("%s: two 2xx answers for one key differ:\n%+v\n%+v", what, *o.ok, *b)
	}
	if !res.res.Replayed {
		o.executions++
		if o.executions == 2 {
			r.fail("%s: two 2xx answers without Idempotent-Replayed: true: the key ran twice", what)
		}
	}
	from, to := r.cfg.PartnerID, o.customer
	if o.withdraw {
		from, to = to, from
	}
	var problems []string
	check := func(ok bool, format string, args ...any) {
		if !ok {
			problems = append(problems, fmt.Sprintf(format, args...))
		}
	}
	check(strings.HasPrefix(b.TransactionID, "txn_"), "transaction_id %q", b.TransactionID)
	check(b.FromAccount == from && b.ToAccount == to, "from %s to %s, want from %s to %s", b.FromAccount, b.ToAccount, from, to)
	check(b.Amount == o.amount, "amount %s, want %s", formatMinor(b.Amount, r.currency), formatMinor(o.amount, r.currency))
	check(b.Currency == r.currency, "currency %q, want %q", b.Currency, r.currency)
	check(b.Description != nil && *b.Description == o.desc, "description %v, want %q", b.Description, o.desc)
	check(b.Status == "completed", "status %q", b.Status)
	check(b.PartnerBalanceAfter >= 0, "partner_balance_after %d", b.PartnerBalanceAfter)
	check(b.CustomerBalanceAfter >= 0, "customer_balance_after %d", b.CustomerBalanceAfter)
	check(!b.Timestamp.IsZero() && b.Timestamp.Location() == time.UTC, "timestamp %v", b.Timestamp)
	if len(problems) > 0 {
		r.fail("%s: 2xx body: %s: %+v", what, strings.Join(problems, "; "), *b)
	}
	o.partnerAfter, o.customerAfter = b.PartnerBalanceAfter, b.CustomerBalanceAfter
}

// sameTransfer reports whether two answers describe the same transfer.
func sameTransfer(a, b *partnerd.Transfer) bool {
	x, y := *a, *b
	if (x.Description == nil) != (y.Description == nil) || x.Description != nil && *x.Description != *y.Description {
		return false
	}
	if !x.Timestamp.Equal(y.Timestamp) || x.Timestamp.Location() != y.Timestamp.Location() {
		return false
	}
	x.Description, y.Description = nil, nil
	x.Timestamp, y.Timestamp = time.Time{}, time.Time{}
	return x == y
}

// checkInsufficient checks the figures of an insufficient_balance answer:
// the wallet it names really held less than was asked.
func (w *worker) checkInsufficient(o *op, alt bool, res *answer, what string) {
	r := w.run
	want := o.amount
	if alt {
		want = o.altAmount
	}
	var e *partnerd.Error
	if !errors.As(res.err, &e) {
		r.fail("%s: error body: %v", what, res.err)
		return
	}
	requested, err1 := wire.DetailMoney(e, "requested_amount", r.currency)
	current, err2 := wire.DetailMoney(e, "current_balance", r.currency)
	if err1 != nil || err2 != nil || requested != want || current < 0 || current >= requested || e.Details["currency"] != r.currency {
		r.fail("%s: insufficient_balance with current_balance %v, requested_amount %v, currency %v; asked for %s %s",
			what, e.Details["current_balance"], e.Details["requested_amount"], e.Details["currency"], formatMinor(want, r.currency), r.currency)
	}
}
