package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/deploy/kamailio"
)

// kamailioConfig prints a Kamailio configuration for partnerd's switch API.
// Nothing is opened: it only fills the embedded template, after checking
// every value it writes into Kamailio's configuration language.
func kamailioConfig(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("kamailio-config", "", stdout)
	pdURL := fs.String("partnerd-url", "", "partnerd's base URL as the switch reaches it, such as http://10.0.0.5:8080 (required)")
	token := fs.String("token", getenv("PARTNERD_SWITCH_TOKEN"), "the switch token from \"partnerd switch-token create\" (env PARTNERD_SWITCH_TOKEN; required)")
	listen := fs.String("listen", "", "Kamailio's SIP socket, udp:IP:PORT or tcp:IP:PORT, with the address phones and the carrier reach (required)")
	carrier := fs.String("carrier", "", "the carrier, sip:IP:PORT: customers' calls go there, and INVITEs from there are inbound calls to DIDs (required)")
	realm := fs.String("realm", partnerd.DefaultSIPRealm, "SIP digest realm: the same as \"partnerd serve --sip-realm\"")
	ring := fs.Int("ring-timeout", 60, "seconds a callee may ring before the call is given up as NO_ANSWER")
	httpTimeout := fs.Int("http-timeout", 2, "seconds Kamailio waits for partnerd before refusing the call with 503")
	children := fs.Int("children", 4, "SIP worker processes")
	if err := fs.parse(args); err != nil {
		return err
	}
	s := kamailio.Settings{Realm: *realm, RingTimeoutMS: *ring * 1000, HTTPTimeout: *httpTimeout, Children: *children}
	var bad []string
	if u, err := checkPartnerdURL(*pdURL); err != nil {
		bad = append(bad, err.Error())
	} else {
		s.PartnerdURL = u
	}
	if !isSwitchToken(*token) {
		bad = append(bad, "--token must be a switch token (sk_live_ and letters and digits), from \"partnerd switch-token create\"")
	}
	s.Token = *token
	if proto, hostport, err := checkListen(*listen); err != nil {
		bad = append(bad, err.Error())
	} else {
		s.Listen, s.UDPOnly = proto+":"+hostport, proto == "udp"
	}
	if ip, port, err := checkCarrier(*carrier); err != nil {
		bad = append(bad, err.Error())
	} else {
		s.CarrierIP, s.CarrierHost, s.CarrierPort = ip, ip, port
		if strings.Contains(ip, ":") {
			s.CarrierHost = "[" + ip + "]"
		}
	}
	if !partnerd.ValidSIPRealm(*realm) {
		bad = append(bad, fmt.Sprintf("--realm %q must be a host name (letters, digits, '.' and '-')", *realm))
	}
	if *ring < 1 || *ring > 600 {
		bad = append(bad, "--ring-timeout must be 1 to 600 seconds")
	}
	if *httpTimeout < 1 || *httpTimeout > 30 {
		bad = append(bad, "--http-timeout must be 1 to 30 seconds")
	}
	if *children < 1 || *children > 64 {
		bad = append(bad, "--children must be 1 to 64")
	}
	if len(bad) > 0 {
		return usageError{strings.Join(bad, "\n") + "\n\n" + fs.usage()}
	}
	return kamailio.Render(stdout, s)
}

// checkPartnerdURL accepts an http(s) URL of a host, with an optional path
// prefix, and returns it without a trailing slash. Kamailio's
// configuration gets it inside a double-quoted string, so quotes,
// backslashes, spaces and '$' (a Kamailio variable) are refused.
func checkPartnerdURL(s string) (string, error) {
	u, err := url.Parse(s)
	if s == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.User != nil || u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(s, "\"\\$ \t\r\n") {
		return "", fmt.Errorf("--partnerd-url %q must be an http:// or https:// URL such as http://10.0.0.5:8080", s)
	}
	return strings.TrimRight(s, "/"), nil
}

// isSwitchToken reports whether s has a switch token's shape; it is
// written into the configuration verbatim.
func isSwitchToken(s string) bool {
	rest, ok := strings.CutPrefix(s, "sk_live_")
	if !ok || len(rest) < 32 || len(rest) > 128 {
		return false
	}
	for _, c := range rest {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// checkListen reads proto:IP:PORT (IPv6 in brackets). The address goes
// into Via and Record-Route headers, so it cannot be a wildcard.
func checkListen(s string) (proto, hostport string, err error) {
	proto, hostport, _ = strings.Cut(s, ":")
	ip, port, perr := splitIPPort(hostport)
	if (proto != "udp" && proto != "tcp") || perr != nil || net.ParseIP(ip).IsUnspecified() {
		return "", "", fmt.Errorf("--listen %q must be udp:IP:PORT or tcp:IP:PORT with the address phones and the carrier reach (not 0.0.0.0), such as udp:198.51.100.7:5060", s)
	}
	return proto, net.JoinHostPort(ip, strconv.Itoa(port)), nil
}

// checkCarrier reads sip:IP:PORT. An IP, not a name: the configuration
// recognises the carrier's INVITEs by their source address.
func checkCarrier(s string) (ip string, port int, err error) {
	rest, ok := strings.CutPrefix(s, "sip:")
	ip, port, perr := splitIPPort(rest)
	if !ok || perr != nil {
		return "", 0, fmt.Errorf("--carrier %q must be sip:IP:PORT, such as sip:203.0.113.10:5060", s)
	}
	return ip, port, nil
}

func splitIPPort(s string) (string, int, error) {
	host, p, err := net.SplitHostPort(s)
	if err != nil {
		return "", 0, err
	}
	addr := net.ParseIP(host)
	port, err := strconv.Atoi(p)
	if addr == nil || err != nil || port < 1 || port > 65535 {
		return "", 0, fmt.Errorf("not IP:PORT")
	}
	return addr.String(), port, nil
}
