package record_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/internal/testkit"
	"github.com/imgstream/imgstream/record"
	"github.com/imgstream/imgstream/shm"
)

// testWriter logs to t.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// stored is a frame read back from a clip.
type stored struct {
	seq     uint64
	data    []byte
	elapsed time.Duration
}

// readClip reads every frame of the clip at path; the file must be whole.
func readClip(t *testing.T, path string) []stored {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	zr, err := container.NewReader(f)
	require.NoError(t, err, path)
	var out []stored
	for {
		h, p, err := zr.ReadFrame(nil)
		if err == io.EOF {
			return out
		}
		require.NoError(t, err, path)
		seq, _ := testkit.SeqOf(p)
		out = append(out, stored{seq, p, h.Elapsed})
	}
}

// clips returns the clips in dir, oldest name first.
func clips(t *testing.T, dir string) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.omv"))
	require.NoError(t, err)
	sort.Strings(paths)
	return paths
}

// events collects a Recorder's events.
type events struct {
	mu  sync.Mutex // guards all
	all []record.Event
}

func (e *events) add(ev record.Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.all = append(e.all, ev)
}

func (e *events) of(k record.Kind) []record.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []record.Event
	for _, ev := range e.all {
		if ev.Kind == k {
			out = append(out, ev)
		}
	}
	return out
}

// pipeCamera serves cam on an in-memory network inside a synctest bubble
// and returns a Source of it.
func pipeCamera(t *testing.T, cam *camera) record.Source {
	t.Helper()
	pn := testkit.NewPipeNet()
	srv := &http.Server{Handler: cam}
	go srv.Serve(pn)
	t.Cleanup(func() { srv.Close(); pn.Close() })
	return record.MJPEG(pn.Client(), "http://camera/stream.mjpg")
}

func seqs(fs []stored) []uint64 {
	out := make([]uint64, len(fs))
	for i, f := range fs {
		out[i] = f.seq
	}
	return out
}

// TestContinuous30fps records a camera at 30 fps for 60 s (on the bubble's
// clock): every frame it sent is in the file, in order, byte-identical,
// each 33 or 34 ms after the one before.
func TestContinuous30fps(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		cam := &camera{Interval: time.Second / 30}
		rec, err := record.New(record.Config{
			Source:   pipeCamera(t, cam),
			Pattern:  filepath.Join(dir, "rec.omv"),
			Duration: 60 * time.Second,
		})
		require.NoError(t, err)
		require.NoError(t, rec.Run(t.Context()))
		got := readClip(t, filepath.Join(dir, "rec.omv"))
		sent := cam.Sent()
		// The frames sent less than 60 s after Run started: Duration counts
		// from there, and the camera sends its first an Interval after it
		// is connected. 1800, as 1/30 s is 33 333 333 ns on its clock.
		want := int((60*time.Second - 1) / cam.Interval)
		require.Len(t, seqs(got), want, "60 s at 30 fps")
		assert.Equal(t, sent[:len(got)], seqs(got))
		for i, f := range got {
			require.Equal(t, cam.jpeg(int(f.seq)), f.data, "frame %d byte-identical", i)
			if i > 0 {
				assert.Contains(t, []time.Duration{33 * time.Millisecond, 34 * time.Millisecond}, f.elapsed, "frame %d", i)
			}
		}
		st := rec.Status()
		assert.Equal(t, uint64(want), st.FramesIn)
		assert.Zero(t, st.Dropped)
		assert.InDelta(t, 30, st.FPS, 0.01)
	})
}

// TestCameraQuirks records from a real HTTP server on 127.0.0.1 that
// sends what real cameras send: every frame arrives whole and in order.
func TestCameraQuirks(t *testing.T) {
	for _, tc := range []struct {
		name   string
		length Length
		lf     bool
	}{
		{"exact", Exact, false},
		{"no length", Missing, false},
		{"too long", TooLong, false},
		{"too short", TooShort, false},
		{"LF", Missing, true},
		{"LF too long", TooLong, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cam := &camera{Length: tc.length, LF: tc.lf, Frames: 300}
			srv := httptest.NewServer(cam)
			defer srv.Close()
			dir := t.TempDir()
			rec, err := record.New(record.Config{
				Source:  record.MJPEG(nil, srv.URL),
				Pattern: filepath.Join(dir, "rec.omv"),
				Frames:  300,
				Log:     log.New(testWriter{t}, "", 0),
			})
			require.NoError(t, err)
			require.NoError(t, rec.Run(t.Context()))
			got := readClip(t, filepath.Join(dir, "rec.omv"))
			require.Len(t, seqs(got), 300)
			for i, f := range got {
				require.Equal(t, uint64(i), f.seq)
				require.Equal(t, cam.jpeg(i), f.data, "frame %d byte-identical", i)
			}
		})
	}
}

// TestDropAndTruncated: the camera sends a frame cut short and drops,
// then drops again between frames; the recorder connects again each time,
// keeps every whole frame in one file, counts the cut one as dropped, and
// tells of each gap.
func TestDropAndTruncated(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		cam := &camera{Interval: 100 * time.Millisecond, Frames: 100, TruncateAt: 30, DropAt: 60}
		var ev events
		rec, err := record.New(record.Config{
			Source:  pipeCamera(t, cam),
			Pattern: filepath.Join(dir, "rec.omv"),
			Frames:  99,
			Notify:  ev.add,
		})
		require.NoError(t, err)
		require.NoError(t, rec.Run(t.Context()))
		got := readClip(t, filepath.Join(dir, "rec.omv"))
		var want []uint64
		for i := range uint64(100) {
			if i != 30 {
				want = append(want, i)
			}
		}
		assert.Equal(t, want, seqs(got))
		assert.Equal(t, 3, cam.Conns())
		st := rec.Status()
		assert.Equal(t, uint64(1), st.Dropped, "the cut frame")
		assert.Equal(t, 2, st.Gaps)
		assert.Len(t, ev.of(record.Gap), 2)
		// The gaps show in the timing: the frame after each waited for the
		// reconnection's backoff.
		for i, f := range got {
			if f.seq == 31 || f.seq == 60 {
				assert.Greater(t, f.elapsed, 100*time.Millisecond, "frame %d after a gap", i)
			}
		}
	})
}

// TestStall: the camera holds the connection and sends nothing for 20 s;
// after Stall the recorder connects again, and the frames after the stall
// are in the same file, the gap in their timing.
func TestStall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		cam := &camera{Interval: 100 * time.Millisecond, PauseAt: 20, PauseFor: 20 * time.Second}
		var ev events
		rec, err := record.New(record.Config{
			Source:  pipeCamera(t, cam),
			Pattern: filepath.Join(dir, "rec.omv"),
			Frames:  40,
			Stall:   2 * time.Second,
			Notify:  ev.add,
		})
		require.NoError(t, err)
		start := time.Now()
		require.NoError(t, rec.Run(t.Context()))
		got := readClip(t, filepath.Join(dir, "rec.omv"))
		require.Len(t, seqs(got), 40)
		for i, f := range got {
			require.Equal(t, uint64(i), f.seq)
		}
		// The new connection finds the camera still paused: it waits out
		// the pause there.
		assert.GreaterOrEqual(t, got[20].elapsed, 2*time.Second)
		assert.GreaterOrEqual(t, cam.Conns(), 2)
		gaps := ev.of(record.Gap)
		require.NotEmpty(t, gaps)
		assert.Less(t, time.Since(start), 30*time.Second, "on the bubble's clock")
	})
}

// TestPermanent: a camera that answers 404 is not retried.
func TestPermanent(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	rec, err := record.New(record.Config{Source: record.MJPEG(nil, srv.URL), Pattern: filepath.Join(t.TempDir(), "x.omv")})
	require.NoError(t, err)
	err = rec.Run(t.Context())
	require.ErrorIs(t, err, record.ErrPermanent)
	assert.ErrorContains(t, err, "404")
	assert.ErrorIs(t, rec.Run(t.Context()), record.ErrRunning)
}

func TestConfigErrors(t *testing.T) {
	src := record.SourceFunc(func(context.Context, func(*record.Frame) error) error { return io.EOF })
	for _, tc := range []struct {
		name string
		c    record.Config
		msg  string
	}{
		{"no source", record.Config{}, "no source"},
		{"pre too long", record.Config{Source: src, Mode: record.Events, Pre: 6 * time.Minute}, "over the 5m0s"},
		{"pre in continuous", record.Config{Source: src, Pre: time.Second}, "Events mode"},
		{"bad verb", record.Config{Source: src, Pattern: "clips/%Q.omv"}, "%Q"},
		{"negative", record.Config{Source: src, Duration: -1}, "negative"},
		{"version", record.Config{Source: src, Version: container.V1_0}, "V2.0 or V2.1"},
		{"tiny split", record.Config{Source: src, SplitSize: 20}, "holds no frame"},
		{"pre size", record.Config{Source: src, Mode: record.Events, PreSize: math.MaxInt}, "MaxPreSize"},
		{"pre size continuous", record.Config{Source: src, PreSize: record.MaxPreSize + 1}, "MaxPreSize"},
		// A pattern that names a directory: a clip went beside it as
		// NAME-1 before.
		{"a directory", record.Config{Source: src, Pattern: os.TempDir()}, "is a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := record.New(tc.c)
			require.ErrorIs(t, err, record.ErrInvalidConfig)
			assert.ErrorContains(t, err, tc.msg)
		})
	}
}

// TestRetentionAtSplit: with Keep smaller than one file, retention at a
// split removes the clip just closed, never the one the recording goes on
// in: every file is still on disk when it is synced, and every closed
// clip but the last (a recording keeps its newest clip) is removed.
func TestRetentionAtSplit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		cam := &camera{Interval: 100 * time.Millisecond}
		var ev events
		var gone []string // clips synced after retention removed them
		rec, err := record.New(record.Config{
			Source:    pipeCamera(t, cam),
			Pattern:   filepath.Join(dir, "%H%M%S.omv"),
			Frames:    300,
			SplitSize: 100_000,
			Keep:      record.Keep{Size: 1},
			Notify: func(e record.Event) {
				if _, err := os.Stat(e.Path); e.Kind == record.Synced && err != nil {
					gone = append(gone, e.Path)
				}
				ev.add(e)
			},
		})
		require.NoError(t, err)
		require.NoError(t, rec.Run(t.Context()))
		assert.Empty(t, gone, "clips removed while they were written")
		closed, removed := ev.of(record.ClipClosed), ev.of(record.Removed)
		require.Greater(t, len(closed), 2, "the recording was split")
		require.Len(t, removed, len(closed)-1, "each clip goes once closed, Keep holding less than one, but the last")
		for i := range removed {
			assert.Equal(t, closed[i].Path, removed[i].Path)
		}
		_, err = os.Stat(closed[len(closed)-1].Path)
		assert.NoError(t, err, "the recording keeps its last clip")
	})
}

// TestSplit: a continuous recording split every 10 s and every 100 KB;
// the files together hold every frame once, in order.
func TestSplit(t *testing.T) {
	for _, tc := range []struct {
		name  string
		every time.Duration
		size  int64
		files int
	}{
		{"time", 10 * time.Second, 0, 3},
		{"size", 0, 100_000, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				dir := t.TempDir()
				cam := &camera{Interval: 100 * time.Millisecond}
				var ev events
				rec, err := record.New(record.Config{
					Source:     pipeCamera(t, cam),
					Pattern:    filepath.Join(dir, "%H%M%S.omv"),
					Frames:     300,
					SplitEvery: tc.every,
					SplitSize:  tc.size,
					Notify:     ev.add,
				})
				require.NoError(t, err)
				require.NoError(t, rec.Run(t.Context()))
				paths := clips(t, dir)
				if tc.files > 0 {
					require.Len(t, paths, tc.files)
				}
				var all []uint64
				for _, p := range paths {
					fs := readClip(t, p)
					all = append(all, seqs(fs)...)
					if tc.size > 0 {
						fi, err := os.Stat(p)
						require.NoError(t, err)
						assert.LessOrEqual(t, fi.Size(), tc.size, p)
					}
					if tc.every > 0 {
						assert.Len(t, fs, 100, p)
					}
				}
				want := make([]uint64, 300)
				for i := range want {
					want[i] = uint64(i)
				}
				assert.Equal(t, want, all, "no frame lost or repeated at a split")
				closed := ev.of(record.ClipClosed)
				require.Len(t, closed, len(paths))
				for _, e := range closed[:len(closed)-1] {
					assert.True(t, e.Split, e.Path)
				}
			})
		})
	}
}

// TestOMVSource: an OMV stream on a pipe keeps its own timing.
func TestOMVSource(t *testing.T) {
	for _, g := range testkit.Golden(t) {
		if !g.Valid || len(g.Frames) == 0 {
			continue
		}
		t.Run(g.Name, func(t *testing.T) {
			in, err := os.Open(testkit.GoldenPath(g.Name))
			require.NoError(t, err)
			defer in.Close()
			dir := t.TempDir()
			rec, err := record.New(record.Config{Source: record.OMV(in), Pattern: filepath.Join(dir, "rec.omv")})
			require.NoError(t, err)
			require.NoError(t, rec.Run(t.Context()))
			want, err := imageio.Open(testkit.GoldenPath(g.Name), nil)
			require.NoError(t, err)
			defer want.Close()
			got := readClip(t, filepath.Join(dir, "rec.omv"))
			require.Len(t, got, want.Count())
			for i, f := range got {
				m, err := want.Read(imageio.ReadOptions{})
				require.NoError(t, err)
				assert.Equal(t, m.Data, f.data, "frame %d", i)
				if i > 0 && g.Version == "2.0" {
					assert.Equal(t, time.Duration(g.Frames[i].Elapsed)*time.Millisecond, f.elapsed, "frame %d keeps its interval", i)
				}
			}
		})
	}
	// Not a recording: no use trying again.
	rec, err := record.New(record.Config{Source: record.OMV(strings.NewReader("not a recording at all")), Pattern: filepath.Join(t.TempDir(), "x.omv")})
	require.NoError(t, err)
	err = rec.Run(t.Context())
	require.ErrorIs(t, err, record.ErrPermanent)
	require.ErrorIs(t, err, container.ErrBadMagic)
}

// TestSHMSource records an shm stream that a writer starts after the
// recorder and restarts in the middle: every frame arrives whole, with the
// writer's timing.
func TestSHMSource(t *testing.T) {
	name := fmt.Sprintf("imgstream-record-test-%d", os.Getpid())
	dir := t.TempDir()
	rec, err := record.New(record.Config{Source: record.SHM(name), Pattern: filepath.Join(dir, "rec.omv"), Frames: 40})
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- rec.Run(t.Context()) }()
	frame := func(i int) []byte { return bytes.Repeat([]byte{byte(i)}, 64*48) }
	h := container.Header{Width: 64, Height: 48, Format: container.Grayscale, Size: 64 * 48}
	for run := range 2 {
		w, err := shm.CreateWith(name, 64*48, shm.Options{Slots: 64})
		require.NoError(t, err)
		for i := run * 20; i < run*20+20; i++ {
			time.Sleep(2 * time.Millisecond) // the writer's pace, kept in the file
			require.NoError(t, w.Write(h, frame(i)))
			// A reader gets the newest frame: in lock step, it gets them all.
			require.Eventually(t, func() bool { return rec.Status().FramesIn > uint64(i) }, 10*time.Second, 100*time.Microsecond)
		}
		require.NoError(t, w.Close())
	}
	require.NoError(t, <-done)
	got := readClip(t, filepath.Join(dir, "rec.omv"))
	require.Len(t, seqs(got), 40)
	for i, f := range got {
		require.Equal(t, frame(i), f.data, "frame %d", i)
		if i > 0 && i != 20 {
			assert.GreaterOrEqual(t, f.elapsed, 2*time.Millisecond, "frame %d keeps the writer's pace", i)
		}
	}
}

// TestSHMSourceRGB24: the BGR24 frames of an OpenCV writer (and numpy's
// RGB24) are stored as JPEG, in their colours, and Frames is reached; a
// frame in a format no OMV file holds ends Run with a permanent
// ErrUnstorable.
func TestSHMSourceRGB24(t *testing.T) {
	const w, h = 64, 48
	for _, f := range []container.PixFormat{container.BGR24, container.RGB24} {
		t.Run(f.String(), func(t *testing.T) {
			name := fmt.Sprintf("imgstream-record-test-%s-%d", f, os.Getpid())
			sw, err := shm.CreateWith(name, w*h*3, shm.Options{Slots: 4})
			require.NoError(t, err)
			defer sw.Close()
			dir := t.TempDir()
			rec, err := record.New(record.Config{Source: record.SHM(name), Pattern: filepath.Join(dir, "rec.omv"), Frames: 10})
			require.NoError(t, err)
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute) // a failure, not a hang, if Frames is never reached
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- rec.Run(ctx) }()
			// Red 40, green 120, blue 220, in the writer's byte order.
			px := []byte{40, 120, 220}
			if f == container.BGR24 {
				px = []byte{220, 120, 40}
			}
			frame := bytes.Repeat(px, w*h)
			hdr := container.Header{Width: w, Height: h, Format: f, Size: len(frame)}
			var runErr error
		write:
			for {
				require.NoError(t, sw.Write(hdr, frame))
				select {
				case runErr = <-done:
					break write
				default:
					runtime.Gosched() // the reader takes the newest frame: skipped ones are counted
				}
			}
			require.NoError(t, runErr, "Frames reached")
			got := readClip(t, filepath.Join(dir, "rec.omv"))
			require.Len(t, got, 10)
			for i, s := range got {
				m := imageio.Image{Width: w, Height: h, Format: container.JPEG, Data: s.data}
				img, err := m.Decode()
				require.NoError(t, err, "frame %d is a JPEG", i)
				r, g, b, _ := img.At(w/2, h/2).RGBA()
				assert.InDelta(t, 40, int(r>>8), 4, "frame %d red", i)
				assert.InDelta(t, 120, int(g>>8), 4, "frame %d green", i)
				assert.InDelta(t, 220, int(b>>8), 4, "frame %d blue", i)
			}
		})
	}
	t.Run("unstorable", func(t *testing.T) {
		src := record.SourceFunc(func(ctx context.Context, emit func(*record.Frame) error) error {
			return emit(&record.Frame{Image: imageio.Image{Width: 2, Height: 2, Format: container.PixFormat(0x0C080004), Data: make([]byte, 16)}})
		})
		rec, err := record.New(record.Config{Source: src, Pattern: filepath.Join(t.TempDir(), "x.omv")})
		require.NoError(t, err)
		err = rec.Run(t.Context())
		require.ErrorIs(t, err, record.ErrPermanent)
		require.ErrorIs(t, err, record.ErrUnstorable)
		assert.ErrorContains(t, err, "2x2 frame in PixFormat(0x0c080004)")
	})
}

// lines sends each line written to it on a channel.
type lines chan string

func (l lines) Write(p []byte) (int, error) {
	l <- strings.TrimSuffix(string(p), "\n")
	return len(p), nil
}

// TestSourceNeverDelivers: a camera URL that never gives a frame (the
// player's page, a file, a refused connection; real servers on 127.0.0.1)
// is logged at its first failure, before the second attempt, saying what
// came; the attempts after it are not logged.
func TestSourceNeverDelivers(t *testing.T) {
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, "<!doctype html><title>imgstream</title>")
	}))
	defer page.Close()
	file := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		io.WriteString(w, "OMV IMG STR V2.0")
	}))
	defer file.Close()
	refused := httptest.NewServer(http.NotFoundHandler())
	refused.Close()
	for _, tc := range []struct{ name, url, want string }{
		{"page", page.URL + "/", "answers text/html; charset=utf-8: is this the page, not the stream?"},
		{"file", file.URL + "/clip.omv", "answers application/octet-stream: is this a file, not the stream?"},
		{"refused", refused.URL + "/stream.mjpg", "connection refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dials := make(chan struct{}, 100)
			var d net.Dialer
			client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true,
				DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
					dials <- struct{}{}
					return d.DialContext(ctx, network, addr)
				}}}
			logs := make(lines, 100)
			rec, err := record.New(record.Config{
				Source:     record.MJPEG(client, tc.url),
				Pattern:    filepath.Join(t.TempDir(), "x.omv"),
				MaxBackoff: time.Millisecond,
				Log:        log.New(logs, "", 0),
			})
			require.NoError(t, err)
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error, 1)
			go func() { done <- rec.Run(ctx) }()
			<-dials
			<-dials // the second attempt comes after the first failure's log
			require.Len(t, logs, 1, "the first failure is logged at once")
			first := <-logs
			assert.Contains(t, first, tc.want)
			assert.Contains(t, first, tc.url)
			for range 5 {
				<-dials
			}
			cancel()
			require.ErrorIs(t, <-done, context.Canceled)
			assert.Empty(t, logs, "later attempts of the same outage are not logged")
			assert.Contains(t, rec.Status().LastError, tc.want)
		})
	}
}

// TestDurationWithoutFrames: Duration counts from the start of Run, so a
// source that never delivers ends on time, logged once, with no clip.
func TestDurationWithoutFrames(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tries := 0
		src := record.SourceFunc(func(context.Context, func(*record.Frame) error) error {
			tries++
			return errors.New("dial tcp 127.0.0.1:8080: connect: connection refused")
		})
		dir := t.TempDir()
		var logged bytes.Buffer
		rec, err := record.New(record.Config{Source: src, Pattern: filepath.Join(dir, "x.omv"), Duration: 10 * time.Second, Log: log.New(&logged, "", 0)})
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute) // a failure, not a hang, if Duration never comes
		defer cancel()
		start := time.Now()
		require.NoError(t, rec.Run(ctx))
		assert.Equal(t, 10*time.Second, time.Since(start), "on the bubble's clock")
		assert.Greater(t, tries, 3)
		assert.Equal(t, "record: source: dial tcp 127.0.0.1:8080: connect: connection refused; trying again\n", logged.String())
		assert.Empty(t, clips(t, dir))
	})
}
