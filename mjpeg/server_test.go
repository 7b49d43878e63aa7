package mjpeg_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"image/color"
	"image/jpeg"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/imgstream/imgstream/internal/testkit"
	"github.com/imgstream/imgstream/mjpeg"
)

// testJPEG makes a small solid JPEG whose colour encodes n.
func testJPEG(t testing.TB, n int) []byte {
	return testkit.SolidJPEG(16, 16, color.RGBA{byte(n * 40), byte(255 - n*40), byte(n * 90), 255})
}

// serve starts s on a real server on 127.0.0.1.
func serve(t *testing.T, s *mjpeg.Server) *httptest.Server {
	t.Helper()
	ts := httptest.NewUnstartedServer(s.Handler())
	ts.Listener = mjpeg.LimitSendBuffer(ts.Listener, 64<<10)
	ts.Start()
	t.Cleanup(func() {
		s.Close()
		ts.Close()
	})
	return ts
}

// TestWireFormat reads the raw bytes of a stream: a boundary line before
// the first part, then each part with an exact Content-Length and the next
// boundary line right after the JPEG.
func TestWireFormat(t *testing.T) {
	var s mjpeg.Server
	ts := serve(t, &s)
	frame := testJPEG(t, 1)
	require.NoError(t, s.Publish(frame))

	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	fmt.Fprintf(conn, "GET /stream.mjpg HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "multipart/x-mixed-replace; boundary=frame", resp.Header.Get("Content-Type"))
	assert.Contains(t, resp.Header.Get("Cache-Control"), "no-cache")

	body := bufio.NewReader(resp.Body)
	line, err := body.ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "--frame\r\n", line, "a boundary line before the first part")
	tp := make(map[string]string)
	for {
		line, err := body.ReadString('\n')
		require.NoError(t, err)
		if line == "\r\n" {
			break
		}
		k, v, _ := strings.Cut(strings.TrimRight(line, "\r\n"), ": ")
		tp[k] = v
	}
	assert.Equal(t, "image/jpeg", tp["Content-Type"])
	assert.Equal(t, fmt.Sprint(len(frame)), tp["Content-Length"])
	got := make([]byte, len(frame)+len("\r\n--frame\r\n"))
	_, err = io.ReadFull(body, got)
	require.NoError(t, err)
	assert.Equal(t, frame, got[:len(frame)])
	assert.Equal(t, "\r\n--frame\r\n", string(got[len(frame):]), "the next boundary follows the JPEG at once")
}

// TestStandardMultipartReader reads the stream with mime/multipart, as a
// strict client would.
func TestStandardMultipartReader(t *testing.T) {
	var s mjpeg.Server
	ts := serve(t, &s)
	resp, err := http.Get(ts.URL + "/stream.mjpg")
	require.NoError(t, err)
	defer resp.Body.Close()
	_, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	require.NoError(t, err)
	mr := multipart.NewReader(resp.Body, params["boundary"])
	for i := range 5 {
		want := testJPEG(t, i)
		require.NoError(t, s.Publish(want))
		p, err := mr.NextPart()
		require.NoError(t, err)
		assert.Equal(t, "image/jpeg", p.Header.Get("Content-Type"))
		got, err := io.ReadAll(p)
		require.NoError(t, err)
		assert.Equal(t, want, got, "frame %d", i)
	}
}

// TestNewestFrame: a viewer gets the newest frame at once, then every
// frame published while it keeps up.
func TestNewestFrame(t *testing.T) {
	var s mjpeg.Server
	ts := serve(t, &s)
	for i := range 3 {
		require.NoError(t, s.Publish(testJPEG(t, i)))
	}
	r, err := mjpeg.Dial(context.Background(), ts.URL+"/stream.mjpg")
	require.NoError(t, err)
	defer r.Close()
	f, err := r.NextFrame()
	require.NoError(t, err)
	assert.Equal(t, testJPEG(t, 2), f, "the newest frame first")
	for i := 3; i < 6; i++ {
		require.NoError(t, s.Publish(testJPEG(t, i)))
		f, err := r.NextFrame()
		require.NoError(t, err)
		assert.Equal(t, testJPEG(t, i), f)
	}
	// Handlers count a delivery after their write returns.
	require.Eventually(t, func() bool { return s.Stats().Delivered == 4 }, 10*time.Second, time.Millisecond)
	st := s.Stats()
	assert.Equal(t, uint64(6), st.Published)
	assert.Equal(t, 1, st.Viewers)
}

// TestSlowViewer: a viewer that never reads holds up neither Publish nor
// another viewer, costs the server no memory per frame, and is dropped once
// a write to it stalls for WriteTimeout.
//
// Nothing here depends on the machine's speed. While the other viewer is
// watched, WriteTimeout is a minute, so a loaded machine that leaves that
// viewer's reader unscheduled for a while cannot have it dropped (at 300 ms
// it could); the drop is checked on a second server with a stalled viewer
// alone, which no amount of load keeps from stalling.
func TestSlowViewer(t *testing.T) {
	big := bytes.Repeat([]byte{0xff}, 256<<10) // 256 KiB frames fill the stalled viewer's buffers
	stall := func(ts *httptest.Server) net.Conn {
		c, err := net.Dial("tcp", ts.Listener.Addr().String())
		require.NoError(t, err)
		t.Cleanup(func() { c.Close() })
		c.(*net.TCPConn).SetReadBuffer(4 << 10)
		fmt.Fprintf(c, "GET /stream.mjpg HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
		return c
	}

	s := &mjpeg.Server{WriteTimeout: time.Minute}
	ts := serve(t, s)
	stall(ts)
	fast, err := mjpeg.Dial(context.Background(), ts.URL+"/stream.mjpg")
	require.NoError(t, err)
	defer fast.Close()
	require.Eventually(t, func() bool { return s.Stats().Viewers == 2 }, 10*time.Second, time.Millisecond)
	// The other viewer reads all the time, and says when it has frame 7.
	got7 := make(chan error, 1)
	go func() {
		for {
			f, err := fast.NextFrame()
			if err != nil || bytes.Equal(f, testJPEG(t, 7)) {
				got7 <- err
				return
			}
		}
	}()

	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range 200 {
		big[0] = byte(i)
		require.NoError(t, s.Publish(big)) // never waits for a viewer
	}
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	assert.Less(t, int64(after.HeapInuse)-int64(before.HeapInuse), int64(8<<20),
		"200 frames of 256 KiB with a stalled viewer: nothing queues up")
	// The other viewer gets to the newest frame while the stalled one is
	// still there.
	require.NoError(t, s.Publish(testJPEG(t, 7)))
	require.NoError(t, <-got7)
	st := s.Stats()
	assert.Equal(t, 2, st.Viewers, "the stalled viewer is still attached")
	assert.Zero(t, st.Dropped)

	// A stalled viewer is dropped after WriteTimeout.
	s2 := &mjpeg.Server{WriteTimeout: 300 * time.Millisecond}
	ts2 := serve(t, s2)
	stall(ts2)
	require.Eventually(t, func() bool { return s2.Stats().Viewers == 1 }, 10*time.Second, time.Millisecond)
	for i := range 4 {
		big[0] = byte(i)
		require.NoError(t, s2.Publish(big))
	}
	require.Eventually(t, func() bool { return s2.Stats().Dropped == 1 }, 10*time.Second, 5*time.Millisecond, "the stalled viewer is dropped")
	require.Eventually(t, func() bool { return s2.Stats().Viewers == 0 }, 10*time.Second, 5*time.Millisecond, "and gone")
}

func TestSourceLifecycle(t *testing.T) {
	var running, starts atomic.Int32
	s := &mjpeg.Server{
		IdleTimeout: 100 * time.Millisecond,
		Source: mjpeg.SourceFunc(func(ctx context.Context, publish func([]byte)) error {
			starts.Add(1)
			running.Add(1)
			defer running.Add(-1)
			tick := time.NewTicker(5 * time.Millisecond)
			defer tick.Stop()
			for i := 0; ; i++ {
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-tick.C:
					publish(testJPEG(t, i%5))
				}
			}
		}),
	}
	ts := serve(t, s)
	assert.Zero(t, running.Load(), "no viewer, no source")
	r, err := mjpeg.Dial(context.Background(), ts.URL+"/stream.mjpg")
	require.NoError(t, err)
	for range 3 {
		_, err := r.NextFrame()
		require.NoError(t, err)
	}
	assert.Equal(t, int32(1), running.Load())
	assert.True(t, s.Stats().Running)
	r.Close()
	require.Eventually(t, func() bool { return running.Load() == 0 }, 10*time.Second, 5*time.Millisecond, "stops after the idle timeout")
	assert.False(t, s.Stats().Running)

	// A snapshot starts it again and waits for its first frame.
	resp, err := http.Get(ts.URL + "/snapshot.jpg")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "image/jpeg", resp.Header.Get("Content-Type"))
	_, err = jpeg.Decode(bytes.NewReader(body))
	require.NoError(t, err)
	assert.Equal(t, int32(2), starts.Load())
	require.NoError(t, s.Close())
	assert.Zero(t, running.Load(), "Close waits for the source")
}

func TestSourceErrorIsReported(t *testing.T) {
	s := &mjpeg.Server{WriteTimeout: 100 * time.Millisecond, Source: mjpeg.SourceFunc(func(ctx context.Context, publish func([]byte)) error {
		return fmt.Errorf("camera unplugged")
	})}
	ts := serve(t, s)
	resp, err := http.Get(ts.URL + "/snapshot.jpg")
	require.NoError(t, err)
	resp.Body.Close()
	require.Eventually(t, func() bool { return s.Stats().SourceErr != nil }, 10*time.Second, time.Millisecond)
	assert.EqualError(t, s.Stats().SourceErr, "camera unplugged")
}

func TestSnapshot(t *testing.T) {
	s := &mjpeg.Server{WriteTimeout: 50 * time.Millisecond}
	ts := serve(t, s)
	resp, err := http.Get(ts.URL + "/snapshot.jpg")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, "no frame and no source")
	require.NoError(t, s.Publish(testJPEG(t, 1)))
	require.NoError(t, s.Publish(testJPEG(t, 2)))
	resp, err = http.Get(ts.URL + "/snapshot.jpg")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, testJPEG(t, 2), body, "the newest frame")
}

func TestIndexPage(t *testing.T) {
	var s mjpeg.Server
	ts := serve(t, &s)
	resp, err := http.Get(ts.URL + "/")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
	assert.Contains(t, string(body), `<img src="stream.mjpg"`)
	resp, err = http.Get(ts.URL + "/nothing")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}

func TestMaxViewers(t *testing.T) {
	s := &mjpeg.Server{MaxViewers: 2}
	ts := serve(t, s)
	require.NoError(t, s.Publish(testJPEG(t, 0)))
	var readers []*mjpeg.Reader
	for range 2 {
		r, err := mjpeg.Dial(context.Background(), ts.URL+"/stream.mjpg")
		require.NoError(t, err)
		defer r.Close()
		readers = append(readers, r)
	}
	_, err := mjpeg.Dial(context.Background(), ts.URL+"/stream.mjpg")
	var se *mjpeg.StatusError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, http.StatusServiceUnavailable, se.StatusCode)
	readers[0].Close()
	require.Eventually(t, func() bool { return s.Stats().Viewers == 1 }, 10*time.Second, time.Millisecond)
	r, err := mjpeg.Dial(context.Background(), ts.URL+"/stream.mjpg")
	require.NoError(t, err, "room again")
	r.Close()
}

// TestFPSLimit: a viewer that asks for 10 frames a second gets one every
// 100 ms exactly, on the bubble's fake clock, and always the newest, while
// frames are published every millisecond.
func TestFPSLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var s mjpeg.Server
		client := serveInBubble(t, &s)
		ctx, stop := context.WithCancel(context.Background())
		published := make(chan struct{})
		go func() {
			defer close(published)
			for i := 0; ctx.Err() == nil; i++ {
				s.Publish(testkit.StampJPEG(testJPEG(t, 0), uint64(i)))
				time.Sleep(time.Millisecond)
			}
		}()
		r, err := mjpeg.DialClient(context.Background(), client, "http://camera/stream.mjpg?fps=10")
		require.NoError(t, err)
		start := time.Now()
		for i := range 5 {
			f, err := r.NextFrame()
			require.NoError(t, err)
			assert.Equal(t, time.Duration(i)*100*time.Millisecond, time.Since(start), "frame %d", i)
			seq, ok := testkit.SeqOf(f)
			require.True(t, ok)
			// Publishing runs a millisecond a frame: the newest is the
			// one published at this very moment.
			assert.InDelta(t, float64(time.Since(start)/time.Millisecond), float64(seq), 1, "frame %d is the newest", i)
		}
		stop()
		<-published
		r.Close()
		assert.Positive(t, s.Stats().Skipped)
	})
}

// TestNoGoroutineLeak connects and disconnects 1 000 viewers, then closes
// the server: no goroutine is left.
func TestNoGoroutineLeak(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	s := &mjpeg.Server{Source: mjpeg.SourceFunc(func(ctx context.Context, publish func([]byte)) error {
		frame := testJPEG(t, 3)
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-tick.C:
				publish(frame)
			}
		}
	})}
	ts := httptest.NewServer(s.Handler())
	tr := &http.Transport{}
	client := &http.Client{Transport: tr}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 50)
	for i := range 1000 {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ts.URL+"/stream.mjpg", nil)
			resp, err := client.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			r := mjpeg.NewReader(resp.Body, "frame")
			if i%2 == 0 { // half read a frame, half leave at once
				if _, err := r.NextFrame(); err != nil {
					t.Error(err)
				}
			}
			resp.Body.Close()
		}()
	}
	wg.Wait()
	require.NoError(t, s.Close())
	ts.Close()
	tr.CloseIdleConnections()
	assert.Zero(t, s.Stats().Viewers)
}

func TestPublishAfterClose(t *testing.T) {
	var s mjpeg.Server
	require.NoError(t, s.Close())
	require.NoError(t, s.Close())
	require.ErrorIs(t, s.Publish(testJPEG(t, 0)), mjpeg.ErrClosed)
}

// TestCloseEndsStreams: Close makes every stream handler return, so the
// http.Server can shut down.
func TestCloseEndsStreams(t *testing.T) {
	var s mjpeg.Server
	ctx, cancel := context.WithCancel(context.Background())
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- mjpeg.Serve(ctx, l, s.Handler(), &s) }()
	require.NoError(t, s.Publish(testJPEG(t, 0)))
	r, err := mjpeg.Dial(context.Background(), "http://"+l.Addr().String()+"/stream.mjpg")
	require.NoError(t, err)
	defer r.Close()
	_, err = r.NextFrame()
	require.NoError(t, err)
	cancel()
	require.NoError(t, <-done)
	_, err = r.NextFrame()
	assert.Equal(t, io.EOF, err, "the stream ended at a part's end")
}

// TestAuthMiddleware shows authentication as plain middleware.
func TestAuthMiddleware(t *testing.T) {
	var s mjpeg.Server
	auth := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if u, p, ok := r.BasicAuth(); !ok || u != "cam" || p != "secret" {
				w.Header().Set("WWW-Authenticate", `Basic realm="camera"`)
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	ts := httptest.NewServer(auth(s.Handler()))
	defer ts.Close()
	defer s.Close()
	resp, err := http.Get(ts.URL + "/snapshot.jpg")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.NoError(t, s.Publish(testJPEG(t, 4)))
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/snapshot.jpg", nil)
	req.SetBasicAuth("cam", "secret")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

// TestRepeatAfterPause: a viewer that has the newest frame and sees nothing
// newer gets it once more after exactly RepeatAfter (so browsers show it),
// and only once; with RepeatAfter < 0, never. On the bubble's fake clock,
// a repeat that came late, early or twice fails every run.
func TestRepeatAfterPause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &mjpeg.Server{RepeatAfter: 30 * time.Millisecond}
		client := serveInBubble(t, s)
		r, err := mjpeg.DialClient(context.Background(), client, "http://camera/stream.mjpg")
		require.NoError(t, err)
		defer r.Close()
		require.NoError(t, s.Publish(testJPEG(t, 1)))
		start := time.Now()
		for i := range 2 { // the frame, then its repeat
			f, err := r.NextFrame()
			require.NoError(t, err)
			assert.Equal(t, testJPEG(t, 1), f)
			assert.Equal(t, time.Duration(i)*s.RepeatAfter, time.Since(start), "part %d", i)
		}
		// Long after, still one repeat: the next part is the next frame.
		time.Sleep(100 * s.RepeatAfter)
		synctest.Wait()
		assert.Equal(t, uint64(1), s.Stats().Repeated)
		require.NoError(t, s.Publish(testJPEG(t, 2)))
		f, err := r.NextFrame()
		require.NoError(t, err)
		assert.Equal(t, testJPEG(t, 2), f)
	})
	synctest.Test(t, func(t *testing.T) {
		quiet := &mjpeg.Server{RepeatAfter: -1}
		client := serveInBubble(t, quiet)
		r, err := mjpeg.DialClient(context.Background(), client, "http://camera/stream.mjpg")
		require.NoError(t, err)
		defer r.Close()
		require.NoError(t, quiet.Publish(testJPEG(t, 1)))
		_, err = r.NextFrame()
		require.NoError(t, err)
		time.Sleep(time.Hour)
		synctest.Wait()
		assert.Zero(t, quiet.Stats().Repeated, "RepeatAfter < 0 never repeats")
	})
}

// serveInBubble serves s over an in-memory network inside the synctest
// bubble of t, so that its timers run on the bubble's clock, and returns a
// client of it. Cleanup closes the server, so the bubble's goroutines end.
func serveInBubble(t *testing.T, s *mjpeg.Server) *http.Client {
	pn := testkit.NewPipeNet()
	hs := &http.Server{Handler: s.Handler()}
	go hs.Serve(pn)
	client := pn.Client()
	t.Cleanup(func() {
		s.Close()
		hs.Close()
		client.CloseIdleConnections()
	})
	return client
}
