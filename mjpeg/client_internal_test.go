package mjpeg

import (
	"net/http"
	"testing"
)

// TestDialHasTimeouts: Dial's client is NewClient's, with its timeouts,
// not http.DefaultClient, which has none: a camera that accepts and hangs
// would hang Dial for ever.
func TestDialHasTimeouts(t *testing.T) {
	c := defaultClient()
	if c == http.DefaultClient {
		t.Fatal("Dial uses http.DefaultClient")
	}
	tr, ok := c.Transport.(*http.Transport)
	if !ok {
		t.Fatalf("transport %T", c.Transport)
	}
	if tr.ResponseHeaderTimeout != HeaderTimeout || tr.TLSHandshakeTimeout != TLSHandshakeTimeout || tr.DialContext == nil || tr.Proxy == nil {
		t.Fatalf("transport without the timeouts: header %v, TLS %v", tr.ResponseHeaderTimeout, tr.TLSHandshakeTimeout)
	}
	if defaultClient() != c {
		t.Fatal("each Dial makes a client of its own: connections are not reused")
	}
}
