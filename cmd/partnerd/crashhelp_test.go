package main

// Helpers for the subprocess tests in crash_test.go: they build the real
// binary, run it as a child process, kill or stop it, and talk to it over
// HTTP like a partner would. Every name here starts with "crash" so that it
// cannot collide with the in-process helpers of the other tests.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/client"
	"github.com/partnerd/partnerd/internal/wire"
)

// crashBuildBinary builds cmd/partnerd (this package) into a temporary
// directory and returns the executable's path. It is built without -race
// even when the test runs with it: the child is the system under test, not
// the place to look for data races, and the plain build is much faster.
func crashBuildBinary(t *testing.T) string {
	t.Helper()
	// "go test" puts its own GOROOT/bin first on PATH for the test.
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command on PATH to build the binary: %v", err)
	}
	out := filepath.Join(t.TempDir(), "partnerd")
	start := time.Now()
	cmd := exec.Command(goBin, "build", "-ldflags=-s -w", "-o", out, ".")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	t.Logf("built %s in %v", out, time.Since(start).Round(time.Millisecond))
	return out
}

// crashEnv is the environment of every child: the test's own, without any
// PARTNERD_ setting, so the key file beside the database is used.
func crashEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PARTNERD_") {
			env = append(env, kv)
		}
	}
	return env
}

// crashRunEnv runs an operator command of the binary to completion, with
// env as its environment.
func crashRunEnv(t *testing.T, bin string, env []string, args ...string) (stdout, stderr string, exitCode int) {
	t.Helper()
	stdout, stderr, exitCode, err := crashExec(bin, env, args...)
	if err != nil {
		t.Fatal(err)
	}
	return stdout, stderr, exitCode
}

// crashExec runs an operator command of the binary to completion within
// 30s. It returns an error only when the command could not run or did not
// finish; it does not touch the test, so any goroutine may call it.
func crashExec(bin string, env []string, args ...string) (stdout, stderr string, exitCode int, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case ctx.Err() != nil:
		return out.String(), errOut.String(), -1, fmt.Errorf("partnerd %s: did not finish within 30s: %v; stderr:\n%s",
			strings.Join(args, " "), err, errOut.String())
	case errors.As(err, &exit):
		return out.String(), errOut.String(), exit.ExitCode(), nil
	default:
		return out.String(), errOut.String(), -1, fmt.Errorf("partnerd %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), errOut.String(), 0, nil
}

// crashVerifyLedger runs "partnerd ledger verify" and fails the test unless
// it exits 0 with every check passing.
func crashVerifyLedger(t *testing.T, bin, db, when string) {
	t.Helper()
	crashVerifyLedgerEnv(t, bin, crashEnv(), db, when)
}

// crashVerifyLedgerEnv is crashVerifyLedger with the child's environment
// given.
func crashVerifyLedgerEnv(t *testing.T, bin string, env []string, db, when string) {
	t.Helper()
	if err := crashCheckLedger(bin, env, db); err != nil {
		t.Fatalf("ledger verify %s: %v", when, err)
	}
}

// crashCheckLedger runs "partnerd ledger verify" and returns an error
// unless it exits 0 with every check passing. It does not touch the test.
func crashCheckLedger(bin string, env []string, db string) error {
	out, errOut, code, err := crashExec(bin, env, "ledger", "verify", "--db", db)
	if err != nil {
		return err
	}
	if code != 0 || strings.Contains(out, "FAIL") || !strings.Contains(out, "checked ") {
		return fmt.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	return nil
}

// crashBuf is an io.Writer the child's output goroutine and the test share.
type crashBuf struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *crashBuf) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *crashBuf) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// tail returns the last n lines, for failure messages.
func (b *crashBuf) tail(n int) string {
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// crashServer is one run of "partnerd serve" as a child process.
type crashServer struct {
	cmd    *exec.Cmd
	addr   string
	url    string
	stdout *crashBuf
	stderr *crashBuf
	exited chan struct{} // closed when Wait returned
	state  *os.ProcessState
}

// crashStart starts "partnerd serve" on db at a free port and waits until
// GET /readyz answers 200. A still-running child is killed when the test
// ends.
func crashStart(t *testing.T, bin, db string) *crashServer {
	t.Helper()
	return crashStartEnv(t, bin, db, crashEnv())
}

// crashStartEnv is crashStart with the child's environment given.
func crashStartEnv(t *testing.T, bin, db string, env []string) *crashServer {
	t.Helper()
	for attempt := 1; ; attempt++ {
		s, err := crashTryStart(t, bin, db, env)
		if err == nil {
			return s
		}
		// Another process may have taken the port between our probe and
		// the child's listen; try another one.
		if attempt < 3 && strings.Contains(err.Error(), "address already in use") {
			continue
		}
		t.Fatal(err)
	}
}

func crashTryStart(t *testing.T, bin, db string, env []string) (*crashServer, error) {
	addr, err := crashFreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	return crashLaunch(t, bin, db, addr, env)
}

// crashFreeAddr returns a 127.0.0.1 address whose port was free a moment
// ago.
func crashFreeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr, nil
}

// crashLaunch starts "partnerd serve --addr addr --db db" with env and
// waits until GET /readyz answers 200 (at most 20s). It reports a child
// that does not come up as an error and does not otherwise touch the test
// but for registering the kill of a still-running child at its end, so any
// goroutine may call it.
func crashLaunch(t *testing.T, bin, db, addr string, env []string) (*crashServer, error) {
	s := &crashServer{addr: addr, url: "http://" + addr, stdout: &crashBuf{}, stderr: &crashBuf{}, exited: make(chan struct{})}
	// Load tests, not rate-limit tests: the limits are off.
	s.cmd = exec.Command(bin, "serve", "--addr", addr, "--db", db, "--shutdown-delay", "0s", "--rate-limit", "0", "--switch-rate-limit", "0")
	s.cmd.Env = env
	s.cmd.Stdout, s.cmd.Stderr = s.stdout, s.stderr
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start partnerd serve: %v", err)
	}
	go func() {
		s.cmd.Wait()
		s.state = s.cmd.ProcessState
		close(s.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-s.exited:
		default:
			s.cmd.Process.Kill()
			<-s.exited
		}
	})

	hc := &http.Client{Timeout: time.Second}
	defer hc.CloseIdleConnections()
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case <-s.exited:
			return nil, fmt.Errorf("partnerd serve exited before answering /readyz (%v); stderr:\n%s", s.state, s.stderr.tail(20))
		default:
		}
		// /readyz, not /healthz: the process answers (alive) while it
		// still migrates its database.
		resp, err := hc.Get(s.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		if time.Now().After(deadline) {
			s.cmd.Process.Kill()
			<-s.exited
			return nil, fmt.Errorf("GET /readyz did not answer 200 within 20s (last error %v); stderr:\n%s", err, s.stderr.tail(20))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// kill sends SIGKILL and waits for the child to be gone.
func (s *crashServer) kill(t *testing.T) {
	t.Helper()
	if err := s.killNow(); err != nil {
		t.Fatal(err)
	}
}

// killNow is kill reporting failure as an error, for any goroutine.
func (s *crashServer) killNow() error {
	if err := s.cmd.Process.Kill(); err != nil {
		return fmt.Errorf("kill: %v", err)
	}
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		return errors.New("the child did not die within 10s of SIGKILL")
	}
	if ws, ok := s.state.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		return fmt.Errorf("the child ended with %v before SIGKILL reached it; stderr:\n%s", s.state, s.stderr.tail(20))
	}
	return nil
}

// terminate sends SIGTERM and returns the exit code, failing the test if
// the child does not exit within the deadline.
func (s *crashServer) terminate(t *testing.T, within time.Duration) int {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	return s.waitExit(t, within)
}

func (s *crashServer) waitExit(t *testing.T, within time.Duration) int {
	t.Helper()
	select {
	case <-s.exited:
	case <-time.After(within):
		t.Fatalf("partnerd serve did not exit within %v of SIGTERM; stderr:\n%s", within, s.stderr.tail(20))
	}
	return s.state.ExitCode()
}

// crashAPI is a partner's client of one server run: the public Go client.
type crashAPI struct {
	c  *client.Client
	id string
	hc *http.Client
}

func crashNewAPI(url, id, token string) *crashAPI {
	tr := &http.Transport{MaxIdleConns: 64, MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second}
	hc := &http.Client{Transport: tr, Timeout: 45 * time.Second}
	return &crashAPI{c: client.New(url, id, token, client.WithHTTPClient(hc), client.WithCurrency("INR")), id: id, hc: hc}
}

func (a *crashAPI) close() { a.hc.CloseIdleConnections() }

// crashResp is one complete answer to a transfer or withdrawal.
type crashResp struct {
	status   int
	replayed bool
	transfer *partnerd.Transfer // a 2xx
	err      error              // else: a *partnerd.Error, or a 2xx that did not decode
}

func (r crashResp) String() string {
	if r.transfer != nil {
		return fmt.Sprintf("%d %+v", r.status, *r.transfer)
	}
	return fmt.Sprintf("%d %v", r.status, r.err)
}

// move sends op with its key. An error means no complete response
// arrived: the request may or may not have had its effect.
func (a *crashAPI) move(op *crashOp) (crashResp, error) {
	var res client.Response
	ctx := client.WithResponse(client.WithIdempotencyKey(context.Background(), op.key), &res)
	in := partnerd.TransferInput{AuthID: op.customer, Amount: op.amount, Description: &op.desc}
	move := a.c.Transfer
	if op.withdraw {
		move = a.c.Withdraw
	}
	t, err := move(ctx, "", in)
	if res.Status == 0 {
		return crashResp{}, err
	}
	return crashResp{status: res.Status, replayed: res.Replayed, transfer: t, err: err}, nil
}

// crashRespOf reads a raw HTTP answer to a transfer the way the client
// does, for a request the test had to write by hand.
func crashRespOf(resp *http.Response) (crashResp, error) {
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return crashResp{}, err
	}
	r := crashResp{status: resp.StatusCode, replayed: resp.Header.Get("Idempotent-Replayed") == "true"}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e, ok := wire.ParseError(body)
		if !ok {
			return r, fmt.Errorf("%s without an error body: %s", resp.Status, body)
		}
		r.err = e
		return r, nil
	}
	var b wire.Transfer
	if r.err = json.Unmarshal(body, &b); r.err == nil {
		r.transfer, r.err = b.Transfer()
	}
	return r, nil
}

// entries pages through a transaction log (the partner's own, or all its
// customers') at size 100 and returns every row, checking that the pages
// agree on the total.
func (a *crashAPI) entries(t *testing.T, partner bool) []*partnerd.Entry {
	t.Helper()
	list, what := a.c.CustomerEntries, "GET /transactions"
	if partner {
		list, what = a.c.PartnerEntries, "GET /me/transactions"
	}
	var all []*partnerd.Entry
	total := -1
	for page := 1; ; page++ {
		f := partnerd.EntryFilter{Page: partnerd.Page{Page: page, Size: 100}}
		rows, n, err := list(context.Background(), "", f)
		if err != nil {
			t.Fatalf("%s page %d: %v", what, page, err)
		}
		if total >= 0 && n != total {
			t.Fatalf("%s: total changed from %d to %d between pages of a quiet server", what, total, n)
		}
		total = n
		all = append(all, rows...)
		if page >= f.Page.TotalPages(total) {
			break
		}
	}
	if len(all) != total {
		t.Fatalf("%s: pages hold %d rows, meta.total says %d", what, len(all), total)
	}
	return all
}

// crashFormat writes paise as an INR amount, as operator commands take it.
func crashFormat(minor int64) string { return partnerd.FormatMinor(minor, "INR") }
