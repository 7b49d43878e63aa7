//go:build e2e

package main

import (
	"bytes"
	"context"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/internal/testkit"
	"github.com/imgstream/imgstream/mjpeg"
)

// needTool skips the test without the program, or fails it in CI, which
// installs it.
func needTool(t *testing.T, name string, args ...string) {
	t.Helper()
	if err := exec.Command(name, args...).Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is needed: %v", name, err)
		}
		t.Skipf("no %s: %v", name, err)
	}
}

// seed is the camera program of the question our Python users asked:
// cv2.imencode's bytes written to stdout, back to back, 15 a second.
var seed = filepath.Join(testkit.Root, "python", "examples", "jpeg_stdout.py")

// checkRecorded checks that the recording at path holds n 320x240 JPEG
// frames that each decode, and returns the intervals between them.
func checkRecorded(t *testing.T, path string, n int) []time.Duration {
	t.Helper()
	got, times := recordingFrames(t, path)
	require.Len(t, got, n)
	var gaps []time.Duration
	for i, m := range got {
		require.Equal(t, container.JPEG, m.Format, "frame %d", i)
		img, err := jpeg.Decode(bytes.NewReader(m.Data))
		require.NoError(t, err, "frame %d", i)
		assert.Equal(t, [2]int{320, 240}, [2]int{img.Bounds().Dx(), img.Bounds().Dy()}, "frame %d", i)
		assert.Equal(t, [2]int{320, 240}, [2]int{m.Width, m.Height}, "frame %d's header", i)
		if i > 0 {
			gaps = append(gaps, times[i]-times[i-1])
		}
	}
	return gaps
}

// median is the median of d.
func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

// pipeInto runs `producer | imgstream ARGS` and returns imgstream's
// stderr.
func pipeInto(t *testing.T, producer *exec.Cmd, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	out, err := producer.StdoutPipe()
	require.NoError(t, err)
	producer.Stderr = os.Stderr
	cmd.Stdin = out
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, producer.Start())
	require.NoError(t, cmd.Run(), stderr.String())
	require.NoError(t, producer.Wait())
	return stderr.String()
}

// TestE2ESeedRecord: the seed program, unchanged, piped into record -
// records its 30 frames, timed by their arrival: the recording has the
// program's 1/15 s intervals (before: "not an OMV IMG STR stream").
func TestE2ESeedRecord(t *testing.T) {
	needTool(t, "/usr/bin/python3", "-c", "import cv2, numpy")
	out := filepath.Join(t.TempDir(), "seed.omv")
	pipeInto(t, exec.Command("/usr/bin/python3", seed, "30"), "record", "-", out, "--v21")
	gaps := checkRecorded(t, out, 30)
	assert.InDelta(t, float64(time.Second/15), float64(median(gaps)), float64(25*time.Millisecond), "the median interval: %v", gaps)
	info, err := exec.Command(bin, "info", out).CombinedOutput()
	require.NoError(t, err, "%s", info)
	assert.Contains(t, string(info), "30 frames")
}

// TestE2ESeedServe: the seed program piped into serve - shows its frames
// in the browser's stream, each a JPEG of the program's picture.
func TestE2ESeedServe(t *testing.T) {
	needTool(t, "/usr/bin/python3", "-c", "import cv2, numpy")
	producer := exec.Command("/usr/bin/python3", seed)
	out, err := producer.StdoutPipe()
	require.NoError(t, err)
	srv := exec.Command(bin, "serve", "--listen", "127.0.0.1:0", "-")
	srv.Stdin = out
	stdout, err := srv.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, producer.Start())
	require.NoError(t, srv.Start())
	t.Cleanup(func() { srv.Process.Kill(); srv.Wait(); producer.Process.Kill(); producer.Wait() })
	addr := testkit.Addr(t, stdout)
	r, err := mjpeg.Dial(t.Context(), "http://"+addr+"/stream.mjpg")
	require.NoError(t, err)
	defer r.Close()
	var seen [][]byte
	for len(seen) < 5 {
		f, err := r.NextFrame()
		require.NoError(t, err)
		if len(seen) > 0 && bytes.Equal(f, seen[len(seen)-1]) {
			continue // the newest again, repeated for browsers
		}
		img, err := jpeg.Decode(bytes.NewReader(f))
		require.NoError(t, err)
		require.Equal(t, 320, img.Bounds().Dx())
		// The program's blue, beside its white bar (16 wide): one of two
		// points 160 apart is off the bar.
		blue := 0
		for _, x := range []int{10, 170} {
			r, _, b, _ := img.At(x, 120).RGBA()
			if r>>8 < 60 && b>>8 > 160 {
				blue++
			}
		}
		assert.Positive(t, blue, "the program's picture")
		seen = append(seen, bytes.Clone(f))
	}
}

// TestE2EFFmpegPipes: ffmpeg's -f mjpeg and -f mpjpeg, piped into record
// -, each give every frame ffmpeg encoded.
func TestE2EFFmpegPipes(t *testing.T) {
	needTool(t, "ffmpeg", "-version")
	for _, format := range []string{"mjpeg", "mpjpeg"} {
		t.Run(format, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), format+".omv")
			ffmpeg := exec.Command("ffmpeg", "-v", "error", "-re", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=15", "-frames:v", "25", "-q:v", "5", "-f", format, "-")
			pipeInto(t, ffmpeg, "record", "-", out, "--v21")
			gaps := checkRecorded(t, out, 25)
			// -re: ffmpeg writes at the source's pace, and the arrival
			// times keep it.
			assert.InDelta(t, float64(time.Second/15), float64(median(gaps)), float64(25*time.Millisecond), "the median interval: %v", gaps)
		})
	}
}

// TestE2EExec: record exec:COMMAND runs ffmpeg, with no shell, reads its
// stdout and logs its stderr; --count ends it, and no ffmpeg is left.
func TestE2EExec(t *testing.T) {
	needTool(t, "ffmpeg", "-version")
	out := filepath.Join(t.TempDir(), "exec.omv")
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	tag := "imgstream-e2e-exec-" + strings.ReplaceAll(t.Name(), "/", "-")
	cmd := exec.CommandContext(ctx, bin, "record", "exec:ffmpeg -v info -re -f lavfi -i testsrc=size=320x240:rate=15 -metadata title="+tag+" -q:v 5 -f mjpeg -", out, "--count", "20")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Run(), stderr.String())
	checkRecorded(t, out, 20)
	assert.Contains(t, stderr.String(), "ffmpeg: ", "ffmpeg's stderr, prefixed")
	ps, _ := exec.Command("pgrep", "-f", tag).Output()
	assert.Empty(t, strings.TrimSpace(string(ps)), "an ffmpeg left running")
}

// TestE2EServeExec: serve exec:COMMAND shows the program's frames live,
// running it while somebody watches.
func TestE2EServeExec(t *testing.T) {
	needTool(t, "ffmpeg", "-version")
	srv := exec.Command(bin, "serve", "--listen", "127.0.0.1:0", "exec:ffmpeg -v error -re -f lavfi -i testsrc=size=320x240:rate=15 -q:v 5 -f mjpeg -")
	stdout, err := srv.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, srv.Start())
	t.Cleanup(func() { srv.Process.Signal(os.Interrupt); srv.Wait() })
	addr := testkit.Addr(t, stdout)
	r, err := mjpeg.Dial(t.Context(), "http://"+addr+"/stream.mjpg")
	require.NoError(t, err)
	defer r.Close()
	distinct := map[string]bool{}
	for len(distinct) < 5 {
		f, err := r.NextFrame()
		require.NoError(t, err)
		img, err := jpeg.Decode(bytes.NewReader(f))
		require.NoError(t, err)
		require.Equal(t, 320, img.Bounds().Dx())
		distinct[string(f)] = true
	}
}
