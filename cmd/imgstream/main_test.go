package main

import (
	"bytes"
	"context"
	"fmt"
	"image/color"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/internal/testkit"
	"github.com/imgstream/imgstream/mjpeg"
	"github.com/imgstream/imgstream/shm"
)

var sample = filepath.Join(testkit.Root, "testdata", "sample.omv")

func runIn(t *testing.T, ctx context.Context, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	root := newRoot()
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	return out.String(), err
}

// syncBuffer is a bytes.Buffer that a command writes and a test reads at
// the same time.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// startServe runs serve with args on port 0 of 127.0.0.1 until the test
// ends, and returns the address it printed and its stderr.
func startServe(t *testing.T, args ...string) (addr string, stderr *syncBuffer) {
	return startServeIn(t, nil, args...)
}

// startServeIn is startServe with stdin.
func startServeIn(t *testing.T, stdin io.Reader, args ...string) (addr string, stderr *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	stderr = new(syncBuffer)
	done := make(chan error, 1)
	go func() {
		root := newRoot()
		root.SetOut(pw)
		root.SetErr(stderr)
		if stdin != nil {
			root.SetIn(stdin)
		}
		root.SetArgs(append([]string{"serve", "--listen", "127.0.0.1:0"}, args...))
		err := root.ExecuteContext(ctx)
		pw.CloseWithError(err)
		done <- err
	}()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	return testkit.Addr(t, pr), stderr
}

// TestServe serves the sample on a real port and reads the stream: the
// frames are the recording's JPEG frames, untouched, in order. (The pace
// is imageio's, tested there on a fake clock.)
func TestServe(t *testing.T) {
	addr, _ := startServe(t, sample)
	r, err := mjpeg.Dial(context.Background(), "http://"+addr+"/stream.mjpg")
	require.NoError(t, err)
	defer r.Close()

	s, err := imageio.Open(sample, nil)
	require.NoError(t, err)
	defer s.Close()
	for i := range 5 {
		want, err := s.Read(imageio.ReadOptions{})
		require.NoError(t, err)
		require.Equal(t, container.JPEG, want.Format)
		got, err := r.NextFrame()
		require.NoError(t, err)
		assert.Equal(t, want.Data, got, "frame %d passes through untouched", i)
	}
}

// TestServeDamaged serves a recording cut off in a header: a warning at
// start says where, and the replay goes round its good frames.
func TestServeDamaged(t *testing.T) {
	path := testkit.GoldenPath("truncated_header.omv")
	addr, stderr := startServe(t, path)
	assert.Contains(t, stderr.String(), "damaged at frame 2 at offset 1904")
	assert.Contains(t, stderr.String(), "serving its 2 good frames")
	// A guard: a replay that stopped at the damage would leave NextFrame
	// waiting for ever.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := mjpeg.Dial(ctx, "http://"+addr+"/stream.mjpg")
	require.NoError(t, err)
	defer r.Close()
	s, err := imageio.Open(path, nil)
	require.NoError(t, err)
	defer s.Close()
	var want [][]byte
	for m, err := range s.All() {
		if err != nil {
			break
		}
		j, err := m.AppendJPEG(nil)
		require.NoError(t, err)
		want = append(want, j)
	}
	require.Len(t, want, 2)
	seen := map[int]int{}
	// A viewer may also get a frame again after a pause (RepeatAfter), so
	// count which frames come, not their exact sequence.
	for range 8 {
		got, err := r.NextFrame()
		require.NoError(t, err, "the replay goes on past the damage")
		switch {
		case bytes.Equal(got, want[0]):
			seen[0]++
		case bytes.Equal(got, want[1]):
			seen[1]++
		default:
			t.Fatalf("a frame that is not in the recording")
		}
	}
	assert.Positive(t, seen[0])
	assert.Positive(t, seen[1])
}

// TestServeLogsSourceErrors: when the replay cannot go on (the file was
// replaced by one that is not a recording), the error is logged.
func TestServeLogsSourceErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.omv")
	data, err := os.ReadFile(sample)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, data, 0o644))
	addr, stderr := startServe(t, path)
	require.NoError(t, os.WriteFile(path, []byte("not a recording at all"), 0o644))
	// A viewer starts the replay, which fails at once.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		if r, err := mjpeg.Dial(ctx, "http://"+addr+"/stream.mjpg"); err == nil {
			r.NextFrame()
			r.Close()
		}
	}()
	require.Eventually(t, func() bool { return strings.Contains(stderr.String(), "not an OMV IMG STR stream") },
		10*time.Second, time.Millisecond, "stderr: %s", stderr.String())
	assert.Contains(t, stderr.String(), "imgstream: mjpeg: source:")
}

func TestServeErrors(t *testing.T) {
	_, err := runIn(t, context.Background(), "serve", testkit.GoldenPath("bad_magic.omv"))
	require.ErrorIs(t, err, container.ErrBadMagic)
	_, err = runIn(t, context.Background(), "serve", testkit.GoldenPath("v20_empty.omv"))
	require.ErrorContains(t, err, "no frames")
	_, err = runIn(t, context.Background(), "serve")
	require.ErrorContains(t, err, "accepts 1 arg(s), received 0")
	assert.Equal(t, 2, exitCode(err))
}

// TestShmCommands lists and removes shared-memory streams: a stale one goes,
// a live one stays.
func TestShmCommands(t *testing.T) {
	if _, err := os.Stat(shm.Dir); err != nil {
		t.Skip("no /dev/shm")
	}
	live := fmt.Sprintf("imgstream-cmd-live-%d", os.Getpid())
	stale := fmt.Sprintf("imgstream-cmd-stale-%d", os.Getpid())
	w, err := shm.Create(live, 64, 2)
	require.NoError(t, err)
	defer w.Close()
	data, err := os.ReadFile(w.Path())
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(shm.Dir, stale), data, 0o600)) // what a killed writer leaves
	defer os.Remove(filepath.Join(shm.Dir, stale))

	out, err := runIn(t, context.Background(), "shm", "ls")
	require.NoError(t, err)
	assert.Regexp(t, live+` +live +2 +64 `, out)
	assert.Regexp(t, stale+` +stale +2 +64 `, out)

	_, err = runIn(t, context.Background(), "shm", "rm", live)
	require.ErrorIs(t, err, shm.ErrExists)
	_, err = runIn(t, context.Background(), "shm", "rm")
	var ue usageError
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, 2, exitCode(err))
	out, err = runIn(t, context.Background(), "shm", "rm", "--stale")
	require.NoError(t, err)
	assert.Contains(t, out, "removed "+stale)
	assert.NotContains(t, out, live)
	_, err = os.Stat(w.Path())
	require.NoError(t, err, "the live stream stays")
}

// TestServeStdin: serve - shows a live OMV stream from its stdin, each
// frame as it arrives, and the last one after the stream ends.
func TestServeStdin(t *testing.T) {
	pr, pw := io.Pipe()
	addr, stderr := startServeIn(t, pr, "-")
	r, err := mjpeg.Dial(context.Background(), "http://"+addr+"/stream.mjpg")
	require.NoError(t, err)
	defer r.Close()
	zw := container.NewWriter(pw)
	frames := [][]byte{testkit.SolidJPEG(8, 8, color.RGBA{255, 0, 0, 255}), testkit.SolidJPEG(8, 8, color.RGBA{0, 0, 255, 255})}
	for _, f := range frames {
		require.NoError(t, zw.WriteFrame(&container.Header{Width: 8, Height: 8, Format: container.JPEG}, f))
		// The viewer sees each frame as it comes, before the next.
		for {
			got, err := r.NextFrame()
			require.NoError(t, err)
			if bytes.Equal(got, f) {
				break
			}
		}
	}
	require.NoError(t, zw.Close())
	require.NoError(t, pw.Close())
	require.Eventually(t, func() bool { return strings.Contains(stderr.String(), "stdin: ended; showing its last frame") }, 10*time.Second, time.Millisecond)
	resp, err := http.Get("http://" + addr + "/snapshot.jpg")
	require.NoError(t, err)
	defer resp.Body.Close()
	last, _ := io.ReadAll(resp.Body)
	assert.Equal(t, frames[1], last, "the last frame stays")
}

// TestServeStdinJPEGs: JPEGs written back to back on stdin, as ffmpeg -f
// mjpeg or an OpenCV program writing cv2.imencode's bytes does, are shown
// as they come (before, "not an OMV IMG STR stream" and a blank page).
func TestServeStdinJPEGs(t *testing.T) {
	pr, pw := io.Pipe()
	addr, stderr := startServeIn(t, pr, "-")
	writeAndWatch(t, pw, addr)
	require.Eventually(t, func() bool { return strings.Contains(stderr.String(), "stdin: ended; showing its last frame") }, 10*time.Second, time.Millisecond)
}

// TestServeStdinUnknown: bytes on stdin that are no stream are described in
// the log, so the user learns what the program wrote instead of frames.
func TestServeStdinUnknown(t *testing.T) {
	pr, pw := io.Pipe()
	_, stderr := startServeIn(t, pr, "-")
	_, err := pw.Write([]byte("usage: camera [options]\n"))
	require.NoError(t, err)
	require.NoError(t, pw.Close())
	require.Eventually(t, func() bool { return strings.Contains(stderr.String(), `"usage: camera [o" (text)`) }, 10*time.Second, time.Millisecond)
}

// writeAndWatch writes two JPEGs of different colours to w, one by one,
// and sees each come out of the stream.mjpg of serve at addr before the
// next goes in; then it closes w.
func writeAndWatch(t *testing.T, w io.WriteCloser, addr string) {
	t.Helper()
	r, err := mjpeg.Dial(context.Background(), "http://"+addr+"/stream.mjpg")
	require.NoError(t, err)
	defer r.Close()
	for _, f := range [][]byte{testkit.SolidJPEG(8, 8, color.RGBA{255, 0, 0, 255}), testkit.SolidJPEG(8, 8, color.RGBA{0, 0, 255, 255})} {
		_, err := w.Write(f)
		require.NoError(t, err)
		for {
			got, err := r.NextFrame()
			require.NoError(t, err)
			if bytes.Equal(got, f) {
				break
			}
		}
	}
	require.NoError(t, w.Close())
}
