// Package server starts a NATS server inside the process, with JetStream,
// for natsbus: the single-machine default (nothing to install) and the
// tests. It listens on 127.0.0.1 unless told otherwise, or only for
// connections from the same process; beyond the loopback interface it
// needs credentials ([ErrNoCredentials]). With a cluster name and routes
// it joins other servers, which clustered JetStream needs on every node.
//
// It is a module of its own, so that programs which only connect to a
// server never download it.
//
// # Limits
//
//   - A message is at most [Options].MaxPayload, NATS's default of 1 MB
//     when zero: natsbus sends larger frames in chunks, so it need not be
//     raised for them.
//   - [Start] waits at most [Options].Ready (10 s when zero) for the server
//     to accept connections, so that a server that cannot start does not
//     hang its program.
package server

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"syscall"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// Options configure an embedded server. The zero value is a server on a
// free port of 127.0.0.1 without JetStream (Dir enables it).
type Options struct {
	// Host and Port are where clients connect: 127.0.0.1 and a free port
	// when zero. InProcess instead listens nowhere: only connections
	// made with Connect reach it.
	Host      string
	Port      int
	InProcess bool
	// Token, or User and Password, are what every client must give:
	// nats://TOKEN@host:port, or nats://USER:PASSWORD@host:port. A server
	// whose Host is beyond the loopback interface needs them: open, it
	// would let anyone on the network read every camera and fill Dir.
	Token          string
	User, Password string
	// Dir, if set, enables JetStream with its files there; a server
	// started again on the same Dir has the same streams.
	Dir string
	// Name names the server (in a cluster, each its own): a generated
	// one when empty.
	Name string
	// Cluster, if set, is the cluster's name; the server listens for
	// routes on ClusterHost:ClusterPort (127.0.0.1 and a free port when
	// zero) and connects to Routes (nats-route://host:port URLs, its own
	// among them or not).
	Cluster     string
	ClusterHost string
	ClusterPort int
	Routes      []string
	// ClusterUser and ClusterPassword are what every route must give
	// (nats-route://USER:PASSWORD@host:port, in every node's Routes). A
	// ClusterHost beyond the loopback interface needs them.
	ClusterUser, ClusterPassword string
	// MaxPayload is the largest message: NATS's default (1 MB) when zero.
	MaxPayload int32
	// Ready bounds the wait for the server to accept connections: 10 s
	// when zero.
	Ready time.Duration
}

// Errors returned by Start.
var (
	// ErrNoCredentials is returned for a server that would listen beyond
	// the loopback interface with neither Token nor User and Password, or
	// for routes with no ClusterUser and ClusterPassword.
	ErrNoCredentials = errors.New("server: listening beyond the loopback interface needs a token, or a user and password")
	// ErrAddrInUse is returned at once for a Host and Port (or cluster
	// port) that something else, such as another server, listens on.
	ErrAddrInUse = errors.New("server: address already in use")
)

// A Server is a running embedded NATS server.
type Server struct {
	s    *natsserver.Server
	auth []nats.Option // the credentials Connect gives
}

// Start starts a server and waits until it accepts connections.
func Start(o Options) (*Server, error) {
	so := &natsserver.Options{
		ServerName:    o.Name,
		Host:          o.Host,
		Port:          o.Port,
		DontListen:    o.InProcess,
		MaxPayload:    o.MaxPayload,
		Authorization: o.Token,
		Username:      o.User,
		Password:      o.Password,
		NoSigs:        true,
		NoLog:         true,
	}
	if so.Host == "" {
		so.Host = "127.0.0.1"
	}
	if (o.User == "") != (o.Password == "") || o.Token != "" && o.User != "" {
		return nil, errors.New("server: give a Token, or a User and a Password")
	}
	if !o.InProcess && !Loopback(so.Host) && o.Token == "" && o.User == "" {
		return nil, fmt.Errorf("%w: %s", ErrNoCredentials, so.Host)
	}
	if !o.InProcess && o.Port > 0 {
		if err := free(so.Host, o.Port); err != nil {
			return nil, err
		}
	}
	if so.Port == 0 {
		so.Port = natsserver.RANDOM_PORT
	}
	if o.Dir != "" {
		so.JetStream, so.StoreDir = true, o.Dir
	}
	if o.Cluster != "" {
		so.Cluster = natsserver.ClusterOpts{Name: o.Cluster, Host: o.ClusterHost, Port: o.ClusterPort, Username: o.ClusterUser, Password: o.ClusterPassword}
		if so.Cluster.Host == "" {
			so.Cluster.Host = "127.0.0.1"
		}
		if (o.ClusterUser == "") != (o.ClusterPassword == "") {
			return nil, errors.New("server: give a ClusterUser and a ClusterPassword")
		}
		if !Loopback(so.Cluster.Host) && o.ClusterUser == "" {
			return nil, fmt.Errorf("%w: routes on %s", ErrNoCredentials, so.Cluster.Host)
		}
		if so.Cluster.Port == 0 {
			so.Cluster.Port = natsserver.RANDOM_PORT
		} else if err := free(so.Cluster.Host, so.Cluster.Port); err != nil {
			return nil, err
		}
		for _, r := range o.Routes {
			u, err := url.Parse(r)
			if err != nil {
				return nil, fmt.Errorf("server: route %q: %w", r, err)
			}
			so.Routes = append(so.Routes, u)
		}
	}
	s, err := natsserver.NewServer(so)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	go s.Start()
	ready := o.Ready
	if ready <= 0 {
		ready = 10 * time.Second
	}
	if !s.ReadyForConnections(ready) {
		s.Shutdown()
		return nil, errors.New("server: not ready for connections in time")
	}
	srv := &Server{s: s}
	switch {
	case o.Token != "":
		srv.auth = []nats.Option{nats.Token(o.Token)}
	case o.User != "":
		srv.auth = []nats.Option{nats.UserInfo(o.User, o.Password)}
	}
	return srv, nil
}

// free returns an error matching ErrAddrInUse if host:port is taken. The
// server itself says nothing of it: it waits, then is not ready.
func free(host string, port int) error {
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	l, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("%w: %s", ErrAddrInUse, addr)
	} else if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	return l.Close()
}

// Loopback reports whether host (a name or an address) is on the loopback
// interface, where a server needs no credentials.
func Loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// URL returns the URL clients connect to (empty for an InProcess server),
// without the credentials.
func (s *Server) URL() string {
	if s.s.Addr() == nil {
		return ""
	}
	return s.s.ClientURL()
}

// Connect returns a client connection to the server, in-process (no
// socket) whatever it listens on, with the server's credentials.
func (s *Server) Connect(opts ...nats.Option) (*nats.Conn, error) {
	all := append([]nats.Option{nats.InProcessServer(s.s)}, s.auth...)
	return nats.Connect("", append(all, opts...)...)
}

// Name returns the server's name.
func (s *Server) Name() string { return s.s.Name() }

// JetStreamReady waits until the server's JetStream is up (in a cluster:
// until it has a meta leader), for at most d.
func (s *Server) JetStreamReady(d time.Duration) error {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if s.s.JetStreamEnabled() && (!s.s.JetStreamIsClustered() || s.s.JetStreamIsLeader() || s.s.JetStreamIsCurrent()) {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errors.New("server: JetStream not ready in time")
}

// Shutdown stops the server and waits until it has.
func (s *Server) Shutdown() {
	s.s.Shutdown()
	s.s.WaitForShutdown()
}

// FreePorts returns n free TCP ports of 127.0.0.1, for a cluster whose
// every node needs every route's address before it starts.
func FreePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]int, n)
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	return ports, nil
}

// RouteURL returns the route URL of a cluster port on 127.0.0.1.
func RouteURL(port int) string { return "nats-route://127.0.0.1:" + strconv.Itoa(port) }
