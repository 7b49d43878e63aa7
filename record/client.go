package record

import (
	"net"
	"net/http"
	"time"
)

// Timeouts of the client NewClient makes, which MJPEG uses when given
// none, with their reasons. The stream after the headers has no timeout
// of the client's: a stream never ends, and Config.Stall watches it for
// frames instead.
const (
	// DialTimeout bounds connecting to a camera: one that is off or
	// unplugged fails in seconds and is retried, instead of holding the
	// attempt for the minutes the kernel would wait.
	DialTimeout = 5 * time.Second
	// TLSHandshakeTimeout bounds the TLS handshake with an https camera,
	// for the same reason.
	TLSHandshakeTimeout = 5 * time.Second
	// HeaderTimeout bounds the wait for the answer's headers once the
	// request is sent: a camera whose web server accepts connections and
	// hangs (a crashed firmware, a full ESP32) fails with a timeout and
	// is retried, instead of hanging a program that runs MJPEG's Source
	// without a Recorder's Stall. 10 s leaves a slow camera time to
	// start its stream.
	HeaderTimeout = 10 * time.Second
)

// headerTimeout is HeaderTimeout; tests make it short.
var headerTimeout = HeaderTimeout

// NewClient returns the HTTP client MJPEG uses when given none: proxies
// from the environment (http.ProxyFromEnvironment), and DialTimeout,
// TLSHandshakeTimeout and HeaderTimeout. Each call makes a client of its
// own, with a transport of its own. Start from it to change one thing
// (a TLS configuration, a proxy), so as to keep the timeouts.
func NewClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: DialTimeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   TLSHandshakeTimeout,
		ResponseHeaderTimeout: headerTimeout,
	}}
}
