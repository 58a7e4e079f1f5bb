package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/client"
	"github.com/partnerd/partnerd/internal/wire"
)

const (
	crashWorkers   = 16
	crashCustomers = 10
	crashKills     = 5
	// crashFunded is what the operator credits the partner with: far more
	// than the load can move, so transfers are refused only by design.
	crashFunded = int64(10_000_000_00)
)

// crashOpState is what the test knows about one money movement.
type crashOpState int

const (
	// crashUnknown: no complete response yet (the process died under it,
	// or the connection failed).
	crashUnknown crashOpState = iota
	// crashDone: a 2xx arrived, on the first try or on a retry with the
	// same key; the movement has exactly one effect.
	crashDone
	// crashRejected: a 4xx (insufficient_balance) arrived; no effect.
	crashRejected
)

// crashOp is one transfer-balance or withdraw-balance request: the same
// key and body are used for every try.
type crashOp struct {
	key, desc string
	customer  string
	withdraw  bool
	amount    int64 // paise, positive
	round     int

	state         crashOpState
	how           string // ack, ack-replayed, replayed-after-crash, fresh-after-crash
	txnID         string
	resp          *partnerd.Transfer // the first 2xx
	partnerAfter  int64
	customerAfter int64
}

func (op *crashOp) path() string {
	verb := "transfer-balance"
	if op.withdraw {
		verb = "withdraw-balance"
	}
	return "/api/v1/partner/accounts/" + op.customer + "/" + verb
}

// signed is the op's effect on the customer's balance.
func (op *crashOp) signed() int64 {
	if op.withdraw {
		return -op.amount
	}
	return op.amount
}

func crashNewOp(rng *rand.Rand, customers []string, key string, round int) *crashOp {
	customer := customers[rng.IntN(len(customers))]
	if rng.IntN(10) < 4 {
		return crashMakeOp(key, customer, true, 1+rng.Int64N(3000), round)
	}
	return crashMakeOp(key, customer, false, 100+rng.Int64N(4900), round)
}

func crashMakeOp(key, customer string, withdraw bool, amount int64, round int) *crashOp {
	op := &crashOp{key: key, customer: customer, withdraw: withdraw, amount: amount, round: round}
	// Characters JSON escapes, so the replayed and logged descriptions are
	// compared after a non-trivial round trip.
	op.desc = "crash op " + key + " <&> é"
	return op
}

// body is the request body the client sends for op.
func (op *crashOp) body() []byte {
	b, _ := json.Marshal(wire.NewTransferRequest(partnerd.TransferInput{AuthID: op.customer, Amount: op.amount, Description: &op.desc}, "INR"))
	return b
}

// settle records a complete response to op. It returns a description of
// anything a correct server cannot answer, or "".
func (op *crashOp) settle(partnerID string, r crashResp, retry bool) string {
	switch {
	case r.status == http.StatusOK:
		if r.err != nil {
			return fmt.Sprintf("%s: 200 body does not decode: %v", op.key, r.err)
		}
		tr := r.transfer
		from, to := partnerID, op.customer
		if op.withdraw {
			from, to = to, from
		}
		pa, ca := tr.PartnerBalanceAfter, tr.CustomerBalanceAfter
		if !strings.HasPrefix(tr.TransactionID, "txn_") || tr.FromAccount != from || tr.ToAccount != to ||
			tr.Amount != op.amount || tr.Currency != "INR" || tr.Description == nil ||
			*tr.Description != op.desc || tr.Status != "completed" || pa < 0 || ca < 0 || tr.Timestamp.IsZero() {
			return fmt.Sprintf("%s: 200 body does not describe the request %s: %s", op.key, op.body(), r)
		}
		op.state, op.txnID, op.resp, op.partnerAfter, op.customerAfter = crashDone, tr.TransactionID, tr, pa, ca
		switch {
		case !retry && r.replayed:
			// The transport may resend a request that carries an
			// Idempotency-Key when a kept-alive connection broke under it.
			op.how = "ack-replayed"
		case !retry:
			op.how = "ack"
		case r.replayed:
			op.how = "replayed-after-crash"
		default:
			op.how = "fresh-after-crash"
		}
	case r.status == http.StatusBadRequest && partnerd.ErrorCode(r.err) == partnerd.ECInsufficientBalance:
		op.state = crashRejected
	default:
		return fmt.Sprintf("%s (%s %s): unexpected response %s", op.key, op.path(), op.body(), r)
	}
	return ""
}

// crashLoad is a set of workers sending transfers and withdrawals with
// fresh keys until halted.
type crashLoad struct {
	api       *crashAPI
	customers []string
	round     int
	seed      uint64
	stop      chan struct{}
	wg        sync.WaitGroup
	acks      atomic.Int64

	mu        sync.Mutex
	ops       []*crashOp
	anomalies []string
}

func crashStartLoad(api *crashAPI, customers []string, round int, seed uint64) *crashLoad {
	l := &crashLoad{api: api, customers: customers, round: round, seed: seed, stop: make(chan struct{})}
	for w := range crashWorkers {
		l.wg.Add(1)
		go l.worker(w)
	}
	return l
}

func (l *crashLoad) worker(w int) {
	defer l.wg.Done()
	rng := rand.New(rand.NewPCG(l.seed, uint64(l.round*1000+w)))
	var mine []*crashOp
	var odd []string
	defer func() {
		l.mu.Lock()
		l.ops = append(l.ops, mine...)
		l.anomalies = append(l.anomalies, odd...)
		l.mu.Unlock()
	}()
	for n := 0; ; n++ {
		select {
		case <-l.stop:
			return
		default:
		}
		op := crashNewOp(rng, l.customers, fmt.Sprintf("r%d-w%02d-%05d", l.round, w, n), l.round)
		mine = append(mine, op)
		r, err := l.api.move(op)
		if err != nil {
			continue // unknown: resolved after the restart
		}
		if msg := op.settle(l.api.id, r, false); msg != "" {
			odd = append(odd, msg)
		}
		if op.state == crashDone {
			l.acks.Add(1)
		}
	}
}

// signal tells the workers to send no new request; the ones in flight go on.
func (l *crashLoad) signal() {
	select {
	case <-l.stop:
	default:
		close(l.stop)
	}
}

// halt stops the workers, waits for them and returns every op they sent.
func (l *crashLoad) halt(t *testing.T) []*crashOp {
	t.Helper()
	l.signal()
	l.wg.Wait()
	for i, msg := range l.anomalies {
		if i == 10 {
			t.Errorf("… and %d more anomalies", len(l.anomalies)-i)
			break
		}
		t.Errorf("round %d: %s", l.round, msg)
	}
	return l.ops
}

// crashSetup builds the binary and creates a database with a funded
// partner, with the operator commands, as an operator would.
func crashSetup(t *testing.T) (bin, db, partnerID, token string) {
	t.Helper()
	bin = crashBuildBinary(t)
	db = t.TempDir() + "/partnerd.db"
	partnerID, token = crashCreatePartner(t, bin, db, crashEnv())
	return bin, db, partnerID, token
}

// crashCreatePartner creates (or migrates) db, creates a partner on it and
// funds it with crashFunded, with the operator commands run in env, as an
// operator would.
func crashCreatePartner(t *testing.T, bin, db string, env []string) (partnerID, token string) {
	t.Helper()
	// Only serve and migrate create a database.
	if out, errOut, code := crashRunEnv(t, bin, env, "migrate", "--db", db); code != 0 {
		t.Fatalf("migrate: exit %d: %s\n%s", code, errOut, out)
	}
	out, errOut, code := crashRunEnv(t, bin, env, "partner", "create", "--db", db, "--name", "Crash Test Reseller", "--email", "ops@crash.example.com")
	if code != 0 {
		t.Fatalf("partner create: exit %d: %s", code, errOut)
	}
	var p struct {
		AuthID    string `json:"auth_id"`
		AuthToken string `json:"auth_token"`
	}
	if err := json.Unmarshal([]byte(out), &p); err != nil || p.AuthID == "" || p.AuthToken == "" {
		t.Fatalf("partner create printed %q (%v)", out, err)
	}
	out, errOut, code = crashRunEnv(t, bin, env, "partner", "fund", "--db", db, "--description", "crash test float", p.AuthID, crashFormat(crashFunded))
	if code != 0 {
		t.Fatalf("partner fund: exit %d: %s\n%s", code, errOut, out)
	}
	return p.AuthID, p.AuthToken
}

// crashCreateCustomers creates n customers with the published fields.
func crashCreateCustomers(t *testing.T, api *crashAPI, n int) []string {
	t.Helper()
	var ids []string
	for i := range n {
		id, err := crashCreateCustomer(api, "Crash", "crash", i)
		if err != nil {
			t.Fatalf("create customer %d: %v", i, err)
		}
		ids = append(ids, id)
	}
	return ids
}

// crashCreateCustomer creates the i-th customer named for the test, with a
// key so that a retried request cannot make two.
func crashCreateCustomer(api *crashAPI, name, domain string, i int) (string, error) {
	ctx := client.WithIdempotencyKey(context.Background(), fmt.Sprintf("%s-create-%d", domain, i))
	a, err := api.c.CreateAccount(ctx, "", partnerd.AccountInput{
		Name: fmt.Sprintf("%s Customer %d", name, i), Email: fmt.Sprintf("customer%d@%s.example.com", i, domain),
		Password: "SecurePass@123", Phone: "9431538535", Country: "IN",
	})
	if err != nil {
		return "", err
	}
	return a.AuthID, nil
}

// resolveMode says how crashResolve treats a 409 idempotency_key_in_use.
type resolveMode int

const (
	// resolveStrict: no key may still be held (nothing died holding one).
	resolveStrict resolveMode = iota
	// resolveLater: a key may be held by a request that died with its
	// process, whose in-flight marker holds it until its lease (60 s,
	// API.md §1) ends: the op stays unknown, for a later resolve.
	resolveLater
	// resolveWait: as resolveLater, but retry each second until every
	// lease ended and every op has its outcome.
	resolveWait
)

// crashResolve retries every op without a known outcome, with its own key
// and body, on a restarted server. A committed effect must be replayed, an
// uncommitted one executes now (or is refused); a request that died
// holding its key answers 409 until its lease ends (mode).
func crashResolve(t *testing.T, api *crashAPI, ops []*crashOp, mode resolveMode) {
	t.Helper()
	deadline := time.Now().Add(partnerd.IdempotencyLease + 15*time.Second)
	for {
		held := 0
		for _, op := range ops {
			if op.state != crashUnknown {
				continue
			}
			r, err := api.move(op)
			if err != nil {
				t.Fatalf("retry %s on a healthy server: %v", op.key, err)
			}
			if mode != resolveStrict && r.status == http.StatusConflict && partnerd.ErrorCode(r.err) == partnerd.ECIdempotencyInUse {
				held++
				continue
			}
			if msg := op.settle(api.id, r, true); msg != "" {
				t.Errorf("retry after restart: %s", msg)
			}
		}
		switch {
		case held == 0 || mode != resolveWait:
			return
		case time.Now().After(deadline):
			t.Errorf("%d keys still in use %v after their requests died: their markers outlived the lease", held, partnerd.IdempotencyLease)
			return
		}
		time.Sleep(time.Second)
	}
}

// crashReplay retries acknowledged ops: each must get its stored response
// back, the same transfer, marked Idempotent-Replayed.
func crashReplay(t *testing.T, api *crashAPI, ops []*crashOp) int {
	t.Helper()
	work := make(chan *crashOp)
	var mu sync.Mutex
	var bad []string
	var wg sync.WaitGroup
	n := 0
	for range crashWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for op := range work {
				r, err := api.move(op)
				var msg string
				switch {
				case err != nil:
					msg = fmt.Sprintf("replay %s: %v", op.key, err)
				case r.status != http.StatusOK || !r.replayed || !cmp.Equal(r.transfer, op.resp):
					msg = fmt.Sprintf("replay %s (%s): got %s replayed=%v, want 200 replayed=true %+v",
						op.key, op.how, r, r.replayed, *op.resp)
				}
				if msg != "" {
					mu.Lock()
					bad = append(bad, msg)
					mu.Unlock()
				}
			}
		}()
	}
	for _, op := range ops {
		if op.state == crashDone {
			work <- op
			n++
		}
	}
	close(work)
	wg.Wait()
	for i, msg := range bad {
		if i == 10 {
			t.Errorf("… and %d more bad replays", len(bad)-i)
			break
		}
		t.Error(msg)
	}
	return n
}

// crashCheckFinal compares the server's books with what the client
// learned: each op with an effect appears exactly once in both logs, with
// the id and balances its response gave; nothing else appears; every
// balance is the sum of the effects.
func crashCheckFinal(t *testing.T, api *crashAPI, customers []string, ops []*crashOp) {
	t.Helper()
	byDesc := map[string]*crashOp{}
	byTxn := map[string]*crashOp{}
	want := map[string]int64{}
	effects := 0
	for _, op := range ops {
		byDesc[op.desc] = op
		if op.state == crashUnknown {
			t.Errorf("%s: still unresolved", op.key)
		}
		if op.state == crashDone {
			effects++
			want[op.customer] += op.signed()
			if other := byTxn[op.txnID]; other != nil {
				t.Errorf("keys %s and %s were both answered with transaction %s", other.key, op.key, op.txnID)
			}
			byTxn[op.txnID] = op
		}
	}

	// The customers' side, through GET /transactions.
	seen := map[string]int{}
	moves := 0
	for _, e := range api.entries(t, false) {
		seen[e.TransactionID]++
		if e.Type == "recharge" || e.Type == "withdrawal" {
			moves++
		}
		if e.Description == nil || byDesc[*e.Description] == nil {
			t.Errorf("customer log has entry %+v that no request made", e)
			continue
		}
		op := byDesc[*e.Description]
		wantType := "recharge"
		if op.withdraw {
			wantType = "withdrawal"
		}
		switch {
		case op.state != crashDone:
			t.Errorf("key %s (state %d) has no acknowledged effect, yet the customer log has %+v", op.key, op.state, e)
		case e.TransactionID != op.txnID:
			t.Errorf("key %s was acknowledged as %s, but the customer log has its effect as %s", op.key, op.txnID, e.TransactionID)
		case e.AccountAuthID != op.customer || e.Type != wantType || e.Currency != "INR" || e.Amount != op.signed():
			t.Errorf("key %s (%s %s to %s): customer log row %+v", op.key, wantType, crashFormat(op.signed()), op.customer, e)
		case e.BalanceAfter != op.customerAfter:
			t.Errorf("key %s: response said customer_balance_after %s, log says %s", op.key, crashFormat(op.customerAfter), crashFormat(e.BalanceAfter))
		}
	}
	for _, op := range ops {
		if op.state == crashDone && seen[op.txnID] != 1 {
			t.Errorf("acknowledged %s (%s, %s) appears %d times in the customer log", op.txnID, op.key, op.how, seen[op.txnID])
		}
	}
	if moves != effects || len(seen) != effects {
		t.Errorf("customer log has %d recharge/withdrawal rows in %d transactions, want %d (one per key with an effect)",
			moves, len(seen), effects)
	}

	// The partner's side, through GET /me/transactions.
	funds := 0
	pseen := map[string]int{}
	for _, e := range api.entries(t, true) {
		if e.Type == "fund" {
			funds++
			if e.Amount != crashFunded {
				t.Errorf("fund row %+v, want amount %s", e, crashFormat(crashFunded))
			}
			continue
		}
		pseen[e.TransactionID]++
		op := byTxn[e.TransactionID]
		switch {
		case op == nil:
			t.Errorf("partner log has %+v that matches no acknowledged effect", e)
		case e.Amount != -op.signed():
			t.Errorf("key %s: partner log row %+v, want amount %s", op.key, e, crashFormat(-op.signed()))
		case e.BalanceAfter != op.partnerAfter:
			t.Errorf("key %s: response said partner_balance_after %s, log says %s", op.key, crashFormat(op.partnerAfter), crashFormat(e.BalanceAfter))
		}
	}
	if funds != 1 || len(pseen) != effects {
		t.Errorf("partner log has %d fund rows and %d transfers, want 1 and %d", funds, len(pseen), effects)
	}
	for id, n := range pseen {
		if n != 1 {
			t.Errorf("partner log has %s %d times", id, n)
		}
	}

	// Balances.
	var sum int64
	ctx := context.Background()
	for _, c := range customers {
		b, err := api.c.Balance(ctx, c)
		if err != nil {
			t.Fatalf("GET balance of %s: %v", c, err)
		}
		if b.Balance != want[c] {
			t.Errorf("customer %s balance %s, want %s (the sum of its effects)", c, crashFormat(b.Balance), crashFormat(want[c]))
		}
		sum += want[c]
	}
	me, err := api.c.Me(ctx)
	if err != nil {
		t.Fatalf("GET /me: %v", err)
	}
	if me.Balance != crashFunded-sum {
		t.Errorf("partner balance %s, want funded %s − customers %s = %s", crashFormat(me.Balance), crashFormat(crashFunded),
			crashFormat(sum), crashFormat(crashFunded-sum))
	}
}

// crashTally counts ops by outcome, for the log.
func crashTally(ops []*crashOp) string {
	n := map[string]int{}
	for _, op := range ops {
		switch op.state {
		case crashDone:
			n[op.how]++
		case crashRejected:
			n["rejected"]++
		default:
			n["unknown"]++
		}
	}
	var parts []string
	for _, k := range []string{"ack", "ack-replayed", "replayed-after-crash", "fresh-after-crash", "rejected", "unknown"} {
		if n[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", k, n[k]))
		}
	}
	return fmt.Sprintf("%d ops: %s", len(ops), strings.Join(parts, " "))
}

// TestCrashRecovery runs the real binary under concurrent transfers and
// withdrawals, SIGKILLs it at a random moment several times, restarts it on
// the same database each time, and proves that no acknowledged movement is
// lost or doubled, that no unacknowledged one is half-applied, and that
// "ledger verify" passes after every crash.
func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary; skipped in -short mode")
	}
	crashRecovery(t, t.TempDir()+"/partnerd.db", crashEnv())
}

// crashRecovery is the body of TestCrashRecovery on the database db (a
// new, empty one), with env the environment of every child process.
func crashRecovery(t *testing.T, db string, env []string) {
	began := time.Now()
	bin := crashBuildBinary(t)
	partnerID, token := crashCreatePartner(t, bin, db, env)
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 0))
	t.Logf("seed %d", seed)

	srv := crashStartEnv(t, bin, db, env)
	api := crashNewAPI(srv.url, partnerID, token)
	customers := crashCreateCustomers(t, api, crashCustomers)

	var ops []*crashOp
	unknownAtKill := 0
	for round := 1; round <= crashKills; round++ {
		if round > 1 {
			restart := time.Now()
			srv = crashStartEnv(t, bin, db, env)
			api = crashNewAPI(srv.url, partnerID, token)
			up := time.Since(restart)
			crashResolve(t, api, ops, resolveLater)
			// Everything acknowledged just before the kill must have
			// survived it and replay identically.
			var last []*crashOp
			for _, op := range ops {
				if op.round == round-1 {
					last = append(last, op)
				}
			}
			n := crashReplay(t, api, last)
			t.Logf("restart %d: up in %v; round %d after retries: %s; %d acknowledged replayed", round-1,
				up.Round(time.Millisecond), round-1, crashTally(last), n)
			if t.Failed() {
				t.FailNow()
			}
		}
		load := crashStartLoad(api, customers, round, seed)
		after := 300*time.Millisecond + time.Duration(rng.Int64N(int64(1200*time.Millisecond)))
		time.Sleep(after)
		// No new requests from here on; the kill lands on those in flight.
		load.signal()
		srv.kill(t)
		roundOps := load.halt(t)
		api.close()
		unknown := 0
		for _, op := range roundOps {
			if op.state == crashUnknown {
				unknown++
			}
		}
		unknownAtKill += unknown
		t.Logf("kill %d after %v: %s", round, after.Round(time.Millisecond), crashTally(roundOps))
		ops = append(ops, roundOps...)
		// The database as the crash left it must already be consistent.
		crashVerifyLedgerEnv(t, bin, env, db, fmt.Sprintf("after kill %d", round))
		if t.Failed() {
			t.FailNow()
		}
	}
	if unknownAtKill == 0 {
		t.Errorf("no request was in flight at any of the %d kills; the test proved nothing about them", crashKills)
	}

	// Last restart: resolve what the last kill left open, replay every
	// acknowledged op, and audit the books.
	srv = crashStartEnv(t, bin, db, env)
	api = crashNewAPI(srv.url, partnerID, token)
	defer api.close()
	crashResolve(t, api, ops, resolveWait)
	n := crashReplay(t, api, ops)
	crashCheckFinal(t, api, customers, ops)
	t.Logf("all rounds: %s; %d acknowledged replayed identically", crashTally(ops), n)
	if code := srv.terminate(t, 25*time.Second); code != 0 {
		t.Errorf("SIGTERM: exit code %d, want 0; stderr:\n%s", code, srv.stderr.tail(20))
	}
	crashVerifyLedgerEnv(t, bin, env, db, "at the end")
	t.Logf("%s took %v", t.Name(), time.Since(began).Round(time.Millisecond))
}

// TestGracefulSIGTERM stops a loaded server with SIGTERM while a request is
// provably inside a handler: the request completes, new connections are
// refused, the process exits 0, and no request that was cut off had
// already taken effect.
func TestGracefulSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary; skipped in -short mode")
	}
	began := time.Now()
	bin, db, partnerID, token := crashSetup(t)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	srv := crashStart(t, bin, db)
	api := crashNewAPI(srv.url, partnerID, token)
	customers := crashCreateCustomers(t, api, 3)

	load := crashStartLoad(api, customers, 1, seed)
	deadline := time.Now().Add(10 * time.Second)
	for load.acks.Load() < 50 {
		if time.Now().After(deadline) {
			t.Fatalf("fewer than 50 transfers acknowledged in 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}

	// A transfer that is inside its handler when SIGTERM arrives: with
	// Expect: 100-continue the server says "100 Continue" only once the
	// handler reads the body, and the body is sent only after shutdown
	// has begun.
	slow := crashMakeOp("sigterm-inflight", customers[0], false, 1234, 0)
	conn, err := net.DialTimeout("tcp", srv.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nX-Auth-ID: %s\r\nX-Auth-Token: %s\r\nContent-Type: application/json\r\n"+
		"Idempotency-Key: %s\r\nExpect: 100-continue\r\nContent-Length: %d\r\n\r\n",
		slow.path(), srv.addr, partnerID, token, slow.key, len(slow.body()))
	br := bufio.NewReader(conn)
	cont, err := http.ReadResponse(br, nil)
	if err != nil || cont.StatusCode != http.StatusContinue {
		t.Fatalf("want 100 Continue before the body, got %v %v", cont, err)
	}

	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	termAt := time.Now()
	// The workers' requests in flight now must complete; send no new ones.
	load.signal()
	// Shutdown closes the listener first: new connections are refused.
	for {
		c, err := net.DialTimeout("tcp", srv.addr, time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Since(termAt) > 10*time.Second {
			t.Fatal("the server still accepts connections 10s after SIGTERM")
		}
		time.Sleep(2 * time.Millisecond)
	}
	ops := load.halt(t)
	select {
	case <-srv.exited:
		t.Fatalf("the server exited (%v) with a request still in its handler", srv.state)
	default:
	}
	if _, err := conn.Write(slow.body()); err != nil {
		t.Fatalf("send the body after SIGTERM: %v", err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("the in-flight request got no response after SIGTERM: %v", err)
	}
	r, err := crashRespOf(resp)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("in-flight request after SIGTERM: %v", err)
	}
	if msg := slow.settle(partnerID, r, false); msg != "" || slow.state != crashDone {
		t.Fatalf("in-flight request after SIGTERM: %s %s", r, msg)
	}
	code := srv.waitExit(t, 25*time.Second)
	if code != 0 {
		t.Fatalf("exit code %d after SIGTERM, want 0; stderr:\n%s", code, srv.stderr.tail(20))
	}
	t.Logf("exited 0 %v after SIGTERM; load: %s", time.Since(termAt).Round(time.Millisecond), crashTally(ops))
	ops = append(ops, slow)
	crashVerifyLedger(t, bin, db, "after SIGTERM")

	// Restart: whatever the workers did not get an answer for was never
	// started (refused connection), so its retry must run fresh: a replay
	// would mean shutdown dropped a response, a 409 that it left a marker.
	srv = crashStart(t, bin, db)
	api = crashNewAPI(srv.url, partnerID, token)
	defer api.close()
	var cut []*crashOp
	for _, op := range ops {
		if op.state == crashUnknown {
			cut = append(cut, op)
		}
	}
	crashResolve(t, api, cut, resolveStrict)
	for _, op := range cut {
		if op.how == "replayed-after-crash" {
			t.Errorf("%s had no response before the graceful exit, but its retry says %q (state %d): shutdown cut off a started request",
				op.key, op.how, op.state)
		}
	}
	n := crashReplay(t, api, ops)
	crashCheckFinal(t, api, customers, ops)
	if code := srv.terminate(t, 25*time.Second); code != 0 {
		t.Errorf("second SIGTERM: exit code %d", code)
	}
	crashVerifyLedger(t, bin, db, "at the end")
	t.Logf("after restart: %d cut-off requests retried, %d acknowledged replayed; took %v", len(cut), n,
		time.Since(began).Round(time.Millisecond))
}
