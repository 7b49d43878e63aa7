package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/color"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/avi"
	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/export"
	"github.com/imgstream/imgstream/internal/testkit"
	"github.com/imgstream/imgstream/player"
)

// writeRecording writes JPEG frames (each distinct) recorded at times at,
// as V2.0, and returns the path and the frames.
func writeRecording(t *testing.T, at []time.Duration) (string, [][]byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "rec.omv")
	f, err := os.Create(path)
	require.NoError(t, err)
	zw := container.NewWriter(f)
	var fs [][]byte
	for i := range at {
		jpg := testkit.StampJPEG(testkit.SolidJPEG(16, 16, color.RGBA{byte(i), 90, 40, 255}), uint64(i))
		var elapsed time.Duration
		if i > 0 {
			elapsed = at[i] - at[i-1]
		}
		require.NoError(t, zw.WriteFrame(&container.Header{Elapsed: elapsed, Width: 16, Height: 16, Format: container.JPEG, Size: len(jpg)}, jpg))
		fs = append(fs, jpg)
	}
	require.NoError(t, zw.Close())
	require.NoError(t, f.Close())
	return path, fs
}

// jittery returns the times of n frames of a camera at about 15 fps whose
// intervals wander by ±40%, in whole milliseconds.
func jittery(n int) []time.Duration {
	rng := rand.New(rand.NewPCG(40, 13))
	at := make([]time.Duration, n)
	for i := 1; i < n; i++ {
		at[i] = at[i-1] + time.Duration(40+rng.IntN(54))*time.Millisecond
	}
	return at
}

// leftovers lists dir's entries.
func leftovers(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// TestExportKeepsEveryFrame: at the default rate every frame of a camera
// with uneven intervals is in the AVI (before, its mean rate lost about
// one in eight without a word); an explicit rate that drops frames says
// how many.
func TestExportKeepsEveryFrame(t *testing.T) {
	at := jittery(600)
	path, fs := writeRecording(t, at)
	out := filepath.Join(t.TempDir(), "x.avi")
	_, errOut, code := cli(t, "export", path, out)
	require.Equal(t, 0, code, errOut)
	assert.NotContains(t, errOut, "warning")
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	kept := 0
	for _, f := range fs {
		if bytes.Contains(data, f) {
			kept++
		}
	}
	assert.Equal(t, len(fs), kept, "every frame is in the file")
	if probe, err := exec.LookPath("ffprobe"); err == nil {
		b, err := exec.Command(probe, "-v", "error", "-count_frames", "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", out).Output()
		require.NoError(t, err)
		assert.Equal(t, fmt.Sprint(len(fs)), strings.TrimSpace(string(b)), "ffprobe reads every frame")
	}

	// --fps 10 leaves frames out, and says how many.
	r := avi.Rate{Num: 10, Den: 1}
	want, last := 0, int64(-1)
	for _, a := range at {
		if s := r.Slot(a); s <= last {
			want++
		} else {
			last = s
		}
	}
	require.Positive(t, want)
	_, errOut, code = cli(t, "export", "--fps", "10", path, out)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, errOut, fmt.Sprintf("warning: %d of %d frames left out at 10/1 fps", want, len(fs)))
	// From stdin too: it is read ahead into a temporary file for the rate.
	cmd := exec.Command(bin, "export", "-", out)
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	cmd.Stdin = f
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", b)
	assert.NotContains(t, string(b), "warning")
	fromStdin, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(data, fromStdin), "the same file as from the recording")

	_, errOut, code = cli(t, "export", "--quiet", "--fps", "10", path, filepath.Join(t.TempDir(), "q.avi"))
	require.Equal(t, 0, code, errOut)
	assert.Empty(t, errOut)
}

// TestExportSameAsPlayer: the command line and the player give the same
// bytes for the same request, as both are export's: export to .avi and
// /export.avi (before: 15001/1000 against 15/1 for the sample), export to
// .gif and /export.gif, and info --json and /api/info (before issue 18:
// two schemas). JPEG recordings (an AVI the player streams as it is made),
// raw ones (an AVI of encoded frames) and a damaged one.
func TestExportSameAsPlayer(t *testing.T) {
	jit, _ := writeRecording(t, jittery(200))
	dir := t.TempDir()
	copyTo := func(from, name string) string { // the player names a recording by its base name
		b, err := os.ReadFile(from)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o644))
		return name
	}
	rec := map[string]string{
		"sample":    copyTo(sample, "sample.omv"),
		"jittery":   copyTo(jit, "jittery.omv"),
		"raw":       copyTo(testkit.GoldenPath("v20_mixed.omv"), "raw.omv"),
		"rgb565":    copyTo(testkit.GoldenPath("v10_rgb565.omv"), "rgb565.omv"),
		"truncated": copyTo(testkit.GoldenPath("truncated_payload.omv"), "truncated.omv"),
	}
	// run runs the command line in dir, where the recordings are.
	run := func(t *testing.T, args ...string) (string, string) {
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		if err := cmd.Run(); err != nil {
			ee, ok := err.(*exec.ExitError)
			require.True(t, ok && ee.ExitCode() == 1, "%v: %s", err, e.String()) // 1: damaged
		}
		return o.String(), e.String()
	}
	for _, c := range []struct {
		rec, frames, query string
	}{
		{"sample", "", ""},
		{"sample", "10:60", "?from=10&to=60"},
		{"jittery", "", ""},
		{"jittery", "33:150", "?from=33&to=150"},
		{"raw", "", ""},
		{"rgb565", "1:3", "?from=1&to=3"},
		{"truncated", "", ""},
	} {
		t.Run(c.rec+c.query, func(t *testing.T) {
			p, err := player.NewFile(filepath.Join(dir, rec[c.rec]), player.Options{})
			require.NoError(t, err)
			ts := httptest.NewServer(p)
			defer func() { ts.Close(); p.Close() }()
			get := func(path string) []byte {
				resp, err := http.Get(ts.URL + path)
				require.NoError(t, err)
				defer resp.Body.Close()
				b, err := io.ReadAll(resp.Body)
				require.NoError(t, err)
				require.Equal(t, http.StatusOK, resp.StatusCode, "%s", b)
				return b
			}
			for _, ext := range []string{"avi", "gif"} {
				web := get("/export." + ext + c.query)
				out := filepath.Join(t.TempDir(), "x."+ext)
				args := []string{"export", rec[c.rec], out}
				if c.frames != "" {
					args = append(args, "--frames", c.frames)
				}
				_, errOut := run(t, args...)
				local, err := os.ReadFile(out)
				require.NoError(t, err, errOut)
				require.Greater(t, len(local), 200)
				assert.True(t, bytes.Equal(local, web), "export to .%s and /export.%s differ (%d and %d bytes; AVI rates %q and %q)",
					ext, ext, len(local), len(web), local[128:136], web[128:136])
			}
			if c.query == "" {
				web := get("/api/info")
				local, _ := run(t, "info", "--json", rec[c.rec])
				assert.Equal(t, string(web), local, "info --json and /api/info")
			}
		})
	}
}

// TestExportLongGap: two frames 49.7 days apart (the longest gap V2.0
// holds) made a 3 GB index and took minutes; now the gap is shortened to
// avi.DefaultMaxHold, with a warning.
func TestExportLongGap(t *testing.T) {
	path, _ := writeRecording(t, []time.Duration{0, (1<<32 - 1) * time.Millisecond, (1<<32 + 99) * time.Millisecond})
	out := filepath.Join(t.TempDir(), "x.avi")
	_, errOut, code := cli(t, "export", path, out)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, errOut, "warning: 1 gaps between frames longer than 1m0s shortened to 1m0s")
	fi, err := os.Stat(out)
	require.NoError(t, err)
	assert.Less(t, fi.Size(), int64(64<<10))
	// GIF holds at most 655.35 s a frame; V2.1 at most 71.6 minutes
	// between frames (convert failed there, losing the frames after).
	_, errOut, code = cli(t, "export", path, filepath.Join(t.TempDir(), "x.gif"))
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, errOut, "warning: 1 gaps between frames longer than 10m55.35s, the longest a GIF shows a frame")
	v21 := filepath.Join(t.TempDir(), "x.omv")
	_, errOut, code = cli(t, "convert", "--version", "2.1", path, v21)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, errOut, "warning: 1 gaps between frames longer than 1h11m34.967295s, the longest OMV IMG STR V2.1 holds")
	_, times := recordingFrames(t, v21)
	require.Len(t, times, 3)
	assert.Equal(t, time.Duration(1<<32-1)*time.Microsecond+100*time.Millisecond, times[2])
	// --speed slows a recording down past what V2.0 holds: the same.
	_, errOut, code = cli(t, "convert", "--speed", "1e-9", sample, v21)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, errOut, "warning: 89 gaps between frames longer than 1193h2m47.295s, the longest OMV IMG STR V2.0 holds")
	if _, err := exec.LookPath("ffmpeg"); err == nil {
		mp4 := filepath.Join(t.TempDir(), "x.mp4")
		_, errOut, code = cli(t, "export", path, mp4)
		require.Equal(t, 0, code, errOut)
		assert.Contains(t, errOut, "shortened")
	}
}

// TestExportEmptyRange: a range with no frames is a usage error (exit 2)
// for every output and for convert, and leaves nothing behind, not even an
// empty file; an older file of the output's name stays as it was.
func TestExportEmptyRange(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
		out  string
	}{
		{"time past the end", []string{"export", "--time", "10s:20s"}, "x.avi"},
		{"frames past the end", []string{"export", "--frames", "100:200"}, "pics/"},
		{"pattern", []string{"export", "--frames", "100:200"}, "p/%03d.jpg"},
		{"gif", []string{"export", "--frames", "90:"}, "x.gif"},
		{"convert", []string{"convert", "--frames", "100:200"}, "x.omv"},
		{"convert time", []string{"convert", "--time", "7s:"}, "x.omv"},
	} {
		for _, stdin := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s stdin=%v", c.name, stdin), func(t *testing.T) {
				dir := t.TempDir()
				in := sample
				if stdin {
					in = "-"
				}
				cmd := exec.Command(bin, append(c.args, in, dir+"/"+c.out)...)
				if stdin {
					f, err := os.Open(sample)
					require.NoError(t, err)
					defer f.Close()
					cmd.Stdin = f
				}
				b, err := cmd.CombinedOutput()
				require.Error(t, err)
				assert.Equal(t, 2, cmd.ProcessState.ExitCode(), "%s", b)
				assert.Contains(t, string(b), "no frames to write")
				assert.Empty(t, leftovers(t, dir), "nothing left behind")
			})
		}
	}
	dir := t.TempDir()
	old := filepath.Join(dir, "x.avi")
	require.NoError(t, os.WriteFile(old, []byte("mine"), 0o644))
	_, _, code := cli(t, "export", "--time", "10s:", sample, old)
	assert.Equal(t, 2, code)
	b, err := os.ReadFile(old)
	require.NoError(t, err)
	assert.Equal(t, "mine", string(b))
	assert.Equal(t, []string{"x.avi"}, leftovers(t, dir))
}

// countdown is a context that is cancelled at the n-th look at Err: a
// Ctrl-C in the middle of a command, at a known frame.
type countdown struct {
	context.Context
	mu   sync.Mutex
	n    int
	done chan struct{}
}

func newCountdown(n int) *countdown {
	return &countdown{Context: context.Background(), n: n, done: make(chan struct{})}
}

func (c *countdown) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n > 0 {
		if c.n--; c.n == 0 {
			close(c.done)
		}
	}
	if c.n == 0 {
		return context.Canceled
	}
	return nil
}

func (c *countdown) Done() <-chan struct{} { return c.done }

// TestExportCancelled: export and convert look at the context each frame,
// stop when it is cancelled, and remove their partial output; an older file
// of the output's name stays as it was. Before, they ran to the end.
func TestExportCancelled(t *testing.T) {
	for _, c := range []struct {
		args []string
		out  string
	}{
		{[]string{"export"}, "x.avi"},
		{[]string{"export", "--workers", "2", "--scale", "0.5"}, "x.avi"},
		{[]string{"export"}, "x.gif"},
		{[]string{"export"}, "pics/"},
		{[]string{"export"}, "%03d.png"},
		{[]string{"convert"}, "x.omv"},
		{[]string{"convert", "--jpeg", "80", "--version", "2.1"}, "x.omv"},
	} {
		t.Run(strings.Join(c.args, " ")+" "+c.out, func(t *testing.T) {
			dir := t.TempDir()
			older := filepath.Join(dir, "older.txt")
			require.NoError(t, os.WriteFile(older, []byte("mine"), 0o644))
			out := dir + "/" + c.out // a trailing / kept
			if !strings.HasSuffix(c.out, "/") && !strings.Contains(c.out, "%") {
				require.NoError(t, os.WriteFile(out, []byte("older"), 0o644))
			}
			before := leftovers(t, dir)
			_, err := runIn(t, newCountdown(20), append(c.args, sample, out)...)
			require.ErrorIs(t, err, context.Canceled)
			assert.Equal(t, before, leftovers(t, dir), "the partial output is removed, nothing else")
			if b, err := os.ReadFile(out); err == nil {
				assert.Equal(t, "older", string(b))
			}
		})
	}
	if _, err := exec.LookPath("ffmpeg"); err == nil {
		dir := t.TempDir()
		_, err := runIn(t, newCountdown(20), "export", sample, filepath.Join(dir, "x.mp4"))
		require.ErrorIs(t, err, context.Canceled)
		assert.Empty(t, leftovers(t, dir))
	}
}

// TestOutputInPlace: writing under a temporary name keeps what worked
// before: an output through a symbolic link is written where it leads (the
// link stays), and a device or pipe such as /dev/stdout is written as it is.
func TestOutputInPlace(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "link.omv")
	require.NoError(t, os.Symlink("target.omv", link))
	_, errOut, code := cli(t, "convert", sample, link)
	require.Equal(t, 0, code, errOut)
	fi, err := os.Lstat(link)
	require.NoError(t, err)
	assert.NotZero(t, fi.Mode()&os.ModeSymlink, "the link stays a link")
	want, err := os.ReadFile(sample)
	require.NoError(t, err)
	got, err := os.ReadFile(filepath.Join(dir, "target.omv"))
	require.NoError(t, err)
	assert.Equal(t, len(want), len(got))
	assert.ElementsMatch(t, []string{"link.omv", "target.omv"}, leftovers(t, dir))

	out, errOut, code := cli(t, "convert", "-q", sample, "/dev/stdout")
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, len(want), len(out))
}

// TestExportPicturesNeverOverwrite: a file that has a picture's name
// already is the user's: the export stops there, leaves it as it was, and
// removes only the pictures it made. Before, it was written over (and
// removed by the clean-up of an export that then failed).
func TestExportPicturesNeverOverwrite(t *testing.T) {
	for _, out := range []string{"up/", "up/%05d.png"} {
		t.Run(out, func(t *testing.T) {
			dir := t.TempDir()
			mine := filepath.Join(dir, "up", "00005.png")
			require.NoError(t, os.Mkdir(filepath.Join(dir, "up"), 0o755))
			require.NoError(t, os.WriteFile(mine, []byte("USER DATA"), 0o644))
			_, errOut, code := cli(t, "export", sample, filepath.Join(dir, out))
			assert.Equal(t, 3, code, errOut)
			assert.Contains(t, errOut, mine+": exists already")
			b, err := os.ReadFile(mine)
			require.NoError(t, err)
			assert.True(t, string(b) == "USER DATA", "the user's file is as it was")
			assert.Equal(t, []string{"00005.png"}, leftovers(t, filepath.Join(dir, "up")), "only the user's file is left")
		})
	}
	// Cancelled after the file was met: the same.
	dir := t.TempDir()
	mine := filepath.Join(dir, "00002.png")
	require.NoError(t, os.WriteFile(mine, []byte("USER DATA"), 0o644))
	_, err := runIn(t, newCountdown(20), "export", sample, dir)
	require.Error(t, err)
	b, err := os.ReadFile(mine)
	require.NoError(t, err)
	assert.Equal(t, "USER DATA", string(b))
	assert.Equal(t, []string{"00002.png"}, leftovers(t, dir))
}

// TestExportPicturePattern: a pattern's file name has exactly one %d
// (flags and width allowed) and %% for a %, its directory is as it is (the
// test's own has % in its name); anything else is a usage error that names it,
// and writes nothing. Before, %%d, %.png and %s gave every frame one name
// (pp/%d.png%!(EXTRA int64=0)) and exited 0.
func TestExportPicturePattern(t *testing.T) {
	for _, bad := range []string{"pp/%%d.png", "pp/%.png", "pp/%s.png", "pp/%d-%d.png", "pp/%5.2d.png", "pp/%x.png", "pp/%05.png", "pp/x%"} {
		t.Run(bad, func(t *testing.T) {
			dir := t.TempDir()
			_, errOut, code := cli(t, "export", sample, filepath.Join(dir, bad))
			assert.Equal(t, 2, code, errOut)
			assert.Contains(t, errOut, filepath.Join(dir, bad)+": a picture pattern needs exactly one %d")
			assert.Empty(t, leftovers(t, dir))
		})
	}
	for _, c := range []struct{ out, first string }{
		{"pp/%05d.png", "pp/00000.png"},
		{"pp/100%%-%d.jpg", "pp/100%-0.jpg"},
		{"pp/%-3d.png", "pp/0  .png"},
		{"100%dir/", "100%dir/00000.png"}, // a directory's % is its own
		{"50%/%d.png", "50%/0.png"},
	} {
		t.Run(c.out, func(t *testing.T) {
			dir := t.TempDir()
			_, errOut, code := cli(t, "export", "--frames", "0:2", sample, dir+"/"+c.out) // a trailing / kept
			require.Equal(t, 0, code, errOut)
			_, err := os.Stat(filepath.Join(dir, c.first))
			assert.NoError(t, err)
		})
	}
}

// TestExportRangeFromLivePipe: a range of a stdin that stays open is
// exported once its last frame has come; before, the export read stdin to
// its end into a temporary file, and never ended on a live pipe.
func TestExportRangeFromLivePipe(t *testing.T) {
	data, err := os.ReadFile(sample)
	require.NoError(t, err)
	dir := t.TempDir()
	cmd := exec.Command(bin, "export", "--frames", "0:10", "-", filepath.Join(dir, "live.avi"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	w, err := cmd.StdinPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	defer w.Close()  // the pipe stays open until the test ends
	go w.Write(data) // every frame; fails once the command has gone
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err = <-exited:
	case <-time.After(time.Minute): // a guard against a hang, not a timing
		cmd.Process.Kill()
		<-exited
		t.Fatalf("export waited for the end of stdin; stderr: %s", stderr.String())
	}
	require.NoError(t, err, "stderr: %s", stderr.String())
	_, errOut, code := cli(t, "export", "--frames", "0:10", sample, filepath.Join(dir, "file.avi"))
	require.Equal(t, 0, code, errOut)
	live, err := os.ReadFile(filepath.Join(dir, "live.avi"))
	require.NoError(t, err)
	file, err := os.ReadFile(filepath.Join(dir, "file.avi"))
	require.NoError(t, err)
	assert.True(t, bytes.Equal(file, live), "the same AVI as from the file")
}

// TestSpoolBound: the temporary copy of a pipe holds at most its limit:
// past it, errSpoolFull, and no temporary file is left; a range's copy
// stops at its last frame, within the limit.
func TestSpoolBound(t *testing.T) {
	data, err := os.ReadFile(sample)
	require.NoError(t, err)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	_, err = spool(context.Background(), "-", bytes.NewReader(data), export.Range{}, io.Discard, int64(len(data))-1)
	require.ErrorIs(t, err, errSpoolFull)
	assert.Contains(t, err.Error(), "give --fps")
	assert.Empty(t, leftovers(t, tmp))

	name, err := spool(context.Background(), "-", bytes.NewReader(data), export.Range{}, io.Discard, int64(len(data)))
	require.NoError(t, err)
	b, err := os.ReadFile(name)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(data, b), "the whole recording, as it was")
	os.Remove(name)

	sel, err := parseRange("0:10", "")
	require.NoError(t, err)
	name, err = spool(context.Background(), "-", bytes.NewReader(data), sel, io.Discard, int64(len(data))/4)
	require.NoError(t, err)
	defer os.Remove(name)
	f, err := os.Open(name)
	require.NoError(t, err)
	defer f.Close()
	x, err := container.ReadIndex(f)
	require.NoError(t, err)
	assert.Len(t, x.Entries, 10, "the copy stops at the range's last frame")
}

// TestExportSaysWhatItWrote: export says what it wrote, as convert does: a
// line on stderr (none with --quiet), and with --json a JSON object on
// stdout. Before, export said nothing.
func TestExportSaysWhatItWrote(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "x.avi")
	stdout, errOut, code := cli(t, "export", sample, out)
	require.Equal(t, 0, code, errOut)
	assert.Empty(t, stdout)
	assert.Equal(t, "imgstream: wrote 90 frames to "+out+" (MJPEG AVI at 15/1 fps)\n", errOut)

	type wroteJSON struct {
		File, Format, Version, Rate string
		Frames, Dropped, Shortened  int
	}
	for _, c := range []struct {
		args []string
		want wroteJSON
	}{
		{[]string{"export", "--json", "--frames", "10:20", sample, out}, wroteJSON{File: out, Format: "avi", Rate: "15/1", Frames: 10}},
		{[]string{"export", "--json", "--fps", "10", sample, out}, wroteJSON{File: out, Format: "avi", Rate: "10/1", Frames: 90, Dropped: 30}},
		{[]string{"export", "--json", "-q", "--frames", ":5", sample, filepath.Join(dir, "x.gif")}, wroteJSON{File: filepath.Join(dir, "x.gif"), Format: "gif", Frames: 5}},
		{[]string{"export", "--json", "--frames", ":3", sample, filepath.Join(dir, "p") + "/"}, wroteJSON{File: filepath.Join(dir, "p") + "/", Format: "pictures", Frames: 3}},
		{[]string{"convert", "--json", "--version", "2.1", sample, filepath.Join(dir, "x.omv")}, wroteJSON{File: filepath.Join(dir, "x.omv"), Format: "omv", Version: "V2.1", Frames: 90}},
	} {
		stdout, errOut, code := cli(t, c.args...)
		require.Equal(t, 0, code, errOut)
		var got wroteJSON
		require.NoError(t, json.Unmarshal([]byte(stdout), &got), stdout)
		assert.Equal(t, c.want, got, "%v", c.args)
		if slices.Contains(c.args, "-q") {
			assert.Empty(t, errOut)
		} else {
			assert.Contains(t, errOut, fmt.Sprintf("imgstream: wrote %d frames to %s (", c.want.Frames, c.want.File))
		}
	}
}

// TestRenamedFlags: one name per meaning (issue 18): info's --frames is
// --list (--frames is a range in export and convert), convert's --jpeg is
// --quality (as in export). The old names still work, hidden from --help,
// for this release.
func TestRenamedFlags(t *testing.T) {
	listed, errOut, code := cli(t, "info", "--list", sample)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, listed, "frame  offset  elapsed")
	old, errOut, code := cli(t, "info", "--frames", sample)
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, listed, old)
	plain, _, _ := cli(t, "info", sample)
	assert.NotEqual(t, plain, listed)

	dir := t.TempDir()
	raw := testkit.GoldenPath("v20_mixed.omv")
	_, errOut, code = cli(t, "convert", "-q", "--quality", "70", raw, filepath.Join(dir, "new.omv"))
	require.Equal(t, 0, code, errOut)
	_, errOut, code = cli(t, "convert", "-q", "--jpeg", "70", raw, filepath.Join(dir, "old.omv"))
	require.Equal(t, 0, code, errOut)
	a, err := os.ReadFile(filepath.Join(dir, "new.omv"))
	require.NoError(t, err)
	b, err := os.ReadFile(filepath.Join(dir, "old.omv"))
	require.NoError(t, err)
	assert.True(t, bytes.Equal(a, b), "--jpeg is --quality")

	for _, c := range []struct{ cmd, now, was string }{{"info", "--list", "--frames"}, {"convert", "--quality", "--jpeg"}} {
		help, _, code := cli(t, c.cmd, "--help")
		require.Equal(t, 0, code)
		assert.Contains(t, help, c.now)
		assert.Contains(t, help, c.now+" was "+c.was+" before this release")
		for _, line := range strings.Split(help, "\n") {
			assert.False(t, strings.HasPrefix(strings.TrimSpace(line), c.was), "%s --help lists %s: %q", c.cmd, c.was, line)
		}
	}
}
