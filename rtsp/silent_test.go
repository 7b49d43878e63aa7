package rtsp_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/record"
	"github.com/imgstream/imgstream/rtsp"
)

// TestSilentCamera: a camera that accepts the connection and never
// answers; the end of ctx ends Run at once, not after Timeout.
func TestSilentCamera(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	src := &rtsp.Source{URL: "rtsp://" + l.Addr().String() + "/cam", Timeout: time.Hour}
	go func() { done <- src.Run(ctx, func(*record.Frame) error { return nil }) }()
	c := <-accepted
	defer c.Close()
	cancel()
	select {
	case err := <-done:
		require.ErrorIs(t, err, context.Canceled)
	case <-time.After(10 * time.Second):
		t.Fatal("Run goes on after its context ended")
	}
}
