package webhook

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
)

// errPrivate refuses a connection to an address a partner must not reach
// through partnerd (SSRF): loopback, private, link-local, unspecified,
// multicast or otherwise not globally routable.
var errPrivate = errors.New("address is not public (refused without --webhook-allow-private)")

// publicOnly is a net.Dialer Control that refuses non-public addresses.
// It runs on the address actually dialled, after name resolution, so a
// name that resolves to 127.0.0.1 is refused too.
func publicOnly(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("dial %s: %w", address, err)
	}
	if !isPublic(ip) {
		return fmt.Errorf("dial %s: %w", address, errPrivate)
	}
	return nil
}

// isPublic reports whether ip may be a webhook's destination.
func isPublic(ip netip.Addr) bool {
	ip = ip.Unmap()
	switch {
	case !ip.IsValid(), ip.IsLoopback(), ip.IsPrivate(), ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast(),
		ip.IsUnspecified(), ip.IsMulticast(), ip.IsInterfaceLocalMulticast():
		return false
	}
	// Carrier-grade NAT (100.64.0.0/10) and "this network" (0.0.0.0/8).
	for _, p := range []netip.Prefix{netip.MustParsePrefix("100.64.0.0/10"), netip.MustParsePrefix("0.0.0.0/8")} {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}
