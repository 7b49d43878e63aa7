//go:build e2e

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/avi"
	"github.com/imgstream/imgstream/export"
)

// need returns the path of a program the end-to-end checks use, failing in
// CI (which installs it) and skipping elsewhere when it is missing.
func need(t *testing.T, name string) string {
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is needed: %v", name, err)
		}
		t.Skipf("%s is not installed", name)
	}
	return p
}

type probe struct {
	Streams []struct {
		NbFrames     string `json:"nb_frames"`
		NbReadFrames string `json:"nb_read_frames"`
		AvgFrameRate string `json:"avg_frame_rate"`
		Duration     string `json:"duration"`
	} `json:"streams"`
}

func ffprobe(t *testing.T, path string) (slots, decoded int, rate string, duration float64) {
	t.Helper()
	out, err := exec.Command(need(t, "ffprobe"), "-v", "error", "-count_frames", "-show_entries",
		"stream=nb_frames,nb_read_frames,avg_frame_rate,duration", "-of", "json", path).Output()
	require.NoError(t, err)
	var p probe
	require.NoError(t, json.Unmarshal(out, &p), "%s", out)
	require.Len(t, p.Streams, 1)
	s := p.Streams[0]
	slots, _ = strconv.Atoi(s.NbFrames)
	decoded, _ = strconv.Atoi(s.NbReadFrames)
	duration, _ = strconv.ParseFloat(s.Duration, 64)
	return slots, decoded, s.AvgFrameRate, duration
}

// TestE2EFFprobeAVI: ffprobe reads our AVI whole: the index's frames (the
// grid's slots), every stored frame decoded, the exact fractional rate, and
// a duration within one frame of the recording's.
func TestE2EFFprobeAVI(t *testing.T) {
	imgs, times := recordingFrames(t, sample)
	for _, fps := range []string{"30000/1001", "12.5", ""} {
		t.Run("fps="+fps, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "x.avi")
			args := []string{"export", sample, out}
			if fps != "" {
				args = append(args, "--fps", fps)
			}
			_, errOut, code := cli(t, args...)
			require.Equal(t, 0, code, errOut)
			rate, _ := recordingRate(sample)
			if fps != "" {
				rate, _ = avi.ParseRate(fps)
			}
			last := times[len(times)-1]
			wantSlots := int(rate.Slot(last)) + 1
			slots, decoded, r, d := ffprobe(t, out)
			assert.Equal(t, wantSlots, slots, "nb_frames: the grid's slots")
			want := len(imgs)
			if rate.Float() < 15 {
				want = wantSlots // frames faster than the grid are left out
			}
			assert.Equal(t, want, decoded, "nb_read_frames: every frame kept, decoded")
			assert.Equal(t, rate.String(), r, "avg_frame_rate, exact")
			period := rate.Period().Seconds()
			assert.InDelta(t, last.Seconds()+period, d, period, "duration within a frame of the recording's")
		})
	}
}

// TestE2EOpenDML: a file of many RIFF segments reads whole in ffprobe.
func TestE2EOpenDML(t *testing.T) {
	out := filepath.Join(t.TempDir(), "x.avi")
	_, errOut, code := cli(t, "export", "--segment-size", fmt.Sprint(avi.MinSegmentSize), sample, out)
	require.Equal(t, 0, code, errOut)
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, strings.Count(string(data), "AVIX"), 4, "several segments")
	imgs, _ := recordingFrames(t, sample)
	slots, decoded, _, _ := ffprobe(t, out)
	assert.Equal(t, len(imgs), decoded)
	assert.GreaterOrEqual(t, slots, len(imgs))
}

// TestE2EOpenCV: OpenCV's VideoCapture reads every frame of our AVI.
func TestE2EOpenCV(t *testing.T) {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import cv2").Run(); err != nil {
		need(t, "no-python3-opencv")
	}
	out := filepath.Join(t.TempDir(), "x.avi")
	_, errOut, code := cli(t, "export", sample, out)
	require.Equal(t, 0, code, errOut)
	script := `import cv2, sys
c = cv2.VideoCapture(sys.argv[1])
n = 0
while True:
    ok, f = c.read()
    if not ok: break
    n += 1
    shape = f.shape
print(n, shape)`
	got, err := exec.Command(py, "-c", script, out).CombinedOutput()
	require.NoError(t, err, "%s", got)
	imgs, _ := recordingFrames(t, sample)
	assert.Equal(t, fmt.Sprintf("%d (240, 320, 3)", len(imgs)), strings.TrimSpace(string(got)))
}

// TestE2EVLC: VLC plays our AVI to its end, as the unprivileged user it
// insists on, using our index.
func TestE2EVLC(t *testing.T) {
	cvlc := need(t, "cvlc")
	// The test's temporary directories are the test user's only: VLC,
	// as nobody, gets one it may read.
	dir, err := os.MkdirTemp("", "imgstream-vlc")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	require.NoError(t, os.Chmod(dir, 0o755))
	out := filepath.Join(dir, "x.avi")
	_, errOut, code := cli(t, "export", sample, out)
	require.Equal(t, 0, code, errOut)
	require.NoError(t, os.Chmod(out, 0o644))
	args := []string{"--intf", "dummy", "--vout", "dummy", "--aout", "dummy", "--play-and-exit", "-vv", out}
	var cmd *exec.Cmd
	if os.Geteuid() == 0 {
		cmd = exec.Command("runuser", append([]string{"-u", "nobody", "--", cvlc}, args...)...)
	} else {
		cmd = exec.Command(cvlc, args...)
	}
	cmd.Env = append(os.Environ(), "HOME="+dir)
	start := time.Now()
	log, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", log)
	t.Logf("played in %v", time.Since(start))
	imgs, _ := recordingFrames(t, sample)
	// VLC exits 0 even when it cannot open a file: its log says what it
	// did.
	for _, want := range []string{fmt.Sprintf("created %d index entries", len(imgs)), "Received first picture"} {
		assert.True(t, strings.Contains(string(log), want), "VLC's log says %q", want)
	}
	for _, bad := range []string{"avi demux error", "Your input can't be opened"} {
		assert.False(t, strings.Contains(string(log), bad), "VLC's log says %q", bad)
	}
}

// recordingRate is the default AVI rate for the whole recording at path
// and its frame count.
func recordingRate(path string) (avi.Rate, int) {
	f, err := os.Open(path)
	if err != nil {
		return avi.Rate{}, 0
	}
	defer f.Close()
	rec, err := export.Open(f)
	if err != nil {
		return avi.Rate{}, 0
	}
	return export.VideoRate(rec, export.Options{}), rec.Len()
}
