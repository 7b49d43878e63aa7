package player_test

import (
	"bytes"
	"encoding/json"
	"image/color"
	"image/gif"
	"image/png"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/internal/testkit"
	"github.com/imgstream/imgstream/mjpeg"
	"github.com/imgstream/imgstream/player"
)

var sample = filepath.Join(testkit.Root, "testdata", "sample.omv")

func serve(t *testing.T, p *player.Player) *httptest.Server {
	ts := httptest.NewServer(p)
	t.Cleanup(func() { ts.Close(); p.Close() })
	return ts
}

func get(t *testing.T, url string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	require.NoError(t, err)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

// info is /api/info, export.Summary's schema (before issue 18, name and
// frames were the player's own names for file and count).
type info struct {
	File     string         `json:"file"`
	Version  string         `json:"version"`
	Count    int            `json:"count"`
	Duration int64          `json:"duration_us"`
	FPS      float64        `json:"fps"`
	Width    int            `json:"width"`
	Height   int            `json:"height"`
	Formats  map[string]int `json:"formats"`
	Damage   *struct {
		Frame  int   `json:"frame"`
		Offset int64 `json:"offset"`
	} `json:"damage"`
	Live bool `json:"live"`
}

type frame struct {
	Index    int    `json:"index"`
	Offset   int64  `json:"offset"`
	Time     int64  `json:"time_us"`
	Interval int64  `json:"interval_us"`
	Size     int    `json:"size"`
	Format   string `json:"format"`
	W, H     int
}

func TestAPI(t *testing.T) {
	p, err := player.NewFile(sample, player.Options{})
	require.NoError(t, err)
	ts := serve(t, p)

	resp, body := get(t, ts.URL+"/api/info")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	var in info
	require.NoError(t, json.Unmarshal(body, &in))
	assert.Equal(t, info{File: "sample.omv", Version: "V2.0", Count: 90, Duration: in.Duration, FPS: in.FPS, Width: 320, Height: 240,
		Formats: map[string]int{"JPEG 320x240": 90}}, in)
	assert.InDelta(t, 15, in.FPS, 0.1)

	_, body = get(t, ts.URL+"/api/frames")
	var frames []frame
	require.NoError(t, json.Unmarshal(body, &frames))
	require.Len(t, frames, 90)
	s, err := imageio.Open(sample, nil)
	require.NoError(t, err)
	defer s.Close()
	var at int64
	for i, f := range frames {
		m, err := s.Read(imageio.ReadOptions{})
		require.NoError(t, err)
		assert.Equal(t, i, f.Index)
		assert.Equal(t, len(m.Data), f.Size)
		assert.Equal(t, "JPEG", f.Format)
		if i > 0 {
			at += f.Interval
		}
		assert.Equal(t, at, f.Time)

		// Frames as JPEG are the recorded bytes.
		if i%30 == 0 {
			resp, jpg := get(t, ts.URL+"/frame/"+strconv.Itoa(i)+".jpg")
			require.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, m.Data, jpg, "frame %d", i)
		}
	}
	assert.Equal(t, in.Duration, at)
}

// TestFrameCaching: frames carry an ETag and are immutable; a request with
// the ETag gets 304. A PNG is the frame decoded.
func TestFrameCaching(t *testing.T) {
	p, err := player.NewFile(testkit.GoldenPath("v20_mixed.omv"), player.Options{})
	require.NoError(t, err)
	ts := serve(t, p)
	resp, body := get(t, ts.URL+"/frame/0.png")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	etag := resp.Header.Get("ETag")
	require.NotEmpty(t, etag)
	assert.Contains(t, resp.Header.Get("Cache-Control"), "immutable")
	got, err := png.Decode(bytes.NewReader(body))
	require.NoError(t, err)
	s, err := imageio.Open(testkit.GoldenPath("v20_mixed.omv"), nil)
	require.NoError(t, err)
	m, err := s.Read(imageio.ReadOptions{})
	s.Close()
	require.NoError(t, err)
	want, err := m.Decode()
	require.NoError(t, err)
	assert.Equal(t, want.Bounds(), got.Bounds())
	r1, g1, b1, _ := want.At(3, 4).RGBA()
	r2, g2, b2, _ := got.At(3, 4).RGBA()
	assert.Equal(t, [3]uint32{r1, g1, b1}, [3]uint32{r2, g2, b2})

	resp, _ = get(t, ts.URL+"/frame/0.png", "If-None-Match", etag)
	assert.Equal(t, http.StatusNotModified, resp.StatusCode)
	resp, _ = get(t, ts.URL+"/frame/1.png")
	assert.NotEqual(t, etag, resp.Header.Get("ETag"), "each frame its own")
}

// TestHostile: frame numbers, ranges, paths and parameters a client should
// not send get clear errors, never a frame or a file they should not.
func TestHostile(t *testing.T) {
	p, err := player.NewFile(sample, player.Options{})
	require.NoError(t, err)
	ts := serve(t, p)
	for path, want := range map[string]int{
		"/frame/-1.jpg":                   404,
		"/frame/90.jpg":                   404,
		"/frame/99999999999999999999.jpg": 404,
		"/frame/1e3.jpg":                  404,
		"/frame/abc.jpg":                  404,
		"/frame/0.gif":                    404,
		"/frame/0":                        404,
		"/frame/%2e%2e%2fsample.omv":      404,
		"/frame/..%2F..%2Fetc%2Fpasswd":   404,
		"/../../etc/passwd":               404,
		"/static/../player.go":            404,
		"/static/%2e%2e/player.go":        404,
		"/api/nothing":                    404,
		"/stream.mjpg?from=-1":            400,
		"/stream.mjpg?from=90":            400,
		"/stream.mjpg?from=x":             400,
		"/stream.mjpg?speed=0":            400,
		"/stream.mjpg?speed=NaN":          400,
		"/stream.mjpg?speed=1e308":        400,
		"/stream.mjpg?speed=5":            400,
		"/export.avi?from=10&to=5":        400,
		"/export.avi?to=91":               400,
		"/export.gif?from=-3":             400,
		"/frame/0.jpg?" + strings.Repeat("a", player.MaxURL): 414,
	} {
		resp, _ := get(t, ts.URL+path)
		assert.Equal(t, want, resp.StatusCode, path)
	}
	resp, err := http.Post(ts.URL+"/api/info", "text/plain", strings.NewReader("x"))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
}

// TestStream: ?from= starts where asked, and frames come as the recording
// has them.
func TestStream(t *testing.T) {
	p, err := player.NewFile(sample, player.Options{})
	require.NoError(t, err)
	ts := serve(t, p)
	resp, err := http.Get(ts.URL + "/stream.mjpg?from=45&speed=4")
	require.NoError(t, err)
	defer resp.Body.Close()
	_, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	require.NoError(t, err)
	mr := multipart.NewReader(resp.Body, params["boundary"])
	s, err := imageio.Open(sample, nil)
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.Seek(45))
	for i := range 3 {
		part, err := mr.NextPart()
		require.NoError(t, err)
		got, _ := io.ReadAll(part)
		want, err := s.Read(imageio.ReadOptions{})
		require.NoError(t, err)
		assert.Equal(t, want.Data, got, "frame %d", 45+i)
	}
}

// TestExports: the AVI and GIF of a range hold that range.
func TestExports(t *testing.T) {
	p, err := player.NewFile(sample, player.Options{})
	require.NoError(t, err)
	ts := serve(t, p)
	resp, body := get(t, ts.URL+"/export.gif?from=10&to=20")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, resp.Header.Get("Content-Disposition"), `filename="sample.gif"`)
	g, err := gif.DecodeAll(bytes.NewReader(body))
	require.NoError(t, err)
	assert.Len(t, g.Image, 10)
	resp, body = get(t, ts.URL+"/export.avi?from=0&to=30")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "RIFF", string(body[:4]))
	s, err := imageio.Open(sample, nil)
	require.NoError(t, err)
	defer s.Close()
	for i := range 31 {
		m, err := s.Read(imageio.ReadOptions{})
		require.NoError(t, err)
		assert.Equal(t, i < 30, bytes.Contains(body, m.Data), "frame %d", i)
	}
}

func TestAuth(t *testing.T) {
	p, err := player.NewFile(sample, player.Options{Token: "s3cret"})
	require.NoError(t, err)
	ts := serve(t, p)
	resp, _ := get(t, ts.URL+"/api/info")
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	resp, _ = get(t, ts.URL+"/frame/0.jpg?token=wrong")
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	resp, _ = get(t, ts.URL+"/api/info?token=s3cret")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	cookie := resp.Header.Get("Set-Cookie")
	require.Contains(t, cookie, "imgstream_token=s3cret")
	resp, _ = get(t, ts.URL+"/frame/0.jpg", "Cookie", strings.Split(cookie, ";")[0])
	assert.Equal(t, http.StatusOK, resp.StatusCode, "the page's own requests carry the cookie")
	resp, _ = get(t, ts.URL+"/frame/0.jpg", "Authorization", "Bearer s3cret")
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	p2, err := player.NewFile(sample, player.Options{User: "me", Password: "pw"})
	require.NoError(t, err)
	ts2 := serve(t, p2)
	resp, _ = get(t, ts2.URL+"/")
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Contains(t, resp.Header.Get("WWW-Authenticate"), "Basic")
	req, _ := http.NewRequest("GET", ts2.URL+"/", nil)
	req.SetBasicAuth("me", "pw")
	r2, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	r2.Body.Close()
	assert.Equal(t, http.StatusOK, r2.StatusCode)
}

// TestDamaged: a damaged recording's info says where, and its good frames
// are served.
func TestDamaged(t *testing.T) {
	p, err := player.NewFile(testkit.GoldenPath("truncated_header.omv"), player.Options{})
	require.NoError(t, err)
	ts := serve(t, p)
	_, body := get(t, ts.URL+"/api/info")
	var in info
	require.NoError(t, json.Unmarshal(body, &in))
	assert.Equal(t, 2, in.Count)
	require.NotNil(t, in.Damage)
	assert.Equal(t, 2, in.Damage.Frame)
	assert.Equal(t, int64(1904), in.Damage.Offset)
	resp, _ := get(t, ts.URL+"/frame/1.png")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	resp, _ = get(t, ts.URL+"/frame/2.png")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}

// TestDir lists the recordings under a folder, and only those: not other
// files, not what a link outside the folder points at.
func TestDir(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile(sample)
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "day2"), 0o755))
	for _, name := range []string{"a.omv", "b.bin", "day2/c.omv"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o644))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not a recording"), 0o644))
	outside := filepath.Join(t.TempDir(), "secret.omv")
	require.NoError(t, os.WriteFile(outside, data, 0o644))
	require.NoError(t, os.Symlink(outside, filepath.Join(dir, "link.omv")))
	require.NoError(t, os.Symlink(filepath.Dir(outside), filepath.Join(dir, "linkdir")))

	p, err := player.NewDir(dir, player.Options{})
	require.NoError(t, err)
	ts := serve(t, p)
	_, body := get(t, ts.URL+"/api/recordings")
	var list []struct {
		ID     int    `json:"id"`
		Name   string `json:"name"`
		Frames int    `json:"frames"`
	}
	require.NoError(t, json.Unmarshal(body, &list))
	var names []string
	for _, r := range list {
		names = append(names, r.Name)
		assert.Equal(t, 90, r.Frames)
	}
	assert.Equal(t, []string{"a.omv", "b.bin", "day2/c.omv"}, names, "recordings by their magic, not their names; no links")
	resp, _ := get(t, ts.URL+"/r/2/api/info")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	resp, jpg := get(t, ts.URL+"/r/0/frame/0.jpg")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "image/jpeg", resp.Header.Get("Content-Type"))
	assert.NotEmpty(t, jpg)
	for _, path := range []string{"/r/3/api/info", "/r/-1/api/info", "/r/x/", "/r/1%2F..%2F2/api/info", "/r/0/../../notes.txt", "/notes.txt", "/r/99999999999999/"} {
		resp, _ := get(t, ts.URL+path)
		assert.Contains(t, []int{400, 404}, resp.StatusCode, path)
	}
	resp, page := get(t, ts.URL+"/")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, string(page), "Timeline", "a folder opens on its timeline")
	resp, page = get(t, ts.URL+"/list")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, string(page), "Recordings", "and lists its thumbnails at /list")
}

func TestLive(t *testing.T) {
	var srv mjpeg.Server
	ts := httptest.NewServer(player.NewLive(&srv, "camera", player.Options{}))
	defer ts.Close()
	defer srv.Close()
	jpg := testkit.SolidJPEG(8, 8, color.Black)
	require.NoError(t, srv.Publish(jpg))
	_, body := get(t, ts.URL+"/api/info")
	var in map[string]any
	require.NoError(t, json.Unmarshal(body, &in))
	assert.Equal(t, true, in["live"])
	assert.Equal(t, "camera", in["name"])
	resp, snap := get(t, ts.URL+"/snapshot.jpg")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, jpg, snap)
}

// TestLiveRecorder: a recorder's live page triggers with POST /trigger
// (not from another site's page) and shows its status.
func TestLiveRecorder(t *testing.T) {
	var srv mjpeg.Server
	defer srv.Close()
	var triggers atomic.Int32
	status := map[string]any{"recording": true, "clip": "clips/a.omv"}
	ts := httptest.NewServer(player.NewLive(&srv, "camera", player.Options{
		Token:   "secret",
		Trigger: func() { triggers.Add(1) },
		Status:  func() any { return status },
	}))
	defer ts.Close()
	post := func(url string, header http.Header) int {
		req, err := http.NewRequest(http.MethodPost, url, nil)
		require.NoError(t, err)
		for k, v := range header {
			req.Header[k] = v
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusUnauthorized, post(ts.URL+"/trigger", nil), "the token guards it")
	assert.Equal(t, http.StatusNoContent, post(ts.URL+"/trigger?token=secret", nil))
	assert.Equal(t, http.StatusNoContent, post(ts.URL+"/trigger?token=secret", http.Header{"Sec-Fetch-Site": {"same-origin"}}), "the page's own button")
	assert.Equal(t, http.StatusForbidden, post(ts.URL+"/trigger?token=secret", http.Header{"Sec-Fetch-Site": {"cross-site"}}), "another site's page")
	assert.Equal(t, int32(2), triggers.Load())
	resp, body := get(t, ts.URL+"/api/status?token=secret")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.JSONEq(t, `{"recording":true,"clip":"clips/a.omv"}`, string(body))
	_, body = get(t, ts.URL+"/api/info?token=secret")
	var in map[string]any
	require.NoError(t, json.Unmarshal(body, &in))
	assert.Equal(t, true, in["trigger"])
	assert.Equal(t, status, in["recorder"])
	// GET is no trigger.
	resp, _ = get(t, ts.URL+"/trigger?token=secret")
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	assert.Equal(t, int32(2), triggers.Load())
}
