//go:build e2e

package rtsp_test

import (
	"bufio"
	"bytes"
	"context"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/mjpeg"
)

var (
	cliOnce sync.Once
	cliBin  string
	cliErr  error
)

// cli builds the imgstream command (from this workspace) once, and
// returns its path.
func cli(t *testing.T) string {
	t.Helper()
	cliOnce.Do(func() {
		dir, err := os.MkdirTemp("", "imgstream-rtsp-e2e")
		if err != nil {
			cliErr = err
			return
		}
		cliBin = filepath.Join(dir, "imgstream")
		out, err := exec.Command("go", "build", "-o", cliBin, "github.com/imgstream/imgstream/cmd/imgstream").CombinedOutput()
		if err != nil {
			cliErr = &buildError{err, string(out)}
		}
	})
	require.NoError(t, cliErr)
	return cliBin
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return e.err.Error() + ": " + e.out }

// TestE2ECLIRecordRTSP: imgstream record rtsp://... records an MJPEG and
// an H.264 camera (ffmpeg publishing testsrc at 15 fps): every frame
// decodes, and the recording keeps the camera's 1/15 s, from the RTP
// clock.
func TestE2ECLIRecordRTSP(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
	}{{"mjpeg", mjpegArgs}, {"h264", h264Args}} {
		t.Run(tc.name, func(t *testing.T) {
			bin := cli(t)
			cs := startServer(t, "")
			cs.publish(0, tc.args...)
			cs.waitAnnounced()
			frames := recordCLI(t, bin, cs.url(""), "--count", "30", "--v21")
			assert.Len(t, frames, 30)
			for n, h := range frames[1:] {
				assert.InDelta(t, float64(time.Second/15), float64(h.Elapsed), float64(time.Millisecond), "interval before frame %d", n+1)
			}
		})
	}
}

// TestE2ECLIServeRTSP: imgstream serve rtsp://... shows an H.264 camera
// live in the browser's stream, with no recording.
func TestE2ECLIServeRTSP(t *testing.T) {
	bin := cli(t)
	cs := startServer(t, "")
	cs.publish(0, h264Args...)
	cs.waitAnnounced()
	srv := exec.Command(bin, "serve", "--listen", "127.0.0.1:0", cs.url(""))
	stdout, err := srv.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, srv.Start())
	t.Cleanup(func() { srv.Process.Signal(os.Interrupt); srv.Wait() })
	addr := ""
	sc := bufio.NewScanner(stdout)
	for addr == "" && sc.Scan() {
		t.Log(sc.Text())
		addr = regexp.MustCompile(`127\.0\.0\.1:\d+`).FindString(sc.Text())
	}
	require.NotEmpty(t, addr)
	go func() {
		for sc.Scan() {
		}
	}()
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

// TestE2ECLIExecFFmpegRTSP: the README's recipe for any camera ffmpeg
// reads, exec:ffmpeg -i rtsp://... -f mjpeg -q:v 5 -, records an H.264
// camera through ffmpeg's own RTSP client.
func TestE2ECLIExecFFmpegRTSP(t *testing.T) {
	bin := cli(t)
	cs := startServer(t, "")
	cs.publish(0, h264Args...)
	cs.waitAnnounced()
	frames := recordCLI(t, bin, "exec:ffmpeg -loglevel error -rtsp_transport tcp -i "+cs.url("")+" -f mjpeg -q:v 5 -", "--count", "20")
	assert.Len(t, frames, 20)
}

// recordCLI runs imgstream record SRC OUT ARGS... into a new file, checks
// that every frame it recorded is a 320-pixel-wide JPEG, and returns the
// frames' headers.
func recordCLI(t *testing.T, bin, src string, args ...string) []container.Header {
	t.Helper()
	out := filepath.Join(t.TempDir(), "cam.omv")
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"record", src, out}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Run(), stderr.String())
	f, err := os.Open(out)
	require.NoError(t, err)
	defer f.Close()
	zr, err := container.NewReader(f)
	require.NoError(t, err)
	var frames []container.Header
	for {
		h, data, err := zr.ReadFrame(nil)
		if err != nil {
			return frames
		}
		img, err := jpeg.Decode(bytes.NewReader(data))
		require.NoError(t, err, "frame %d", len(frames))
		assert.Equal(t, 320, img.Bounds().Dx(), "frame %d", len(frames))
		assert.Equal(t, container.JPEG, h.Format, "frame %d", len(frames))
		frames = append(frames, *h)
	}
}
