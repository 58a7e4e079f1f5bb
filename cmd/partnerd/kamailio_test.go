package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestKamailioPrepaidSwitch runs the configuration "partnerd kamailio-config"
// prints in a real Kamailio, between SIPp phones and a SIPp carrier on
// loopback, against partnerd serving a SQLite database, and proves the
// promises of API.md §5 "Connecting a real switch": challenges, refusals
// that never reach the carrier, the proxy's BYE at max_duration_seconds
// with one charge for the rated billsec, CDRs for busy, unanswered and
// cancelled calls, inbound calls to DIDs, 503 with partnerd down, a CDR
// kept through partnerd's absence, and a ledger that verifies at the end.
func TestKamailioPrepaidSwitch(t *testing.T) {
	kamBin, sippBin := kamRequireTools(t)
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "p.db")
	srv := mustServe(t, db)
	partnerID, partnerToken := mustCredentials(t, srv.stdout.String())
	mustRun := func(args ...string) string {
		t.Helper()
		stdout, stderr, err := runCmd(args...)
		if err != nil {
			t.Fatalf("partnerd %s: %v\n%s", strings.Join(args[:2], " "), err, stderr)
		}
		return stdout
	}

	// The operator's side: money, the switch's token, a rate deck (0.10 a
	// second outbound, free inbound) and two DIDs.
	mustRun("partner", "fund", "--db", db, partnerID, "1000.00")
	var st struct{ Token string }
	if err := json.Unmarshal([]byte(mustRun("switch-token", "create", "--db", db, "--name", "kamailio-test")), &st); err != nil {
		t.Fatal(err)
	}
	deck := filepath.Join(dir, "deck.csv")
	os.WriteFile(deck, []byte("direction,prefix,rate_per_minute,initial_increment,subsequent_increment\n"+
		"outbound,9122,6.00,1,1\ninbound,91,0,60,60\n"), 0o644)
	mustRun("rate", "import", "--db", db, "--partner", partnerID, deck)
	const did, unassignedDID, davesDID = "+912271264217", "+912271264218", "+912271264219"
	for _, n := range []string{did, unassignedDID, davesDID} {
		mustRun("number", "add", "--db", db, "--partner", partnerID, n)
	}

	// The partner's side: alice can pay for 3 seconds and holds a DID, bob
	// has nothing, dave has a DID and no registered phone (carol, who will
	// be suspended, and erin come later).
	api := kamAPI{t: t, url: srv.url, id: partnerID, token: partnerToken, hc: &http.Client{Timeout: 10 * time.Second}}
	const sipPassword = "Sip-Pass@2026"
	customer := func(name string, fund string) string {
		code, acct := api.do("POST", "/accounts", map[string]any{"name": name, "email": name + "@example.com",
			"password": "SecurePass@123", "phone": "9431538535", "country": "IN"})
		if code != http.StatusCreated {
			t.Fatalf("create %s: %d %v", name, code, acct)
		}
		id := kamStr(acct["auth_id"])
		if fund != "" {
			if code, body := api.do("POST", "/accounts/"+id+"/transfer-balance", map[string]any{"amount": fund, "currency": "INR"}); code != http.StatusOK {
				t.Fatalf("fund %s: %d %v", name, code, body)
			}
		}
		if code, body := api.do("POST", "/accounts/"+id+"/sip-endpoints", map[string]any{"username": name + "100", "password": sipPassword}); code != http.StatusCreated {
			t.Fatalf("SIP endpoint of %s: %d %v", name, code, body)
		}
		return id
	}
	alice, dave := customer("alice", "0.35"), customer("dave", "1.00")
	customer("bob", "")
	for account, number := range map[string]string{alice: did, dave: davesDID} {
		if code, body := api.do("POST", "/accounts/"+account+"/numbers", map[string]any{"number": number}); code != http.StatusCreated {
			t.Fatalf("assign DID %s: %d %v", number, code, body)
		}
	}

	// Kamailio with the generated configuration.
	kamPort, carrierPort := sipFreePort(t), sipFreePort(t)
	cfg := mustRun("kamailio-config", "--partnerd-url", srv.url, "--token", st.Token,
		"--listen", "udp:127.0.0.1:"+strconv.Itoa(kamPort), "--carrier", "sip:127.0.0.1:"+strconv.Itoa(carrierPort),
		"--ring-timeout", "2", "--children", "2")
	cfgPath, runDir := filepath.Join(dir, "kamailio.cfg"), filepath.Join(dir, "run")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	os.Mkdir(runDir, 0o700)
	kam := sipStart(t, "kamailio", kamBin, "-DD", "-E", "-f", cfgPath, "-Y", runDir,
		"-P", filepath.Join(runDir, "kamailio.pid"), "-m", "64", "-M", "8")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kamailio's log:\n%s", kam.out)
		}
	})
	kamWaitReady(t, kam, kamPort)

	sp := sippRun{bin: sippBin, dir: dir}
	target := "127.0.0.1:" + strconv.Itoa(kamPort)
	phone := func(user, password string) []string {
		return []string{"-key", "from", user, "-au", user, "-ap", password}
	}
	expect := func(what string, code int, log string) {
		t.Helper()
		if code != 0 {
			t.Errorf("%s: SIPp exit %d, want 0 (the call as its scenario says); its messages:\n%s", what, code, log)
		}
	}

	// Inbound, from the carrier's address: alice's phone registers at a
	// SIPp that answers; a call to her DID rings it, one to an unassigned
	// DID gets 404, one to dave's, whose phone is not registered, 480.
	phonePort := sipFreePort(t)
	aliceSet := sipStart(t, "sipp alice's phone", sippBin, append(sp.args("in-phone", sp.scenario(t, "phone-answer", sipPhoneAnswer), phonePort),
		"-m", "1", "-timeout", "60s", "-timeout_error")...)
	contact := []string{"-key", "contact_port", strconv.Itoa(phonePort)}
	code, log := sp.call(t, "register", sp.scenario(t, "register-200", sipRegister(200)), target, sipFreePort(t),
		append(phone("alice100", sipPassword), contact...)...)
	expect("REGISTER of alice100", code, log)
	// A wrong password, and another customer's credentials for alice100's
	// address, are refused.
	code, log = sp.call(t, "register-wrongpass", sp.scenario(t, "register-403", sipRegister(403)), target, sipFreePort(t),
		append(phone("alice100", "Wrong-Pass@2026"), contact...)...)
	expect("REGISTER of alice100 with a wrong password (403)", code, log)
	code, log = sp.call(t, "register-other", sp.scenario(t, "register-403", sipRegister(403)), target, sipFreePort(t),
		"-key", "from", "alice100", "-au", "bob100", "-ap", sipPassword, "-key", "contact_port", strconv.Itoa(sipFreePort(t)))
	expect("REGISTER of alice100 with bob100's credentials (403)", code, log)
	carrierFrom := []string{"-key", "from", "+14155550100"}
	code, log = sp.call(t, "in-unassigned", sp.scenario(t, "carrier-404", sipCarrierCall(404)), target, carrierPort,
		append(carrierFrom, "-s", unassignedDID)...)
	expect("inbound call to an unassigned DID (404)", code, log)
	code, log = sp.call(t, "in-nophone", sp.scenario(t, "carrier-480", sipCarrierCall(480)), target, carrierPort,
		append(carrierFrom, "-s", davesDID)...)
	expect("inbound call to dave's DID, no phone registered (480)", code, log)
	if got := api.cdr(dave, "in-nophone-1@127.0.0.1"); got["hangup_cause"] != "USER_NOT_REGISTERED" || got["status"] != "failed" ||
		kamStr(got["cost"]) != "0.00" || got["direction"] != "inbound" || got["to_number"] != davesDID {
		t.Errorf("CDR of the call to dave's DID = %v, want inbound to %s, USER_NOT_REGISTERED, failed, cost 0.00", got, davesDID)
	}
	code, log = sp.call(t, "in-did", sp.scenario(t, "carrier-200", sipCarrierCall(200)), target, carrierPort,
		append(carrierFrom, "-s", did)...)
	expect("inbound call to alice's DID", code, log)
	if code := aliceSet.wait(10 * time.Second); code != 0 {
		t.Errorf("alice's phone: SIPp exit %d, want 0 (it answered the DID's call):\n%s", code, sp.log("in-phone"))
	}
	in := api.cdr(alice, "in-did-1@127.0.0.1")
	if in["direction"] != "inbound" || in["to_number"] != did || in["hangup_cause"] != "NORMAL_CLEARING" ||
		in["status"] != "answered" || kamInt(in["billsec"]) < 1 || kamInt(in["billsec"]) > 3 || kamStr(in["cost"]) != "0.00" {
		t.Errorf("inbound CDR = %v, want inbound to %s, NORMAL_CLEARING, answered, billsec 1-3, cost 0.00", in, did)
	}

	// Outbound: the carrier answers any number, is busy on ...486 and
	// rings without answer on ...408; its message log shows every call
	// that reached it.
	carrier := sipStart(t, "sipp carrier", sippBin, sp.args("carrier", sp.scenario(t, "carrier", sipCarrier), carrierPort)...)
	call := func(callID string, want int, number string, keys []string) {
		t.Helper()
		code, log := sp.call(t, callID, sp.scenario(t, "phone-"+strconv.Itoa(want), sipPhoneCall(want)), target, sipFreePort(t),
			append(keys, "-s", number)...)
		expect(fmt.Sprintf("%s: a call that gets %d", callID, want), code, log)
	}
	code, log = sp.call(t, "out-probe", sp.scenario(t, "probe", sipPhoneProbe("partnerd.local")), target, sipFreePort(t),
		"-key", "from", "alice100", "-s", "+912240000001")
	expect("an INVITE without credentials (407 in realm partnerd.local)", code, log)
	call("out-wrongpass", 403, "+912240000001", phone("alice100", "Wrong-Pass@2026"))
	call("out-unknown", 403, "+912240000001", phone("nobody100", sipPassword))
	call("out-broke", 402, "+912240000001", phone("bob100", sipPassword))
	carol := customer("carol", "10.00")
	if code, body := api.do("POST", "/accounts/"+carol+"/suspend", map[string]any{"reason": "unpaid invoice"}); code != http.StatusOK {
		t.Fatalf("suspend carol: %d %v", code, body)
	}
	call("out-suspended", 403, "+912240000001", phone("carol100", sipPassword))
	if bal, reserved := api.balance(carol), api.reserved(carol); bal != "10.00" || reserved != "0.00" {
		t.Errorf("suspended carol's balance after her refused call = %s (reserved %s), want 10.00 and nothing reserved", bal, reserved)
	}

	call("out-busy", 486, "+912240000486", phone("alice100", sipPassword))
	call("out-noanswer", 408, "+912240000408", phone("alice100", sipPassword))
	code, log = sp.call(t, "out-cancel", sp.scenario(t, "phone-cancel", sipPhoneCancel()), target, sipFreePort(t),
		append(phone("alice100", sipPassword), "-s", "+912240000408")...)
	expect("a call the caller cancels while it rings (487)", code, log)
	for _, c := range []struct{ uuid, cause, status string }{
		{"out-busy-1@127.0.0.1", "USER_BUSY", "busy"},
		{"out-noanswer-1@127.0.0.1", "NO_ANSWER", "no-answer"},
		{"out-cancel-1@127.0.0.1", "ORIGINATOR_CANCEL", "failed"},
	} {
		got := api.cdr(alice, c.uuid)
		if got["hangup_cause"] != c.cause || got["status"] != c.status || kamInt(got["billsec"]) != 0 || kamStr(got["cost"]) != "0.00" ||
			got["answer_time"] != nil || got["direction"] != "outbound" {
			t.Errorf("CDR %s = %v, want %s, %s, billsec 0, cost 0.00", c.uuid, got, c.cause, c.status)
		}
	}
	if bal := api.balance(alice); bal != "0.35" {
		t.Errorf("alice's balance after a busy, an unanswered and a cancelled call = %s, want 0.35 (nothing charged)", bal)
	}

	// 0.35 at 0.10 a second pays for 3 seconds: the proxy's BYE ends the
	// call (the phone's scenario waits for it), and the call is charged
	// once for its billsec.
	call("out-paid", 200, "+912240000001", phone("alice100", sipPassword))
	paid := api.cdr(alice, "out-paid-1@127.0.0.1")
	billsec := kamInt(paid["billsec"])
	wantCost := fmt.Sprintf("%d.%02d", billsec*10/100, billsec*10%100)
	if paid["hangup_cause"] != "ALLOTTED_TIMEOUT" || billsec < 2 || billsec > 3 || kamStr(paid["cost"]) != wantCost ||
		paid["status"] != "answered" || kamStr(paid["rate_per_minute"]) != "6.0000" {
		t.Errorf("paid call's CDR = %v, want ALLOTTED_TIMEOUT, billsec 3 (2 when the dialog timer's whole-second tick came early), cost %s", paid, wantCost)
	}
	var charges []map[string]any
	for _, tx := range api.list("/accounts/" + alice + "/transactions?size=100") {
		if tx["reference"] == paid["call_uuid"] {
			charges = append(charges, tx)
		}
	}
	if len(charges) != 1 || charges[0]["type"] != "debit" || kamStr(charges[0]["amount"]) != "-"+wantCost ||
		charges[0]["initiated_by"] != "system" {
		t.Errorf("transactions of the paid call = %v, want one debit of -%s by the system", charges, wantCost)
	}
	if bal, want := api.balance(alice), fmt.Sprintf("0.%02d", 35-billsec*10); bal != want {
		t.Errorf("alice's balance after the paid call = %s, want %s", bal, want)
	}

	// partnerd stops during erin's call, which can last 5 seconds: a new
	// call gets 503 and is not placed; the call up ends at its limit, and
	// its CDR, refused for now, is sent again once partnerd is back.
	erin := customer("erin", "0.55")
	erinsCall := sipStart(t, "sipp erin's call", sippBin, append(sp.args("out-retry", sp.scenario(t, "phone-200", sipPhoneCall(200)), sipFreePort(t)),
		append(phone("erin100", sipPassword), "-s", "+912240000001", "-m", "1", "-timeout", "30s", "-timeout_error", target)...)...)
	for start := time.Now(); api.reserved(erin) == "0.00"; time.Sleep(50 * time.Millisecond) {
		if time.Since(start) > 10*time.Second {
			t.Fatalf("erin's call was not authorized within 10 s:\n%s", sp.log("out-retry"))
		}
	}
	if err := srv.stop(t); err != nil {
		t.Fatalf("serve: %v", err)
	}
	call("out-down", 503, "+912240000001", phone("alice100", sipPassword))
	if code := erinsCall.wait(20 * time.Second); code != 0 {
		t.Errorf("erin's call: SIPp exit %d, want 0 (answered, then the proxy's BYE):\n%s", code, sp.log("out-retry"))
	}
	if !regexp.MustCompile(`CDR out-retry-1@127\.0\.0\.1~[0-9a-f-]{36} kept for a retry`).MatchString(kam.out.String()) {
		t.Errorf("Kamailio did not keep erin's CDR for a retry while partnerd was down")
	}
	kamServeAt(t, db, srv.addr)
	retried := api.cdr(erin, "out-retry-1@127.0.0.1")
	if retried["hangup_cause"] != "ALLOTTED_TIMEOUT" || kamInt(retried["billsec"]) < 4 || kamInt(retried["billsec"]) > 5 {
		t.Errorf("erin's CDR, sent again = %v, want ALLOTTED_TIMEOUT after 5 (or 4) seconds", retried)
	}
	if bal, want := api.balance(erin), fmt.Sprintf("0.%02d", 55-kamInt(retried["billsec"])*10); bal != want || api.reserved(erin) != "0.00" {
		t.Errorf("erin's balance after the retried CDR = %s (reserved %s), want %s, nothing reserved", bal, api.reserved(erin), want)
	}

	// The switch's token revoked: partnerd cannot be asked, so calls get
	// 503, as when it is down.
	var tokens struct{ ID string }
	json.Unmarshal([]byte(strings.Split(mustRun("switch-token", "list", "--db", db), "\n")[0]), &tokens)
	mustRun("switch-token", "revoke", "--db", db, tokens.ID)
	for start := time.Now(); kamSwitchStatus(srv.url, st.Token) != http.StatusUnauthorized; time.Sleep(50 * time.Millisecond) {
		if time.Since(start) > 5*time.Second {
			t.Fatalf("the revoked switch token still works 5 s later")
		}
	}
	call("out-revoked", 503, "+912240000001", phone("alice100", sipPassword))

	carrier.stop()
	seen := sp.log("carrier")
	for _, id := range []string{"out-busy-1@", "out-noanswer-1@", "out-cancel-1@", "out-paid-1@", "out-retry-1@"} {
		if !strings.Contains(seen, "Call-ID: "+id) {
			t.Errorf("the carrier never saw %s, which it should have", id)
		}
	}
	for _, id := range []string{"out-probe-1@", "out-wrongpass-1@", "out-unknown-1@", "out-broke-1@", "out-suspended-1@", "out-down-1@", "out-revoked-1@"} {
		if strings.Contains(seen, "Call-ID: "+id) {
			t.Errorf("the carrier saw %s, a call that was refused", id)
		}
	}
	// The proxy hung up both sides of the calls it cut off (Kamailio logs
	// this error when it skipped the callee's BYE).
	if strings.Contains(kam.out.String(), "terminating non-confirmed dialogs not supported") {
		t.Errorf("Kamailio skipped a BYE to the carrier: the caller's answer ended the dialog first")
	}
	for _, id := range []string{"out-paid-1@", "out-retry-1@"} {
		if !regexp.MustCompile(`(?m)^BYE sip:[^\n]*\n(?:[^\n]+\n)*Call-ID: ` + regexp.QuoteMeta(id)).MatchString(seen) {
			t.Errorf("the carrier got no BYE for %s, which the proxy cut off", id)
		}
	}
	if n := len(regexp.MustCompile(`(?m)^INVITE sip:`).FindAllString(seen, -1)); n != 5 {
		t.Errorf("the carrier received %d INVITEs, want 5 (busy, unanswered, cancelled, paid, erin's)", n)
	}

	if strings.Contains(kam.out.String(), st.Token) || strings.Contains(kam.out.String(), sipPassword) {
		t.Errorf("Kamailio's log shows the switch token or a SIP password")
	}

	if stdout, stderr, err := runCmd("ledger", "verify", "--db", db); err != nil {
		t.Errorf("ledger verify: %v\n%s%s", err, stdout, stderr)
	}
}
