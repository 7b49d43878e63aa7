package main

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/internal/testkit"
	"github.com/imgstream/imgstream/natsbus"
	"github.com/imgstream/imgstream/natsbus/server"
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
	_, errOut, code := cli(t, "record", url+"/sample", out, "--count", "20")
	require.Equal(t, 0, code, errOut)
	got, _ := recordingFrames(t, out)
	require.Len(t, got, 20)
	for i, f := range got {
		assert.True(t, isSampleFrame(f.Data), "recorded frame %d is the sample's", i)
	}

	// serve: the camera live in the browser.
	srv := exec.Command(bin, "serve", "--listen", "127.0.0.1:0", url+"/sample")
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

// TestPublishBeyondLoopback: publish --listen 0.0.0.0 does not run an
// open server: it makes a token and prints it in the URL; a client
// without it is refused, one with it gets in.
func TestPublishBeyondLoopback(t *testing.T) {
	// Beyond the loopback interface a token is made (the decision alone:
	// tests listen on 127.0.0.1 only).
	for _, listen := range []string{"0.0.0.0:4222", "[::]:4222", "192.0.2.7:0"} {
		o, err := embeddedOptions(listen, "", t.TempDir())
		require.NoError(t, err)
		assert.Regexp(t, `^[0-9a-f]{32}$`, o.Token, listen)
	}
	for _, listen := range []string{"127.0.0.1:0", "localhost:0", "[::1]:0", ":0"} {
		o, err := embeddedOptions(listen, "", t.TempDir())
		require.NoError(t, err)
		assert.Empty(t, o.Token, listen)
	}
	o, err := embeddedOptions("0.0.0.0:4222", "mine", t.TempDir())
	require.NoError(t, err)
	assert.Equal(t, "mine", o.Token, "a token given is kept")
	for _, listen := range []string{"4222", "127.0.0.1:http", "127.0.0.1:70000"} {
		_, err := embeddedOptions(listen, "", t.TempDir())
		require.ErrorAs(t, err, new(usageError), listen)
	}

	// The token, printed in the URL, is what a client needs.
	pub := exec.Command(bin, "publish", "--loop", "--listen", "127.0.0.1:0", "--token", "s3cret", "--store", t.TempDir(), sample, "sample")
	stderr, err := pub.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, pub.Start())
	t.Cleanup(func() { pub.Process.Kill(); pub.Wait() })
	sc := bufio.NewScanner(stderr)
	require.True(t, sc.Scan(), "the server's line")
	line := sc.Text()
	go io.Copy(io.Discard, stderr)
	m := regexp.MustCompile(`NATS server at nats://s3cret@127\.0\.0\.1:(\d+) `).FindStringSubmatch(line)
	require.NotNil(t, m, "the token in the printed URL: %q", line)
	port := m[1]
	_, err = nats.Connect("nats://127.0.0.1:"+port, nats.MaxReconnects(0))
	require.ErrorIs(t, err, nats.ErrAuthorization, "no token, no entry")
	nc, err := nats.Connect("nats://s3cret@127.0.0.1:" + port)
	require.NoError(t, err)
	nc.Close()
}

// TestPublishPortTaken: a second publish on one machine says at once that
// the port is taken, and how to join the running server.
func TestPublishPortTaken(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	_, errOut, code := cli(t, "publish", "--listen", "127.0.0.1:"+port, "--store", t.TempDir(), sample, "sample")
	assert.Equal(t, 3, code, errOut)
	assert.Contains(t, errOut, "--listen 127.0.0.1:"+port+" is taken")
	assert.Contains(t, errOut, "--nats nats://127.0.0.1:"+port+" publishes through the running server")
}

// TestPublishServerFlagsWithNats: --listen, --token and --store are the
// embedded server's; with --nats, which joins another, they are a usage
// error, not silently ignored (publish once took --listen 0.0.0.0:4222
// --nats … and served nothing where it was asked to).
func TestPublishServerFlagsWithNats(t *testing.T) {
	for _, flag := range [][]string{{"--listen", "0.0.0.0:4222"}, {"--token", "s3cret"}, {"--store", t.TempDir()}} {
		_, errOut, code := cli(t, append([]string{"publish", "--nats", "nats://127.0.0.1:1"}, append(flag, sample, "sample")...)...)
		assert.Equal(t, 2, code, errOut)
		assert.Contains(t, errOut, flag[0]+" is for the embedded server")
	}
}

// TestReplayNothing: replay of a camera not recorded says so in words;
// replay --since after the newest frame is an empty replay, not a
// timeout, on stdout and with -o.
func TestReplayNothing(t *testing.T) {
	srv, err := server.Start(server.Options{Dir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(srv.Shutdown)
	out := filepath.Join(t.TempDir(), "door.omv")
	_, errOut, code := cli(t, "replay", "--nats", srv.URL(), "door", "-o", out)
	assert.Equal(t, 3, code)
	assert.Equal(t, "imgstream: nothing is recorded for door: publish with --keep\n", errOut)
	assert.NoFileExists(t, out, "a failed replay leaves nothing behind")
	// A file of that name, or the file a link of that name leads to, is
	// left as it was: before, the replay truncated it and then removed it.
	precious := filepath.Join(t.TempDir(), "precious.omv")
	require.NoError(t, os.WriteFile(precious, []byte("PRECIOUS"), 0o644))
	link := filepath.Join(t.TempDir(), "link.omv")
	require.NoError(t, os.Symlink(precious, link))
	for _, o := range []string{precious, link} {
		_, _, code = cli(t, "replay", "--nats", srv.URL(), "door", "-o", o)
		assert.Equal(t, 3, code)
		got, err := os.ReadFile(precious)
		require.NoError(t, err, o)
		assert.Equal(t, "PRECIOUS", string(got), o)
	}
	_, err = os.Lstat(link)
	assert.NoError(t, err, "the link stays")

	js, p := recordedDoor(t, srv)
	frames, _ := recordingFrames(t, sample)
	require.NoError(t, p.Publish(container.Header{Width: frames[0].Width, Height: frames[0].Height, Format: frames[0].Format}, frames[0].Data, time.Time{}))
	require.Eventually(t, func() bool {
		s, err := js.Stream(t.Context(), natsbus.StreamName("door"))
		if err != nil {
			return false
		}
		info, err := s.Info(t.Context())
		return err == nil && info.State.Msgs == 1
	}, 10*time.Second, 5*time.Millisecond)

	stdout, errOut, code := cli(t, "replay", "--nats", srv.URL(), "door", "--since", "1ns")
	assert.Equal(t, 0, code, errOut)
	assert.Empty(t, stdout)
	_, errOut, code = cli(t, "replay", "--nats", srv.URL(), "door", "--since", "1ns", "-o", out)
	assert.Equal(t, 2, code, "an empty range is a usage error, as in export: %s", errOut)
	assert.Contains(t, errOut, "nothing is recorded in that range")
	assert.NoFileExists(t, out, "an empty replay leaves nothing behind")
	_, errOut, code = cli(t, "replay", "--nats", srv.URL(), "door", "-o", out)
	assert.Equal(t, 0, code, errOut)
	assert.Contains(t, errOut, "1 frames")
}

// recordedDoor connects to srv, has JetStream record the camera "door" (in
// memory), and returns the stream's client and a publisher of the camera.
func recordedDoor(t *testing.T, srv *server.Server) (jetstream.JetStream, *natsbus.Publisher) {
	t.Helper()
	nc, err := srv.Connect()
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	_, err = natsbus.Record(t.Context(), js, "door", natsbus.RecordOptions{Memory: true})
	require.NoError(t, err)
	p, err := natsbus.NewPublisher(nc, "door")
	require.NoError(t, err)
	return js, p
}

// TestReplayStdoutGoesOn: replay on stdout converts an RGB24 frame
// (OpenCV's), which an OMV stream cannot carry, to JPEG, and goes on with
// the frames after it at their intervals.
func TestReplayStdoutGoesOn(t *testing.T) {
	srv, err := server.Start(server.Options{Dir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(srv.Shutdown)
	js, p := recordedDoor(t, srv)
	frames, _ := recordingFrames(t, sample)
	jpg := container.Header{Width: frames[0].Width, Height: frames[0].Height, Format: frames[0].Format}
	t0 := time.Unix(1700000000, 0)
	require.NoError(t, p.Publish(jpg, frames[0].Data, t0))
	require.NoError(t, p.Publish(container.Header{Width: 8, Height: 4, Format: container.BGR24}, make([]byte, 8*4*3), t0.Add(100*time.Millisecond)))
	require.NoError(t, p.Publish(jpg, frames[1].Data, t0.Add(200*time.Millisecond)))
	require.Eventually(t, func() bool {
		s, err := js.Stream(t.Context(), natsbus.StreamName("door"))
		if err != nil {
			return false
		}
		info, err := s.Info(t.Context())
		return err == nil && info.State.Msgs == 3
	}, 10*time.Second, 5*time.Millisecond)

	stdout, errOut, code := cli(t, "replay", "--nats", srv.URL(), "door", "--fast")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, errOut, "1 RGB24/BGR24 converted to JPEG")
	zr, err := container.NewReader(bytes.NewReader([]byte(stdout)))
	require.NoError(t, err)
	var got []container.Header
	var last []byte
	for {
		h, data, err := zr.ReadFrame(nil)
		if err != nil {
			break
		}
		got, last = append(got, *h), bytes.Clone(data)
	}
	require.Len(t, got, 3, "every frame, the one after the BGR24 too")
	assert.Equal(t, container.JPEG, got[1].Format)
	assert.Equal(t, 8, got[1].Width)
	assert.Equal(t, 100*time.Millisecond, got[2].Elapsed)
	assert.True(t, bytes.Equal(frames[1].Data, last))
}
