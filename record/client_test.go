package record_test

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/record"
)

// TestMJPEGHeaderTimeout: a camera that accepts the connection, reads the
// request and never answers makes MJPEG(nil, url) fail with a timeout
// error (HeaderTimeout, made short here), where http.DefaultClient waited
// for ever.
func TestMJPEGHeaderTimeout(t *testing.T) {
	record.SetHeaderTimeout(t, 50*time.Millisecond)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	asked := make(chan string, 1)
	done := make(chan struct{})
	defer close(done)
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		req, err := http.ReadRequest(bufio.NewReader(c))
		if err == nil {
			asked <- req.URL.Path
		}
		<-done // and never a byte of an answer
	}()

	err = record.MJPEG(nil, "http://"+l.Addr().String()+"/stream.mjpg").Run(t.Context(), func(*record.Frame) error {
		t.Error("a frame from a camera that never answers")
		return nil
	})
	require.Error(t, err)
	var ne net.Error
	require.True(t, errors.As(err, &ne), "a net.Error: %v", err)
	assert.True(t, ne.Timeout(), "a timeout: %v", err)
	assert.ErrorContains(t, err, "awaiting response headers")
	assert.NotErrorIs(t, err, record.ErrPermanent, "retried, as a drop is")
	assert.Equal(t, "/stream.mjpg", <-asked, "the request was sent, and not answered")
}

// TestNewClient: the default client has the timeouts, and proxies from
// the environment.
func TestNewClient(t *testing.T) {
	c := record.NewClient()
	tr, ok := c.Transport.(*http.Transport)
	require.True(t, ok)
	assert.Equal(t, record.HeaderTimeout, tr.ResponseHeaderTimeout)
	assert.Equal(t, record.TLSHandshakeTimeout, tr.TLSHandshakeTimeout)
	assert.NotNil(t, tr.DialContext)
	assert.NotNil(t, tr.Proxy)
	assert.NotSame(t, c, record.NewClient(), "a client of its own each time")
}
