package record_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/internal/testkit"
	"github.com/imgstream/imgstream/record"
)

func TestMain(m *testing.M) {
	testkit.Main(m, map[string]func() int{"recorder": crashRecorder})
}

// crashFrame is frame n of the crash test's source: 320x240 grey, its
// number in its first 8 bytes and a pattern of it after.
func crashFrame(n int) []byte {
	b := make([]byte, 320*240)
	for i := range b {
		b[i] = byte(n + i)
	}
	binary.BigEndian.PutUint64(b, uint64(n))
	return b
}

// crashRecorder records frames as fast as it can (so that a kill lands
// inside a write as often as anywhere) into clips of 50 ms in
// IMGSTREAM_DIR, syncing every 5 ms, and prints every Event as a JSON
// line, until it is killed.
func crashRecorder() int {
	dir := os.Getenv("IMGSTREAM_DIR")
	src := record.SourceFunc(func(ctx context.Context, emit func(*record.Frame) error) error {
		f := &record.Frame{Image: imageio.Image{Width: 320, Height: 240, Format: container.Grayscale}}
		for n := 0; ; n++ {
			f.Data = crashFrame(n)
			if err := emit(f); err != nil {
				return err
			}
		}
	})
	out := json.NewEncoder(os.Stdout)
	rec, err := record.New(record.Config{
		Source: src, Pattern: filepath.Join(dir, "%s.omv"), SplitEvery: 50 * time.Millisecond, Sync: 5 * time.Millisecond,
		Notify: func(e record.Event) { out.Encode(e) },
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := rec.Run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// verify reads the recording at p strictly, as imgstream verify does
// (reserved bytes and padding zero, every frame whole), and returns its
// frame count.
func verify(t *testing.T, p string) int {
	t.Helper()
	f, err := os.Open(p)
	require.NoError(t, err)
	defer f.Close()
	zr, err := container.NewReader(f)
	require.NoError(t, err)
	zr.Strict = true
	n := 0
	for {
		_, _, err := zr.ReadFrame(nil)
		if err == io.EOF {
			return n
		}
		require.NoError(t, err, "%s frame %d", p, n)
		n++
	}
}

// TestSIGKILL kills a recording process 100 times at random moments (the
// seed is printed; IMGSTREAM_SEED repeats a run). After each: every clip
// opens, holds a frame and every frame up to its last reported sync, byte
// for byte, and Repair makes it whole.
func TestSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("100 processes")
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("IMGSTREAM_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("IMGSTREAM_SEED=%d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	damaged, leftover := 0, 0
	for run := range 100 {
		dir := t.TempDir()
		cmd := testkit.Child("recorder", "IMGSTREAM_DIR="+dir)
		_, lines := testkit.Start(t, cmd)
		synced := map[string]int{}
		// Wait for the first sync, then kill at a random moment after it.
		killAt := time.Duration(rng.IntN(150)) * time.Millisecond
		var deadline time.Time
		for lines.Scan() {
			var e record.Event
			require.NoError(t, json.Unmarshal(lines.Bytes(), &e), "run %d: %s", run, lines.Text())
			if e.Kind == record.Synced {
				synced[e.Path] = e.Frames
				if deadline.IsZero() {
					deadline = time.Now().Add(killAt)
				}
			}
			if !deadline.IsZero() && time.Now().After(deadline) {
				break
			}
		}
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		cmd.Wait()
		// The syncs it printed before it died, and any still in the pipe.
		for lines.Scan() {
			var e record.Event
			if json.Unmarshal(lines.Bytes(), &e) == nil && e.Kind == record.Synced {
				synced[e.Path] = e.Frames
			}
		}
		require.NotEmpty(t, synced, "run %d", run)
		type span struct{ first, n int }
		var spans []span
		for _, p := range clips(t, dir) {
			s, err := imageio.Open(p, nil)
			require.NoError(t, err, "run %d: %s opens", run, p)
			require.GreaterOrEqual(t, s.Count(), synced[p], "run %d: %s keeps its synced frames", run, p)
			require.Positive(t, s.Count(), "run %d: %s has a frame: a clip takes its name with its first", run, p)
			sp := span{-1, s.Count()}
			for i := range s.Count() {
				m, err := s.Read(imageio.ReadOptions{})
				require.NoError(t, err)
				n := int(binary.BigEndian.Uint64(m.Data))
				if i == 0 {
					sp.first = n
				}
				require.Equal(t, sp.first+i, n, "run %d: %s frame %d follows the one before", run, p, i)
				require.True(t, bytes.Equal(crashFrame(n), m.Data), "run %d: %s frame %d byte-identical", run, p, i)
			}
			if sp.n > 0 {
				spans = append(spans, sp)
			}
			if s.Damage() != nil {
				damaged++
			}
			s.Close()
			rep, err := imageio.Repair(p)
			require.NoError(t, err)
			require.Equal(t, s.Count(), rep.Frames)
			assert.Equal(t, rep.Frames, verify(t, p), "run %d: %s passes a strict read after Repair", run, p)
		}
		// The clips follow each other, with no frame lost or repeated at
		// a split.
		slices.SortFunc(spans, func(a, b span) int { return a.first - b.first })
		for i := 1; i < len(spans); i++ {
			require.Equal(t, spans[i-1].first+spans[i-1].n, spans[i].first, "run %d: clip %d follows clip %d", run, i, i-1)
		}
		// A kill between a clip's making and its naming leaves one
		// hidden partial, never a clip without a header or a frame.
		partials, err := filepath.Glob(filepath.Join(dir, ".*.partial"))
		require.NoError(t, err)
		require.LessOrEqual(t, len(partials), 1, "run %d: partials %v", run, partials)
		leftover += len(partials)
		require.NoError(t, os.RemoveAll(dir))
	}
	t.Logf("100 kills: %d clips cut inside a frame, all repaired; %d partials left", damaged, leftover)
}
