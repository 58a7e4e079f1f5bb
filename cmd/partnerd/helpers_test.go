package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is an io.Writer that the server goroutine and the test can
// share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// envMap is a getenv backed by a map; a nil env is an empty environment.
func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// mustFreeAddr returns a loopback address with a port that was free a
// moment ago.
func mustFreeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// tempDB returns the path of a database file in a fresh directory.
func tempDB(t *testing.T) string {
	return filepath.Join(t.TempDir(), "p.db")
}

// testServer is one run of "partnerd serve" inside the test process.
type testServer struct {
	addr   string
	url    string
	stdout *syncBuffer
	stderr *syncBuffer
	cancel context.CancelFunc
	done   chan error
}

// mustServe runs "serve" on db in a goroutine and waits until /healthz
// answers. The server is stopped at the end of the test if still running.
func mustServe(t *testing.T, db string) *testServer {
	t.Helper()
	for attempt := 1; ; attempt++ {
		s, err := tryServe(t, db)
		if err == nil {
			return s
		}
		// Another test may take the port between our probe and serve's
		// listen (before serve touches anything but the schema); try another.
		if attempt < 3 && strings.Contains(err.Error(), "address already in use") {
			continue
		}
		t.Fatal(err)
	}
}

func tryServe(t *testing.T, db string) (*testServer, error) {
	return tryServeWith(t, db, nil, "--shutdown-delay", "0s")
}

// tryServeWith is tryServe with an environment and more flags.
func tryServeWith(t *testing.T, db string, env map[string]string, flags ...string) (*testServer, error) {
	ctx, cancel := context.WithCancel(context.Background())
	s := &testServer{addr: mustFreeAddr(t), stdout: &syncBuffer{}, stderr: &syncBuffer{}, cancel: cancel, done: make(chan error, 1)}
	s.url = "http://" + s.addr
	args := append([]string{"serve", "--addr", s.addr, "--db", db}, flags...)
	go func() { s.done <- run(ctx, args, envMap(env), s.stdout, s.stderr) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.done:
		case <-time.After(30 * time.Second):
			t.Errorf("serve did not stop within 30s")
		}
	})

	hc := &http.Client{Timeout: time.Second}
	defer hc.CloseIdleConnections()
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case err := <-s.done:
			s.done <- err // for Cleanup
			return nil, fmt.Errorf("serve returned before answering: %v\nstderr:\n%s", err, s.stderr)
		default:
		}
		resp, err := hc.Get(s.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			// Serve logs "listening" once the port is its own, so the answer
			// cannot come from another test's server on a reused port.
			if resp.StatusCode == http.StatusOK && strings.Contains(s.stderr.String(), `"msg":"listening"`) {
				return s, nil
			}
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("GET /healthz did not answer 200 within 15s: last error %v\nstderr:\n%s", err, s.stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// stop cancels the server's context and returns what run returned.
func (s *testServer) stop(t *testing.T) error {
	t.Helper()
	s.cancel()
	select {
	case err := <-s.done:
		s.done <- err // for Cleanup
		return err
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not return within 30s of cancellation")
		return nil
	}
}

var (
	authIDLine    = regexp.MustCompile(`(?m)^  X-Auth-ID:    (PA_[A-Z0-9]{8})$`)
	authTokenLine = regexp.MustCompile(`(?m)^  X-Auth-Token: (sk_live_[0-9A-Za-z]{32,})$`)
)

// mustCredentials parses the first partner's credentials that serve prints
// on the first start.
func mustCredentials(t *testing.T, stdout string) (id, token string) {
	t.Helper()
	idm, tokm := authIDLine.FindStringSubmatch(stdout), authTokenLine.FindStringSubmatch(stdout)
	if idm == nil || tokm == nil {
		t.Fatalf("stdout of the first start has no credentials:\n%s", stdout)
	}
	return idm[1], tokm[1]
}

// runCmd runs an operator command to completion.
func runCmd(args ...string) (stdout, stderr string, err error) {
	var out, errOut syncBuffer
	err = run(context.Background(), args, envMap(nil), &out, &errOut)
	return out.String(), errOut.String(), err
}

// nonEmptyLines splits output into its non-empty lines.
func nonEmptyLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}
