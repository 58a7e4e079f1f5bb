package main

import (
	"context"
	"strings"
	"testing"
)

// TestKamailioConfigCommand checks what kamailio-config accepts: every
// value it writes into Kamailio's configuration language is checked first,
// all mistakes are reported at once (exit 2), and the token may come from
// the environment so that it stays out of the process list.
func TestKamailioConfigCommand(t *testing.T) {
	t.Parallel()
	token := "sk_live_" + strings.Repeat("Ab1", 12)
	good := []string{"kamailio-config", "--partnerd-url", "http://10.0.0.5:8080/", "--token", token,
		"--listen", "udp:192.0.2.1:5060", "--carrier", "sip:203.0.113.10:5070", "--realm", "pbx.example.com"}
	stdout, stderr, err := runCmd(good...)
	if err != nil {
		t.Fatalf("kamailio-config: %v\n%s", err, stderr)
	}
	for _, want := range []string{
		"#!KAMAILIO",
		"listen=udp:192.0.2.1:5060",
		"disable_tcp=yes",
		`http_client_query("http://10.0.0.5:8080/api/v1/switch/authorize"`,
		`"Content-Type: application/json\r\nAuthorization: Bearer ` + token + `"`,
		`if ($si == "203.0.113.10" && $sp == 5070) {`,
		`$ru = "sip:" + $rU + "@203.0.113.10:5070";`,
		`proxy_challenge("pbx.example.com", "0");`,
		`modparam("tm", "fr_inv_timer", 60000)`,
		`modparam("http_client", "connection_timeout", 2)`,
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the configuration lacks %q", want)
		}
	}
	if strings.Contains(stdout, "{{") || strings.Contains(stdout, "<no value>") {
		t.Errorf("the configuration has an unfilled template field")
	}

	// The token from the environment.
	var out, errOut syncBuffer
	env := envMap(map[string]string{"PARTNERD_SWITCH_TOKEN": token})
	if err := run(context.Background(), good[:3], env, &out, &errOut); err == nil || exitCode(err) != 2 ||
		!strings.Contains(err.Error(), "--carrier ") || !strings.Contains(err.Error(), "--listen ") {
		t.Errorf("without --listen and --carrier: %v, want a usage error naming both", err)
	}
	args := append(append([]string{}, good[:3]...), "--listen", "tcp:[2001:db8::5]:5060", "--carrier", "sip:[2001:db8::1]:5060")
	out, errOut = syncBuffer{}, syncBuffer{}
	if err := run(context.Background(), args, env, &out, &errOut); err != nil || !strings.Contains(out.String(), "Bearer "+token) ||
		!strings.Contains(out.String(), `$si == "2001:db8::1"`) || !strings.Contains(out.String(), `"@[2001:db8::1]:5060"`) ||
		!strings.Contains(out.String(), "listen=tcp:[2001:db8::5]:5060") || strings.Contains(out.String(), "disable_tcp") {
		t.Errorf("token from PARTNERD_SWITCH_TOKEN, IPv6 carrier: %v\n%s", err, errOut.String())
	}

	// Every mistake, named, at once.
	_, _, err = runCmd("kamailio-config", "--partnerd-url", `http://x/"; exit;`, "--token", "sk_live_short",
		"--listen", "sctp:1.2.3.4:5060", "--carrier", "sip:carrier.example.com:5060", "--realm", "bad realm",
		"--ring-timeout", "0", "--http-timeout", "31", "--children", "0")
	if err == nil || exitCode(err) != 2 {
		t.Fatalf("bad flags: %v, want a usage error (exit 2)", err)
	}
	for _, flag := range []string{"--partnerd-url", "--token", "--listen", "--carrier", "--realm", "--ring-timeout", "--http-timeout", "--children"} {
		if !strings.Contains(err.Error(), flag+" ") {
			t.Errorf("the usage error does not name %s:\n%v", flag, err)
		}
	}
	if strings.Contains(err.Error(), token) {
		t.Errorf("the usage error shows a token")
	}

	stdout, _, err = runCmd("kamailio-config", "--help")
	if err != nil || !strings.Contains(stdout, "usage: partnerd kamailio-config") || !strings.Contains(stdout, "-carrier") {
		t.Errorf("kamailio-config --help: %v\n%s", err, stdout)
	}
	if stdout, _, _ := runCmd("--help"); !strings.Contains(stdout, "kamailio-config") {
		t.Errorf("partnerd --help does not list kamailio-config:\n%s", stdout)
	}
}

// TestKamailioConfigListen refuses a wildcard listen address: Kamailio
// would write it into Via and Record-Route headers.
func TestKamailioConfigListen(t *testing.T) {
	t.Parallel()
	token := "sk_live_" + strings.Repeat("Ab1", 12)
	for _, listen := range []string{"udp:0.0.0.0:5060", "tcp:[::]:5060", "udp:198.51.100.7", "udp:198.51.100.7:0", "udp:host.example.com:5060"} {
		_, _, err := runCmd("kamailio-config", "--partnerd-url", "http://10.0.0.5:8080", "--token", token,
			"--listen", listen, "--carrier", "sip:203.0.113.10:5060")
		if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), "--listen ") {
			t.Errorf("--listen %s: %v, want a usage error naming --listen", listen, err)
		}
	}
}
