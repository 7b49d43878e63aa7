//go:build e2e

package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/internal/testkit"
)

// TestE2ERecordOpenCVProducer: `record shm:NAME --count 10` of the Python
// OpenCV producer (BGR24 frames) ends with ten JPEG frames, in the
// producer's colours.
func TestE2ERecordOpenCVProducer(t *testing.T) {
	if err := exec.Command("/usr/bin/python3", "-c", "import cv2, numpy").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("Debian's python3-opencv is needed: %v", err)
		}
		t.Skipf("no python3-opencv: %v", err)
	}
	name := fmt.Sprintf("imgstream-record-opencv-%d", os.Getpid())
	producer := exec.Command("/usr/bin/python3", filepath.Join(testkit.Root, "python", "examples", "opencv_producer.py"), name)
	producer.Stderr = os.Stderr
	require.NoError(t, producer.Start())
	defer producer.Process.Kill()
	out := filepath.Join(t.TempDir(), "opencv.omv")
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute) // a failure, not a hang, if --count is never reached
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "record", "shm:"+name, out, "--count", "10")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Run(), stderr.String())
	require.NoError(t, producer.Process.Signal(os.Interrupt))
	got, _ := recordingFrames(t, out)
	require.Len(t, got, 10, stderr.String())
	for i, m := range got {
		require.Equal(t, container.JPEG, m.Format, "frame %d", i)
		require.Equal(t, [2]int{640, 480}, [2]int{m.Width, m.Height}, "frame %d", i)
		img, err := m.Decode()
		require.NoError(t, err, "frame %d", i)
		r, g, _, _ := img.At(2, 2).RGBA() // the producer's red 200, green 40; blue counts its frames
		assert.InDelta(t, 200, int(r>>8), 6, "frame %d red", i)
		assert.InDelta(t, 40, int(g>>8), 6, "frame %d green", i)
	}
	producer.Wait()
}
