package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"strings"

	"github.com/imgstream/imgstream/player"
)

// listen listens on addr (":PORT" is the loopback interface's) and returns
// the player's options for token and auth (USER:PASSWORD), and the link
// to print. Beyond the loopback interface every request needs
// credentials: a token is made when neither is given.
func listen(addr, token, auth string) (net.Listener, string, player.Options, error) {
	opts := player.Options{Token: token}
	if auth != "" {
		u, p, ok := strings.Cut(auth, ":")
		if !ok || u == "" || p == "" {
			return nil, "", opts, usageError{fmt.Errorf("--auth %q: want USER:PASSWORD", auth)}
		}
		opts.User, opts.Password = u, p
	}
	if strings.HasPrefix(addr, ":") {
		addr = "127.0.0.1" + addr
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", opts, err
	}
	if !loopback(l.Addr()) && opts.Token == "" && opts.User == "" {
		var b [16]byte
		rand.Read(b[:])
		opts.Token = hex.EncodeToString(b[:])
	}
	link := "http://" + l.Addr().String() + "/"
	if opts.Token != "" {
		link += "?token=" + opts.Token
	}
	return l, link, opts, nil
}

// loopback reports whether a is on the loopback interface.
func loopback(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}

// loopbackHost reports whether host, a name or an address, is on the
// loopback interface, where the embedded server needs no token (as
// server.Loopback says, without linking the server in).
func loopbackHost(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || ip != nil && ip.IsLoopback()
}
