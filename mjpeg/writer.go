package mjpeg

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Errors returned by Writer.
var (
	// ErrWriteAfterClose is returned by a Writer's writes after Close.
	ErrWriteAfterClose = errors.New("mjpeg: write after close")

	// ErrInvalidBoundary is returned by SetBoundary for a boundary that
	// multipart does not allow, or once the stream has started.
	ErrInvalidBoundary = errors.New("mjpeg: invalid boundary")
)

// A Writer writes an MJPEG stream (multipart/x-mixed-replace) to an
// io.Writer, usually an http.ResponseWriter: the partner of [Reader], as
// mime/multipart's Writer is of its Reader. The stream is what every
// browser, ffmpeg, VLC and OpenCV read: a boundary line before the first
// part ([Writer.Start]); then for each frame ([Writer.WriteFrame]) its part
// headers (Content-Type: image/jpeg and the exact Content-Length), the
// JPEG, and at once the next boundary line, in one write. Browsers show a
// part only once the next part's headers arrive; the boundary that follows
// each JPEG at once is what lets Chromium show it without waiting for the
// frame after.
//
// Each frame's writes have a deadline, WriteTimeout from their start, and
// are flushed: through [http.ResponseController] on an http.ResponseWriter,
// or the writer's own SetWriteDeadline and Flush methods when it has them
// (a net.Conn, a bufio.Writer). A write that fails, such as one to a
// client that stopped reading for WriteTimeout (an error that matches
// os.ErrDeadlineExceeded), fails every later write: the stream is cut.
//
// A Writer is not safe for concurrent use. It does not close the
// underlying writer.
type Writer struct {
	// WriteTimeout bounds the writes of one frame (and of the first
	// boundary), counted from their start: DefaultWriteTimeout when zero,
	// none when negative. A writer with no deadlines ignores it.
	WriteTimeout time.Duration

	w        io.Writer
	rw       http.ResponseWriter // w, when it is one
	rc       *http.ResponseController
	boundary string
	started  bool   // the first boundary line is written
	buf      []byte // the part WriteFrame writes
	err      error  // sticky: the first write error, or ErrWriteAfterClose
}

// NewWriter returns a Writer of an MJPEG stream to w with the boundary
// DefaultBoundary.
func NewWriter(w io.Writer) *Writer {
	mw := &Writer{w: w, boundary: DefaultBoundary}
	if rw, ok := w.(http.ResponseWriter); ok {
		mw.rw, mw.rc = rw, http.NewResponseController(rw)
	}
	return mw
}

// Boundary returns the Writer's boundary.
func (w *Writer) Boundary() string { return w.boundary }

// SetBoundary replaces the Writer's boundary, before the stream starts. As
// in RFC 2046, it is 1 to 70 characters from the letters, digits and
// '()+_,-./:=? (and spaces, not last); anything else is
// [ErrInvalidBoundary], as is a call after the first write.
func (w *Writer) SetBoundary(boundary string) error {
	if w.started {
		return fmt.Errorf("%w: set after the stream started", ErrInvalidBoundary)
	}
	if len(boundary) < 1 || len(boundary) > 70 || boundary[len(boundary)-1] == ' ' {
		return fmt.Errorf("%w: %q", ErrInvalidBoundary, boundary)
	}
	for _, c := range []byte(boundary) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("'()+_,-./:=? ", c) >= 0) {
			return fmt.Errorf("%w: %q", ErrInvalidBoundary, boundary)
		}
	}
	w.boundary = boundary
	return nil
}

// ContentType returns the media type of the stream, with its boundary:
// "multipart/x-mixed-replace; boundary=frame" for the default one.
func (w *Writer) ContentType() string {
	b := w.boundary
	if strings.ContainsAny(b, `()<>@,;:\"/[]?= `) {
		b = `"` + b + `"`
	}
	return "multipart/x-mixed-replace; boundary=" + b
}

// SetHeader sets in h the response headers of the stream that h does not
// have yet: Content-Type (ContentType); Cache-Control, Pragma and
// X-Content-Type-Options, so that no cache keeps a live picture and no
// browser guesses another type; and Transfer-Encoding: identity and
// Connection: close, since the body is endless: net/http then writes each
// frame's bytes as they are, with no chunk framing, and closes the
// connection when the stream ends. [Writer.Start] calls it on an
// http.ResponseWriter; a handler calls it itself to answer a HEAD request,
// which gets the headers and no stream.
func (w *Writer) SetHeader(h http.Header) {
	for _, kv := range [...][2]string{
		{"Content-Type", w.ContentType()},
		{"Cache-Control", "no-cache, no-store, must-revalidate"},
		{"Pragma", "no-cache"},
		{"X-Content-Type-Options", "nosniff"},
		{"Transfer-Encoding", "identity"},
		{"Connection", "close"},
	} {
		if h.Get(kv[0]) == "" {
			h.Set(kv[0], kv[1])
		}
	}
}

// Start begins the stream, if it has not begun: on an http.ResponseWriter
// it sets the response's headers (SetHeader) and so sends the status 200
// OK; then it writes the boundary line that comes before the first part,
// and flushes, so that a client sees the stream open before the first
// frame exists. WriteFrame calls it.
func (w *Writer) Start() error {
	if w.err != nil || w.started {
		return w.err
	}
	w.started = true
	if w.rw != nil {
		w.SetHeader(w.rw.Header())
	}
	w.deadline()
	w.buf = append(append(append(w.buf[:0], "--"...), w.boundary...), "\r\n"...)
	return w.write(w.buf)
}

// WriteFrame writes jpeg as the stream's next part, its headers before it
// and the next boundary line at once after it, in one write, and flushes.
// It does not look at the bytes: they are the caller's JPEG. It copies them
// into a buffer the Writer keeps, so that the part goes out in one write;
// a server that writes each frame to many viewers makes the part once with
// [AppendPart] and writes it with [Writer.WritePart] instead.
func (w *Writer) WriteFrame(jpeg []byte) error {
	if err := w.Start(); err != nil {
		return err
	}
	w.buf = AppendPart(w.buf[:0], w.boundary, jpeg, time.Time{})
	return w.WritePart(w.buf)
}

// AppendPart appends to dst one part of a stream whose boundary is
// boundary, as a [Writer] writes it: the part's headers (Content-Type:
// image/jpeg, the exact Content-Length and, when t is not zero, an
// X-Timestamp of t in microseconds since the Unix epoch, as some cameras
// send, for a client that measures how old a picture is), then jpeg, then
// the next boundary line. The bytes suit any Writer with that boundary: a
// server makes them once per frame and writes them to every viewer with
// [Writer.WritePart].
func AppendPart(dst []byte, boundary string, jpeg []byte, t time.Time) []byte {
	dst = append(dst, "Content-Type: image/jpeg\r\nContent-Length: "...)
	dst = strconv.AppendInt(dst, int64(len(jpeg)), 10)
	if !t.IsZero() {
		dst = append(dst, "\r\nX-Timestamp: "...)
		dst = strconv.AppendInt(dst, t.UnixMicro(), 10)
	}
	dst = append(dst, "\r\n\r\n"...)
	dst = append(dst, jpeg...)
	dst = append(dst, "\r\n--"...)
	dst = append(dst, boundary...)
	return append(dst, "\r\n"...)
}

// WritePart writes part, made by [AppendPart] with the Writer's boundary,
// as the stream's next part, in one write, and flushes; it starts the
// stream first if need be.
func (w *Writer) WritePart(part []byte) error {
	if err := w.Start(); err != nil {
		return err
	}
	w.deadline()
	return w.write(part)
}

// write writes p, then flushes. Any error is sticky.
func (w *Writer) write(p []byte) error {
	if _, err := w.w.Write(p); err != nil {
		return w.fail(err)
	}
	return w.fail(w.flush())
}

func (w *Writer) fail(err error) error {
	if err != nil {
		w.err = fmt.Errorf("mjpeg: write: %w", err)
	}
	return w.err
}

// deadline sets the write deadline for the writes to come, where w can.
func (w *Writer) deadline() {
	var t time.Time // none
	switch d := w.WriteTimeout; {
	case d == 0:
		t = time.Now().Add(DefaultWriteTimeout)
	case d > 0:
		t = time.Now().Add(d)
	}
	if w.rc != nil {
		w.rc.SetWriteDeadline(t) // http.ErrNotSupported: no deadline to set
	} else if d, ok := w.w.(interface{ SetWriteDeadline(time.Time) error }); ok {
		d.SetWriteDeadline(t)
	}
}

func (w *Writer) flush() error {
	var err error
	if w.rc != nil {
		err = w.rc.Flush()
	} else if f, ok := w.w.(interface{ Flush() error }); ok {
		err = f.Flush()
	}
	if errors.Is(err, http.ErrNotSupported) {
		return nil // nothing buffered that could be flushed
	}
	return err
}

// Close ends the stream: later writes return [ErrWriteAfterClose]. It
// writes nothing: the boundary line after the last frame is already
// written, and the stream ends there when the connection closes, where
// this package's Reader and mime/multipart's both see its end (io.EOF). A
// closing delimiter after that boundary line would make an empty part.
// Close returns the error of a write that failed, if one did; closing
// twice is not an error.
func (w *Writer) Close() error {
	err := w.err
	if err == ErrWriteAfterClose {
		return nil
	}
	w.err = ErrWriteAfterClose
	return err
}
