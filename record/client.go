package record

import (
	"net/http"

	"github.com/imgstream/imgstream/mjpeg"
)

// Timeouts of the client NewClient makes, which MJPEG uses when given
// none: mjpeg's, whose doc gives their reasons. The stream after the
// headers has no timeout of the client's: a stream never ends, and
// Config.Stall watches it for frames instead.
const (
	DialTimeout         = mjpeg.DialTimeout
	TLSHandshakeTimeout = mjpeg.TLSHandshakeTimeout
	HeaderTimeout       = mjpeg.HeaderTimeout
)

// headerTimeout is HeaderTimeout; tests make it short.
var headerTimeout = HeaderTimeout

// NewClient returns the HTTP client MJPEG uses when given none:
// [mjpeg.NewClient]'s, with proxies from the environment, DialTimeout,
// TLSHandshakeTimeout and HeaderTimeout. Each call makes a client of its
// own, with a transport of its own. Start from it to change one thing (a
// TLS configuration, a proxy), so as to keep the timeouts.
func NewClient() *http.Client {
	c := mjpeg.NewClient()
	c.Transport.(*http.Transport).ResponseHeaderTimeout = headerTimeout
	return c
}
