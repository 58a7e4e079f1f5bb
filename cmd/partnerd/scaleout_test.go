package main

import (
	"context"
	"math/rand/v2"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/partnerd/partnerd/internal/banktest"
)

const (
	scaleInstances = 3
	scaleCustomers = 30
	scaleWorkers   = 32
	// scaleOps bounds the operations per worker, scaleDuration the time
	// in which workers start new ones. The run must last well past the
	// kill and the restart (at most ~3.5s in), so that the restarted
	// instance serves requests too. A key whose request died with the
	// killed instance is free at once (holds live in the memory of the
	// instance serving the request), so its worker's retry settles it.
	scaleOps      = 200
	scaleDuration = 10 * time.Second
	// scaleFunded is what the operator credits the partner with, in paise.
	scaleFunded = int64(1_000_000_00)
)

// The credentials "partnerd serve" prints on its first start.
var (
	scaleFirstID    = regexp.MustCompile(`(?m)^  X-Auth-ID:    (PA_[A-Z0-9]{8})$`)
	scaleFirstToken = regexp.MustCompile(`(?m)^  X-Auth-Token: (sk_live_[A-Za-z0-9]{32,})$`)
)

// scaleKill is what the DuringRun hook did, for the test to check after
// the run.
type scaleKill struct {
	victim     int
	after      time.Duration // from the start of the run to SIGKILL
	down       time.Duration // from SIGKILL until /healthz answered again
	verified   bool          // ledger verify passed while the instance was down
	inRun      bool          // ... while money was still moving
	restartErr error
	srv        *crashServer // the restarted instance
}

// TestScaleOut runs three "partnerd serve" processes on one PostgreSQL
// database, started at once on the empty database, and spreads the bank
// test over them: every request to a random instance, idempotent retries
// to a different one, one instance SIGKILLed mid-run and restarted on the
// same port. Every invariant must hold, every acknowledged transfer must be
// in the ledger exactly once (banktest checks both logs row by row against
// the transaction ids it was given), and "ledger verify" must pass.
func TestScaleOut(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary; skipped in -short mode")
	}
	dsn := pgFreshDSN(t)
	env := pgEnv()
	began := time.Now()
	bin := crashBuildBinary(t)
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 1))
	t.Logf("seed %d", seed)

	// Three instances start at once on the empty database: they migrate
	// in turns under the advisory lock, and exactly one creates the first
	// partner.
	addrs := scaleAddrs(t, scaleInstances)
	servers := make([]*crashServer, scaleInstances)
	errs := make([]error, scaleInstances)
	startAt := time.Now()
	var wg sync.WaitGroup
	for i := range servers {
		wg.Go(func() { servers[i], errs[i] = crashLaunch(t, bin, dsn, addrs[i], env) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("instance %d on %s: %v", i, addrs[i], err)
		}
	}
	t.Logf("%d instances started at once, all answering /healthz after %v", scaleInstances,
		time.Since(startAt).Round(time.Millisecond))

	var partnerID, token string
	var printedBy []int
	for i, s := range servers {
		out := s.stdout.String()
		id, tok := scaleFirstID.FindStringSubmatch(out), scaleFirstToken.FindStringSubmatch(out)
		switch {
		case id != nil && tok != nil:
			printedBy = append(printedBy, i)
			partnerID, token = id[1], tok[1]
		case id != nil || tok != nil || strings.Contains(out, "X-Auth"):
			t.Fatalf("instance %d printed half of the first-start credentials:\n%s", i, out)
		}
	}
	if len(printedBy) != 1 {
		t.Fatalf("instances %v printed first-start credentials, want exactly one of the %d", printedBy, scaleInstances)
	}
	out, errOut, code := crashRunEnv(t, bin, env, "partner", "list", "--db", dsn)
	if code != 0 {
		t.Fatalf("partner list: exit %d: %s", code, errOut)
	}
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 1 || !strings.Contains(lines[0], `"auth_id":"`+partnerID+`"`) {
		t.Fatalf("partner list after three first starts, want only %s:\n%s", partnerID, out)
	}
	out, errOut, code = crashRunEnv(t, bin, env, "partner", "fund", "--db", dsn, "--description", "scale-out float",
		partnerID, crashFormat(scaleFunded))
	if code != 0 {
		t.Fatalf("partner fund: exit %d: %s\n%s", code, errOut, out)
	}
	t.Logf("instance %d created partner %s; funded with %s", printedBy[0], partnerID, crashFormat(scaleFunded))

	customers := scaleCreateCustomers(t, servers, partnerID, token, scaleCustomers)
	t.Logf("%d customers created over the %d instances; setup took %v", len(customers), scaleInstances,
		time.Since(began).Round(time.Millisecond))

	var bases []string
	for _, s := range servers {
		bases = append(bases, s.url+"/api/v1/partner")
	}
	// The DuringRun hook reports through kill; the test reads it only
	// after banktest.Run returned, which waits for the hook.
	var kill scaleKill
	killAfter := 500*time.Millisecond + time.Duration(rng.Int64N(int64(1500*time.Millisecond)))
	kill.victim = rng.IntN(scaleInstances)
	res := banktest.Run(t, banktest.Config{
		BaseURLs:  bases,
		PartnerID: partnerID,
		Token:     token,
		Customers: customers,
		Funded:    scaleFunded,
		Workers:   scaleWorkers,
		Ops:       scaleOps,
		Duration:  scaleDuration,
		Seed:      seed,
		DuringRun: func(ctx context.Context) {
			scaleKillOne(ctx, t, bin, dsn, env, servers[kill.victim], killAfter, &kill)
		},
	})
	t.Logf("banktest result: %+v", res)

	switch {
	case kill.after == 0:
		t.Errorf("the run ended before the kill was due (%v in): raise scaleOps or scaleDuration", killAfter)
	case kill.restartErr != nil:
		t.Errorf("instance %d did not come back on %s: %v", kill.victim, addrs[kill.victim], kill.restartErr)
	case !kill.inRun:
		t.Errorf("instance %d came back only after the run ended: raise scaleOps or scaleDuration", kill.victim)
	}
	if kill.srv != nil {
		servers[kill.victim] = kill.srv
		posts := strings.Count(kill.srv.stderr.String(), `"msg":"request","method":"POST"`)
		t.Logf("instance %d: SIGKILL %v into the run, back on the same port after %v; served %d POSTs after the restart",
			kill.victim, kill.after.Round(time.Millisecond), kill.down.Round(time.Millisecond), posts)
		if kill.inRun && posts == 0 {
			t.Errorf("the restarted instance %d served no POST: the run did not use it", kill.victim)
		}
	}
	if kill.after > 0 && res.Transport == 0 {
		t.Errorf("no request failed in transport, though instance %d was killed and down for %v mid-run", kill.victim, kill.down)
	}
	if kill.after > 0 && !kill.verified {
		t.Errorf("ledger verify did not pass while instance %d was down (see above)", kill.victim)
	}

	// The books as the three left them.
	crashVerifyLedgerEnv(t, bin, env, dsn, "after the run")

	// Every instance still running stops cleanly.
	var running []int
	for i, s := range servers {
		select {
		case <-s.exited:
			t.Errorf("instance %d is not running at the end: %v", i, s.state)
			continue
		default:
		}
		running = append(running, i)
		if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Errorf("SIGTERM instance %d: %v", i, err)
		}
	}
	for _, i := range running {
		s := servers[i]
		if code := s.waitExit(t, 25*time.Second); code != 0 {
			t.Errorf("instance %d: exit code %d after SIGTERM, want 0; stderr:\n%s", i, code, s.stderr.tail(20))
		}
	}
	t.Logf("TestScaleOut took %v", time.Since(began).Round(time.Millisecond))
}

// scaleAddrs returns n distinct free 127.0.0.1 addresses.
func scaleAddrs(t *testing.T, n int) []string {
	t.Helper()
	seen := map[string]bool{}
	var addrs []string
	for attempt := 0; len(addrs) < n; attempt++ {
		if attempt == 10*n {
			t.Fatalf("could not find %d distinct free ports", n)
		}
		addr, err := crashFreeAddr()
		if err != nil {
			t.Fatal(err)
		}
		if !seen[addr] {
			seen[addr] = true
			addrs = append(addrs, addr)
		}
	}
	return addrs
}

// scaleCreateCustomers creates n customers with the published body, a few
// at a time, spread over the instances.
func scaleCreateCustomers(t *testing.T, servers []*crashServer, partnerID, token string, n int) []string {
	t.Helper()
	apis := make([]*crashAPI, len(servers))
	for i, s := range servers {
		apis[i] = crashNewAPI(s.url, partnerID, token)
		defer apis[i].close()
	}
	ids := make([]string, n)
	errs := make([]error, n)
	work := make(chan int)
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			for i := range work {
				ids[i], errs[i] = crashCreateCustomer(apis[i%len(apis)], "Scale", "scale", i)
			}
		})
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("create customer %d: %v", i, err)
		}
	}
	return ids
}

// scaleKillOne is the DuringRun hook: after the given time it SIGKILLs s,
// checks the ledger while the other instances keep writing, and about a
// second after the kill starts s again on the same address, so that the
// run's base URLs stay valid. It runs on banktest's goroutine, so it
// reports through k (and t.Errorf), never t.Fatal.
func scaleKillOne(ctx context.Context, t *testing.T, bin, dsn string, env []string, s *crashServer, after time.Duration, k *scaleKill) {
	runStart := time.Now()
	select {
	case <-ctx.Done():
		return
	case <-time.After(after):
	}
	if err := s.killNow(); err != nil {
		t.Errorf("SIGKILL instance %d: %v", k.victim, err)
		return
	}
	killedAt := time.Now()
	k.after = killedAt.Sub(runStart)

	// The database as the crash left it, with two instances still
	// writing, must already be consistent (verify reads one snapshot).
	if err := crashCheckLedger(bin, env, dsn); err != nil {
		t.Errorf("ledger verify while instance %d was down: %v", k.victim, err)
	} else {
		k.verified = true
	}

	time.Sleep(time.Until(killedAt.Add(time.Second)))
	for attempt := 1; ; attempt++ {
		srv, err := crashLaunch(t, bin, dsn, s.addr, env)
		if err == nil {
			k.srv = srv
			break
		}
		// The old process's sockets may linger for a moment.
		if attempt < 5 && strings.Contains(err.Error(), "address already in use") {
			time.Sleep(200 * time.Millisecond)
			continue
		}
		k.restartErr = err
		return
	}
	k.down = time.Since(killedAt)
	k.inRun = ctx.Err() == nil
}
