package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/color"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/internal/testkit"
	"github.com/imgstream/imgstream/mjpeg"
	"github.com/imgstream/imgstream/record"
	"github.com/imgstream/imgstream/shm"
)

// testCamera serves stamped JPEG frames at 50 fps as MJPEG on 127.0.0.1
// until the test ends.
func testCamera(t *testing.T) string {
	t.Helper()
	var srv mjpeg.Server
	ts := httptest.NewServer(&srv)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		jpg := testkit.SolidJPEG(32, 24, color.Gray{Y: 128})
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for n := uint64(0); ; n++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				srv.Publish(testkit.StampJPEG(jpg, n))
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		srv.Close()
		ts.Close()
	})
	return ts.URL
}

// TestRecordSecurityCamera runs `imgstream record` as a person would, on
// a camera: event mode with a live view; a POST /trigger, a SIGUSR1 and a
// line on stdin each make a clip, printed as a JSON line, passed to
// --on-event and --webhook, and whole, and /api/events tells of the
// camera and its clips; SIGINT ends it with exit status 0.
func TestRecordSecurityCamera(t *testing.T) {
	cam := testCamera(t)
	dir := t.TempDir()
	log := filepath.Join(dir, "events.txt")
	var hookMu sync.Mutex
	var posted []record.Event
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var e record.Event
		if assert.NoError(t, json.NewDecoder(r.Body).Decode(&e)) {
			hookMu.Lock()
			posted = append(posted, e)
			hookMu.Unlock()
		}
	}))
	defer hook.Close()
	cmd := exec.Command(bin, "record", cam, filepath.Join(dir, "clips", "%Y%m%d-%H%M%S.omv"),
		"--pre", "500ms", "--post", "300ms", "--json", "--listen", "127.0.0.1:0", "--name", "porch", "--webhook", hook.URL,
		"--on-event", `[ "$IMGSTREAM_EVENT" = clip ] || exit 0; read -r js; case "$js" in *'"camera":"porch"'*) ;; *) exit 1;; esac; echo "$IMGSTREAM_TRIGGER $IMGSTREAM_FRAMES $IMGSTREAM_CLIP $IMGSTREAM_CAMERA" >> `+log)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	defer cmd.Process.Kill()
	addr := testkit.Addr(t, stderr)
	clips := make(chan record.Event)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var e record.Event
			if json.Unmarshal(sc.Bytes(), &e) == nil && e.Kind == record.ClipClosed {
				clips <- e
			}
		}
		close(clips)
	}()
	// The live view is up, and the recorder gets frames.
	require.Eventually(t, func() bool {
		resp, err := http.Get("http://" + addr + "/api/status")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var st record.Status
		return json.NewDecoder(resp.Body).Decode(&st) == nil && st.FramesIn > 40 && st.Connected && !st.Recording
	}, 20*time.Second, 20*time.Millisecond)
	// The events, as Server-Sent Events: the camera up, first.
	evResp, err := http.Get("http://" + addr + "/api/events")
	require.NoError(t, err)
	defer evResp.Body.Close()
	assert.Equal(t, "text/event-stream", evResp.Header.Get("Content-Type"))
	sse := bufio.NewScanner(evResp.Body)
	sseEvents := make(chan record.Event, 100)
	go func() {
		for sse.Scan() {
			var e record.Event
			if d, ok := strings.CutPrefix(sse.Text(), "data: "); ok && json.Unmarshal([]byte(d), &e) == nil {
				sseEvents <- e
			}
		}
	}()
	select {
	case e := <-sseEvents:
		assert.Equal(t, record.CameraUp, e.Kind)
		assert.Equal(t, "porch", e.Camera)
	case <-time.After(30 * time.Second):
		t.Fatal("no event on /api/events")
	}
	// A snapshot from the past: the ring's frame nearest the time.
	at := time.Now().Add(-200 * time.Millisecond)
	resp, err := http.Get("http://" + addr + "/api/snapshot?at=" + url.QueryEscape(at.Format(time.RFC3339Nano)))
	require.NoError(t, err)
	snap, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, string(snap))
	_, stamped := testkit.SeqOf(snap)
	assert.True(t, stamped, "a frame of the camera, as it sent it")
	when, err := time.Parse(time.RFC3339Nano, resp.Header.Get("X-Frame-Time"))
	require.NoError(t, err)
	assert.InDelta(t, 0, when.Sub(at).Seconds(), 0.1, "the frame nearest the time (50 fps)")
	resp, err = http.Get("http://" + addr + "/api/snapshot?at=" + url.QueryEscape(at.Add(-time.Hour).Format(time.RFC3339Nano)))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode, "an hour ago is not in the ring")
	triggers := []struct {
		name string
		do   func()
	}{
		{"http", func() {
			resp, err := http.Post("http://"+addr+"/trigger", "", nil)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusNoContent, resp.StatusCode)
		}},
		{"signal", func() { require.NoError(t, cmd.Process.Signal(syscall.SIGUSR1)) }},
		{"stdin", func() { stdin.Write([]byte("\n")) }},
	}
	for _, tr := range triggers {
		tr.do()
		var e record.Event
		select {
		case e = <-clips:
		case <-time.After(30 * time.Second):
			t.Fatalf("%s: no clip", tr.name)
		}
		assert.Equal(t, record.ClipClosed, e.Kind)
		assert.Equal(t, tr.name, e.Trigger)
		// The pre-trigger frames and those of the post: at 50 fps, about
		// 25 and 15; the machine may be slow, not faster.
		assert.GreaterOrEqual(t, e.Frames, 10, tr.name)
		s, err := imageio.Open(e.Path, nil)
		require.NoError(t, err)
		assert.Equal(t, e.Frames, s.Count(), tr.name)
		assert.NoError(t, s.Damage())
		m, err := s.Read(imageio.ReadOptions{})
		require.NoError(t, err)
		_, stamped := testkit.SeqOf(m.Data)
		assert.True(t, stamped, "the camera's JPEG, untouched")
		s.Close()
	}
	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	require.NoError(t, cmd.Wait(), "an interrupt ends it cleanly")
	var ran []string
	require.Eventually(t, func() bool {
		b, _ := os.ReadFile(log)
		ran = strings.Fields(string(b))
		return len(ran) == 12
	}, 10*time.Second, 10*time.Millisecond, "--on-event ran for each clip")
	paths, err := filepath.Glob(filepath.Join(dir, "clips", "*.omv"))
	require.NoError(t, err)
	assert.Len(t, paths, 3)
	for _, p := range paths {
		assert.FileExists(t, p+record.SideSuffix, "each clip's side file")
	}
	for i := 0; i < len(ran); i += 4 {
		assert.Contains(t, []string{"http", "signal", "stdin"}, ran[i])
		assert.Contains(t, paths, ran[i+2])
		assert.Equal(t, "porch", ran[i+3])
	}
	// The webhook got every event but the syncs, the clips among them,
	// before record exited.
	hookMu.Lock()
	defer hookMu.Unlock()
	var kinds []record.Kind
	for _, e := range posted {
		kinds = append(kinds, e.Kind)
		assert.Equal(t, "porch", e.Camera)
	}
	assert.Equal(t, record.CameraUp, kinds[0])
	count := map[record.Kind]int{}
	for _, k := range kinds {
		count[k]++
	}
	assert.Equal(t, 3, count[record.ClipClosed], "%v", kinds)
	assert.Equal(t, 3, count[record.ClipOpened], "%v", kinds)
	assert.NotContains(t, kinds, record.Synced)
}

// TestRecordStdin: an OMV stream on stdin is recorded frame for frame,
// with its timing.
func TestRecordStdin(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out.omv")
	cmd := exec.Command(bin, "record", "-", out)
	in, err := os.Open(sample)
	require.NoError(t, err)
	defer in.Close()
	cmd.Stdin = in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Run(), stderr.String())
	want, wantTimes := recordingFrames(t, sample)
	got, gotTimes := recordingFrames(t, out)
	require.Len(t, got, len(want))
	for i := range want {
		assert.Equal(t, want[i].Data, got[i].Data, "frame %d", i)
		if i > 0 {
			assert.Equal(t, wantTimes[i]-wantTimes[i-1], gotTimes[i]-gotTimes[i-1], "frame %d's interval", i)
		}
	}
}

// TestRecordSHMBGR24: `record shm:NAME --count 10` of an OpenCV writer's
// BGR24 frames ends with ten JPEG frames in the file, in their colours.
func TestRecordSHMBGR24(t *testing.T) {
	const w, h = 64, 48
	name := fmt.Sprintf("imgstream-cli-bgr-%d", os.Getpid())
	sw, err := shm.CreateWith(name, w*h*3, shm.Options{Slots: 4})
	require.NoError(t, err)
	defer sw.Close()
	out := filepath.Join(t.TempDir(), "bgr.omv")
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute) // a failure, not a hang, if --count is never reached
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "record", "shm:"+name, out, "--count", "10")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	frame := bytes.Repeat([]byte{220, 120, 40}, w*h) // blue, green, red
	hdr := container.Header{Width: w, Height: h, Format: container.BGR24, Size: len(frame)}
	tick := time.NewTicker(5 * time.Millisecond) // a camera's pace; the reader takes the newest frame
	defer tick.Stop()
	var runErr error
write:
	for {
		require.NoError(t, sw.Write(hdr, frame))
		select {
		case runErr = <-done:
			break write
		case <-tick.C:
		}
	}
	require.NoError(t, runErr, stderr.String())
	got, _ := recordingFrames(t, out)
	require.Len(t, got, 10, stderr.String())
	for i, m := range got {
		require.Equal(t, container.JPEG, m.Format, "frame %d", i)
		img, err := m.Decode()
		require.NoError(t, err, "frame %d", i)
		r, g, b, _ := img.At(w/2, h/2).RGBA()
		assert.InDelta(t, 40, int(r>>8), 4, "frame %d red", i)
		assert.InDelta(t, 120, int(g>>8), 4, "frame %d green", i)
		assert.InDelta(t, 220, int(b>>8), 4, "frame %d blue", i)
	}
}

// TestRecordNeverDelivers: a source that never delivers (the player's
// page instead of its stream, a NATS server that is not there) is logged
// once, with what it answered, and --duration ends the run, which
// recorded nothing: exit status 3.
func TestRecordNeverDelivers(t *testing.T) {
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte("<!doctype html><title>imgstream</title>"))
	}))
	defer page.Close()
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	// A stream that sends its headers and then nothing: --duration (500ms)
	// ends it before --stall (5s) says anything. Before, that was exit 0,
	// with no word and no clip.
	silent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "multipart/x-mixed-replace; boundary=frame")
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer silent.Close()
	for _, tc := range []struct {
		src, want string
		times     int // the times want is said: logged once, then in the final error
	}{
		{page.URL + "/", "text/html; charset=utf-8: is this the page, not the stream?", 2},
		{"nats://" + strings.TrimPrefix(gone.URL, "http://") + "/door", "no servers available", 2},
		{silent.URL + "/stream.mjpg", "nothing came in 500ms (--duration)", 1},
	} {
		t.Run(tc.src, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "x.omv")
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute) // a failure, not a hang, if --duration is never reached
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "record", tc.src, out, "--duration", "500ms")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			require.Error(t, err, stderr.String())
			var ee *exec.ExitError
			require.ErrorAs(t, err, &ee)
			assert.Equal(t, 3, ee.ExitCode(), stderr.String())
			assert.Equal(t, tc.times, strings.Count(stderr.String(), tc.want), stderr.String())
			assert.Contains(t, stderr.String(), "no frame from "+tc.src)
			assert.NoFileExists(t, out)
		})
	}
}

func TestRecordUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"record", "ftp://camera"},
		{"record", "-", "--pre", "6m"},
		{"record", "-", "--keep", "lots"},
		{"record", "-", "--split", "often"},
		{"record", "-", "--motion-area", "5"},
		{"record", "-", "--token", "x"},
		{"record", "-", "x/%Q.omv"},
		{"record", "-", "--motion", "--motion-mask", "1,2,3"},
		{"record", "-", "--pre", "1s", "--pre-size", "1TiB"},
		{"record", "-", "--pre", "1s", "--pre-size", "1025MiB"},
		{"publish", "-", "cam", "--acked"},
		{"publish", "-", "cam", "--keep", "forever"},
		{"publish", "-", "bad.camera"},
	} {
		_, stderr, code := cli(t, args...)
		assert.Equal(t, 2, code, "%v: %s", args, stderr)
		assert.NotContains(t, stderr, "panic", "%v", args)
		assert.NotContains(t, stderr, "fatal error", "%v", args)
		assert.Contains(t, stderr, "--help", "%v", args)
	}
}

func TestParseSizeAndAge(t *testing.T) {
	for s, want := range map[string]int64{"1000": 1000, "64MiB": 64 << 20, "1GiB": 1 << 30, "20GB": 20e9, "1.5KiB": 1536, "500kB": 500e3} {
		n, err := parseSize(s)
		require.NoError(t, err, s)
		assert.Equal(t, want, n, s)
	}
	for _, s := range []string{"", "GiB", "-1", "1XB", "1e30TiB", "7d"} {
		_, err := parseSize(s)
		assert.Error(t, err, s)
	}
	for s, want := range map[string]time.Duration{"7d": 7 * 24 * time.Hour, "12h": 12 * time.Hour, "0.5d": 12 * time.Hour} {
		d, err := parseAge(s)
		require.NoError(t, err, s)
		assert.Equal(t, want, d, s)
	}
	for _, s := range []string{"", "d", "-1d", "20GiB", "0s"} {
		_, err := parseAge(s)
		assert.Error(t, err, s)
	}
}

// TestRecordStdinJPEGs: JPEGs written back to back (ffmpeg -f mjpeg, an
// OpenCV program writing cv2.imencode's bytes) and a multipart stream
// (ffmpeg -f mpjpeg) on stdin are recorded frame for frame, as the bytes
// the program wrote; before, they were "not an OMV IMG STR stream".
func TestRecordStdinJPEGs(t *testing.T) {
	want, _ := recordingFrames(t, sample)
	var bare, multipart bytes.Buffer
	for _, m := range want {
		bare.Write(m.Data)
		fmt.Fprintf(&multipart, "--ffmpeg\r\nContent-type: image/jpeg\r\nContent-length: %d\r\n\r\n", len(m.Data))
		multipart.Write(m.Data)
		multipart.WriteString("\r\n")
	}
	for name, in := range map[string][]byte{"jpeg": bare.Bytes(), "mpjpeg": multipart.Bytes()} {
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out.omv")
			cmd := exec.Command(bin, "record", "-", out)
			cmd.Stdin = bytes.NewReader(in)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			require.NoError(t, cmd.Run(), stderr.String())
			got, _ := recordingFrames(t, out)
			require.Len(t, got, len(want))
			for i := range want {
				assert.Equal(t, want[i].Data, got[i].Data, "frame %d", i)
				assert.Equal(t, [2]int{320, 240}, [2]int{got[i].Width, got[i].Height})
			}
		})
	}
	// Bytes that are none of them say what they look like.
	cmd := exec.Command(bin, "record", "-", filepath.Join(t.TempDir(), "x.omv"))
	cmd.Stdin = strings.NewReader("usage: camera [options]\n")
	out, err := cmd.CombinedOutput()
	require.Error(t, err)
	assert.Contains(t, string(out), `"usage: camera [o" (text)`)
}
