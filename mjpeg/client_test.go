package mjpeg_test

import (
	"bytes"
	"context"
	"fmt"
	"image/color"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/internal/testkit"
	"github.com/imgstream/imgstream/mjpeg"
)

// fakeJPEG is frame i's body: it starts and ends as a JPEG does and holds
// line ends, dashes and a look-alike of the boundary inside, as real
// JPEG data can.
func fakeJPEG(i int) []byte {
	return []byte(fmt.Sprintf("\xff\xd8 frame %d\r\n--fram\n\r\x00--frame-not\xff\xd9", i))
}

func readAllFrames(t *testing.T, r *mjpeg.Reader) ([][]byte, error) {
	t.Helper()
	var frames [][]byte
	for {
		f, err := r.NextFrame()
		if err == io.EOF {
			return frames, nil
		}
		if err != nil {
			return frames, err
		}
		frames = append(frames, bytes.Clone(f))
	}
}

// TestReaderTolerance reads streams as real cameras send them.
func TestReaderTolerance(t *testing.T) {
	f0, f1, f2 := fakeJPEG(0), fakeJPEG(1), fakeJPEG(2)
	part := func(eol, boundary string, f []byte, headers string) string {
		return boundary + eol + "Content-Type: image/jpeg" + eol + headers + eol + string(f) + eol
	}
	cl := func(f []byte, delta int) string { return fmt.Sprintf("Content-Length: %d\r\n", len(f)+delta) }
	cases := []struct {
		name     string
		boundary string
		stream   string
	}{
		{"standard", "frame", part("\r\n", "--frame", f0, cl(f0, 0)) + part("\r\n", "--frame", f1, cl(f1, 0)) + part("\r\n", "--frame", f2, cl(f2, 0)) + "--frame--\r\n"},
		{"no first boundary", "frame", "Content-Type: image/jpeg\r\n" + cl(f0, 0) + "\r\n" + string(f0) + "\r\n" + part("\r\n", "--frame", f1, cl(f1, 0)) + part("\r\n", "--frame", f2, cl(f2, 0))},
		{"boundary without dashes", "frame", part("\r\n", "frame", f0, cl(f0, 0)) + part("\r\n", "frame", f1, cl(f1, 0)) + part("\r\n", "frame", f2, cl(f2, 0))},
		{"boundary param with dashes", "--frame", part("\r\n", "--frame", f0, cl(f0, 0)) + part("\r\n", "--frame", f1, cl(f1, 0)) + part("\r\n", "--frame", f2, cl(f2, 0))},
		{"LF only", "frame", part("\n", "--frame", f0, "Content-Length: 0\n"[:0]) + part("\n", "--frame", f1, "") + part("\n", "--frame", f2, "")},
		{"no Content-Length", "frame", part("\r\n", "--frame", f0, "") + part("\r\n", "--frame", f1, "") + part("\r\n", "--frame", f2, "") + "--frame\r\n"},
		{"Content-Length too short", "frame", part("\r\n", "--frame", f0, cl(f0, -7)) + part("\r\n", "--frame", f1, cl(f1, -1)) + part("\r\n", "--frame", f2, cl(f2, 0))},
		{"Content-Length too long", "frame", part("\r\n", "--frame", f0, cl(f0, 9)) + part("\r\n", "--frame", f1, cl(f1, 0)) + part("\r\n", "--frame", f2, cl(f2, 0))},
		{"extra headers and preamble", "frame", "this is a preamble\r\n\r\n" + part("\r\n", "--frame", f0, "X-Timestamp: 1\r\nX-Frame: 0\r\n"+cl(f0, 0)) + part("\r\n", "--frame", f1, "Content-length:  "+fmt.Sprint(len(f1))+"\r\n") + part("\r\n", "--frame", f2, "")},
		{"learnt boundary", "", part("\r\n", "--myboundary", f0, cl(f0, 0)) + part("\r\n", "--myboundary", f1, "") + part("\r\n", "--myboundary", f2, cl(f2, 0))},
		{"stream ends after a whole JPEG", "frame", part("\r\n", "--frame", f0, "") + part("\r\n", "--frame", f1, "") + "--frame\r\nContent-Type: image/jpeg\r\n\r\n" + string(f2)},
	}
	for _, c := range cases {
		for _, hostile := range []struct {
			name string
			wrap func(io.Reader) io.Reader
		}{{"", func(r io.Reader) io.Reader { return r }}, {"/onebyte", iotest.OneByteReader}, {"/half", iotest.HalfReader}, {"/dataerr", iotest.DataErrReader}} {
			t.Run(c.name+hostile.name, func(t *testing.T) {
				r := mjpeg.NewReader(hostile.wrap(strings.NewReader(c.stream)), c.boundary)
				frames, err := readAllFrames(t, r)
				require.NoError(t, err)
				require.Len(t, frames, 3)
				assert.Equal(t, [][]byte{f0, f1, f2}, frames)
				_, err = r.NextFrame()
				assert.Equal(t, io.EOF, err, "EOF is sticky")
			})
		}
	}
}

func TestReaderTruncated(t *testing.T) {
	stream := "--frame\r\nContent-Type: image/jpeg\r\nContent-Length: 100\r\n\r\n\xff\xd8 only part"
	r := mjpeg.NewReader(strings.NewReader(stream), "frame")
	_, err := r.NextFrame()
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	r = mjpeg.NewReader(strings.NewReader("--frame\r\n\r\n\xff\xd8 no end"), "frame")
	_, err = r.NextFrame()
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	r = mjpeg.NewReader(strings.NewReader(""), "frame")
	_, err = r.NextFrame()
	require.Equal(t, io.EOF, err)
}

func TestReaderMaxFrameSize(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 1000)
	for _, stream := range []string{
		"--frame\r\nContent-Length: 1000\r\n\r\n" + string(big) + "\r\n--frame\r\n",
		"--frame\r\n\r\n" + string(big) + "\r\n--frame\r\n",
		"--frame\r\n\r\n" + strings.Repeat("x\n", 600) + "--frame\r\n",
	} {
		r := mjpeg.NewReader(strings.NewReader(stream), "frame")
		r.MaxFrameSize = 500
		_, err := r.NextFrame()
		require.ErrorIs(t, err, mjpeg.ErrFrameTooLarge)
	}
}

// TestReaderChunked reads a camera-like server that sends chunked
// transfer encoding, with parts split across chunks at odd places.
func TestReaderChunked(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "multipart/x-mixed-replace;boundary=ipcam")
		for i := range 4 {
			f := fakeJPEG(i)
			msg := fmt.Sprintf("--ipcam\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n%s\r\n", len(f), f)
			for len(msg) > 0 {
				n := min(len(msg), 7+i)
				w.Write([]byte(msg[:n]))
				w.(http.Flusher).Flush()
				msg = msg[n:]
			}
		}
	}))
	defer ts.Close()
	r, err := mjpeg.Dial(context.Background(), ts.URL)
	require.NoError(t, err)
	defer r.Close()
	frames, err := readAllFrames(t, r)
	require.NoError(t, err)
	require.Len(t, frames, 4)
	assert.Equal(t, fakeJPEG(3), frames[3])
}

func TestDialErrors(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/html" {
			w.Header().Set("Content-Type", "text/html")
			return
		}
		http.NotFound(w, r)
	}))
	defer ts.Close()
	_, err := mjpeg.Dial(context.Background(), ts.URL+"/html")
	require.ErrorIs(t, err, mjpeg.ErrNotMultipart)
	_, err = mjpeg.Dial(context.Background(), ts.URL+"/missing")
	var se *mjpeg.StatusError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, http.StatusNotFound, se.StatusCode)
	assert.Equal(t, ts.URL+"/missing", se.URL)
}

// TestDialCancel: cancelling the context ends a stream that is waiting for
// its next frame.
func TestDialCancel(t *testing.T) {
	var s mjpeg.Server
	ts := serve(t, &s)
	require.NoError(t, s.Publish(testJPEG(t, 1)))
	ctx, cancel := context.WithCancel(context.Background())
	r, err := mjpeg.Dial(ctx, ts.URL+"/stream.mjpg")
	require.NoError(t, err)
	defer r.Close()
	_, err = r.NextFrame()
	require.NoError(t, err)
	time.AfterFunc(20*time.Millisecond, cancel)
	_, err = r.NextFrame()
	require.ErrorIs(t, err, context.Canceled)
}

// FuzzReader reads arbitrary bytes as a stream: no panic, no frame over the
// limit, and an end.
func FuzzReader(f *testing.F) {
	f.Add([]byte("--frame\r\nContent-Type: image/jpeg\r\nContent-Length: 4\r\n\r\n\xff\xd8\xff\xd9\r\n--frame\r\n"), "frame")
	f.Add([]byte("Content-Length: 3\n\nabc\n--x\n\n\xff\xd8zz\xff\xd9"), "x")
	f.Add([]byte("--b\r\n\r\n\xff\xd8"+strings.Repeat("--b", 10)+"\xff\xd9\r\n--b--\r\n"), "")
	f.Fuzz(func(t *testing.T, data []byte, boundary string) {
		r := mjpeg.NewReader(bytes.NewReader(data), boundary)
		r.MaxFrameSize = 1 << 12
		for range len(data) + 2 {
			fr, err := r.NextFrame()
			if err != nil {
				return
			}
			if len(fr) > 1<<12 || len(fr) > len(data) {
				t.Fatalf("frame of %d bytes from %d", len(fr), len(data))
			}
		}
		t.Fatalf("more frames than bytes")
	})
}

// TestReaderBoundaryWithNextFrame: a camera that sends each part's
// boundary before its headers, and so the delimiter after a frame only
// with the next frame. A whole JPEG is returned as soon as its bytes are
// in, not a frame late; the delimiter sent later is read as the start of
// the next part.
func TestReaderBoundaryWithNextFrame(t *testing.T) {
	// An exact length, one that takes in the CR or the CRLF, or none; a
	// whole JPEG (its end is known by its structure).
	for _, extra := range []int{0, 1, 2, -1} {
		t.Run(fmt.Sprint(extra), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				pr, pw := io.Pipe()
				r := mjpeg.NewReader(pr, "frame")
				got := make(chan []byte, 1)
				go func() {
					for {
						f, err := r.NextFrame()
						if err != nil {
							close(got)
							return
						}
						got <- bytes.Clone(f)
					}
				}()
				for i := range 3 {
					body := testkit.StampJPEG(testkit.SolidJPEG(16, 8, color.White), uint64(i))
					fmt.Fprint(pw, "--frame\r\nContent-Type: image/jpeg\r\n")
					if extra >= 0 {
						fmt.Fprintf(pw, "Content-Length: %d\r\n", len(body)+extra)
					}
					fmt.Fprint(pw, "\r\n")
					// The line end after the body comes with it, the
					// boundary with the next part.
					pw.Write(append(body, "\r\n"...))
					synctest.Wait() // the camera sends nothing more for now
					select {
					case f := <-got:
						assert.Equal(t, body, f, "frame %d", i)
					default:
						t.Fatalf("frame %d not returned before the next part", i)
					}
				}
				pw.Close()
				_, open := <-got
				assert.False(t, open)
			})
		})
	}
}

// TestNewClientTLS: an https camera is read through NewClient's
// connections (raw reads on Linux) under TLS, frame for frame, across
// frames larger than the read buffer and split by the TLS records.
func TestNewClientTLS(t *testing.T) {
	frames := [][]byte{
		testkit.StampJPEG(testkit.SolidJPEG(16, 8, color.White), 0),
		testkit.NoisyJPEG(1, 640, 480, 95, false), // tens of KB: several TLS records
		testkit.StampJPEG(testkit.SolidJPEG(16, 8, color.Black), 2),
	}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mw := mjpeg.NewWriter(w)
		for _, f := range frames {
			if mw.WriteFrame(f) != nil {
				return
			}
		}
	}))
	defer srv.Close()
	c := mjpeg.NewClient()
	c.Transport.(*http.Transport).TLSClientConfig = srv.Client().Transport.(*http.Transport).TLSClientConfig
	r, err := mjpeg.DialClient(t.Context(), c, srv.URL)
	require.NoError(t, err)
	defer r.Close()
	for i, want := range frames {
		got, err := r.NextFrame()
		require.NoError(t, err, "frame %d", i)
		require.True(t, bytes.Equal(want, got), "frame %d: %d bytes, want %d", i, len(got), len(want))
	}
	_, err = r.NextFrame()
	assert.ErrorIs(t, err, io.EOF)
}
