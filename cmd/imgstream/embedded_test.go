package main

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWithoutNATSServer builds imgstream as make run does, without the
// embedded NATS server: publish without --nats says why it cannot start
// one and what to do, and with --nats it goes on to dial the server.
func TestWithoutNATSServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds imgstream again")
	}
	small := filepath.Join(t.TempDir(), "imgstream")
	out, err := exec.Command("go", "build", "-tags", "nonatsserver", "-o", small, ".").CombinedOutput()
	require.NoError(t, err, "%s", out)
	run := func(args ...string) (string, int) {
		var code int
		out, err := exec.Command(small, args...).CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else {
			require.NoError(t, err)
		}
		return string(out), code
	}
	out2, code := run("publish", "--store", t.TempDir(), sample, "door")
	assert.Equal(t, 3, code, out2)
	assert.Contains(t, out2, "built without the embedded NATS server")
	assert.Contains(t, out2, "give --nats")
	out2, code = run("publish", "--nats", "nats://127.0.0.1:1", sample, "door")
	assert.Equal(t, 3, code, out2)
	assert.NotContains(t, out2, "built without", "--nats needs no embedded server")
	assert.Contains(t, out2, "nats nats://127.0.0.1:1")
	out2, code = run("verify", sample)
	assert.Equal(t, 0, code, out2)
}
