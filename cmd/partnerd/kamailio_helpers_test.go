package main

// Helpers for the Kamailio end-to-end test (kamailio_test.go): the
// processes it starts (Kamailio, SIPp) and the partner API as its partner
// calls it. Every name here starts with "sip" or "kam" so that it cannot
// collide with the helpers of the other tests.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// kamRequireTools returns the paths of kamailio and sipp. Without them the
// test skips, or fails under CI=true: .ci/run installs them, so a missing
// one there is a broken run, never a pass.
func kamRequireTools(t *testing.T) (kamailioBin, sippBin string) {
	t.Helper()
	find := func(name string) string {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
		// Debian puts kamailio in /usr/sbin, not on every user's PATH.
		if p := "/usr/sbin/" + name; sipIsExecutable(p) {
			return p
		}
		return ""
	}
	kamailioBin, sippBin = find("kamailio"), find("sipp")
	if kamailioBin != "" && sippBin != "" {
		return kamailioBin, sippBin
	}
	const msg = "kamailio and sipp are needed (Debian: apt-get install kamailio kamailio-extra-modules kamailio-utils-modules sip-tester)"
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true and %s: found kamailio %q, sipp %q", msg, kamailioBin, sippBin)
	}
	t.Skip(msg)
	return "", ""
}

func sipIsExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// sipFreePort returns a loopback UDP port that was free a moment ago.
func sipFreePort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// sipProc is a process the test started (Kamailio, a SIPp instance).
type sipProc struct {
	name string
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
	err  error
}

// sipStart starts bin with args, its output collected, and stops it at the
// end of the test if it still runs.
func sipStart(t *testing.T, name, bin string, args ...string) *sipProc {
	t.Helper()
	p := &sipProc{name: name, cmd: exec.Command(bin, args...), out: &syncBuffer{}, done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.stop() })
	return p
}

// stop ends the process (SIGINT, then SIGKILL after 5 s) and waits for it.
func (p *sipProc) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// wait waits up to d for the process to exit and returns its exit code (-1
// when it had to be killed).
func (p *sipProc) wait(d time.Duration) int {
	select {
	case <-p.done:
	case <-time.After(d):
		p.cmd.Process.Kill()
		<-p.done
		return -1
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode()
	}
	if p.err != nil {
		return -1
	}
	return 0
}

// kamWaitReady sends OPTIONS to Kamailio until it answers 200.
func kamWaitReady(t *testing.T, kam *sipProc, port int) {
	t.Helper()
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	local := conn.LocalAddr().String()
	to := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port}
	deadline := time.Now().Add(20 * time.Second)
	for i := 0; ; i++ {
		msg := "OPTIONS sip:127.0.0.1:" + strconv.Itoa(port) + " SIP/2.0\r\n" +
			"Via: SIP/2.0/UDP " + local + ";branch=z9hG4bK-ready-" + strconv.Itoa(i) + "\r\n" +
			"From: <sip:probe@127.0.0.1>;tag=ready\r\nTo: <sip:127.0.0.1:" + strconv.Itoa(port) + ">\r\n" +
			"Call-ID: ready-" + strconv.Itoa(i) + "@127.0.0.1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
		conn.WriteTo([]byte(msg), to)
		conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		buf := make([]byte, 4096)
		if n, _, err := conn.ReadFrom(buf); err == nil && strings.HasPrefix(string(buf[:n]), "SIP/2.0 200") {
			return
		}
		select {
		case <-kam.done:
			t.Fatalf("kamailio exited before answering OPTIONS: %v\n%s", kam.err, kam.out)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("kamailio did not answer OPTIONS within 20s:\n%s", kam.out)
		}
	}
}

// sippRun is one SIPp run of a scenario.
type sippRun struct {
	bin, dir string
}

// scenario writes a scenario file and returns its path.
func (s sippRun) scenario(t *testing.T, name, xml string) string {
	t.Helper()
	p := filepath.Join(s.dir, name+".xml")
	if err := os.WriteFile(p, []byte(xml), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// args are the arguments of one SIPp instance on a free local port: callID
// prefixes its Call-ID and names its message log, keys are -key pairs.
func (s sippRun) args(callID, scenario string, port int, extra ...string) []string {
	args := []string{"-sf", scenario, "-i", "127.0.0.1", "-p", strconv.Itoa(port), "-nostdin",
		"-cid_str", callID + "-%u@%s", "-trace_msg", "-message_file", filepath.Join(s.dir, callID+".msg"),
		"-trace_err", "-error_file", filepath.Join(s.dir, callID+".err")}
	return append(args, extra...)
}

// call runs one call of scenario from the local port against target and
// returns SIPp's exit code (0: the call went as the scenario says) and its
// message log.
func (s sippRun) call(t *testing.T, callID, scenario, target string, port int, extra ...string) (int, string) {
	t.Helper()
	args := append(s.args(callID, scenario, port, extra...), "-m", "1", "-timeout", "30s", "-timeout_error", target)
	p := sipStart(t, "sipp "+callID, s.bin, args...)
	code := p.wait(40 * time.Second)
	return code, s.log(callID)
}

// log returns a SIPp instance's message log.
func (s sippRun) log(callID string) string {
	b, _ := os.ReadFile(filepath.Join(s.dir, callID+".msg"))
	e, _ := os.ReadFile(filepath.Join(s.dir, callID+".err"))
	return string(b) + string(e)
}

// kamAPI is the partner API as the test's partner calls it.
type kamAPI struct {
	t              *testing.T
	url, id, token string
	hc             *http.Client
}

func (a kamAPI) do(method, path string, body any) (int, map[string]any) {
	a.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, a.url+"/api/v1/partner"+path, rd)
	req.Header.Set("X-Auth-ID", a.id)
	req.Header.Set("X-Auth-Token", a.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	dec := json.NewDecoder(resp.Body)
	dec.UseNumber()
	dec.Decode(&m)
	return resp.StatusCode, m
}

// cdr waits up to 20 s for the CDR of a call, which Kamailio posts when
// the call ends, or at its next retry (every 10 s).
// cdr returns the CDR of the call whose SIP Call-ID is callID, found by
// search: the proxy names a call by its Call-ID and a UUID of its own
// (route[CALL_UUID]), so that a phone cannot choose the call_uuid.
func (a kamAPI) cdr(account, callID string) map[string]any {
	a.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	named := regexp.MustCompile(`^` + regexp.QuoteMeta(callID) + `~[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	for {
		code, body := a.do("GET", "/accounts/"+account+"/cdrs?search="+url.QueryEscape(callID), nil)
		if rows, _ := body["data"].([]any); code == http.StatusOK && len(rows) > 0 {
			row, _ := rows[0].(map[string]any)
			uuid, _ := row["call_uuid"].(string)
			if len(rows) != 1 || !named.MatchString(uuid) {
				a.t.Fatalf("CDRs of the call %s = %v, want one named %s~ and a UUID", callID, rows, callID)
			}
			code, body = a.do("GET", "/accounts/"+account+"/cdrs/"+url.PathEscape(uuid), nil)
			if code != http.StatusOK {
				a.t.Fatalf("GET the CDR %s: %d %v", uuid, code, body)
			}
			return body
		}
		if time.Now().After(deadline) {
			a.t.Fatalf("no CDR for %s 20 s after the call: %d %v", callID, code, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (a kamAPI) balance(account string) string { return a.balanceField(account, "balance") }

func (a kamAPI) reserved(account string) string { return a.balanceField(account, "reserved") }

func (a kamAPI) balanceField(account, field string) string {
	a.t.Helper()
	code, body := a.do("GET", "/accounts/"+account+"/balance", nil)
	if code != http.StatusOK {
		a.t.Fatalf("balance of %s: %d %v", account, code, body)
	}
	return kamStr(body[field])
}

// kamSwitchStatus is the status of a switch API request with token.
func kamSwitchStatus(url, token string) int {
	req, _ := http.NewRequest("GET", url+"/api/v1/switch/sip-credentials/alice100", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// kamServeAt runs serve on db at addr again (the address the Kamailio
// configuration names) and waits until it answers; it stops with the test.
func kamServeAt(t *testing.T, db, addr string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var stderr syncBuffer
	go func() {
		done <- run(ctx, []string{"serve", "--addr", addr, "--db", db}, envMap(nil), io.Discard, &stderr)
	}()
	t.Cleanup(func() { cancel(); <-done })
	hc := &http.Client{Timeout: time.Second}
	defer hc.CloseIdleConnections()
	for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
		if resp, err := hc.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case err := <-done:
			t.Fatalf("serve at %s again: %v\n%s", addr, err, stderr.String())
		default:
		}
		if time.Since(start) > 15*time.Second {
			t.Fatalf("serve at %s did not answer within 15 s:\n%s", addr, stderr.String())
		}
	}
}

func (a kamAPI) list(path string) []map[string]any {
	a.t.Helper()
	code, body := a.do("GET", path, nil)
	if code != http.StatusOK {
		a.t.Fatalf("GET %s: %d %v", path, code, body)
	}
	var out []map[string]any
	for _, row := range body["data"].([]any) {
		out = append(out, row.(map[string]any))
	}
	return out
}

// kamInt is a JSON number as an int (0 when it is not one).
func kamInt(v any) int {
	n, _ := strconv.Atoi(fmt.Sprint(v))
	return n
}

// kamStr is a JSON string or number as text ("" for anything else).
func kamStr(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	}
	return ""
}
