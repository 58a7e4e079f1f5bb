// Package kamailio holds the Kamailio configuration that connects a SIP
// switch to partnerd's switch API (API.md §5, "Connecting a real switch"),
// as a template that `partnerd kamailio-config` fills in.
package kamailio

import (
	_ "embed"
	"io"
	"text/template"
)

//go:embed partnerd.cfg.tmpl
var cfgText string

var cfg = template.Must(template.New("partnerd.cfg").Option("missingkey=error").Parse(cfgText))

// Settings are the values the configuration needs. The caller checks them:
// the template writes them into Kamailio's configuration language as they
// are, some inside double-quoted strings.
type Settings struct {
	PartnerdURL   string // base URL of partnerd, without a trailing slash
	Token         string // the switch token (sk_live_…)
	Listen        string // Kamailio's listen socket, proto:IP:port
	UDPOnly       bool   // the listen socket is UDP: TCP is disabled
	CarrierIP     string // the carrier's IP address: calls go there, and from there are inbound
	CarrierHost   string // CarrierIP as a URI's host (an IPv6 address in brackets)
	CarrierPort   int
	Realm         string // the digest realm, partnerd's --sip-realm
	RingTimeoutMS int    // how long a callee may ring before NO_ANSWER
	HTTPTimeout   int    // seconds Kamailio waits for partnerd before answering 503
	Children      int    // SIP worker processes
}

// Render writes the configuration for s to w.
func Render(w io.Writer, s Settings) error {
	return cfg.Execute(w, s)
}
