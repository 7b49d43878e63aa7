package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/internal/testkit"
)

// TestUsageErrors: a mistake in the command line exits 2, on one line,
// with the failing command's --help named.
func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		says string
		help string
	}{
		{[]string{"record", "-", "out.omv", "extra"}, "accepts between 0 and 2 arg(s), received 3", "imgstream record"},
		{[]string{"record"}, "record needs SRC, or --config FILE of cameras", "imgstream record"},
		{[]string{"export", sample}, "accepts 2 arg(s), received 1", "imgstream export"},
		{[]string{"info", "--no-such-flag", sample}, "unknown flag: --no-such-flag", "imgstream info"},
		{[]string{"expot", sample, "x.avi"}, `unknown command "expot" for "imgstream"; did you mean export?`, "imgstream"},
		{[]string{"shm", "rm"}, "say which streams to remove", "imgstream shm rm"},
		{[]string{"shm", "rm", "--stale", "camera0"}, "give stream names or --stale, not both", "imgstream shm rm"},
		{[]string{"shm", "ls", "x"}, `unknown command "x" for "imgstream shm ls"`, "imgstream shm ls"},
		{[]string{"shm", "list"}, `unknown command "list" for "imgstream shm"`, "imgstream shm"},
		{[]string{"record", sample, "out.omv", "--webhook", "homeassistant.local/hook"}, "--webhook homeassistant.local/hook: want an http:// or https:// URL", "imgstream record"},
		{[]string{"record", sample, "out.omv", "--webhook", "ftp://u:pw@host/x"}, "--webhook ftp://u:xxxxx@host/x: want an http://", "imgstream record"},
	} {
		_, stderr, code := cli(t, tc.args...)
		assert.Equal(t, 2, code, "%v: %s", tc.args, stderr)
		lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
		if assert.Len(t, lines, 2, "%v: %q", tc.args, stderr) {
			assert.True(t, strings.HasPrefix(lines[0], "imgstream: "+tc.says), "%v: %q", tc.args, lines[0])
			assert.Equal(t, "Run '"+tc.help+" --help' for usage.", lines[1], "%v", tc.args)
		}
	}
}

// TestNotARecording: a directory, a picture and a read that fails are no
// damaged recording (1) but a failure (3), and say so.
func TestNotARecording(t *testing.T) {
	dir := t.TempDir()
	png := testkit.GoldenPath("v20_jpeg.frame0.png")
	for _, c := range []string{"info", "frames", "verify"} {
		for _, path := range []string{dir, png} {
			_, stderr, code := cli(t, c, path)
			assert.Equal(t, 3, code, "%s %s: %s", c, path, stderr)
			assert.Contains(t, stderr, path+": not a recording", "%s %s", c, path)
			assert.NotContains(t, stderr, "damaged", "%s %s", c, path)
		}
	}
	for _, path := range []string{dir, png} {
		_, stderr, code := cli(t, "repair", path)
		assert.Equal(t, 3, code, "repair %s: %s", path, stderr)
		assert.Contains(t, stderr, "not a recording", "repair %s", path)
	}
	// serve and publish: a directory is served as a folder, so only the
	// picture there; publish checks before its server starts (before, a
	// wrong path was "want an http:// URL", exit 2, after the server's
	// line).
	for _, args := range [][]string{{"serve", "--listen", "127.0.0.1:0", png}, {"publish", png, "door"}, {"publish", dir, "door"}} {
		_, stderr, code := cli(t, args...)
		assert.Equal(t, 3, code, "%v: %s", args, stderr)
		assert.Contains(t, stderr, ": not a recording", "%v", args)
		assert.NotContains(t, stderr, "NATS server", "%v", args)
	}
	_, stderr, code := cli(t, "publish", filepath.Join(dir, "nope.omv"), "door")
	assert.Equal(t, 3, code, stderr)
	assert.Contains(t, stderr, "no such file or directory")
	assert.NotContains(t, stderr, "NATS server")

	// An I/O error: stdin is a directory, so every read fails (EISDIR).
	d, err := os.Open(dir)
	require.NoError(t, err)
	defer d.Close()
	cmd := exec.Command(bin, "info", "-")
	cmd.Stdin = d
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, 3, ee.ExitCode(), "%s", out)
	assert.Contains(t, string(out), "is a directory")
	assert.NotContains(t, string(out), "damaged")

	// A recording cut off inside its first 16 bytes is still damaged.
	cut := filepath.Join(dir, "cut.omv")
	data, err := os.ReadFile(sample)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(cut, data[:10], 0o644))
	_, stderr, code = cli(t, "info", cut)
	assert.Equal(t, 1, code, stderr)
	assert.Contains(t, stderr, "damaged")
}
