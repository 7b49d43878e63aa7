package player_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/player"
)

// hangUp is a ResponseWriter whose client goes away after the first bytes
// of the body: its first Write cancels the request's context.
type hangUp struct {
	h      http.Header
	cancel context.CancelFunc
	body   bytes.Buffer
	code   int
}

func (w *hangUp) Header() http.Header { return w.h }
func (w *hangUp) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *hangUp) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	w.cancel()
	return w.body.Write(p)
}

// exportHungUp requests path from p with a client that hangs up after the
// first bytes, and returns what the handler wrote before it returned.
func exportHungUp(t *testing.T, p http.Handler, path string, before bool) *hangUp {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	if before {
		cancel()
	}
	w := &hangUp{h: http.Header{}, cancel: cancel}
	r := httptest.NewRequest("GET", path, nil).WithContext(ctx)
	r.Host = "127.0.0.1" // the player without credentials answers loopback names only
	p.ServeHTTP(w, r)
	return w
}

// TestExportAVIStopsWithTheRequest: a client that hangs up stops the
// export at once. Before, the player made the whole AVI in a temporary
// file and sent it all, its place among the MaxStreams taken meanwhile.
func TestExportAVIStopsWithTheRequest(t *testing.T) {
	p, err := player.NewFile(sample, player.Options{})
	require.NoError(t, err)
	defer p.Close()
	fi, err := os.Stat(sample)
	require.NoError(t, err)
	w := exportHungUp(t, p, "/export.avi", false)
	assert.Equal(t, http.StatusOK, w.code)
	size, err := strconv.Atoi(w.h.Get("Content-Length"))
	require.NoError(t, err, "a streamed AVI has its length first")
	assert.Greater(t, int64(size), fi.Size()-16)
	assert.Less(t, w.body.Len(), size/2, "the export stopped when the client went")

	// The same for frames to encode, made in a temporary file first.
	raw := rgb565Recording(t, 40)
	p, err = player.NewFile(raw, player.Options{})
	require.NoError(t, err)
	defer p.Close()
	w = exportHungUp(t, p, "/export.avi", true)
	assert.Zero(t, w.body.Len(), "nothing sent to a client that went")
}

// rgb565Recording writes n raw RGB565 frames at 10 fps and returns the path.
func rgb565Recording(t *testing.T, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "raw.omv")
	f, err := os.Create(path)
	require.NoError(t, err)
	zw := container.NewWriter(f)
	var m imageio.Image
	for i := range n {
		img := image.NewRGBA(image.Rect(0, 0, 32, 24))
		for j := range img.Pix {
			img.Pix[j] = byte(i * 5)
		}
		img.Set(0, 0, color.RGBA{255, 0, 0, 255})
		require.NoError(t, m.SetImage(img, container.RGB565))
		require.NoError(t, zw.WriteFrame(&container.Header{Elapsed: 100 * time.Millisecond, Width: 32, Height: 24, Format: container.RGB565}, m.Data))
	}
	require.NoError(t, zw.Close())
	require.NoError(t, f.Close())
	return path
}

// TestExportAVIStreamed: the streamed file is whole, of the length
// announced, with every frame of the range, and players read it.
func TestExportAVIStreamed(t *testing.T) {
	p, err := player.NewFile(sample, player.Options{})
	require.NoError(t, err)
	ts := serve(t, p)
	resp, body := get(t, ts.URL+"/export.avi?from=5&to=65")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, strconv.Itoa(len(body)), resp.Header.Get("Content-Length"))
	assert.Equal(t, "video/x-msvideo", resp.Header.Get("Content-Type"))
	s, err := imageio.Open(sample, nil)
	require.NoError(t, err)
	defer s.Close()
	for i := range 66 {
		m, err := s.Read(imageio.ReadOptions{})
		require.NoError(t, err)
		assert.Equal(t, i >= 5 && i < 65, bytes.Contains(body, m.Data), "frame %d", i)
	}
	if ffprobe, err := exec.LookPath("ffprobe"); err == nil {
		out := filepath.Join(t.TempDir(), "x.avi")
		require.NoError(t, os.WriteFile(out, body, 0o644))
		b, err := exec.Command(ffprobe, "-v", "error", "-select_streams", "v:0", "-count_packets",
			"-show_entries", "stream=nb_read_packets,r_frame_rate", "-of", "csv=p=0", out).CombinedOutput()
		require.NoError(t, err, "%s", b)
		// 60 frames at 15 fps, one slot each: the recording is steady.
		assert.Equal(t, "15/1,60", strings.TrimSpace(string(b)))
	}

	resp, body = get(t, ts.URL+"/export.avi?from=5&to=65", "Range", "bytes=0-3")
	require.Equal(t, http.StatusOK, resp.StatusCode, "a streamed file is sent whole")
	assert.Equal(t, "RIFF", string(body[:4]))
	req, err := http.NewRequest("HEAD", ts.URL+"/export.avi", nil)
	require.NoError(t, err)
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.NotEmpty(t, resp.Header.Get("Content-Length"))

	// The raw recording, through a temporary file, is whole too.
	p, err = player.NewFile(rgb565Recording(t, 12), player.Options{})
	require.NoError(t, err)
	ts = serve(t, p)
	resp, body = get(t, ts.URL+"/export.avi")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "RIFF", string(body[:4]))
}
