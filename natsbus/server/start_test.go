package server_test

import (
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/natsbus/server"
)

// TestCredentialsBeyondLoopback: a server beyond the loopback interface
// does not start open, nor do its routes; with a token, a client without
// it is refused, and one with it (in the URL, or through Connect) gets in.
// Servers in tests listen on the loopback interface only: beyond it, only
// the refusals, which come before any listening, are tried.
func TestCredentialsBeyondLoopback(t *testing.T) {
	_, err := server.Start(server.Options{Host: "0.0.0.0", Dir: t.TempDir()})
	require.ErrorIs(t, err, server.ErrNoCredentials)
	_, err = server.Start(server.Options{Host: "::"})
	require.ErrorIs(t, err, server.ErrNoCredentials)
	_, err = server.Start(server.Options{Host: "192.0.2.7"})
	require.ErrorIs(t, err, server.ErrNoCredentials)
	_, err = server.Start(server.Options{Cluster: "c", ClusterHost: "0.0.0.0"})
	require.ErrorIs(t, err, server.ErrNoCredentials, "routes open to any host that would join and read every camera")

	srv, err := server.Start(server.Options{Token: "s3cret"})
	require.NoError(t, err)
	t.Cleanup(srv.Shutdown)
	port := strconv.Itoa(portOf(srv.URL()))
	_, err = nats.Connect("nats://127.0.0.1:"+port, nats.MaxReconnects(0))
	require.ErrorIs(t, err, nats.ErrAuthorization, "a client without the token is refused")
	nc, err := nats.Connect("nats://s3cret@127.0.0.1:" + port)
	require.NoError(t, err)
	nc.Close()
	nc, err = srv.Connect()
	require.NoError(t, err)
	nc.Close()

	seed, err := server.Start(server.Options{Cluster: "c", ClusterUser: "route", ClusterPassword: "s3cret"})
	require.NoError(t, err)
	seed.Shutdown()

	for _, host := range []string{"127.0.0.1", "::1", "localhost", ""} {
		assert.True(t, host == "" || server.Loopback(host), host)
	}
	assert.False(t, server.Loopback("192.168.1.2"))
}

// TestPortTaken: a port something listens on is ErrAddrInUse, told at
// once, not a wait for a server that never gets ready.
func TestPortTaken(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	_, err = server.Start(server.Options{Port: port})
	require.ErrorIs(t, err, server.ErrAddrInUse)
	assert.Contains(t, err.Error(), "127.0.0.1:"+strconv.Itoa(port))

	// A second server on one machine, as a second publish starts one.
	first := start(t, "")
	_, err = server.Start(server.Options{Port: portOf(first.URL())})
	require.ErrorIs(t, err, server.ErrAddrInUse)
}

// portOf returns the port of a nats:// URL.
func portOf(url string) int {
	p, _ := strconv.Atoi(url[strings.LastIndex(url, ":")+1:])
	return p
}
