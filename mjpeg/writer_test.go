package mjpeg_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	neturl "net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/mjpeg"
)

// hangGuard bounds a read that a broken Writer would leave waiting for
// ever; it only turns such a hang into a failure, and never times anything.
const hangGuard = 30 * time.Second

// writerServer serves handler on a real server on 127.0.0.1.
func writerServer(t *testing.T, handler http.HandlerFunc) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(handler)
	t.Cleanup(ts.Close)
	return ts
}

// TestWriterBoundaryAtOnce reads the raw bytes of a Writer's stream on a
// real server: the headers, a boundary line before the first part, and
// each part's headers with its exact Content-Length and, right after the
// JPEG, the next boundary line, while the handler waits to write the next
// frame until the client has read it.
func TestWriterBoundaryAtOnce(t *testing.T) {
	frames := [][]byte{testJPEG(t, 1), testJPEG(t, 2), testJPEG(t, 3)}
	next := make(chan struct{})
	ts := writerServer(t, func(w http.ResponseWriter, r *http.Request) {
		mw := mjpeg.NewWriter(w)
		for _, f := range frames {
			if mw.WriteFrame(f) != nil {
				return
			}
			select {
			case <-next: // the client has the frame and the boundary after it
			case <-r.Context().Done():
				return
			}
		}
	})
	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(hangGuard)))
	fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "multipart/x-mixed-replace; boundary=frame", resp.Header.Get("Content-Type"))
	assert.Equal(t, "no-cache, no-store, must-revalidate", resp.Header.Get("Cache-Control"))
	assert.Empty(t, resp.TransferEncoding, "no chunk framing")
	assert.True(t, resp.Close, "Connection: close")

	body := bufio.NewReader(resp.Body)
	line, err := body.ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "--frame\r\n", line, "a boundary line before the first part")
	for i, f := range frames {
		var head []string
		for {
			line, err := body.ReadString('\n')
			require.NoError(t, err, "frame %d", i)
			if line == "\r\n" {
				break
			}
			head = append(head, strings.TrimRight(line, "\r\n"))
		}
		assert.Equal(t, []string{"Content-Type: image/jpeg", fmt.Sprint("Content-Length: ", len(f))}, head)
		got := make([]byte, len(f)+len("\r\n--frame\r\n"))
		_, err = io.ReadFull(body, got)
		require.NoError(t, err, "frame %d: the boundary must follow the JPEG before the next frame is written", i)
		assert.Equal(t, f, got[:len(f)])
		assert.Equal(t, "\r\n--frame\r\n", string(got[len(f):]))
		next <- struct{}{}
	}
	_, err = body.ReadByte()
	assert.Equal(t, io.EOF, err, "the stream ends after the last boundary line")
}

// TestWriterReaders: the package's Reader and mime/multipart's both read a
// Writer's stream over a real server, frame for frame, and both see its
// end.
func TestWriterReaders(t *testing.T) {
	var frames [][]byte
	for i := range 5 {
		frames = append(frames, testJPEG(t, i))
	}
	ts := writerServer(t, func(w http.ResponseWriter, r *http.Request) {
		mw := mjpeg.NewWriter(w)
		if err := mw.SetBoundary(r.URL.Query().Get("b")); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for i, f := range frames {
			var err error
			if i%2 == 0 {
				err = mw.WriteFrame(f)
			} else {
				err = mw.WritePart(mjpeg.AppendPart(nil, mw.Boundary(), f, time.UnixMicro(1234567)))
			}
			if err != nil {
				return
			}
		}
		mw.Close()
	})
	for _, b := range []string{"frame", "x'(+_,-./:=?) y"} {
		t.Run(b, func(t *testing.T) {
			url := ts.URL + "/?b=" + neturl.QueryEscape(b)
			r, err := mjpeg.Dial(context.Background(), url)
			require.NoError(t, err)
			defer r.Close()
			for i, want := range frames {
				got, err := r.NextFrame()
				require.NoError(t, err)
				assert.Equal(t, want, got, "frame %d", i)
			}
			_, err = r.NextFrame()
			assert.Equal(t, io.EOF, err)

			resp, err := http.Get(url)
			require.NoError(t, err)
			defer resp.Body.Close()
			mt, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
			require.NoError(t, err)
			assert.Equal(t, "multipart/x-mixed-replace", mt)
			assert.Equal(t, b, params["boundary"])
			mr := multipart.NewReader(resp.Body, params["boundary"])
			for i, want := range frames {
				p, err := mr.NextPart()
				require.NoError(t, err)
				assert.Equal(t, "image/jpeg", p.Header.Get("Content-Type"))
				assert.Equal(t, fmt.Sprint(len(want)), p.Header.Get("Content-Length"))
				if i%2 == 1 {
					assert.Equal(t, "1234567", p.Header.Get("X-Timestamp"))
				}
				got, err := io.ReadAll(p)
				require.NoError(t, err)
				assert.Equal(t, want, got, "frame %d", i)
			}
			_, err = mr.NextPart()
			assert.Equal(t, io.EOF, err)
		})
	}
}

// TestWriterDeadline: a client that never reads is cut off once a write
// to it has waited for WriteTimeout; the error matches
// os.ErrDeadlineExceeded and every later write returns it.
func TestWriterDeadline(t *testing.T) {
	big := bytes.Repeat([]byte{0xff}, 1<<20)
	errs := make(chan error, 1)
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mw := mjpeg.NewWriter(w)
		mw.WriteTimeout = 200 * time.Millisecond
		var err error
		for err == nil {
			err = mw.WriteFrame(big) // fills the kernel's buffers, then waits
		}
		if again := mw.WriteFrame(big); again != err {
			err = fmt.Errorf("not sticky: %v, then %w", err, again)
		}
		errs <- err
	}))
	ts.Listener = mjpeg.LimitSendBuffer(ts.Listener, 64<<10)
	ts.Start()
	defer ts.Close()
	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	conn.(*net.TCPConn).SetReadBuffer(4 << 10)
	fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
	select {
	case err := <-errs:
		require.ErrorIs(t, err, os.ErrDeadlineExceeded)
	case <-time.After(hangGuard):
		t.Fatal("a client that never reads was not cut off")
	}
}

// flushBuffer is an io.Writer with a write deadline and a Flush that
// passes the bytes on, as a bufio.Writer over a connection does.
type flushBuffer struct {
	pending, flushed bytes.Buffer
	deadline         time.Time
	deadlines        int
}

func (b *flushBuffer) Write(p []byte) (int, error) { return b.pending.Write(p) }

func (b *flushBuffer) Flush() error {
	_, err := b.pending.WriteTo(&b.flushed)
	return err
}

func (b *flushBuffer) SetWriteDeadline(t time.Time) error {
	b.deadline, b.deadlines = t, b.deadlines+1
	return nil
}

// TestWriterPlain writes to a plain io.Writer: the exact bytes, flushed
// after each frame, a deadline before each write, and the errors of
// SetBoundary and of writes after Close.
func TestWriterPlain(t *testing.T) {
	var b flushBuffer
	w := mjpeg.NewWriter(&b)
	require.NoError(t, w.SetBoundary("cam-1"))
	assert.Equal(t, "multipart/x-mixed-replace; boundary=cam-1", w.ContentType())
	before := time.Now()
	require.NoError(t, w.Start())
	require.NoError(t, w.Start(), "a second Start writes nothing")
	assert.Equal(t, "--cam-1\r\n", b.flushed.String())
	require.NoError(t, w.WriteFrame([]byte("\xff\xd8one\xff\xd9")))
	assert.Zero(t, b.pending.Len(), "flushed")
	assert.Equal(t, "--cam-1\r\nContent-Type: image/jpeg\r\nContent-Length: 7\r\n\r\n\xff\xd8one\xff\xd9\r\n--cam-1\r\n", b.flushed.String())
	assert.Equal(t, 2, b.deadlines)
	assert.False(t, b.deadline.Before(before.Add(mjpeg.DefaultWriteTimeout)), "DefaultWriteTimeout from the write")
	w.WriteTimeout = -1
	require.NoError(t, w.WriteFrame([]byte("\xff\xd8\xff\xd9")))
	assert.True(t, b.deadline.IsZero(), "no deadline")
	b.flushed.Reset()
	require.NoError(t, w.WritePart(mjpeg.AppendPart([]byte("keep"), "cam-1", []byte("\xff\xd8\xff\xd9"), time.UnixMicro(42))[4:]))
	assert.Equal(t, "Content-Type: image/jpeg\r\nContent-Length: 4\r\nX-Timestamp: 42\r\n\r\n\xff\xd8\xff\xd9\r\n--cam-1\r\n", b.flushed.String())

	require.ErrorIs(t, w.SetBoundary("other"), mjpeg.ErrInvalidBoundary, "after the start")
	require.NoError(t, w.Close())
	require.NoError(t, w.Close(), "twice")
	require.ErrorIs(t, w.WriteFrame([]byte("x")), mjpeg.ErrWriteAfterClose)
	require.ErrorIs(t, w.Start(), mjpeg.ErrWriteAfterClose)

	for _, bad := range []string{"", strings.Repeat("x", 71), "ends with space ", "a\r\nb", "semi;colon", "é"} {
		assert.ErrorIs(t, mjpeg.NewWriter(io.Discard).SetBoundary(bad), mjpeg.ErrInvalidBoundary, "%q", bad)
	}
	q := mjpeg.NewWriter(io.Discard)
	require.NoError(t, q.SetBoundary(strings.Repeat("x", 69)+"="))
	assert.Equal(t, `multipart/x-mixed-replace; boundary="`+strings.Repeat("x", 69)+`="`, q.ContentType(), "quoted")
}

// errWriter fails every write.
type errWriter struct{}

var errBroken = errors.New("broken pipe")

func (errWriter) Write([]byte) (int, error) { return 0, errBroken }

// TestWriterError: a failed write is returned wrapped, fails every later
// write, and is what Close returns.
func TestWriterError(t *testing.T) {
	w := mjpeg.NewWriter(errWriter{})
	require.ErrorIs(t, w.WriteFrame([]byte("x")), errBroken)
	require.ErrorIs(t, w.WriteFrame([]byte("x")), errBroken)
	require.ErrorIs(t, w.Close(), errBroken)
	require.NoError(t, w.Close())
}

// TestServerHeadAndBoundary: a HEAD of a Server's stream gets the stream's
// headers and no body, and returns; a Server's own boundary is used, and
// one that multipart does not allow is a 500 Internal Server Error.
func TestServerHeadAndBoundary(t *testing.T) {
	s := &mjpeg.Server{Boundary: "cam-1"}
	ts := serve(t, s)
	require.NoError(t, s.Publish(testJPEG(t, 1)))
	resp, err := http.Head(ts.URL + "/stream.mjpg")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "multipart/x-mixed-replace; boundary=cam-1", resp.Header.Get("Content-Type"))
	assert.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))

	r, err := mjpeg.Dial(context.Background(), ts.URL+"/stream.mjpg")
	require.NoError(t, err)
	got, err := r.NextFrame()
	require.NoError(t, err)
	assert.Equal(t, testJPEG(t, 1), got)
	r.Close()

	bad := &mjpeg.Server{Boundary: "semi;colon"}
	resp, err = http.Get(serve(t, bad).URL + "/stream.mjpg")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusInternalServerError, resp.StatusCode)
}

// TestWriterAllocs: in steady state, a frame's write allocates nothing.
func TestWriterAllocs(t *testing.T) {
	w := mjpeg.NewWriter(io.Discard)
	frame := bytes.Repeat([]byte{0xff}, 40<<10)
	require.NoError(t, w.WriteFrame(frame))
	part := mjpeg.AppendPart(nil, w.Boundary(), frame, time.Now())
	if n := testing.AllocsPerRun(100, func() {
		w.WriteFrame(frame)
		w.WritePart(part)
	}); n > 0 {
		t.Errorf("%v allocations a frame", n)
	}
}

// BenchmarkWriter writes 40 KB frames (a 640x480 JPEG) to io.Discard, as
// WriteFrame (a copy into the Writer's buffer) and as WritePart (a part
// made once, as a Server does for all its viewers).
func BenchmarkWriter(b *testing.B) {
	frame := bytes.Repeat([]byte{0xff}, 40<<10)
	b.Run("WriteFrame", func(b *testing.B) {
		w := mjpeg.NewWriter(io.Discard)
		b.ReportAllocs()
		b.SetBytes(int64(len(frame)))
		for b.Loop() {
			w.WriteFrame(frame)
		}
	})
	b.Run("WritePart", func(b *testing.B) {
		w := mjpeg.NewWriter(io.Discard)
		part := mjpeg.AppendPart(nil, w.Boundary(), frame, time.Now())
		b.ReportAllocs()
		b.SetBytes(int64(len(frame)))
		for b.Loop() {
			w.WritePart(part)
		}
	})
}
