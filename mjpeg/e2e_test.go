//go:build e2e

// End-to-end checks with the clients people use: ffmpeg, OpenCV and
// headless Chromium from Debian's packages (make e2e; .ci/run installs
// them). They run against a real server on 127.0.0.1.

package mjpeg_test

import (
	"context"
	"fmt"
	"image/color"
	"image/png"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/internal/testkit"
	"github.com/imgstream/imgstream/mjpeg"
)

// camera is a Source of 640x480 frames at 30 fps, cycling through a few.
func camera(t *testing.T) mjpeg.Source {
	var frames [][]byte
	for i := range 8 {
		frames = append(frames, testkit.SolidJPEG(640, 480, color.RGBA{byte(i * 30), 100, byte(255 - i*30), 255}))
	}
	return mjpeg.SourceFunc(func(ctx context.Context, publish func([]byte)) error {
		tick := time.NewTicker(time.Second / 30)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-ctx.Done():
				return nil
			case <-tick.C:
				publish(frames[i%len(frames)])
			}
		}
	})
}

// serveE2E serves h on 127.0.0.1 with the package's own Serve.
func serveE2E(t *testing.T, h http.Handler, s *mjpeg.Server) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mjpeg.Serve(ctx, l, h, s) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return "http://" + l.Addr().String()
}

func runTool(t *testing.T, timeout time.Duration, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	require.NoError(t, err, "%s: %s", name, out)
	return string(out)
}

func TestE2EFFmpeg(t *testing.T) {
	s := &mjpeg.Server{Source: camera(t)}
	url := serveE2E(t, s.Handler(), s) + "/stream.mjpg"
	// framemd5 prints one line per decoded frame.
	out := runTool(t, time.Minute, "ffmpeg", "-hide_banner", "-nostats", "-loglevel", "error",
		"-i", url, "-frames:v", "90", "-f", "framemd5", "-")
	n := 0
	for _, line := range strings.Split(out, "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			n++
		}
	}
	assert.Equal(t, 90, n, "ffmpeg decoded frames:\n%s", out)
}

func TestE2EOpenCV(t *testing.T) {
	s := &mjpeg.Server{Source: camera(t)}
	url := serveE2E(t, s.Handler(), s) + "/stream.mjpg"
	script := `
import sys, cv2
cap = cv2.VideoCapture(sys.argv[1])
n = 0
shape = None
while n < 60:
    ok, frame = cap.read()
    if not ok:
        break
    shape = frame.shape
    n += 1
print(n, shape)
`
	// Debian's python3-opencv is for the system Python.
	out := runTool(t, time.Minute, "/usr/bin/python3", "-c", script, url)
	assert.Contains(t, out, "60 (480, 640, 3)", "OpenCV read:\n%s", out)
}

// TestE2EChromium: a stream publishes frames 0 (red), 1 (green), 2 (blue)
// and goes quiet; the browser must show frame 2, the newest. The page's
// load event, which the screenshot waits for, is held by a script that
// arrives only after frame 2 has been sent.
func TestE2EChromium(t *testing.T) {
	var s mjpeg.Server
	sent := make(chan struct{})
	colors := []color.RGBA{{255, 0, 0, 255}, {0, 255, 0, 255}, {0, 0, 255, 255}}
	mux := http.NewServeMux()
	mux.Handle("/stream.mjpg", &s)
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<!DOCTYPE html><html><body style="margin:0;background:#fff">`+
			`<img src="stream.mjpg" style="display:block;width:320px;height:240px">`+
			`<script src="hold.js"></script></body></html>`)
	})
	mux.HandleFunc("/hold.js", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-sent:
		case <-time.After(30 * time.Second):
		}
		time.Sleep(time.Second) // quiet after frame 2
		w.Header().Set("Content-Type", "text/javascript")
		fmt.Fprint(w, "// loaded")
	})
	base := serveE2E(t, mux, &s)
	go func() {
		defer close(sent)
		for s.Stats().Viewers == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		for _, c := range colors {
			s.Publish(testkit.SolidJPEG(320, 240, c))
			time.Sleep(200 * time.Millisecond)
		}
	}()
	shot := filepath.Join(t.TempDir(), "shot.png")
	runTool(t, time.Minute, "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+t.TempDir(), "--window-size=320,240", "--hide-scrollbars",
		"--screenshot="+shot, base+"/")
	f, err := os.Open(shot)
	require.NoError(t, err)
	defer f.Close()
	m, err := png.Decode(f)
	require.NoError(t, err)
	r, g, b, _ := m.At(160, 120).RGBA()
	got := [3]uint32{r >> 8, g >> 8, b >> 8}
	assert.True(t, got[2] > 200 && got[0] < 60 && got[1] < 60, "the screenshot shows %v, not frame 2 (blue)", got)
}
