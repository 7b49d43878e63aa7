package player_test

import (
	"context"
	"encoding/json"
	"image/color"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/internal/testkit"
	"github.com/imgstream/imgstream/mjpeg"
	"github.com/imgstream/imgstream/player"
)

// gridCameras serves two cameras publishing at about 50 fps until the
// test ends; door has a trigger that counts.
func gridCameras(t *testing.T) (func() []player.LiveCamera, *atomic.Int32) {
	t.Helper()
	door, yard := &mjpeg.Server{}, &mjpeg.Server{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done; door.Close(); yard.Close() })
	go func() {
		defer close(done)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			j := testkit.StampJPEG(testkit.SolidJPEG(32, 24, color.Gray{Y: uint8(i)}), uint64(i))
			door.Publish(j)
			yard.Publish(j)
		}
	}()
	var triggers atomic.Int32
	return func() []player.LiveCamera {
		return []player.LiveCamera{
			{Name: "door", Live: door, Trigger: func() { triggers.Add(1) }},
			{Name: "yard", Live: yard},
		}
	}, &triggers
}

// TestGrid: the page and its script, /api/cameras as status gives it,
// each camera's stream (at a reduced rate with ?fps=, its frames at
// least that far apart), its snapshot and its trigger; unknown cameras
// 404; a foreign Host 403 as on every player page.
func TestGrid(t *testing.T) {
	cams, triggers := gridCameras(t)
	status := func() any {
		return []map[string]any{{"name": "door", "connected": true, "fps": 50.0}, {"name": "yard", "connected": false}}
	}
	srv := httptest.NewServer(player.NewGrid(cams, status, player.Options{}))
	defer srv.Close()
	get := func(path string) (*http.Response, string) {
		res, err := http.Get(srv.URL + path)
		require.NoError(t, err)
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}

	res, body := get("/")
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Contains(t, body, `src="static/grid.js"`)
	assert.Contains(t, body, `data-fps="2"`, "the page asks player.GridFPS")
	assert.Equal(t, 2, player.GridFPS)
	res, body = get("/static/grid.js")
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Contains(t, body, "stream.mjpg?fps=")
	assert.Contains(t, body, "'trigger'")

	res, body = get("/api/cameras")
	require.Equal(t, http.StatusOK, res.StatusCode)
	var got []map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &got))
	assert.Equal(t, "door", got[0]["name"])
	assert.Equal(t, false, got[1]["connected"])

	// The grid's rate: frames at least 1/5 s apart (a slow machine only
	// spaces them more), where the camera publishes every 20 ms.
	r, err := mjpeg.Dial(context.Background(), srv.URL+"/cam/door/stream.mjpg?fps=5")
	require.NoError(t, err)
	var at []time.Time
	var seqs []uint64
	for range 4 {
		f, err := r.NextFrame()
		require.NoError(t, err)
		at = append(at, time.Now())
		seq, ok := testkit.SeqOf(f)
		require.True(t, ok)
		seqs = append(seqs, seq)
	}
	r.Close()
	for i := 2; i < len(at); i++ { // the first two may be the newest and the next at once
		assert.GreaterOrEqual(t, at[i].Sub(at[i-1]), 150*time.Millisecond, "frame %d came too soon for fps=5", i)
		assert.Greater(t, seqs[i], seqs[i-1]+2, "frames between were skipped")
	}
	// The full stream, when a camera is opened.
	r, err = mjpeg.Dial(context.Background(), srv.URL+"/cam/yard/stream.mjpg")
	require.NoError(t, err)
	_, err = r.NextFrame()
	require.NoError(t, err)
	r.Close()
	res, _ = get("/cam/door/stream.mjpg?fps=nope")
	assert.Equal(t, http.StatusBadRequest, res.StatusCode, "?fps= goes to the camera's mjpeg.Server")
	res, body = get("/cam/yard/snapshot.jpg")
	require.Equal(t, http.StatusOK, res.StatusCode)
	_, ok := testkit.SeqOf([]byte(body))
	assert.True(t, ok)
	res, _ = get("/cam/gate/stream.mjpg")
	assert.Equal(t, http.StatusNotFound, res.StatusCode)

	post := func(path string) int {
		res, err := http.Post(srv.URL+path, "", nil)
		require.NoError(t, err)
		res.Body.Close()
		return res.StatusCode
	}
	assert.Equal(t, http.StatusNoContent, post("/cam/door/trigger"))
	assert.Equal(t, int32(1), triggers.Load())
	assert.Equal(t, http.StatusNotFound, post("/cam/yard/trigger"), "yard has no trigger")
	assert.Equal(t, http.StatusNotFound, post("/cam/gate/trigger"))

	req, _ := http.NewRequest("GET", srv.URL+"/api/cameras", nil)
	req.Host = "evil.example"
	res, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusForbidden, res.StatusCode, "DNS rebinding: a foreign Host on loopback")
}

// TestGridToken: with a token, every path needs it.
func TestGridToken(t *testing.T) {
	cams, triggers := gridCameras(t)
	srv := httptest.NewServer(player.NewGrid(cams, nil, player.Options{Token: "s3cret"}))
	defer srv.Close()
	for _, p := range []string{"/", "/api/cameras", "/cam/door/snapshot.jpg"} {
		res, err := http.Get(srv.URL + p)
		require.NoError(t, err)
		res.Body.Close()
		assert.Equal(t, http.StatusUnauthorized, res.StatusCode, p)
	}
	res, err := http.Post(srv.URL+"/cam/door/trigger", "", nil)
	require.NoError(t, err)
	res.Body.Close()
	assert.NotEqual(t, http.StatusNoContent, res.StatusCode)
	assert.Equal(t, int32(0), triggers.Load())
	res, err = http.Get(srv.URL + "/api/cameras?token=s3cret")
	require.NoError(t, err)
	var got []map[string]string
	require.NoError(t, json.NewDecoder(res.Body).Decode(&got))
	res.Body.Close()
	assert.Equal(t, []map[string]string{{"name": "door"}, {"name": "yard"}}, got)
}
