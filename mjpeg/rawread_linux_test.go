package mjpeg

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"syscall"
	"testing"
	"time"
)

// tcpPair returns both ends of a TCP connection on 127.0.0.1, the client's
// made by NewClient's dialer.
func tcpPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := l.Accept()
		accepted <- c
	}()
	client, err = dialRaw(&net.Dialer{Timeout: DialTimeout})(context.Background(), "tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		t.Fatal("no connection accepted")
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	if _, ok := client.(*rawReadConn); !ok {
		t.Fatalf("NewClient's dialer made a %T, want a *rawReadConn", client)
	}
	return client, server
}

// TestRawReadStream: whatever the pieces the peer writes and the sizes the
// reader asks for, every byte comes once and in order, then io.EOF.
func TestRawReadStream(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for run := range 20 {
		client, server := tcpPair(t)
		want := make([]byte, 1+rng.IntN(300<<10))
		for i := range want {
			want[i] = byte(rng.Uint32())
		}
		pieces := rng.IntN(20) + 1
		wrng := rand.New(rand.NewPCG(uint64(run), 3)) // the writer's own
		go func() {
			rest := want
			for i := 0; len(rest) > 0; i++ {
				n := len(rest)
				if i < pieces-1 {
					n = min(n, 1+wrng.IntN(len(want)/pieces+1))
				}
				server.Write(rest[:n])
				rest = rest[n:]
				if i%4 == 0 {
					time.Sleep(time.Millisecond) // the reader waits in the poller
				}
			}
			server.Close()
		}()
		var got bytes.Buffer
		buf := make([]byte, 1+rng.IntN(64<<10))
		for {
			n, err := client.Read(buf[:1+rng.IntN(len(buf))])
			got.Write(buf[:n])
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("run %d: %v after %d bytes", run, err, got.Len())
			}
		}
		if !bytes.Equal(got.Bytes(), want) {
			t.Fatalf("run %d: %d bytes read, want the %d written", run, got.Len(), len(want))
		}
		if n, err := client.Read(buf); n != 0 || err != io.EOF {
			t.Fatalf("run %d: read after the end: %d, %v; want 0, io.EOF", run, n, err)
		}
	}
}

// TestRawReadErrors: a deadline, a Close and a reset give the errors that
// package net's reads give.
func TestRawReadErrors(t *testing.T) {
	buf := make([]byte, 100)
	t.Run("deadline", func(t *testing.T) {
		client, _ := tcpPair(t)
		client.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		_, err := client.Read(buf)
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("read past the deadline: %v, want a timeout", err)
		}
		client.SetReadDeadline(time.Time{})
	})
	t.Run("closed", func(t *testing.T) {
		client, _ := tcpPair(t)
		done := make(chan error)
		go func() {
			_, err := client.Read(buf)
			done <- err
		}()
		time.Sleep(10 * time.Millisecond)
		client.Close()
		if err := <-done; !errors.Is(err, net.ErrClosed) {
			t.Fatalf("read of a connection closed meanwhile: %v, want net.ErrClosed", err)
		}
	})
	t.Run("reset", func(t *testing.T) {
		client, server := tcpPair(t)
		server.(*net.TCPConn).SetLinger(0) // close sends a reset
		server.Write([]byte("x"))
		server.Close()
		var err error
		for err == nil {
			_, err = client.Read(buf)
		}
		var op *net.OpError
		if !errors.Is(err, syscall.ECONNRESET) || !errors.As(err, &op) || op.Op != "read" {
			t.Fatalf("read of a reset connection: %#v, want a read *net.OpError of ECONNRESET", err)
		}
	})
}
