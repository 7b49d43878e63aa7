package mjpeg

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// LoopbackHost reports whether host, an HTTP Host header's value with or
// without a port, names the loopback interface: localhost, an address in
// 127.0.0.0/8, or ::1.
func LoopbackHost(host string) bool {
	name := hostName(host)
	if name == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(name)
	return err == nil && a.Unmap().IsLoopback()
}

// hostName is host without its port and brackets, in lower case, without a
// final dot.
func hostName(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	} else if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
	}
	return strings.TrimSuffix(strings.ToLower(host), ".")
}

// HostAllowed reports whether r may be answered by a server that has no
// credentials of its own: a request that came in on a loopback address
// must name a loopback Host (LoopbackHost) or one of hosts. Otherwise a
// web page on any site could read the server through DNS rebinding: its
// name made to resolve to 127.0.0.1, the browser sends the page's own name
// as the Host. A request on any other address is allowed, since the
// server is reachable there anyway, as is one with no Host (HTTP/1.0,
// never a browser).
func HostAllowed(r *http.Request, hosts []string) bool {
	if r.Host == "" {
		return true
	}
	local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok {
		return true // not from net/http's server: no address to judge by
	}
	ap, err := netip.ParseAddrPort(local.String())
	if err != nil || !ap.Addr().Unmap().IsLoopback() {
		return true
	}
	return HostIn(r.Host, hosts)
}

// HostIn reports whether host, an HTTP Host header's value, names the
// loopback interface (LoopbackHost) or one of hosts, whatever the port,
// the case, or a final dot.
func HostIn(host string, hosts []string) bool {
	if LoopbackHost(host) {
		return true
	}
	name := hostName(host)
	for _, h := range hosts {
		if hostName(h) == name {
			return true
		}
	}
	return false
}

// refuseHost answers 403 Forbidden to a request that HostAllowed refuses,
// and reports whether it did.
func (s *Server) refuseHost(w http.ResponseWriter, r *http.Request) bool {
	if HostAllowed(r, s.Hosts) {
		return false
	}
	http.Error(w, fmt.Sprintf("mjpeg: Host %q is not a loopback name: open the stream at 127.0.0.1 or localhost, or list the name in Server.Hosts", r.Host), http.StatusForbidden)
	return true
}
