package mjpeg

import (
	"context"
	"errors"
	"html/template"
	"net"
	"net/http"
	"time"
)

// DefaultSendBuffer is the kernel send buffer ListenAndServe asks for each
// connection. Linux doubles what is asked for its own bookkeeping, so a
// connection holds up to 256 KiB that the viewer has not taken: about six
// and a half 640x480 frames of 39 KB. Those frames, and what the viewer's
// own receive buffer holds, are how far behind a slow viewer's picture can
// fall. Measured by BenchmarkSlowViewer (a viewer reading 10 frames a
// second of a 30 fps stream of 39 KB frames, with the kernel's default
// receive buffer): frames 1.3 s old at the median and 1.55 s at most, where
// the kernel's autotuned send buffer (up to 4 MiB) gives 2.7 s and 4.0 s.
// A smaller buffer would age less, but caps a fast viewer across a slow
// link at a buffer a round trip: 256 KiB is 2.6 MB/s at 100 ms.
const DefaultSendBuffer = 128 << 10

// LimitSendBuffer returns a listener whose TCP connections ask the kernel
// for a send buffer of size bytes (Linux gives twice that), so that a
// viewer who reads slowly is shown frames a buffer's worth old, not many
// seconds old. Give it to the http.Server that serves a Server.
func LimitSendBuffer(l net.Listener, size int) net.Listener {
	return sendBufferListener{l, size}
}

type sendBufferListener struct {
	net.Listener
	size int
}

func (l sendBufferListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(l.size)
	}
	return c, nil
}

// ListenAndServe serves s.Handler on the TCP address addr, with each
// connection's send buffer limited to DefaultSendBuffer, until ctx is done;
// then it closes s and shuts the HTTP server down. It returns nil after a
// shutdown that ctx asked for.
func ListenAndServe(ctx context.Context, addr string, s *Server) error {
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	return Serve(ctx, l, s.Handler(), s)
}

// Serve serves h on l (after limiting its send buffers) until ctx is done,
// as ListenAndServe does; s, if not nil, is closed first, so that its
// endless streams end, and the other requests get 5 s to finish. It
// returns nil when ctx ends it.
func Serve(ctx context.Context, l net.Listener, h http.Handler, s *Server) error {
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    MaxHeaderBytes,
		// No WriteTimeout: it would cut every stream. The Server sets a
		// deadline on each frame's write instead.
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(LimitSendBuffer(l, DefaultSendBuffer)) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	if s != nil {
		s.Close()
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := hs.Shutdown(shutdown)
	if errors.Is(err, context.DeadlineExceeded) {
		// Requests still going after the grace (a stream of its own, a
		// long download) are cut: the server is stopping.
		err = hs.Close()
	}
	if e := <-errc; !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = e
	}
	return err
}

// MaxHeaderBytes bounds a request's headers on the servers Serve and
// ListenAndServe run: an MJPEG client sends a few hundred bytes.
const MaxHeaderBytes = 16 << 10

var indexTemplate = template.Must(template.New("index").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>imgstream</title>
<style>
html, body { margin: 0; height: 100%; background: #111; }
body { display: flex; align-items: center; justify-content: center; }
img { max-width: 100%; max-height: 100%; image-rendering: pixelated; }
</style>
</head>
<body>
<img src="{{.}}" alt="live stream">
</body>
</html>
`))

// IndexPage returns a handler for a minimal HTML page that shows the stream
// at streamURL (relative to the page, or absolute).
func IndexPage(streamURL string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		indexTemplate.Execute(w, streamURL)
	})
}
