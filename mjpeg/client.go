package mjpeg

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// DefaultMaxFrameSize is the largest frame a Reader accepts unless its
// MaxFrameSize says otherwise: 16 MiB, four times a 4K JPEG at top quality,
// so that a stream that never sends a boundary cannot make a reader buffer
// without end.
const DefaultMaxFrameSize = 16 << 20

// Errors returned by Reader.
var (
	// ErrFrameTooLarge is returned for a frame over the Reader's
	// MaxFrameSize (or a stream with no boundary in that many bytes).
	ErrFrameTooLarge = errors.New("mjpeg: frame too large")

	// ErrNotMultipart is returned by Dial for a response that is not a
	// multipart stream.
	ErrNotMultipart = errors.New("mjpeg: not a multipart stream")
)

// A StatusError is returned by Dial when the server answers with a status
// other than 200 OK, such as 503 when its MaxViewers are watching.
type StatusError struct {
	URL        string
	StatusCode int    // such as http.StatusServiceUnavailable
	Status     string // such as "503 Service Unavailable"
}

// Error names the URL and the status.
func (e *StatusError) Error() string { return "mjpeg: " + e.URL + ": " + e.Status }

// A Reader reads the frames of an MJPEG stream (multipart/x-mixed-replace)
// from any io.Reader: an HTTP response body, a file, a pipe. It accepts what
// real cameras send: no boundary before the first part, boundary lines with
// or without leading dashes, LF or CRLF line ends, extra headers, and a
// Content-Length that is missing or wrong (the next boundary then ends the
// part).
//
// Memory is bounded by the largest frame plus a 64 KiB read buffer, however
// long the stream runs and whatever its Content-Length headers say.
//
// A Reader is not safe for concurrent use.
type Reader struct {
	// MaxFrameSize is the largest frame accepted: DefaultMaxFrameSize when
	// zero.
	MaxFrameSize int

	br       *bufio.Reader
	src      pushback // what br reads: bytes given back, then the stream
	dashed   []byte   // "--" and the boundary; empty until known
	boundary []byte   // dashed without its dashes
	started  bool     // a part's headers may begin at the next line
	buf      []byte
	scratch  []byte // a delimiter's bytes across the end of buf
	closer   io.Closer
	err      error
}

// pushback is an io.Reader that returns the bytes given back to it before
// those of the stream it wraps. It is what the Reader's one bufio.Reader
// reads, so that bytes read past a part's end (a Content-Length that was
// too long) go back in front of the stream without a new buffer.
type pushback struct {
	r   io.Reader
	buf []byte // buf[off:] is returned first
	off int
}

func (p *pushback) Read(b []byte) (int, error) {
	if p.off < len(p.buf) {
		n := copy(b, p.buf[p.off:])
		p.off += n
		return n, nil
	}
	return p.r.Read(b)
}

// unread puts rest, then what br holds, in front of the stream, and resets
// br to read them first. The one buffer is reused from call to call.
func (r *Reader) unread(rest []byte) {
	buffered, _ := r.br.Peek(r.br.Buffered())
	p := &r.src
	left := len(p.buf) - p.off
	n := len(rest) + len(buffered) + left
	if cap(p.buf) < n {
		grown := make([]byte, n, n+n/4)
		copy(grown[n-left:], p.buf[p.off:])
		p.buf = grown
	} else {
		p.buf = p.buf[:n]
		copy(p.buf[n-left:], p.buf[p.off:p.off+left]) // memmove: they may overlap
	}
	copy(p.buf, rest)
	copy(p.buf[len(rest):], buffered)
	p.off = 0
	r.br.Reset(p)
}

// NewReader returns a Reader of the stream in r whose multipart boundary is
// boundary (from the response's Content-Type; leading dashes do not
// matter). An empty boundary is learnt from the first line that starts with
// "--".
func NewReader(r io.Reader, boundary string) *Reader {
	rd := &Reader{src: pushback{r: r}}
	if b := strings.TrimLeft(boundary, "-"); b != "" {
		rd.setBoundary([]byte(b))
	}
	rd.br = bufio.NewReaderSize(&rd.src, readBufferSize)
	return rd
}

// readBufferSize is the size of a Reader's buffer, and so the longest line
// it looks at whole: longer lines are never boundaries or headers.
const readBufferSize = 64 << 10

// Timeouts of the client [NewClient] makes, which [Dial] uses.
const (
	// DialTimeout bounds connecting to a camera: one that is off or
	// unplugged fails in seconds, instead of holding the attempt for the
	// minutes the kernel would wait.
	DialTimeout = 5 * time.Second
	// TLSHandshakeTimeout bounds the TLS handshake with an https camera,
	// for the same reason.
	TLSHandshakeTimeout = 5 * time.Second
	// HeaderTimeout bounds the wait for the answer's headers once the
	// request is sent: a camera whose web server accepts connections and
	// hangs (a crashed firmware, a full ESP32) fails with a timeout
	// instead of hanging its reader. 10 s leaves a slow camera time to
	// start its stream. The stream itself has no timeout: it lasts as
	// long as the camera sends.
	HeaderTimeout = 10 * time.Second
)

// NewClient returns an HTTP client for cameras: proxies from the
// environment (http.ProxyFromEnvironment), and DialTimeout,
// TLSHandshakeTimeout and HeaderTimeout, which http.DefaultClient does not
// have. Each call makes a client of its own, with a transport of its own.
// Start from it to change one thing (a TLS configuration, a proxy), so as
// to keep the timeouts. It reads a camera's stream with a 64 KiB buffer
// and, on Linux, with raw read calls that do not wake the Go runtime's
// monitor thread at every frame (the README's "Against Motion" gives what
// that saves).
func NewClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialRaw(&net.Dialer{Timeout: DialTimeout, KeepAlive: 30 * time.Second}),
		TLSHandshakeTimeout:   TLSHandshakeTimeout,
		ResponseHeaderTimeout: HeaderTimeout,
		// A camera's frame, its part's headers and the line after it
		// come in one read, where Go's default of 4 KiB takes three.
		ReadBufferSize: readBufferSize,
	}}
}

// dialRaw returns d's DialContext, whose TCP connections read with
// rawReads.
func dialRaw(d *net.Dialer) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return rawReads(c), nil
	}
}

// defaultClient is the client Dial uses, made once.
var defaultClient = sync.OnceValue(NewClient)

// Dial requests the MJPEG stream at url with a client made by [NewClient]
// (shared by every Dial) and returns a Reader of it; cancelling ctx ends
// the stream. Close the Reader to close the connection.
func Dial(ctx context.Context, url string) (*Reader, error) {
	return DialClient(ctx, defaultClient(), url)
}

// DialClient is Dial with the HTTP client c: for a camera that needs a
// proxy, credentials in a transport, or a test's in-memory network.
func DialClient(ctx context.Context, c *http.Client, url string) (*Reader, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, &StatusError{URL: url, StatusCode: resp.StatusCode, Status: resp.Status}
	}
	mt, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || !strings.HasPrefix(mt, "multipart/") {
		resp.Body.Close()
		return nil, fmt.Errorf("%w: %s is %q", ErrNotMultipart, url, resp.Header.Get("Content-Type"))
	}
	r := NewReader(resp.Body, params["boundary"])
	r.closer = resp.Body
	return r, nil
}

// Close closes the connection of a Reader made by Dial; for others it does
// nothing.
func (r *Reader) Close() error {
	if r.closer != nil {
		return r.closer.Close()
	}
	return nil
}

func (r *Reader) maxFrameSize() int {
	if r.MaxFrameSize > 0 {
		return r.MaxFrameSize
	}
	return DefaultMaxFrameSize
}

// NextFrame returns the next frame's bytes (the JPEG), and io.EOF at the
// end of the stream. The bytes stop being valid at the next call, which
// reuses them. Errors are sticky.
func (r *Reader) NextFrame() ([]byte, error) {
	if r.err != nil {
		return nil, r.err
	}
	b, err := r.next()
	if err != nil {
		if err == io.ErrUnexpectedEOF && !r.started {
			err = io.EOF
		}
		r.err = err
		return nil, err
	}
	return b, nil
}

// isBoundary reports whether line (with its line end) is a boundary line,
// and whether it is the final one. Until the boundary is known, the first
// line that starts with "--" and has no space or colon in it teaches it.
// It does not allocate: it runs on every line of a body with no length.
func (r *Reader) isBoundary(line []byte) (ok, final bool) {
	s := bytes.TrimRight(line, " \t\r\n")
	dashed := bytes.HasPrefix(s, dashes)
	if !dashed && len(r.boundary) > 0 && !bytes.HasPrefix(s, r.boundary) {
		return false, false
	}
	s = bytes.TrimLeft(s, "-")
	if len(r.boundary) == 0 {
		if len(s) == 0 || bytes.ContainsAny(s, " :") || !dashed {
			return false, false
		}
		r.setBoundary(bytes.TrimSuffix(s, dashes))
	}
	if !bytes.HasPrefix(s, r.boundary) {
		return false, false
	}
	switch rest := s[len(r.boundary):]; {
	case len(rest) == 0:
		return true, false
	case bytes.Equal(rest, dashes):
		return true, true
	}
	return false, false
}

var dashes = []byte("--")

// setBoundary sets the boundary, given without its leading dashes.
func (r *Reader) setBoundary(b []byte) {
	r.dashed = append(append([]byte(nil), dashes...), b...)
	r.boundary = r.dashed[len(dashes):]
}

// readLine reads one line of at most readBufferSize bytes, with its line
// end.
func (r *Reader) readLine() ([]byte, error) {
	line, err := r.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		return line, nil // a long line: not a boundary or a header
	}
	if err == io.EOF && len(line) > 0 {
		return line, nil
	}
	return line, err
}

func (r *Reader) next() ([]byte, error) {
	// Find the start of a part: a boundary line, or (before the first
	// part, or after a body that ended at its length) a header line.
	var length = -1
	inHeaders := false
	for {
		line, err := r.readLine()
		if err != nil {
			if err == io.EOF {
				return nil, io.EOF
			}
			return nil, err
		}
		ok, final := r.isBoundary(line)
		if final {
			return nil, io.EOF
		}
		if ok {
			inHeaders, r.started = true, true
			continue
		}
		trimmed := bytes.TrimRight(line, "\r\n")
		if len(trimmed) == 0 {
			if inHeaders {
				break // end of the headers
			}
			continue
		}
		name, value, isHeader := bytes.Cut(trimmed, []byte(":"))
		if isHeader && len(name) > 0 && !bytes.ContainsAny(name, " \t") {
			inHeaders, r.started = true, true
			if bytes.EqualFold(name, contentLength) {
				if n, ok := parseLength(bytes.TrimSpace(value)); ok {
					length = n
				}
			}
			continue
		}
		if bytes.HasPrefix(trimmed, []byte{0xff, 0xd8}) && r.started {
			// A body with no blank line after the headers: keep the line.
			r.buf = append(r.buf[:0], line...)
			return r.scanBody(true)
		}
		// Anything else before a part (a preamble) is skipped.
	}
	if length >= 0 && length <= r.maxFrameSize() {
		return r.readLengthBody(length)
	}
	r.buf = r.buf[:0]
	return r.scanBody(false)
}

// readLengthBody reads a body of the declared length, then checks that a
// boundary (or the end) follows; if not, the length was wrong and the body
// runs to the next boundary.
func (r *Reader) readLengthBody(n int) ([]byte, error) {
	if cap(r.buf) < n {
		r.buf = make([]byte, n, n+n/4)
	}
	r.buf = r.buf[:n]
	if k, err := r.readBody(); err != nil {
		r.buf = r.buf[:k]
		if err != io.ErrUnexpectedEOF && err != io.EOF {
			return nil, err
		}
		// The stream ended before the declared length: it was too long
		// for the last part, which may still be whole.
		if i := r.delimiterIn(r.buf); i >= 0 {
			r.unread(r.buf[i:])
			r.buf = r.buf[:i]
			return r.buf, nil
		}
		if body := trimLineEnd(r.buf); isWholeJPEG(body) {
			return body, nil
		}
		return nil, io.ErrUnexpectedEOF
	}
	if len(r.buf) < n {
		return r.buf, nil // a whole JPEG, shorter than its length said
	}
	// A camera that sends each boundary with the next frame, not after
	// this one, has sent at most the start of a delimiter yet: a whole
	// JPEG is returned now, not when the next frame comes (a frame late,
	// and lost if the connection drops meanwhile); next reads the
	// delimiter. A length one or two bytes too long took in all or part
	// of the line end after the body.
	if body := trimLineEnd(r.buf); isWholeJPEG(body) {
		p, _ := r.br.Peek(r.br.Buffered())
		if _, _, more := r.delimiter(p, false); len(p) == 0 || more {
			r.buf = body
			return r.buf, nil
		}
	}
	// What follows a correct body: CRLF or LF, then a boundary line.
	if k, ok := r.boundaryFollows(); ok {
		switch {
		case k == 0:
			r.buf = trimLineEnd(r.buf)
		case k == 1 && bytes.HasSuffix(r.buf, []byte{'\r'}):
			r.buf = r.buf[:len(r.buf)-1]
		}
		return r.buf, nil
	}
	// The length was wrong: if the body holds a boundary, it was too long
	// and the rest belongs to the next part; else it was too short.
	if i := r.delimiterIn(r.buf); i >= 0 {
		r.unread(r.buf[i:])
		r.buf = r.buf[:i]
		return r.buf, nil
	}
	return r.scanBody(true)
}

// readBody reads r.buf's length of body, as io.ReadFull does, and returns
// how many bytes it read. It stops early, with r.buf cut to the whole JPEG
// and no error, when what it has read is a whole JPEG and nothing more has
// come: a Content-Length too long, from a camera that sends the boundary
// only with the next frame, must not hold the frame until then.
func (r *Reader) readBody() (int, error) {
	n := len(r.buf)
	for k := 0; k < n; {
		m, err := r.br.Read(r.buf[k:n])
		k += m
		if err != nil {
			if err == io.EOF && k > 0 && k < n {
				err = io.ErrUnexpectedEOF
			}
			return k, err
		}
		if k < n && r.br.Buffered() == 0 {
			if _, _, ok := Dimensions(r.buf[:k]); ok {
				r.buf = trimLineEnd(r.buf[:k])
				return len(r.buf), nil
			}
		}
	}
	return n, nil
}

// boundaryFollows reports whether the stream goes on with a delimiter (a
// line end and a boundary line) or ends, consuming the line end if so, and
// returns the line end's length. It peeks one byte at a time, and only
// while what it has seen can still be a delimiter, so it never waits for
// bytes a stream has not sent with the body, such as the next frame.
func (r *Reader) boundaryFollows() (lineEnd int, ok bool) {
	for n := max(1, min(r.br.Buffered(), r.delimiterMax())); ; n++ {
		p, err := r.br.Peek(n)
		if len(p) == 0 && err != nil {
			return 0, true // the stream ends after the body
		}
		k, ok, more := r.delimiter(p, err != nil)
		if !more {
			if ok {
				r.br.Discard(k)
			}
			return k, ok
		}
	}
}

// delimiter reports whether d starts with a delimiter: an optional line end
// (CRLF or LF), then the boundary with its leading dashes (or without them
// after a line end), then
// optionally "--" (the final boundary) and white space, then a line end or
// the end of the stream (when ended is set and d stops there). It returns
// the length of the line end, and more when d is too short to tell. Until
// the boundary is known, any line that starts with "--" counts.
func (r *Reader) delimiter(d []byte, ended bool) (lineEnd int, ok, more bool) {
	short := func() (int, bool, bool) { return lineEnd, false, !ended }
	switch {
	case len(d) == 1 && d[0] == '\r':
		return short()
	case bytes.HasPrefix(d, crlf):
		lineEnd = 2
	case len(d) > 0 && d[0] == '\n':
		lineEnd = 1
	}
	s := d[lineEnd:]
	if len(r.boundary) == 0 {
		if len(s) < len(dashes) && bytes.HasPrefix(dashes, s) {
			return short()
		}
		return lineEnd, bytes.HasPrefix(s, dashes), false
	}
	// A boundary without dashes counts only on a line of its own.
	bare := lineEnd > 0
	switch {
	case bytes.HasPrefix(s, r.dashed):
		s = s[len(r.dashed):]
	case bare && bytes.HasPrefix(s, r.boundary):
		s = s[len(r.boundary):]
	case bytes.HasPrefix(r.dashed, s) || (bare && bytes.HasPrefix(r.boundary, s)):
		return short()
	default:
		return lineEnd, false, false
	}
	if bytes.HasPrefix(s, dashes) {
		s = s[len(dashes):]
	} else if len(s) == 1 && s[0] == '-' {
		return short()
	}
	s = bytes.TrimLeft(s, " \t")
	if len(s) == 0 {
		if ended {
			return lineEnd, true, false
		}
		return short()
	}
	switch {
	case s[0] == '\n' || bytes.HasPrefix(s, crlf):
		return lineEnd, true, false
	case len(s) == 1 && s[0] == '\r':
		return short()
	}
	return lineEnd, false, false
}

var crlf = []byte("\r\n")

// delimiterMax is the length of the longest delimiter that delimiter
// needs to see whole, but for white space after the boundary.
func (r *Reader) delimiterMax() int { return len("\r\n") + len(r.dashed) + len("--\r\n") }

// delimiterIn returns where the first delimiter starts in b, or -1. It is
// used when a part's Content-Length was wrong, so a delimiter that b holds
// only the start of counts too when the stream goes on with the rest of it.
func (r *Reader) delimiterIn(b []byte) int {
	if len(r.boundary) == 0 {
		return -1
	}
	// A delimiter whole in b holds the boundary, with a line end before
	// it or before its dashes.
	tail := max(0, len(b)-r.delimiterMax())
	for i := 0; i < len(b); {
		j := bytes.Index(b[i:], r.boundary)
		if j < 0 {
			break
		}
		j += i
		start := j
		if start >= len(dashes) && bytes.Equal(b[start-len(dashes):start], dashes) {
			start -= len(dashes)
		}
		if start > 0 && b[start-1] == '\n' {
			start--
			if start > 0 && b[start-1] == '\r' {
				start--
			}
			if r.delimiterAt(b, start) {
				return start
			}
		}
		if start >= tail {
			break // the tail is checked below, byte by byte
		}
		i = j + 1
	}
	// One that b holds only the start of begins with a line end in its
	// last few bytes.
	for i := tail; i < len(b); i++ {
		if (b[i] == '\r' || b[i] == '\n') && r.delimiterAt(b, i) {
			return i
		}
	}
	return -1
}

// delimiterAt reports whether a delimiter starts at b[i], peeking at the
// stream for its rest when b ends first.
func (r *Reader) delimiterAt(b []byte, i int) bool {
	_, ok, more := r.delimiter(b[i:], false)
	for n := 1; more; n++ {
		p, err := r.br.Peek(n)
		r.scratch = append(append(r.scratch[:0], b[i:]...), p...)
		_, ok, more = r.delimiter(r.scratch, err != nil)
	}
	return ok
}

// scanBody reads lines into r.buf (which holds the body so far when keep is
// set) until a boundary line, and returns the body without the line end
// before the boundary.
func (r *Reader) scanBody(keep bool) ([]byte, error) {
	if !keep {
		r.buf = r.buf[:0]
	}
	atLineStart := len(r.buf) == 0 || r.buf[len(r.buf)-1] == '\n'
	for {
		line, err := r.br.ReadSlice('\n')
		if len(line) > 0 && atLineStart {
			if ok, _ := r.isBoundary(line); ok && (err == nil || err == io.EOF) {
				r.started = true
				return trimLineEnd(r.buf), nil
			}
		}
		if len(r.buf)+len(line) > r.maxFrameSize() {
			return nil, fmt.Errorf("%w: over %d bytes", ErrFrameTooLarge, r.maxFrameSize())
		}
		r.buf = append(r.buf, line...)
		switch err {
		case nil:
			atLineStart = true
			// Nothing more has come, and the body is a whole JPEG: a
			// camera that sends the boundary with the next frame. Return
			// it now rather than a frame late; next reads the boundary.
			if r.br.Buffered() == 0 {
				if _, _, ok := Dimensions(r.buf); ok {
					return trimLineEnd(r.buf), nil
				}
			}
		case bufio.ErrBufferFull:
			atLineStart = false
		case io.EOF:
			// The stream ended inside a part with no closing boundary:
			// hand out what there is if it is a whole JPEG.
			if body := trimLineEnd(r.buf); isWholeJPEG(body) {
				return body, nil
			}
			return nil, io.ErrUnexpectedEOF
		default:
			return nil, err
		}
	}
}

func trimLineEnd(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte("\n"))
	return bytes.TrimSuffix(b, []byte("\r"))
}

var contentLength = []byte("Content-Length")

// parseLength parses a Content-Length value: decimal digits only, at most
// nine of them (a frame is far below a gigabyte), so it cannot overflow.
func parseLength(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// isWholeJPEG reports whether b starts with a JPEG's SOI marker and ends
// with its EOI marker.
func isWholeJPEG(b []byte) bool {
	return len(b) >= 4 && b[0] == 0xff && b[1] == 0xd8 && b[len(b)-2] == 0xff && b[len(b)-1] == 0xd9
}
