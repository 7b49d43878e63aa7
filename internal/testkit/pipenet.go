package testkit

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
)

// A PipeNet is an in-memory network of net.Pipe connections: a
// net.Listener for a server and a Dial for its clients. Inside a
// testing/synctest bubble, its connections block durably, so an HTTP server
// and its clients run on the bubble's fake clock.
type PipeNet struct {
	conns     chan net.Conn
	closeOnce sync.Once
	done      chan struct{}
}

// NewPipeNet returns a PipeNet that accepts connections.
func NewPipeNet() *PipeNet {
	return &PipeNet{conns: make(chan net.Conn), done: make(chan struct{})}
}

// Accept waits for a connection made by Dial.
func (p *PipeNet) Accept() (net.Conn, error) {
	select {
	case c := <-p.conns:
		return c, nil
	case <-p.done:
		return nil, net.ErrClosed
	}
}

// Close stops accepting; Dial then fails.
func (p *PipeNet) Close() error {
	p.closeOnce.Do(func() { close(p.done) })
	return nil
}

// Addr returns a placeholder address.
func (p *PipeNet) Addr() net.Addr { return pipeAddr{} }

// Dial connects to the listener.
func (p *PipeNet) Dial(ctx context.Context, _, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case p.conns <- server:
		return client, nil
	case <-p.done:
		return nil, errors.New("testkit: pipe network closed")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Client returns an HTTP client whose connections go to the listener,
// whatever the URL's host.
func (p *PipeNet) Client() *http.Client {
	return &http.Client{Transport: &http.Transport{DialContext: p.Dial, DisableKeepAlives: true}}
}

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "pipe" }
