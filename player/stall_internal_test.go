package player

import (
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
)

// guard only turns a hang into a failure: nothing here waits for it
// unless the places are never given back. Three minutes: 32 exports that
// each encode noise, under the race detector on two busy cores, took over
// one.
const guard = 3 * time.Minute

// noiseRecording writes n grey 512x512 frames of noise, 40 ms apart, at
// path: a PNG, a GIF or an AVI of them is far larger than the socket
// buffers of a client that never reads.
func noiseRecording(t *testing.T, path string, n int) {
	t.Helper()
	s, err := imageio.Create(path, nil)
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(1, 2))
	at := time.Now()
	for i := range n {
		img := &imageio.Image{Width: 512, Height: 512, Format: container.Grayscale, Data: make([]byte, 512*512)}
		for j := range img.Data {
			img.Data[j] = byte(rng.Uint32())
		}
		require.NoError(t, s.WriteAt(img, at.Add(time.Duration(i)*40*time.Millisecond)))
	}
	require.NoError(t, s.Close())
}

// stallServer serves p on 127.0.0.1 with small send buffers, and records
// testHook's events; cleanup closes the server, then the hook.
func stallServer(t *testing.T, p *Player) (*httptest.Server, chan string) {
	events := make(chan string, 4096)
	testHook = func(e string) {
		select {
		case events <- e:
		default:
			t.Errorf("event %q lost", e)
		}
	}
	t.Cleanup(func() { testHook = nil })
	ts := httptest.NewUnstartedServer(p)
	ts.Config.ConnState = func(c net.Conn, s http.ConnState) {
		if tc, ok := c.(*net.TCPConn); ok && s == http.StateNew {
			tc.SetWriteBuffer(4096)
		}
	}
	ts.Start()
	t.Cleanup(func() { ts.Close(); p.Close() })
	return ts, events
}

// stall sends a GET of path and never reads the answer, with a small
// receive buffer, so the server's writes to it block.
func stall(t *testing.T, ts *httptest.Server, path string) {
	t.Helper()
	c, err := net.Dial("tcp", ts.Listener.Addr().String())
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() }) // before the server's Close
	c.(*net.TCPConn).SetReadBuffer(4096)
	_, err = io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
	require.NoError(t, err)
}

// await waits until n events e have come since the counts began, counting
// every event in counts.
func await(t *testing.T, events chan string, counts map[string]int, e string, n int) {
	t.Helper()
	timeout := time.After(guard)
	for counts[e] < n {
		select {
		case got := <-events:
			counts[got]++
		case <-timeout:
			t.Fatalf("%d of %d %q events after %v", counts[e], n, e, guard)
		}
	}
}

// getStatus gets path with a guard against a hang.
func getStatus(t *testing.T, ts *httptest.Server, path string) int {
	t.Helper()
	c := &http.Client{Timeout: guard}
	resp, err := c.Get(ts.URL + path)
	require.NoError(t, err, "%s: no answer", path)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// TestStalledRenders: MaxRenders clients that ask for a large frame and
// never read it hold every render place only for Options.WriteTimeout:
// then their writes fail, the places are freed, and another render
// succeeds (issue 17, items 8 and 9: a place was held through w.Write for
// ever, so 4 such clients blocked every other render).
func TestStalledRenders(t *testing.T) {
	path := filepath.Join(t.TempDir(), "noise.omv")
	noiseRecording(t, path, 1)
	p, err := NewFile(path, Options{WriteTimeout: 100 * time.Millisecond})
	require.NoError(t, err)
	ts, events := stallServer(t, p)
	for range MaxRenders {
		stall(t, ts, "/frame/0.png")
	}
	await(t, events, map[string]int{}, "render", MaxRenders)
	require.Equal(t, http.StatusOK, getStatus(t, ts, "/frame/0.png"), "a render once the stalled ones time out")
}

// TestStalledExports: MaxStreams clients that ask for a GIF export (or a
// non-JPEG AVI export, made in a temporary file and then served) and
// never read it hold every stream and export place only for
// Options.WriteTimeout; then every place is freed, and an export succeeds
// (issue 17, item 8: 32 such clients on /export.gif made /export.avi
// answer 503 for as long as they stayed).
func TestStalledExports(t *testing.T) {
	for _, path := range []string{"/export.gif", "/export.avi"} {
		t.Run(path[1:], func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "noise.omv")
			noiseRecording(t, file, 4)
			p, err := NewFile(file, Options{WriteTimeout: 100 * time.Millisecond})
			require.NoError(t, err)
			ts, events := stallServer(t, p)
			for range MaxStreams {
				stall(t, ts, path)
			}
			counts := map[string]int{}
			await(t, events, counts, "slot", MaxStreams)
			await(t, events, counts, "slot freed", MaxStreams)
			require.Equal(t, http.StatusOK, getStatus(t, ts, "/export.avi"))
			require.Equal(t, http.StatusOK, getStatus(t, ts, "/export.gif"))
		})
	}
}
