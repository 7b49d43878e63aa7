package examples_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// run builds and runs an example program, and returns what it printed.
func run(t *testing.T, args ...string) string {
	t.Helper()
	out, err := command(t, "go", append([]string{"run"}, args...)...).CombinedOutput()
	require.NoError(t, err, "%s", out)
	return string(out)
}

// command is exec.Command, killed if it still runs after commandWait: a
// program that hangs fails its test with its output, instead of the
// whole package at go test's timeout.
func command(t *testing.T, name string, args ...string) *exec.Cmd {
	ctx, cancel := context.WithTimeout(t.Context(), commandWait)
	t.Cleanup(cancel)
	return exec.CommandContext(ctx, name, args...)
}

const commandWait = 3 * time.Minute

func TestExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("builds six programs")
	}
	dir := t.TempDir()
	rec := filepath.Join(dir, "stream.bin")
	out := run(t, "./record", "-o", rec, "-frames", "15", "-fps", "100")
	assert.Contains(t, out, "recorded 15 frames")

	out = run(t, "./replay", rec)
	assert.Contains(t, out, "15 frames, version V2.0")
	assert.Equal(t, 16, strings.Count(out, "\n"), "a line a frame and a title: %s", out)

	out = run(t, "./memory")
	assert.Contains(t, out, "frame 8: the stream is full")
	assert.Contains(t, out, "slot 5: brightness 150")

	out = run(t, "./framediff")
	assert.Contains(t, out, "frame 40: motion")
	assert.NotContains(t, out, "frame 39: motion")

	event := filepath.Join(dir, "event.omv")
	out = run(t, "./pretrigger", "-o", event, "-fps", "50", "-before", "1s")
	assert.Contains(t, out, "motion at 3.00s")
	assert.Contains(t, out, "event saved to")

	clips := filepath.Join(dir, "clips")
	out = run(t, "./securitycam", "-dir", clips, "-for", "7s")
	assert.Contains(t, out, "1 clips", "one event: %s", out)
	assert.Contains(t, out, "of motion")
	paths, err := filepath.Glob(filepath.Join(clips, "*.omv"))
	require.NoError(t, err)
	assert.Len(t, paths, 1)
}
