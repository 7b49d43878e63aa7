package main

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/internal/testkit"
)

// TestAcrossHosts runs the commands of the README's "Across hosts" as a
// person would: publish starts an embedded NATS server and records the
// camera in JetStream; record, serve and replay connect to it. Every
// frame that arrives is one of the recording's, byte for byte.
func TestAcrossHosts(t *testing.T) {
	store := t.TempDir()
	pub := exec.Command(bin, "publish", "--loop", "--listen", "127.0.0.1:0", "--store", store, "--keep", "1h", "--keep", "1GiB", "--acked", sample, "sample")
	stderr, err := pub.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, pub.Start())
	t.Cleanup(func() { pub.Process.Kill(); pub.Wait() })
	url := "nats://" + testkit.Addr(t, stderr)

	want, _ := recordingFrames(t, sample)
	isSampleFrame := func(b []byte) bool {
		for _, f := range want {
			if bytes.Equal(f.Data, b) {
				return true
			}
		}
		return false
	}

	// record: 20 frames of the camera, from another process.
	out := filepath.Join(t.TempDir(), "rec.omv")
	_, errOut, code := cli(t, "record", url+"/sample", out, "--frames", "20")
	require.Equal(t, 0, code, errOut)
	got, _ := recordingFrames(t, out)
	require.Len(t, got, 20)
	for i, f := range got {
		assert.True(t, isSampleFrame(f.Data), "recorded frame %d is the sample's", i)
	}

	// serve: the camera live in the browser.
	srv := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", url+"/sample")
	stdout, err := srv.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, srv.Start())
	t.Cleanup(func() { srv.Process.Kill(); srv.Wait() })
	addr := testkit.Addr(t, stdout)
	resp, err := http.Get("http://" + addr + "/stream.mjpg")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var snap []byte
	require.Eventually(t, func() bool {
		r, err := http.Get("http://" + addr + "/snapshot.jpg")
		if err != nil {
			return false
		}
		defer r.Body.Close()
		snap, _ = io.ReadAll(r.Body)
		return r.StatusCode == http.StatusOK
	}, 20*time.Second, 50*time.Millisecond)
	assert.True(t, isSampleFrame(snap), "the snapshot is a frame of the sample, untouched")

	// replay: what JetStream kept, as a file.
	replayed := filepath.Join(t.TempDir(), "replay.omv")
	_, errOut, code = cli(t, "replay", "--nats", url, "sample", "-o", replayed)
	require.Equal(t, 0, code, errOut)
	frames, _ := recordingFrames(t, replayed)
	assert.GreaterOrEqual(t, len(frames), 20)
	for i, f := range frames {
		require.True(t, isSampleFrame(f.Data), "replayed frame %d is the sample's", i)
	}
	_, err = os.Stat(filepath.Join(store, "jetstream"))
	assert.NoError(t, err, "JetStream kept its files in --store")
}
