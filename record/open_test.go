package record_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"io/fs"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/internal/testkit"
	"github.com/imgstream/imgstream/mjpeg"
	"github.com/imgstream/imgstream/record"
)

func TestSourcesOpenRefuses(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name string
		says []string
		is   error
	}{
		{"", []string{"an empty name", "exec:COMMAND"}, record.ErrUnknownSource},
		{"ftp://camera/x", []string{"ftp:// is no scheme", "rtsp(s)://"}, record.ErrUnknownSource},
		{"rtsp://camera/x", []string{"github.com/imgstream/imgstream/rtsp", "Sources.Schemes"}, record.ErrUnknownSource},
		{"RTSPS://camera/x", []string{"rtsps://", "imgstream/rtsp"}, record.ErrUnknownSource},
		{"nats://127.0.0.1/door", []string{"natsbus"}, record.ErrUnknownSource},
		{filepath.Join(dir, "none.omv"), []string{"none.omv", "no such file", "a source is"}, fs.ErrNotExist},
		{dir, []string{"is a directory"}, record.ErrUnknownSource},
		{"shm:", []string{"shm:NAME", "shm ls"}, record.ErrUnknownSource},
		{"exec:", []string{"exec:", "an empty command"}, record.ErrInvalidConfig},
		{`exec:ffmpeg "-i`, []string{`exec:ffmpeg "-i`, "is not closed"}, record.ErrInvalidConfig},
	} {
		t.Run(c.name, func(t *testing.T) {
			var s record.Sources
			src, err := s.Open(t.Context(), c.name)
			require.Error(t, err)
			assert.Nil(t, src)
			for _, w := range c.says {
				assert.Contains(t, err.Error(), w)
			}
			if c.is != nil {
				assert.ErrorIs(t, err, c.is)
			}
		})
	}
}

func TestSourcesOpenKinds(t *testing.T) {
	var gotName string
	fake := record.SourceFunc(func(context.Context, func(*record.Frame) error) error { return io.EOF })
	s := record.Sources{Schemes: map[string]record.SchemeFunc{
		"rtsp": func(name string) (record.Source, error) { gotName = name; return fake, nil },
	}}
	src, err := s.Open(t.Context(), "RTSP://user:pw@cam:8554/live")
	require.NoError(t, err)
	assert.Equal(t, "RTSP://user:pw@cam:8554/live", gotName, "the name is passed whole")
	assert.ErrorIs(t, src.Run(t.Context(), nil), io.EOF, "the scheme's source")

	src, err = s.Open(t.Context(), `exec:ffmpeg -f v4l2 -i "/dev/video 0" -f mjpeg -`)
	require.NoError(t, err)
	p, ok := src.(*record.Program)
	require.True(t, ok, "exec: is a Program, not %T", src)
	assert.Equal(t, []string{"ffmpeg", "-f", "v4l2", "-i", "/dev/video 0", "-f", "mjpeg", "-"}, p.Args)
}

// TestSourcesOpenHTTP: an http:// name is an MJPEG camera, read with
// Sources.Client.
func TestSourcesOpenHTTP(t *testing.T) {
	frames := stamped(5)
	srv := &mjpeg.Server{}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	go func() {
		for i := 0; ; i++ {
			if srv.Publish(frames[i%len(frames)]) != nil {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	defer srv.Close()
	s := record.Sources{Client: ts.Client()}
	src, err := s.Open(t.Context(), ts.URL)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	n := 0
	err = src.Run(ctx, func(f *record.Frame) error {
		_, ok := testkit.SeqOf(f.Data)
		assert.True(t, ok, "a frame the camera sent")
		if n++; n == 3 {
			cancel()
		}
		return nil
	})
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 3, n)
}

// TestSourcesOpenFile: a file of any of the streams Input reads is a
// source of its frames, told from its first bytes.
func TestSourcesOpenFile(t *testing.T) {
	frames := stamped(7)
	dir := t.TempDir()
	for name, data := range map[string][]byte{
		"a.jpgs":   bytes.Join(frames, nil),
		"b.mpjpeg": mpjpeg(frames),
		"c.omv":    omvOfJPEGs(t, frames),
		"d:colon":  bytes.Join(frames, nil), // named ./d:colon
	} {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, data, 0o644))
		if name == "d:colon" {
			t.Chdir(dir)
			path = "./" + name
		}
		var s record.Sources
		src, err := s.Open(t.Context(), path)
		require.NoError(t, err, name)
		got, err := collect(t, src)
		assert.ErrorIs(t, err, io.EOF, name)
		require.Len(t, got, len(frames), name)
		for i, f := range got {
			assert.Equal(t, frames[i], f.Data, "%s: frame %d", name, i)
		}
		got, err = collect(t, src)
		assert.ErrorIs(t, err, io.EOF, "%s: ended for good", name)
		assert.Empty(t, got)
	}
}

// TestSourcesOpenFIFO: a FIFO is read as stdin is. A Run that ends while
// it waits for a writer (a stall) gives way to the next, and a Run ended
// between frames leaves the stream where it is: no frame is lost or
// repeated, and the source ends with the writer.
func TestSourcesOpenFIFO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "camera.fifo")
	require.NoError(t, syscall.Mkfifo(path, 0o600))
	var s record.Sources
	src, err := s.Open(t.Context(), path)
	require.NoError(t, err)

	// No writer yet: the Run waits, and its context ends it.
	ctx, cancel := context.WithTimeout(t.Context(), 150*time.Millisecond)
	err = src.Run(ctx, func(*record.Frame) error { t.Error("a frame with no writer"); return nil })
	cancel()
	assert.ErrorIs(t, err, context.DeadlineExceeded)

	frames := stamped(6)
	opened := make(chan *os.File, 1)
	go func() {
		// No reader is open since the wait ended: this open waits for the
		// next Run's.
		w, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			t.Error(err)
			close(opened)
			return
		}
		w.Write(bytes.Join(frames[:3], nil))
		opened <- w
	}()
	var got [][]byte
	// The next Run takes two frames and is ended between frames.
	ctx, cancel = context.WithCancel(t.Context())
	err = src.Run(ctx, func(f *record.Frame) error {
		got = append(got, bytes.Clone(f.Data))
		if len(got) == 2 {
			cancel()
		}
		return nil
	})
	assert.ErrorIs(t, err, context.Canceled)
	w := <-opened
	require.NotNil(t, w)
	go func() {
		w.Write(bytes.Join(frames[3:], nil))
		w.Close()
	}()
	err = src.Run(t.Context(), func(f *record.Frame) error {
		got = append(got, bytes.Clone(f.Data))
		return nil
	})
	assert.ErrorIs(t, err, io.EOF, "the writer left: the end")
	assert.Equal(t, frames, got)
}

// TestSourcesOpenStdinStops: a Run of "-" blocked in a read of a pipe
// that sends nothing ends when the context given to Open is done.
func TestSourcesOpenStdinStops(t *testing.T) {
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer w.Close()
	defer r.Close()
	life, stop := context.WithCancel(t.Context())
	s := record.Sources{Stdin: r}
	src, err := s.Open(life, "-")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- src.Run(t.Context(), func(*record.Frame) error { return nil }) }()
	time.Sleep(50 * time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("Run ended with nothing sent: %v", err)
	default:
	}
	stop()
	select {
	case err := <-done:
		assert.ErrorIs(t, err, context.Canceled)
	case <-time.After(10 * time.Second):
		t.Fatal("a blocked read of stdin held Run after its life ended")
	}
}

// TestLive: Live shows a source in the browser's currency: JPEGs as they
// are, raw frames encoded, and it runs a failing source again, saying so
// once per outage; at the source's end its last frame stays.
func TestLive(t *testing.T) {
	frames := stamped(4)
	gray := make([]byte, 16*8)
	for i := range gray {
		gray[i] = byte(i)
	}
	runs := 0
	src := record.SourceFunc(func(ctx context.Context, emit func(*record.Frame) error) error {
		runs++
		switch runs {
		case 1, 2, 3:
			return errors.New("connection refused")
		case 4:
			for _, f := range frames[:2] {
				emit(&record.Frame{Image: jpegImage(f)})
			}
			return errors.New("dropped")
		}
		emit(&record.Frame{Image: jpegImage(frames[2])})
		emit(&record.Frame{Image: imageio.Image{Width: 16, Height: 8, Format: container.Grayscale, Data: gray}})
		return io.EOF
	})
	var logged lockedBuffer
	var mu sync.Mutex
	live := record.Live(src, record.RetryOptions{Name: "cam", Log: log.New(&logged, "", 0), MaxBackoff: 20 * time.Millisecond})
	var got [][]byte
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- live.Run(ctx, func(jpg []byte) {
			mu.Lock()
			got = append(got, bytes.Clone(jpg))
			mu.Unlock()
		})
	}()
	require.Eventually(t, func() bool {
		return strings.Contains(logged.String(), "ended")
	}, 10*time.Second, 5*time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("Live returned at the source's end (%v): the server would start it again", err)
	case <-time.After(50 * time.Millisecond):
	}
	cancel()
	assert.NoError(t, <-done)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, 5, runs)
	require.Len(t, got, 4)
	assert.Equal(t, frames[:3], got[:3], "JPEGs pass as they are")
	m, err := jpeg.Decode(bytes.NewReader(got[3]))
	require.NoError(t, err, "the grey frame is encoded to JPEG")
	assert.Equal(t, image.Rect(0, 0, 16, 8), m.Bounds())
	log := logged.String()
	assert.Equal(t, 1, strings.Count(log, "connection refused"), "an outage is told once:\n%s", log)
	assert.Equal(t, 1, strings.Count(log, "dropped"), "a new outage after frames is told:\n%s", log)
	assert.Contains(t, log, "cam: ")
}

// TestLiveStall: a source that stops sending is run again after Stall.
func TestLiveStall(t *testing.T) {
	frames := stamped(2)
	runs := 0
	src := record.SourceFunc(func(ctx context.Context, emit func(*record.Frame) error) error {
		runs++
		emit(&record.Frame{Image: jpegImage(frames[min(runs-1, 1)])})
		<-ctx.Done() // a camera that hangs
		return ctx.Err()
	})
	var logged lockedBuffer
	live := record.Live(src, record.RetryOptions{Stall: 30 * time.Millisecond, Log: log.New(&logged, "", 0)})
	ctx, cancel := context.WithCancel(t.Context())
	seen := make(chan []byte, 10)
	go live.Run(ctx, func(jpg []byte) { seen <- bytes.Clone(jpg) })
	assert.Equal(t, frames[0], <-seen)
	select {
	case f := <-seen:
		assert.Equal(t, frames[1], f, "run again after the stall")
	case <-time.After(10 * time.Second):
		t.Fatal("a stalled source was not run again")
	}
	cancel()
	assert.Contains(t, logged.String(), "no frame for 30ms")
}

// TestLivePermanent: a source that fails for good is not run again; Live
// returns its error once its context ends.
func TestLivePermanent(t *testing.T) {
	runs := 0
	live := record.Live(record.SourceFunc(func(context.Context, func(*record.Frame) error) error {
		runs++
		return record.Permanent(errors.New("401 Unauthorized"))
	}), record.RetryOptions{})
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	err := live.Run(ctx, func([]byte) {})
	assert.ErrorIs(t, err, record.ErrPermanent)
	assert.Equal(t, 1, runs)
}

// jpegImage is the frame of the JPEG jpg.
func jpegImage(jpg []byte) imageio.Image {
	w, h, _ := mjpeg.Dimensions(jpg)
	return imageio.Image{Width: w, Height: h, Format: container.JPEG, Data: jpg}
}

// TestRetry: Retry runs a failing source again, but returns at once what
// no retry mends: emit's error, the source's end, a permanent error.
func TestRetry(t *testing.T) {
	frames := stamped(1)
	stop := errors.New("the caller has enough")
	for _, c := range []struct {
		name string
		last error // what the source's third run returns
		emit error
		want error
	}{
		{"end", io.EOF, nil, io.EOF},
		{"permanent", record.Permanent(errors.New("401")), nil, record.ErrPermanent},
		{"emit", nil, stop, stop},
	} {
		t.Run(c.name, func(t *testing.T) {
			runs := 0
			src := record.SourceFunc(func(ctx context.Context, emit func(*record.Frame) error) error {
				runs++
				if runs < 3 {
					return errors.New("refused")
				}
				if err := emit(&record.Frame{Image: jpegImage(frames[0])}); err != nil {
					return fmt.Errorf("emit: %w", err)
				}
				return c.last
			})
			var logged lockedBuffer
			r := record.Retry(src, record.RetryOptions{Name: "cam", MaxBackoff: time.Millisecond, Log: log.New(&logged, "", 0)})
			got := 0
			err := r.Run(t.Context(), func(*record.Frame) error { got++; return c.emit })
			assert.ErrorIs(t, err, c.want)
			assert.Equal(t, 3, runs)
			assert.Equal(t, 1, got)
			assert.Equal(t, 1, strings.Count(logged.String(), "refused"), "one outage, told once: %s", logged.String())
		})
	}
}
