package mjpeg

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
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

// A Reader reads the frames of an MJPEG stream (multipart/x-mixed-replace)
// from any io.Reader: an HTTP response body, a file, a pipe. It accepts what
// real cameras send: no boundary before the first part, boundary lines with
// or without leading dashes, LF or CRLF line ends, extra headers, and a
// Content-Length that is missing or wrong (the next boundary then ends the
// part).
//
// A Reader is not safe for concurrent use.
type Reader struct {
	// MaxFrameSize is the largest frame accepted: DefaultMaxFrameSize when
	// zero.
	MaxFrameSize int

	br       *bufio.Reader
	boundary string // without leading dashes; "" until known
	started  bool   // a part's headers may begin at the next line
	buf      []byte
	closer   io.Closer
	err      error
}

// NewReader returns a Reader of the stream in r whose multipart boundary is
// boundary (from the response's Content-Type; leading dashes do not
// matter). An empty boundary is learnt from the first line that starts with
// "--".
func NewReader(r io.Reader, boundary string) *Reader {
	return &Reader{br: bufio.NewReaderSize(r, 64<<10), boundary: strings.TrimLeft(boundary, "-")}
}

// Dial requests the MJPEG stream at url with http.DefaultClient and returns
// a Reader of it; cancelling ctx ends the stream. Close the Reader to close
// the connection.
func Dial(ctx context.Context, url string) (*Reader, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("mjpeg: %s: %s", url, resp.Status)
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

// lineKind classifies a line of the stream outside a part's body.
func (r *Reader) isBoundary(line []byte) (ok, final bool) {
	s := strings.TrimRight(string(line), " \t\r\n")
	if !strings.HasPrefix(s, "--") && r.boundary != "" && !strings.HasPrefix(s, r.boundary) {
		return false, false
	}
	s = strings.TrimLeft(s, "-")
	if r.boundary == "" {
		if s == "" || strings.ContainsAny(s, " :") || !strings.HasPrefix(string(line), "--") {
			return false, false
		}
		r.boundary = strings.TrimSuffix(s, "--")
	}
	if s == r.boundary {
		return true, false
	}
	if s == r.boundary+"--" {
		return true, true
	}
	return false, false
}

// readLine reads one line of at most maxLine bytes, with its line end.
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
			if strings.EqualFold(string(name), "Content-Length") {
				if n, err := strconv.Atoi(strings.TrimSpace(string(value))); err == nil && n >= 0 {
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
	if k, err := io.ReadFull(r.br, r.buf); err != nil {
		r.buf = r.buf[:k]
		if err == io.ErrUnexpectedEOF || err == io.EOF {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, err
	}
	// What follows a correct body: CRLF or LF, then a boundary line.
	if r.boundaryFollows() {
		return r.buf, nil
	}
	// The length was wrong: if the body holds a boundary, it was too long
	// and the rest belongs to the next part; else it was too short.
	if i := r.delimiterIn(r.buf); i >= 0 {
		rest := bytes.Clone(r.buf[i:])
		r.buf = r.buf[:i]
		r.br = bufio.NewReaderSize(io.MultiReader(bytes.NewReader(rest), r.br), 64<<10)
		return trimLineEnd(r.buf), nil
	}
	return r.scanBody(true)
}

// boundaryFollows reports whether the stream goes on with an optional line
// end and a boundary (or ends), consuming the line end if so. It peeks at
// no more bytes than such a stream has sent, so it never waits for the next
// frame.
func (r *Reader) boundaryFollows() bool {
	k := 0 // line-end bytes
	for k < 2 {
		p, err := r.br.Peek(k + 1)
		if err != nil {
			return len(p) == k // the stream ends after the body
		}
		if c := p[k]; c != '\r' && c != '\n' {
			break
		}
		k++
	}
	p, err := r.br.Peek(k + 2)
	if err == nil && p[k] == '-' && p[k+1] == '-' {
		r.br.Discard(k)
		return true
	}
	if r.boundary != "" {
		if p, err := r.br.Peek(k + len(r.boundary)); err == nil && string(p[k:]) == r.boundary {
			r.br.Discard(k)
			return true
		}
	}
	return false
}

// delimiterIn returns where a line end followed by a boundary line starts
// in b, or -1. It is used when a part's Content-Length was wrong, so a last
// line that is only the start of a boundary line counts too: the rest of it
// is still in the stream.
func (r *Reader) delimiterIn(b []byte) int {
	if r.boundary == "" {
		return -1
	}
	for i := 0; ; {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			return -1
		}
		start := i + j + 1
		end := bytes.IndexByte(b[start:], '\n')
		found := false
		if end >= 0 {
			found, _ = r.isBoundary(b[start : start+end+1])
		} else if last := string(bytes.TrimRight(b[start:], "\r")); last != "" {
			found = strings.HasPrefix("--"+r.boundary, last) || strings.HasPrefix(r.boundary, last)
		}
		if found {
			k := i + j
			if k > 0 && b[k-1] == '\r' {
				k--
			}
			return k
		}
		i = start
	}
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
		case bufio.ErrBufferFull:
			atLineStart = false
		case io.EOF:
			// The stream ended inside a part with no closing boundary:
			// hand out what there is if it is a whole JPEG.
			body := trimLineEnd(r.buf)
			if len(body) >= 4 && body[0] == 0xff && body[1] == 0xd8 && bytes.HasSuffix(body, []byte{0xff, 0xd9}) {
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
