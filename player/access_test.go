package player_test

import (
	"bytes"
	"context"
	"image/color"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/internal/testkit"
	"github.com/imgstream/imgstream/mjpeg"
	"github.com/imgstream/imgstream/player"
)

// on returns a request for target that came in on the local address
// local, as net/http's Server marks it: tests may listen only on
// 127.0.0.1, so an address beyond loopback is given this way.
func on(local net.Addr, method, target, host string) *http.Request {
	r := httptest.NewRequest(method, target, nil)
	r.Host = host
	if local != nil {
		r = r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, local))
	}
	return r
}

func tcp(ip string) net.Addr { return &net.TCPAddr{IP: net.ParseIP(ip), Port: 8080} }

// TestBeyondLoopback: a player without credentials answers a request that
// came in on an address beyond the loopback interface 403, and logs why
// once, unless Options.Public; with a token or a password it asks for
// them there; on loopback a zero Options serves loopback Hosts.
func TestBeyondLoopback(t *testing.T) {
	// A real server on 127.0.0.1: the zero Options works.
	zero, err := player.NewFile(sample, player.Options{})
	require.NoError(t, err)
	resp, _ := get(t, serve(t, zero).URL+"/api/info")
	assert.Equal(t, http.StatusOK, resp.StatusCode, "a zero Options on 127.0.0.1")

	lan, lanHost := tcp("192.168.1.20"), "192.168.1.20:8080"
	cases := []struct {
		name   string
		o      player.Options
		local  net.Addr
		target string
		host   string
		hdr    []string
		want   int
	}{
		{"zero, LAN", player.Options{}, lan, "/api/info", lanHost, nil, http.StatusForbidden},
		{"zero, LAN, a loopback Host", player.Options{}, lan, "/api/info", "localhost", nil, http.StatusForbidden},
		{"zero, LAN, page", player.Options{}, lan, "/", lanHost, nil, http.StatusForbidden},
		{"zero, IPv4 in IPv6", player.Options{}, tcp("::ffff:192.168.1.20"), "/api/info", lanHost, nil, http.StatusForbidden},
		{"zero, IPv6", player.Options{}, tcp("2001:db8::1"), "/api/info", "[2001:db8::1]:8080", nil, http.StatusForbidden},
		{"zero, all interfaces", player.Options{}, tcp("0.0.0.0"), "/api/info", lanHost, nil, http.StatusForbidden},
		{"Hosts are for loopback", player.Options{Hosts: []string{"camera.lan"}}, lan, "/api/info", "camera.lan", nil, http.StatusForbidden},
		{"token, none given", player.Options{Token: "s3cret"}, lan, "/api/info", lanHost, nil, http.StatusUnauthorized},
		{"token", player.Options{Token: "s3cret"}, lan, "/api/info?token=s3cret", lanHost, nil, http.StatusOK},
		{"password, none given", player.Options{User: "me", Password: "pw"}, lan, "/api/info", lanHost, nil, http.StatusUnauthorized},
		{"password", player.Options{User: "me", Password: "pw"}, lan, "/api/info", lanHost, []string{"Authorization", "Basic bWU6cHc="}, http.StatusOK},
		{"public", player.Options{Public: true}, lan, "/api/info", lanHost, nil, http.StatusOK},
		{"public, any Host", player.Options{Public: true}, lan, "/api/info", "camera.example", nil, http.StatusOK},
		{"public, a token still asked", player.Options{Public: true, Token: "s3cret"}, lan, "/api/info", lanHost, nil, http.StatusUnauthorized},
		{"loopback", player.Options{}, tcp("127.0.0.1"), "/api/info", "127.0.0.1:8080", nil, http.StatusOK},
		{"loopback IPv6", player.Options{}, tcp("::1"), "/api/info", "[::1]:8080", nil, http.StatusOK},
		{"loopback, a rebound name", player.Options{}, tcp("127.0.0.1"), "/api/info", "evil.example", nil, http.StatusForbidden},
		{"public on loopback, a rebound name", player.Options{Public: true}, tcp("127.0.0.1"), "/api/info", "evil.example", nil, http.StatusForbidden},
		{"a Unix socket", player.Options{}, &net.UnixAddr{Name: "/run/player.sock", Net: "unix"}, "/api/info", "localhost", nil, http.StatusOK},
		{"a Unix socket, a rebound name", player.Options{}, &net.UnixAddr{Name: "/run/player.sock", Net: "unix"}, "/api/info", "evil.example", nil, http.StatusForbidden},
		{"no address known", player.Options{}, nil, "/api/info", "localhost", nil, http.StatusOK},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Refused for its address, not its Host.
			beyond := c.want == http.StatusForbidden && c.local != nil && c.local.Network() == "tcp" &&
				!c.local.(*net.TCPAddr).IP.IsLoopback()
			var logged bytes.Buffer
			c.o.ErrorLog = log.New(&logged, "", 0)
			p, err := player.NewFile(sample, c.o)
			require.NoError(t, err)
			defer p.Close()
			for range 2 {
				r := on(c.local, "GET", c.target, c.host)
				for i := 0; i+1 < len(c.hdr); i += 2 {
					r.Header.Set(c.hdr[i], c.hdr[i+1])
				}
				w := httptest.NewRecorder()
				p.ServeHTTP(w, r)
				assert.Equal(t, c.want, w.Code, w.Body.String())
				if beyond {
					assert.Contains(t, w.Body.String(), "beyond the loopback interface")
				}
			}
			if beyond {
				assert.Equal(t, 1, strings.Count(logged.String(), "\n"), "logged once: %s", logged.String())
				assert.Contains(t, logged.String(), c.local.String(), "the address it came in on")
			} else {
				assert.Empty(t, logged.String())
			}
		})
	}
}

// TestBeyondLoopbackLive: a live player with a trigger, without
// credentials, triggers nothing and shows nothing for a request beyond
// loopback; Public opens it.
func TestBeyondLoopbackLive(t *testing.T) {
	var srv mjpeg.Server
	defer srv.Close()
	require.NoError(t, srv.Publish(testkit.SolidJPEG(8, 8, color.Black)))
	var triggers atomic.Int32
	trigger := func() { triggers.Add(1) }
	lan := tcp("10.0.0.7")
	var logged bytes.Buffer
	closed := player.NewLive(&srv, "camera", player.Options{Trigger: trigger, ErrorLog: log.New(&logged, "", 0)})
	for _, target := range []string{"/snapshot.jpg", "/api/info"} {
		w := httptest.NewRecorder()
		closed.ServeHTTP(w, on(lan, "GET", target, "10.0.0.7:8080"))
		assert.Equal(t, http.StatusForbidden, w.Code, target)
	}
	w := httptest.NewRecorder()
	closed.ServeHTTP(w, on(lan, "POST", "/trigger", "10.0.0.7:8080"))
	assert.Equal(t, http.StatusForbidden, w.Code)
	assert.Zero(t, triggers.Load(), "no trigger from beyond loopback without credentials")
	assert.Equal(t, 1, strings.Count(logged.String(), "\n"), "logged once: %s", logged.String())

	open := player.NewLive(&srv, "camera", player.Options{Trigger: trigger, Public: true})
	w = httptest.NewRecorder()
	open.ServeHTTP(w, on(lan, "POST", "/trigger", "10.0.0.7:8080"))
	assert.Equal(t, http.StatusNoContent, w.Code)
	assert.EqualValues(t, 1, triggers.Load())
}
