//go:build linux

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"image/color"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/internal/testkit"
	"github.com/imgstream/imgstream/mjpeg"
)

// seqCamera serves an MJPEG stream on 127.0.0.1 whose frames carry
// consecutive numbers (testkit.StampJPEG), 50 a second, written whole
// to each connection in turn: a camera that never skips a frame, so a gap
// in a clip is a frame the recorder lost.
func seqCamera(t *testing.T) (url string, sent *atomic.Uint64) {
	t.Helper()
	sent = new(atomic.Uint64)
	jpg := testkit.SolidJPEG(32, 24, color.Gray{Y: 100})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "multipart/x-mixed-replace; boundary=frame")
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-r.Context().Done():
				return
			case <-tick.C:
			}
			f := testkit.StampJPEG(jpg, sent.Load())
			if _, err := fmt.Fprintf(w, "--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n%s\r\n", len(f), f); err != nil {
				return
			}
			http.NewResponseController(w).Flush()
			sent.Add(1)
		}
	}))
	t.Cleanup(func() { ts.CloseClientConnections(); ts.Close() })
	return ts.URL, sent
}

// clipSeqs returns the frame numbers in the clip at path.
func clipSeqs(t *testing.T, path string) []uint64 {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	zr, err := container.NewReader(f)
	require.NoError(t, err, path)
	var out []uint64
	for {
		_, p, err := zr.ReadFrame(nil)
		if err == io.EOF {
			return out
		}
		require.NoError(t, err, path)
		seq, ok := testkit.SeqOf(p)
		require.True(t, ok)
		out = append(out, seq)
	}
}

// apiCameras is /api/cameras as a test reads it.
type apiCamera struct {
	Name      string  `json:"name"`
	Source    string  `json:"source"`
	Running   bool    `json:"running"`
	Connected bool    `json:"connected"`
	Recording bool    `json:"recording"`
	FPS       float64 `json:"fps"`
	FramesIn  uint64  `json:"frames_in"`
	Dropped   uint64  `json:"dropped"`
	LastError string  `json:"last_error"`
}

// TestRecordConfigReload runs `imgstream record --config` on three
// emulated cameras, then reloads it with SIGHUP: first a config that does
// not parse (logged, every camera runs on), then one that keeps a, removes
// b, changes c and adds d. a's one clip holds every frame, consecutive,
// across the reloads; b's clip is closed; c restarts into its new output,
// d records. /api/cameras, the grid page and a camera's stream at the
// grid's rate work all along; a bad source leaves out only its camera.
func TestRecordConfigReload(t *testing.T) {
	urls := map[string]string{}
	for _, n := range []string{"a", "b", "c", "d"} {
		urls[n], _ = seqCamera(t)
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "cameras.yaml")
	write := func(s string) { require.NoError(t, os.WriteFile(conf, []byte(s), 0o644)) }
	secret := strings.Replace(urls["c"], "http://", "http://admin:hunter2@", 1)
	write(fmt.Sprintf(`defaults:
  output: %s/{name}/%%Y%%m%%d-%%H%%M%%S.omv
cameras:
  a: {source: %s}
  b: {source: %s}
  c: {source: %s}
  broken: {source: ftp://nowhere}
`, dir, urls["a"], urls["b"], secret))
	cmd := exec.Command(bin, "record", "--config", conf, "--listen", "127.0.0.1:0", "--json")
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	cmd.Stdout = io.Discard
	require.NoError(t, cmd.Start())
	defer cmd.Process.Kill()
	var mu sync.Mutex
	var logged []string
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			t.Log(sc.Text())
			mu.Lock()
			logged = append(logged, sc.Text())
			mu.Unlock()
			if m := regexp.MustCompile(`live at http://(127\.0\.0\.1:\d+)/`).FindStringSubmatch(sc.Text()); m != nil {
				addrc <- m[1]
			}
		}
	}()
	sawLog := func(sub string) bool {
		mu.Lock()
		defer mu.Unlock()
		for _, l := range logged {
			if strings.Contains(l, sub) {
				return true
			}
		}
		return false
	}
	var addr string
	select {
	case addr = <-addrc:
	case <-time.After(time.Minute):
		t.Fatal("no live address printed")
	}
	cameras := func() map[string]apiCamera {
		res, err := http.Get("http://" + addr + "/api/cameras")
		require.NoError(t, err)
		defer res.Body.Close()
		var list []apiCamera
		require.NoError(t, json.NewDecoder(res.Body).Decode(&list))
		out := map[string]apiCamera{}
		for _, c := range list {
			out[c.Name] = c
		}
		return out
	}
	waitCams := func(what string, cond func(map[string]apiCamera) bool) map[string]apiCamera {
		t.Helper()
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
			cs := cameras()
			if cond(cs) {
				return cs
			}
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s: %+v", what, cs)
			}
		}
	}
	cs := waitCams("a, b and c to record", func(cs map[string]apiCamera) bool {
		return cs["a"].FramesIn >= 20 && cs["b"].FramesIn >= 20 && cs["c"].FramesIn >= 20
	})
	assert.True(t, cs["a"].Connected && cs["a"].Recording && cs["a"].Running)
	assert.NotContains(t, cs["c"].Source, "hunter2", "passwords redacted")
	assert.Contains(t, cs["c"].Source, "admin:xxxxx@")
	assert.False(t, cs["broken"].Running)
	assert.Contains(t, cs["broken"].LastError, "cameras.yaml:7: cameras.broken.source:")
	assert.True(t, sawLog("camera broken left out; the others run"))

	// The grid page, and a camera at the grid's rate.
	res, err := http.Get("http://" + addr + "/")
	require.NoError(t, err)
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	assert.Contains(t, string(page), "static/grid.js")
	r, err := mjpeg.Dial(context.Background(), "http://"+addr+"/cam/a/stream.mjpg?fps=2")
	require.NoError(t, err)
	f, err := r.NextFrame()
	require.NoError(t, err)
	_, ok := testkit.SeqOf(f)
	assert.True(t, ok)
	r.Close()

	// A config that does not parse: logged, nothing changes.
	write("cameras:\n  a: {source: " + urls["a"] + ", colour: red}\n")
	require.NoError(t, cmd.Process.Signal(syscall.SIGHUP))
	require.Eventually(t, func() bool { return sawLog("reload: " + conf + ":2: cameras.a.colour: unknown field") }, time.Minute, 10*time.Millisecond)
	aBefore := cameras()["a"].FramesIn
	waitCams("b to run on", func(cs map[string]apiCamera) bool { return cs["b"].FramesIn > 0 && cs["a"].FramesIn > aBefore })

	// a the same, b gone, c changed (another output), d new.
	write(fmt.Sprintf(`defaults:
  output: %s/{name}/%%Y%%m%%d-%%H%%M%%S.omv
cameras:
  a: {source: %s}
  c: {source: %s, output: %s/c2/%%Y%%m%%d-%%H%%M%%S.omv}
  d: {source: %s}
`, dir, urls["a"], secret, dir, urls["d"]))
	require.NoError(t, cmd.Process.Signal(syscall.SIGHUP))
	require.Eventually(t, func() bool { return sawLog("reloaded " + conf + ": 3 cameras") }, time.Minute, 10*time.Millisecond)
	aAt := cameras()["a"].FramesIn
	cs = waitCams("a, c and d after the reload", func(cs map[string]apiCamera) bool {
		return cs["a"].FramesIn >= aAt+30 && cs["c"].FramesIn >= 20 && cs["d"].FramesIn >= 20
	})
	_, hasB := cs["b"]
	assert.False(t, hasB, "b removed")
	aIn := cs["a"].FramesIn
	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	require.NoError(t, cmd.Wait())

	clipsOf := func(sub string) []string {
		paths, err := filepath.Glob(filepath.Join(dir, sub, "*.omv"))
		require.NoError(t, err)
		return paths
	}
	aClips := clipsOf("a")
	require.Len(t, aClips, 1, "a ran on through both reloads: one clip")
	seqs := clipSeqs(t, aClips[0])
	assert.GreaterOrEqual(t, uint64(len(seqs)), aIn)
	for i := 1; i < len(seqs); i++ {
		require.Equal(t, seqs[i-1]+1, seqs[i], "a lost frames after frame %d", seqs[i-1])
	}
	require.Len(t, clipsOf("b"), 1)
	assert.NotEmpty(t, clipSeqs(t, clipsOf("b")[0]), "b's clip closed whole")
	require.Len(t, clipsOf("c"), 1, "c's clip before the change")
	require.Len(t, clipsOf("c2"), 1, "c's clip after")
	require.Len(t, clipsOf("d"), 1)
	assert.NotEmpty(t, clipSeqs(t, clipsOf("d")[0]))
}

// TestRecordConfigUsage: the flags of one camera and a SRC do not go with
// --config; a config error names the file, the line and the field.
func TestRecordConfigUsage(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "cameras.yaml")
	require.NoError(t, os.WriteFile(conf, []byte("cameras:\n  door:\n    source: shm:door\n    pre: 5s\n"), 0o644))
	_, stderr, code := cli(t, "record", "--config", conf)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, conf+":4: cameras.door.pre: needs mode: events or motion")
	_, stderr, code = cli(t, "record", "--config", conf, "shm:x")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "no SRC or OUT beside it")
	_, stderr, code = cli(t, "record", "--config", conf, "--motion")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "--motion")
	_, stderr, code = cli(t, "record")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "record needs SRC")
}
