package main

// SIPp scenarios and process helpers for TestKamailioPrepaidSwitch. Every
// name here starts with "sip" or "kam" so that it cannot collide with the
// helpers of the other tests.

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
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

// stop ends the process (SIGTERM, then SIGKILL after 5 s) and waits for it.
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

// The scenarios. [from] is the caller's user (-key from U); [service] the
// number called (-s N); a phone authenticates with -au/-ap.

const sipSDP = `v=0
o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0
a=rtpmap:0 PCMU/8000
`

// sipInvite is an INVITE from a phone; CSEQ and AUTH are filled in.
const sipInvite = `<send retrans="500"><![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[from]@[remote_ip]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: CSEQ INVITE
Contact: <sip:[from]@[local_ip]:[local_port]>
AUTH
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

` + sipSDP + `]]></send>
`

// sipAckNegative acknowledges a negative final answer; BRANCH is the
// branch of the INVITE it answers, CSEQ its number.
const sipAckNegative = `<send><![CDATA[
ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=BRANCH
From: <sip:[from]@[remote_ip]>;tag=[pid]SIPpTag00[call_number]
[last_To:]
Call-ID: [call_id]
CSeq: CSEQ ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
`

// sipPhoneProbe is an INVITE without credentials, which must be
// challenged in the realm.
func sipPhoneProbe(realm string) string {
	return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="probe">
` + strings.NewReplacer("CSEQ", "1", "AUTH\n", "").Replace(sipInvite) + `
<recv response="100" optional="true"/>
<recv response="407">
  <action><ereg regexp="Digest .*realm=&quot;` + realm + `&quot;" search_in="hdr" header="Proxy-Authenticate:" check_it="true" assign_to="realm"/></action>
</recv>
<nop><action><log message="challenged in [$realm]"/></action></nop>
` + strings.NewReplacer("BRANCH", "[branch-3]", "CSEQ", "1").Replace(sipAckNegative) + `
</scenario>
`
}

// sipPhoneCall is a phone's call: challenged, then sent again with
// credentials; want is the final answer it expects. An answered call
// (200) must then be ended by a BYE from the proxy, which the phone
// answers after 300 ms, as a phone further away than loopback would:
// Kamailio 5.6 sends the callee's BYE only while the dialog is not yet
// ended by the caller's answer (README, "A real switch: Kamailio").
func sipPhoneCall(want int) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="phone">
`)
	b.WriteString(strings.NewReplacer("CSEQ", "1", "AUTH\n", "").Replace(sipInvite))
	b.WriteString(`<recv response="100" optional="true"/>
<recv response="407" auth="true"/>
`)
	b.WriteString(strings.NewReplacer("BRANCH", "[branch-3]", "CSEQ", "1").Replace(sipAckNegative))
	b.WriteString(strings.NewReplacer("CSEQ", "2", "AUTH", "[authentication]").Replace(sipInvite))
	b.WriteString(`<recv response="100" optional="true"/>
<recv response="180" optional="true"/>
<recv response="183" optional="true"/>
`)
	if want != 200 {
		b.WriteString(`<recv response="` + strconv.Itoa(want) + `"/>
`)
		b.WriteString(strings.NewReplacer("BRANCH", "[branch-5]", "CSEQ", "2").Replace(sipAckNegative))
	} else {
		b.WriteString(`<recv response="200" rrs="true"/>
<send><![CDATA[
ACK [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[from]@[remote_ip]>;tag=[pid]SIPpTag00[call_number]
[last_To:]
[routes]
Call-ID: [call_id]
CSeq: 2 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
<recv request="BYE"/>
<pause milliseconds="300"/>
<send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
`)
	}
	b.WriteString("</scenario>\n")
	return b.String()
}

// sipPhoneCancel is a phone's call, with credentials, that the caller
// cancels while it rings.
func sipPhoneCancel() string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="phone-cancel">
`)
	b.WriteString(strings.NewReplacer("CSEQ", "1", "AUTH\n", "").Replace(sipInvite))
	b.WriteString(`<recv response="100" optional="true"/>
<recv response="407" auth="true"/>
`)
	b.WriteString(strings.NewReplacer("BRANCH", "[branch-3]", "CSEQ", "1").Replace(sipAckNegative))
	b.WriteString(strings.NewReplacer("CSEQ", "2", "AUTH", "[authentication]").Replace(sipInvite))
	b.WriteString(`<recv response="100" optional="true"/>
<recv response="180"/>
<pause milliseconds="500"/>
<send><![CDATA[
CANCEL sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch-4]
From: <sip:[from]@[remote_ip]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 2 CANCEL
Max-Forwards: 70
Content-Length: 0

]]></send>
<recv response="200"/>
<recv response="487"/>
`)
	b.WriteString(strings.NewReplacer("BRANCH", "[branch-7]", "CSEQ", "2").Replace(sipAckNegative))
	b.WriteString("</scenario>\n")
	return b.String()
}

// sipRegister registers the phone [from] with the contact port
// [contact_port] (-key contact_port P), where another SIPp answers; want is
// the answer to the REGISTER with credentials.
func sipRegister(want int) string {
	return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="register">
<send retrans="500"><![CDATA[
REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[from]@[remote_ip]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[from]@[remote_ip]>
Call-ID: [call_id]
CSeq: 1 REGISTER
Contact: <sip:[from]@[local_ip]:[contact_port]>
Expires: 300
Max-Forwards: 70
Content-Length: 0

]]></send>
<recv response="401" auth="true"/>
<send retrans="500"><![CDATA[
REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[from]@[remote_ip]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[from]@[remote_ip]>
Call-ID: [call_id]
CSeq: 2 REGISTER
Contact: <sip:[from]@[local_ip]:[contact_port]>
[authentication]
Expires: 300
Max-Forwards: 70
Content-Length: 0

]]></send>
<recv response="` + strconv.Itoa(want) + `"/>
</scenario>
`
}

// sipAnswer answers one INVITE (as a phone does, or the carrier) and waits
// for the other side's BYE.
const sipAnswer = `
<send><![CDATA[
SIP/2.0 180 Ringing
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
[last_Record-Route:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Content-Length: 0

]]></send>
<send retrans="500"><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
[last_Record-Route:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Content-Type: application/sdp
Content-Length: [len]

` + sipSDP + `]]></send>
<recv request="ACK" crlf="true"/>
<recv request="BYE"/>
<send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
`

// sipPhoneAnswer is a registered phone that answers one call.
const sipPhoneAnswer = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="phone-answer">
<recv request="INVITE" crlf="true"/>
` + sipAnswer + `</scenario>
`

// sipCarrier is the carrier: a number ending in 486 is busy, one ending in
// 408 rings until the proxy gives up (CANCEL), any other answers and waits
// for the BYE.
const sipCarrier = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="carrier">
<recv request="INVITE" crlf="true">
  <action>
    <ereg regexp="^INVITE sip:[^@]*486@" search_in="msg" check_it="false" assign_to="busy"/>
    <ereg regexp="^INVITE sip:[^@]*408@" search_in="msg" check_it="false" assign_to="ring"/>
    <ereg regexp="[0-9]+" search_in="hdr" header="CSeq:" check_it="true" assign_to="invcseq"/>
  </action>
</recv>
<nop next="busy" test="busy"/>
<nop next="ring" test="ring"/>
` + sipAnswer + `<nop next="end"/>
<label id="busy"/>
<send><![CDATA[
SIP/2.0 486 Busy Here
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
<recv request="ACK"/>
<nop next="end"/>
<label id="ring"/>
<send><![CDATA[
SIP/2.0 180 Ringing
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
[last_Record-Route:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Content-Length: 0

]]></send>
<recv request="CANCEL"/>
<send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
<send><![CDATA[
SIP/2.0 487 Request Terminated
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
CSeq: [$invcseq] INVITE
Content-Length: 0

]]></send>
<recv request="ACK"/>
<label id="end"/>
</scenario>
`

// sipCarrierCall is the carrier calling a DID ([service]) from
// +14155550100; want is the final answer it expects. Answered, it hangs up
// after a second.
func sipCarrierCall(want int) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="carrier-call">
`)
	b.WriteString(strings.NewReplacer("CSEQ", "1", "AUTH\n", "").Replace(sipInvite))
	b.WriteString(`<recv response="100" optional="true"/>
<recv response="180" optional="true"/>
<recv response="183" optional="true"/>
`)
	if want != 200 {
		b.WriteString(`<recv response="` + strconv.Itoa(want) + `"/>
`)
		b.WriteString(strings.NewReplacer("BRANCH", "[branch-5]", "CSEQ", "1").Replace(sipAckNegative))
	} else {
		b.WriteString(`<recv response="200" rrs="true"/>
<send><![CDATA[
ACK [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[from]@[remote_ip]>;tag=[pid]SIPpTag00[call_number]
[last_To:]
[routes]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
<pause milliseconds="1000"/>
<send retrans="500"><![CDATA[
BYE [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[from]@[remote_ip]>;tag=[pid]SIPpTag00[call_number]
[last_To:]
[routes]
Call-ID: [call_id]
CSeq: 2 BYE
Max-Forwards: 70
Content-Length: 0

]]></send>
<recv response="200"/>
`)
	}
	b.WriteString("</scenario>\n")
	return b.String()
}
