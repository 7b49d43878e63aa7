package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/gif"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/export"
	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/internal/testkit"
)

// bin is the imgstream binary the tests run, built once by TestMain.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "imgstream-cli")
	if err != nil {
		panic(err)
	}
	bin = filepath.Join(dir, "imgstream")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// cli runs the binary and returns its stdout, stderr and exit code.
func cli(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return o.String(), e.String(), code
}

// TestGoldenInfoAndFrames: info --json and frames --json give the answers
// of the golden manifest for every file, and the exit codes say which are
// damaged.
func TestGoldenInfoAndFrames(t *testing.T) {
	for _, g := range testkit.Golden(t) {
		t.Run(g.Name, func(t *testing.T) {
			path := testkit.GoldenPath(g.Name)
			out, errOut, code := cli(t, "info", "--json", path)
			frames := g.Frames
			if g.StrictOnly {
				frames = g.Lenient.Frames
			}
			if g.ErrorFrame == nil && !g.Valid {
				assert.Equal(t, notRecordingCode(g.Error), code, "%s: %s", g.Error, errOut)
				assert.Equal(t, 1, strings.Count(errOut, "\n"), "one line: %q", errOut)
				return
			}
			var s export.Summary
			require.NoError(t, json.Unmarshal([]byte(out), &s), out)
			assert.Equal(t, len(frames), s.Count)
			if g.Valid || g.StrictOnly {
				assert.Equal(t, 0, code, errOut)
				assert.Nil(t, s.Damage)
			} else {
				assert.Equal(t, 1, code)
				require.NotNil(t, s.Damage)
				assert.Equal(t, *g.ErrorFrame, s.Damage.Frame)
				assert.Equal(t, g.ErrorOffset, s.Damage.Offset)
				assert.Contains(t, errOut, fmt.Sprintf("frame %d, offset %d", *g.ErrorFrame, g.ErrorOffset))
			}

			out, _, _ = cli(t, "frames", "--json", path)
			sc := bufio.NewScanner(strings.NewReader(out))
			n := 0
			for sc.Scan() {
				var f frameInfo
				require.NoError(t, json.Unmarshal(sc.Bytes(), &f))
				require.Less(t, n, len(frames))
				w := frames[n]
				assert.Equal(t, frameInfo{Index: w.Index, Offset: w.Offset, Elapsed: w.Elapsed, W: w.W, H: w.H, PixFmt: w.PixFmt, Size: w.Size, SHA256: w.SHA256},
					frameInfo{Index: f.Index, Offset: f.Offset, Elapsed: f.Elapsed, W: f.W, H: f.H, PixFmt: f.PixFmt, Size: f.Size, SHA256: f.SHA256}, "frame %d", n)
				n++
			}
			assert.Equal(t, len(frames), n)
		})
	}
}

// TestVerify: verify gives 0 for the valid golden files and 1 for every
// invalid one, naming the frame the manifest names.
func TestVerify(t *testing.T) {
	for _, g := range testkit.Golden(t) {
		t.Run(g.Name, func(t *testing.T) {
			out, errOut, code := cli(t, "verify", testkit.GoldenPath(g.Name))
			if g.Valid {
				assert.Equal(t, 0, code, errOut)
				assert.Contains(t, out, "ok,")
				return
			}
			want := 1
			if g.ErrorFrame == nil {
				want = notRecordingCode(g.Error)
			}
			assert.Equal(t, want, code, "%s%s", out, errOut)
			assert.Equal(t, 1, strings.Count(errOut, "\n"), "one line: %q", errOut)
			if g.ErrorFrame != nil {
				assert.Contains(t, errOut, fmt.Sprintf("frame %d at offset %d", *g.ErrorFrame, g.ErrorOffset))
			}
		})
	}
}

// notRecordingCode is the exit code for a golden file that fails before its
// first frame, by the manifest's error: a recording cut off inside its
// first 16 bytes is damaged (1); another kind of file, or a version this
// program does not know, is not a recording (3).
func notRecordingCode(manifestError string) int {
	if manifestError == "truncated_header" {
		return 1
	}
	return 3
}

func TestExitCodes(t *testing.T) {
	_, errOut, code := cli(t, "info", "--no-such-flag", sample)
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "Run 'imgstream info --help' for usage.")
	_, _, code = cli(t, "no-such-command")
	assert.Equal(t, 2, code)
	_, _, code = cli(t, "export", sample)
	assert.Equal(t, 2, code, "missing argument")
	_, _, code = cli(t, "export", sample, "out.xyz")
	assert.Equal(t, 2, code, "unknown output kind")
	_, errOut, code = cli(t, "info", filepath.Join(t.TempDir(), "missing.omv"))
	assert.Equal(t, 3, code)
	assert.Contains(t, errOut, "missing.omv")
	out, _, code := cli(t, "--version")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "imgstream version")
	out, _, _ = cli(t, "--help")
	for _, c := range []string{"info", "frames", "verify", "repair", "export", "convert", "serve", "shm", "Exit codes"} {
		assert.Contains(t, out, c)
	}
}

func TestRepairDryRun(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cut.omv")
	data, err := os.ReadFile(testkit.GoldenPath("truncated_payload.omv"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, data, 0o644))
	out, _, code := cli(t, "repair", "--dry-run", path)
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "would keep 1 frames (3248 bytes), dropping 1032 bytes")
	after, _ := os.ReadFile(path)
	assert.Equal(t, data, after, "a dry run changes nothing")
	out, _, _ = cli(t, "repair", path)
	assert.Contains(t, out, "kept 1 frames (3248 bytes), dropping 1032 bytes")
	out, _, _ = cli(t, "repair", path)
	assert.Contains(t, out, "1 frames, nothing to repair")
	_, _, code = cli(t, "verify", path)
	assert.Equal(t, 0, code)
}

// recordingFrames reads every frame of path, with its time since the first.
func recordingFrames(t *testing.T, path string) ([]*imageio.Image, []time.Duration) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	zr, err := container.NewReader(f)
	require.NoError(t, err)
	var imgs []*imageio.Image
	var times []time.Duration
	var at time.Duration
	for i := 0; ; i++ {
		h, data, err := zr.ReadFrame(nil)
		if err != nil {
			break
		}
		if i > 0 {
			at += h.Elapsed
		}
		imgs = append(imgs, &imageio.Image{Width: h.Width, Height: h.Height, Format: h.Format, Data: data})
		times = append(times, at)
	}
	return imgs, times
}

// TestExportGIF: the GIF decodes with image/gif, a frame for each frame,
// and its delays add up to the recording's duration within 10 ms.
func TestExportGIF(t *testing.T) {
	for _, palette := range []string{"global", "frame"} {
		t.Run(palette, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "x.gif")
			_, errOut, code := cli(t, "export", "--palette", palette, sample, out)
			require.Equal(t, 0, code, errOut)
			f, err := os.Open(out)
			require.NoError(t, err)
			defer f.Close()
			g, err := gif.DecodeAll(f)
			require.NoError(t, err)
			_, times := recordingFrames(t, sample)
			require.Len(t, g.Image, len(times))
			total := 0
			for i, d := range g.Delay[:len(g.Delay)-1] {
				total += d
				// Each frame starts within 5 ms of its recorded time.
				assert.InDelta(t, times[i+1].Seconds(), float64(total)/100, 0.0051, "frame %d", i+1)
			}
			last := times[len(times)-1]
			assert.InDelta(t, last.Seconds(), float64(total)/100, 0.010, "the total duration within 10 ms")
			assert.Equal(t, 0, g.LoopCount, "loops for ever")
			if palette == "global" {
				for _, m := range g.Image {
					assert.Equal(t, g.Image[0].Palette, m.Palette, "one palette")
				}
			}
		})
	}
}

// TestExportPictures: exported PNG frames equal imageio's Decode pixel for
// pixel, named by their frame index.
func TestExportPictures(t *testing.T) {
	for _, name := range []string{"v20_mixed.omv", "v10_rgb565.omv"} {
		path := testkit.GoldenPath(name)
		if _, err := os.Stat(path); err != nil {
			continue
		}
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			_, errOut, code := cli(t, "export", path, filepath.Join(dir, "f%03d.png"))
			require.Equal(t, 0, code, errOut)
			imgs, _ := recordingFrames(t, path)
			for i, m := range imgs {
				want, err := m.Decode()
				require.NoError(t, err)
				f, err := os.Open(filepath.Join(dir, fmt.Sprintf("f%03d.png", i)))
				require.NoError(t, err)
				got, err := png.Decode(f)
				f.Close()
				require.NoError(t, err)
				require.Equal(t, want.Bounds(), got.Bounds())
				for y := range want.Bounds().Dy() {
					for x := range want.Bounds().Dx() {
						r1, g1, b1, a1 := want.At(x, y).RGBA()
						r2, g2, b2, a2 := got.At(x, y).RGBA()
						require.Equal(t, [4]uint32{r1, g1, b1, a1}, [4]uint32{r2, g2, b2, a2}, "frame %d at %d,%d", i, x, y)
					}
				}
			}
		})
	}
}

// TestExportAVI: JPEG frames pass through untouched: each is in the file.
func TestExportAVI(t *testing.T) {
	out := filepath.Join(t.TempDir(), "x.avi")
	_, errOut, code := cli(t, "export", sample, out)
	require.Equal(t, 0, code, errOut)
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, "RIFF", string(data[:4]))
	assert.Equal(t, "AVI ", string(data[8:12]))
	imgs, _ := recordingFrames(t, sample)
	for i, m := range imgs {
		assert.True(t, bytes.Contains(data, m.Data), "frame %d stored as it was recorded", i)
	}
	// A raw recording is encoded.
	out2 := filepath.Join(t.TempDir(), "y.avi")
	_, errOut, code = cli(t, "export", "--workers", "2", testkit.GoldenPath("v20_mixed.omv"), out2)
	require.Equal(t, 0, code, errOut)
}

// TestExportNeedsFFmpeg: without ffmpeg on PATH, MP4 export says so.
func TestExportNeedsFFmpeg(t *testing.T) {
	cmd := exec.Command(bin, "export", sample, filepath.Join(t.TempDir(), "x.mp4"))
	cmd.Env = []string{"PATH=" + t.TempDir()}
	out, err := cmd.CombinedOutput()
	require.Error(t, err)
	assert.Contains(t, string(out), "needs ffmpeg, which is not installed")
	assert.Equal(t, 3, cmd.ProcessState.ExitCode())
}

// TestConvert: every conversion passes the strict reader, with the frames
// and timing asked for.
func TestConvert(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args   []string
		frames int
		first  time.Duration // the second frame's time
	}{
		{[]string{"--version", "2.1"}, 90, 66 * time.Millisecond},
		{[]string{"--version", "1.1"}, 90, 66 * time.Millisecond},
		{[]string{"--frames", "10:20"}, 10, 0},
		{[]string{"--time", "1s:2s", "--fps", "10"}, 15, 100 * time.Millisecond},
		{[]string{"--speed", "2"}, 90, 33 * time.Millisecond},
		{[]string{"--scale", "0.5"}, 90, 66 * time.Millisecond},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			out := filepath.Join(dir, strings.ReplaceAll(strings.Join(c.args, "_"), "/", "")+".omv")
			_, errOut, code := cli(t, append(append([]string{"convert"}, c.args...), sample, out)...)
			require.Equal(t, 0, code, errOut)
			_, errOut, code = cli(t, "verify", out)
			require.Equal(t, 0, code, "strict reader: %s", errOut)
			imgs, times := recordingFrames(t, out)
			require.Len(t, imgs, c.frames)
			if c.first > 0 {
				assert.InDelta(t, c.first.Seconds(), times[1].Seconds(), 0.0021)
			}
		})
	}
	// Raw frames to JPEG, for old firmware.
	out := filepath.Join(dir, "jpeg.omv")
	_, errOut, code := cli(t, "convert", "--version", "1.1", "--jpeg", "80", testkit.GoldenPath("v20_mixed.omv"), out)
	require.Equal(t, 0, code, errOut)
	imgs, _ := recordingFrames(t, out)
	for _, m := range imgs {
		assert.Contains(t, []container.PixFormat{container.JPEG}, m.Format)
		_, _, err := image.Decode(bytes.NewReader(m.Data))
		assert.NoError(t, err)
	}
	_, errOut, code = cli(t, "convert", "--version", "1.1", testkit.GoldenPath("v20_mixed.omv"), out)
	assert.Equal(t, 3, code)
	assert.Contains(t, errOut, "cannot be stored in a V1.x stream")
}

// TestConvertRetimeNoDrift: --speed and --fps retime to the version's
// unit without the rounding adding up: each frame lands within half a
// unit of its retimed time. Before, 67 ms at --speed 2 became 34 ms every
// time, and the sample's 5.933 s came out 2.996 s, not 2.967 s.
func TestConvertRetimeNoDrift(t *testing.T) {
	_, times := recordingFrames(t, sample)
	for _, tc := range []struct {
		flag, value string
		want        func(i int) time.Duration
	}{
		{"--speed", "2", func(i int) time.Duration { return times[i] / 2 }},
		{"--speed", "3", func(i int) time.Duration { return times[i] / 3 }},
		{"--fps", "30000/1001", func(i int) time.Duration { return time.Duration(i) * 1001 * time.Second / 30000 }},
	} {
		out := filepath.Join(t.TempDir(), "x.omv")
		_, errOut, code := cli(t, "convert", tc.flag, tc.value, sample, out)
		require.Equal(t, 0, code, errOut)
		_, got := recordingFrames(t, out)
		require.Len(t, got, len(times))
		for i := range got {
			d := got[i] - tc.want(i)
			assert.LessOrEqual(t, d.Abs(), time.Millisecond/2, "%s %s: frame %d at %v, want %v", tc.flag, tc.value, i, got[i], tc.want(i))
		}
	}
}

// TestRepairNotAFile: repair of a directory or a FIFO says what it is and
// that it is no recording, at once (a FIFO's open does not wait for a
// writer), with the exit code of a file that is not a recording.
func TestRepairNotAFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	for path, what := range map[string]string{dir: "a directory", fifo: "a FIFO"} {
		for _, args := range [][]string{{"repair", path}, {"repair", "--dry-run", path}} {
			_, errOut, code := cli(t, args...)
			assert.Equal(t, 3, code, "%v: %s", args, errOut)
			assert.Contains(t, errOut, what, "%v", args)
			assert.Contains(t, errOut, "repair cuts files", "%v", args)
		}
	}
}
