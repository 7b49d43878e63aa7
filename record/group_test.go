package record_test

import (
	"context"
	"errors"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/record"
)

// urlSource is a comparable Source (an MJPEG URL), so that a Group's
// default Same keeps a camera whose Config did not change.
type urlSource struct{ url string }

func (s urlSource) Run(ctx context.Context, emit func(*record.Frame) error) error {
	return record.MJPEG(nil, s.url).Run(ctx, emit)
}

// groupCams starts emulated cameras on 127.0.0.1, a frame every 10 ms.
func groupCams(t *testing.T, names ...string) (map[string]*camera, map[string]*httptest.Server) {
	t.Helper()
	cams := map[string]*camera{}
	srvs := map[string]*httptest.Server{}
	for _, n := range names {
		cams[n] = &camera{Interval: 10 * time.Millisecond}
		srvs[n] = httptest.NewServer(cams[n])
		t.Cleanup(srvs[n].Close)
	}
	return cams, srvs
}

// waitFor polls cond for up to a minute (a loaded machine is slow, never
// wrong).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func framesIn(g *record.Group, name string) uint64 {
	for _, st := range g.Status() {
		if st.Name == name {
			return st.FramesIn
		}
	}
	return 0
}

func runGroup(t *testing.T, g *record.Group) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			assert.ErrorIs(t, <-done, context.Canceled)
		})
	}
	t.Cleanup(stop)
	return stop
}

// contiguous asserts that the clip at path holds consecutive frames of
// one camera, and returns how many.
func contiguous(t *testing.T, path string) int {
	t.Helper()
	fs := readClip(t, path)
	require.NotEmpty(t, fs, path)
	for i := 1; i < len(fs); i++ {
		require.Equal(t, fs[i-1].seq+1, fs[i].seq, "%s: frame %d follows frame %d: frames lost", path, fs[i].seq, fs[i-1].seq)
	}
	return len(fs)
}

// TestGroupCameraDown kills one of three cameras, beside a fourth whose
// clips cannot be written: the other two go on recording (their frame counts grow by far more than they had), with no
// frame lost in their clips.
func TestGroupCameraDown(t *testing.T) {
	cams, srvs := groupCams(t, "a", "b", "c", "d")
	dir := t.TempDir()
	g := &record.Group{Log: testLogger(t)}
	var cs []record.Config
	for _, n := range []string{"a", "b", "c"} {
		cs = append(cs, record.Config{Name: n, Source: urlSource{srvs[n].URL}, Pattern: filepath.Join(dir, n, "clip.omv"), Stall: time.Second})
	}
	// And a camera whose disk fails: its clips' directory cannot be made.
	notDir := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(notDir, nil, 0o644))
	cs = append(cs, record.Config{Name: "disk", Source: urlSource{srvs["d"].URL}, Pattern: filepath.Join(notDir, "clip.omv")})
	require.NoError(t, g.Set(cs))
	stop := runGroup(t, g)
	waitFor(t, "the disk fault seen", func() bool {
		for _, st := range g.Status() {
			if st.Name == "disk" && (st.LastError != "" || st.Ended != "") {
				return true
			}
		}
		return false
	})
	// Set again: a camera that stopped on its own starts again, the
	// others run on.
	recA, recDisk := g.Recorder("a"), g.Recorder("disk")
	require.NoError(t, g.Set(cs))
	assert.Same(t, recA, g.Recorder("a"))
	assert.NotSame(t, recDisk, g.Recorder("disk"))
	waitFor(t, "frames from every camera", func() bool {
		return framesIn(g, "a") >= 10 && framesIn(g, "b") >= 10 && framesIn(g, "c") >= 10
	})
	srvs["b"].CloseClientConnections()
	srvs["b"].Close()
	a0, c0 := framesIn(g, "a"), framesIn(g, "c")
	waitFor(t, "b to be seen gone", func() bool { return !g.Recorder("b").Status().Connected })
	waitFor(t, "a and c to go on", func() bool { return framesIn(g, "a") >= a0+50 && framesIn(g, "c") >= c0+50 })
	bIn := framesIn(g, "b")
	stop()
	assert.Equal(t, bIn, framesIn(g, "b"), "b delivered nothing after its camera went away")
	for _, n := range []string{"a", "c"} {
		got := contiguous(t, filepath.Join(dir, n, "clip.omv"))
		assert.GreaterOrEqual(t, uint64(got), framesIn(g, n)-1, "%s: the clip holds every frame that came in", n)
		assert.LessOrEqual(t, got, len(cams[n].Sent())+1)
	}
}

// TestGroupReload sets a new set of cameras while they run: a is kept
// (the same Recorder, one clip with every frame in order: nothing lost
// across the reload), b removed (its clip closed, no frame after), c
// changed (restarted into its new pattern), d added.
func TestGroupReload(t *testing.T) {
	_, srvs := groupCams(t, "a", "b", "c", "d")
	dir := t.TempDir()
	conf := func(n, pattern string) record.Config {
		return record.Config{Name: n, Source: urlSource{srvs[n].URL}, Pattern: filepath.Join(dir, pattern)}
	}
	g := &record.Group{Log: testLogger(t)}
	require.NoError(t, g.Set([]record.Config{conf("a", "a/clip.omv"), conf("b", "b/clip.omv"), conf("c", "c/old.omv")}))
	stop := runGroup(t, g)
	waitFor(t, "frames from a, b, c", func() bool {
		return framesIn(g, "a") >= 20 && framesIn(g, "b") >= 20 && framesIn(g, "c") >= 20
	})
	recA := g.Recorder("a")
	liveA := g.Live("a")
	require.NoError(t, g.Set([]record.Config{conf("a", "a/clip.omv"), conf("c", "c/new.omv"), conf("d", "d/clip.omv")}))
	assert.Same(t, recA, g.Recorder("a"), "a, unchanged, runs on")
	assert.Same(t, liveA, g.Live("a"), "and keeps its live server")
	assert.Nil(t, g.Recorder("b"))
	assert.Equal(t, []string{"a", "c", "d"}, g.Names())
	aAt := framesIn(g, "a")
	waitFor(t, "frames after the reload", func() bool {
		return framesIn(g, "a") >= aAt+30 && framesIn(g, "c") >= 20 && framesIn(g, "d") >= 20
	})
	stop()

	nA := contiguous(t, filepath.Join(dir, "a/clip.omv"))
	assert.Equal(t, recA.Status().FramesIn, uint64(nA), "a: one clip, every frame that came in before and after the reload")
	matches, _ := filepath.Glob(filepath.Join(dir, "a", "*.omv"))
	assert.Len(t, matches, 1, "a was never restarted")
	contiguous(t, filepath.Join(dir, "b/clip.omv")) // closed cleanly when removed
	contiguous(t, filepath.Join(dir, "c/old.omv"))
	contiguous(t, filepath.Join(dir, "c/new.omv"))
	contiguous(t, filepath.Join(dir, "d/clip.omv"))
}

// TestGroupConfigErrors: a camera New refuses is left out and named, the
// others run; names must be there and unique.
func TestGroupConfigErrors(t *testing.T) {
	_, srvs := groupCams(t, "a")
	dir := t.TempDir()
	g := &record.Group{}
	err := g.Set([]record.Config{
		{Name: "a", Source: urlSource{srvs["a"].URL}, Pattern: filepath.Join(dir, "a.omv")},
		{Name: "bad", Source: urlSource{srvs["a"].URL}, Pre: time.Second},
		{Name: "", Source: urlSource{srvs["a"].URL}},
		{Name: "a", Source: urlSource{srvs["a"].URL}},
	})
	require.ErrorIs(t, err, record.ErrInvalidConfig)
	assert.Contains(t, err.Error(), "camera bad:")
	assert.Contains(t, err.Error(), "no name")
	assert.Contains(t, err.Error(), `two cameras named "a"`)
	assert.Equal(t, []string{"a"}, g.Names())
	require.ErrorIs(t, g.Trigger("nope", "x"), record.ErrNoCamera)
	runGroup(t, g)
	waitFor(t, "a to record", func() bool { return framesIn(g, "a") >= 5 })
}

// TestGroupKeep records two cameras in 50 ms clips under a Group Keep of
// a few clips: the oldest of both go, the total stays within the bound
// (and a clip of each being written), and each camera keeps clips.
func TestGroupKeep(t *testing.T) {
	_, srvs := groupCams(t, "a", "b")
	dir := t.TempDir()
	foreign := filepath.Join(dir, "a", "notes.omv")
	require.NoError(t, os.MkdirAll(filepath.Dir(foreign), 0o755))
	require.NoError(t, os.WriteFile(foreign, make([]byte, 1<<20), 0o644))
	const keep = 20 << 10
	var mu sync.Mutex
	removed := map[string]int{}
	g := &record.Group{Keep: record.Keep{Size: keep}, Log: testLogger(t)}
	var cs []record.Config
	for _, n := range []string{"a", "b"} {
		cs = append(cs, record.Config{Name: n, Source: urlSource{srvs[n].URL}, Pattern: filepath.Join(dir, n, "%Y%m%d-%H%M%S.omv"), SplitEvery: 50 * time.Millisecond,
			Notify: func(e record.Event) {
				if e.Kind == record.Removed {
					mu.Lock()
					removed[n]++
					mu.Unlock()
				}
			}})
	}
	require.NoError(t, g.Set(cs))
	stop := runGroup(t, g)
	waitFor(t, "clips of both removed", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return removed["a"] >= 3 && removed["b"] >= 3
	})
	stop()
	var total, largest int64
	for _, n := range []string{"a", "b"} {
		paths, _ := filepath.Glob(filepath.Join(dir, n, "2*.omv"))
		assert.NotEmpty(t, paths, "%s keeps its newest clip", n)
		for _, p := range paths {
			fi, err := os.Stat(p)
			require.NoError(t, err)
			total += fi.Size()
			largest = max(largest, fi.Size())
		}
	}
	assert.LessOrEqual(t, total, keep+2*largest, "the clips of both cameras fit the Keep, but for a clip each that closed last")
	_, err := os.Stat(foreign)
	assert.NoError(t, err, "a file the pattern cannot name is not ours to delete")
}

// TestGroupSetAfterRun: Set before Run only records the cameras (a
// second Set replaces them, starting nothing); a Group that ran is closed.
func TestGroupSetAfterRun(t *testing.T) {
	g := &record.Group{}
	dir := t.TempDir()
	require.NoError(t, g.Set([]record.Config{{Name: "a", Source: urlSource{"http://127.0.0.1:1/"}, Pattern: filepath.Join(dir, "a.omv")}}))
	require.NoError(t, g.Set([]record.Config{{Name: "b", Source: urlSource{"http://127.0.0.1:1/"}, Pattern: filepath.Join(dir, "b.omv")}}))
	assert.Equal(t, []string{"b"}, g.Names())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.True(t, errors.Is(g.Run(ctx), context.Canceled))
	require.ErrorIs(t, g.Set(nil), record.ErrGroupClosed)
	require.ErrorIs(t, g.Run(context.Background()), record.ErrGroupClosed)
}

var _ http.Handler = (*camera)(nil)

func testLogger(t *testing.T) *log.Logger { return log.New(testWriter{t}, "", 0) }
