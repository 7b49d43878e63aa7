//go:build linux

package examples_test

import (
	"bufio"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// needOpenCV skips the test without Debian's python3-opencv (CI installs it).
func needOpenCV(t *testing.T) {
	if err := exec.Command("/usr/bin/python3", "-c", "import cv2, numpy").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("Debian's python3-opencv is needed: %v", err)
		}
		t.Skipf("no python3-opencv: %v", err)
	}
}

// TestPythonProducerGoConsumer: frames drawn by OpenCV in Python arrive in
// Go, decoded as OpenCV drew them.
func TestPythonProducerGoConsumer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	needOpenCV(t)
	name := fmt.Sprintf("imgstream-example-%d-a", os.Getpid())
	// The producer runs until the reader has its frames: a reader that
	// follows its producer waits for the next one when it stops.
	producer := exec.Command("/usr/bin/python3", "../python/examples/opencv_producer.py", name)
	producer.Stderr = os.Stderr
	require.NoError(t, producer.Start())
	defer producer.Process.Kill()
	out := run(t, "./shmview", "-name", name, "-frames", "10")
	require.NoError(t, producer.Process.Signal(os.Interrupt))
	lines := regexp.MustCompile(`frame (\d+): 640x480 BGR24, skipped \d+, top-left rgb 200 40 (\d+)`).FindAllStringSubmatch(out, -1)
	require.Len(t, lines, 10, out)
	for _, m := range lines {
		// The producer's blue channel counts its frames.
		assert.Equal(t, m[1], m[2], "frame %s carries its number in blue", m[1])
	}
	require.NoError(t, producer.Wait())
}

// TestGoProducerPythonConsumer: a Go camera's frames arrive in Python as
// numpy arrays, and OpenCV saves one as Go drew it.
func TestGoProducerPythonConsumer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	needOpenCV(t)
	bin := build(t, "shmcamera")
	name := fmt.Sprintf("imgstream-example-%d-b", os.Getpid())
	camera := exec.Command(bin, "-name", name, "-fps", "60") // until the reader has its frames
	stdout, err := camera.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, camera.Start())
	defer camera.Process.Kill()
	require.True(t, bufio.NewScanner(stdout).Scan())
	png1 := filepath.Join(t.TempDir(), "last.png")
	out, err := command(t, "/usr/bin/python3", "../python/examples/opencv_consumer.py", name, "20", png1).CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.NoError(t, camera.Process.Signal(os.Interrupt))
	require.NoError(t, camera.Wait(), "the camera stops on SIGINT and closes its stream")
	assert.Len(t, regexp.MustCompile(`frame \d+: \(480, 640, 3\) mean`).FindAll(out, -1), 20, "%s", out)
	f, err := os.Open(png1)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	r, g, _, _ := img.At(639, 479).RGBA()
	assert.Equal(t, uint32(639*255/640), r>>8, "red grows along x")
	assert.Equal(t, uint32(479*255/480), g>>8, "green grows along y")
}
