package rtsp_test

import (
	"bytes"
	"context"
	"errors"
	"image/jpeg"
	"strings"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v5/pkg/auth"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/record"
	"github.com/imgstream/imgstream/rtsp"
)

// got is a frame a test received.
type got struct {
	jpeg    []byte
	w, h    int
	t       time.Time     // Frame.Time
	since   time.Duration // Frame.Image.Time
	arrival time.Time
}

// collect runs src until it has n frames, or it ends; it returns them
// and Run's error (nil when it had n frames).
func collect(t *testing.T, src *rtsp.Source, n int) ([]got, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	var frames []got
	enough := errors.New("enough")
	err := src.Run(ctx, func(f *record.Frame) error {
		require.Equal(t, container.JPEG, f.Format)
		frames = append(frames, got{bytes.Clone(f.Data), f.Width, f.Height, f.Time, f.Image.Time, time.Now()})
		if len(frames) == n {
			return enough
		}
		return nil
	})
	if errors.Is(err, enough) {
		err = nil
	}
	return frames, err
}

// checkFrames checks that every frame decodes as a 320x240 JPEG and
// that the frames are 1/15 s apart on the camera's clock.
func checkFrames(t *testing.T, frames []got) {
	t.Helper()
	for i, f := range frames {
		img, err := jpeg.Decode(bytes.NewReader(f.jpeg))
		require.NoError(t, err, "frame %d", i)
		assert.Equal(t, 320, img.Bounds().Dx(), "frame %d", i)
		assert.Equal(t, 240, img.Bounds().Dy(), "frame %d", i)
		assert.Equal(t, 320, f.w)
		assert.Equal(t, 240, f.h)
		assert.Equal(t, f.t.Sub(frames[0].t), f.since, "frame %d: Image.Time counts from the first frame", i)
		if i > 0 {
			// 6000 ticks of the 90 kHz RTP clock, to the nanosecond.
			assert.InDelta(t, float64(time.Second/15), float64(f.t.Sub(frames[i-1].t)), 1, "interval before frame %d", i)
		}
	}
}

// TestMJPEG: ffmpeg publishes 45 MJPEG frames; the source gets each
// one, whole, as ffmpeg encoded it, 1/15 s apart on the RTP clock.
func TestMJPEG(t *testing.T) {
	cs := startServer(t, "")
	cs.publish(45, mjpegArgs...)
	cs.waitAnnounced()
	frames, err := collect(t, &rtsp.Source{URL: cs.url("")}, 45)
	require.NoError(t, err, "got %d frames of 45", len(frames))
	checkFrames(t, frames)
}

// TestDecoded: ffmpeg publishes H.264 and H.265 with B-frames; the
// first 45 frames are each decoded to a JPEG, in presentation order,
// 1/15 s apart. (It publishes more than 45: ffmpeg's decoder holds the
// last frames until it gets the ones after them.)
func TestDecoded(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
	}{{"h264", h264Args}, {"h265", h265Args}} {
		t.Run(tc.name, func(t *testing.T) {
			cs := startServer(t, "")
			cs.publish(60, tc.args...)
			cs.waitAnnounced()
			frames, err := collect(t, &rtsp.Source{URL: cs.url("")}, 45)
			require.NoError(t, err, "got %d frames of 45", len(frames))
			checkFrames(t, frames)
		})
	}
}

// TestFPS: a 15 fps H.264 stream limited to 5 fps gives one frame in
// three, 200 ms apart on the camera's clock; limited to 4, frames at
// least 200 ms apart, 4 a second.
func TestFPS(t *testing.T) {
	cs := startServer(t, "")
	cs.publish(0, h264Args...)
	cs.waitAnnounced()
	frames, err := collect(t, &rtsp.Source{URL: cs.url(""), FPS: 5}, 10)
	require.NoError(t, err)
	for i := 1; i < len(frames); i++ {
		assert.InDelta(t, float64(200*time.Millisecond), float64(frames[i].t.Sub(frames[i-1].t)), 1, "interval before frame %d", i)
	}

	frames, err = collect(t, &rtsp.Source{URL: cs.url(""), FPS: 4}, 9)
	require.NoError(t, err)
	for i := 1; i < len(frames); i++ {
		assert.GreaterOrEqual(t, frames[i].t.Sub(frames[i-1].t), 200*time.Millisecond-time.Microsecond, "interval before frame %d", i)
	}
	assert.InDelta(t, float64(2*time.Second), float64(frames[8].t.Sub(frames[0].t)), float64(time.Second/15), "8 intervals at 4 fps")
}

// TestJitter: packets reach the source late by up to 200 ms at random,
// in bursts; frame times still follow the RTP clock, not arrival.
func TestJitter(t *testing.T) {
	cs := startServer(t, "", withJitter(200*time.Millisecond))
	cs.publish(45, mjpegArgs...)
	cs.waitAnnounced()
	frames, err := collect(t, &rtsp.Source{URL: cs.url("")}, 45)
	require.NoError(t, err, "got %d frames of 45", len(frames))
	checkFrames(t, frames)
	// The arrivals were uneven: some interval is far from 1/15 s.
	var worst time.Duration
	for i := 1; i < len(frames); i++ {
		d := frames[i].arrival.Sub(frames[i-1].arrival) - time.Second/15
		worst = max(worst, d.Abs())
	}
	require.Greater(t, worst, 30*time.Millisecond, "the jitter did not happen")
}

// TestUDP: the same over UDP.
func TestUDP(t *testing.T) {
	cs := startServer(t, "", withUDP())
	cs.publish(30, mjpegArgs...)
	cs.waitAnnounced()
	frames, err := collect(t, &rtsp.Source{URL: cs.url(""), Transport: rtsp.UDP}, 30)
	require.NoError(t, err, "got %d frames of 30", len(frames))
	checkFrames(t, frames)
}

// TestAuth: Basic and Digest credentials from the URL let the source in;
// wrong ones are a permanent error that names the fix and hides the
// password.
func TestAuth(t *testing.T) {
	for _, tc := range []struct {
		name   string
		method auth.VerifyMethod
	}{{"basic", auth.VerifyMethodBasic}, {"digest", auth.VerifyMethodDigestMD5}} {
		t.Run(tc.name, func(t *testing.T) {
			cs := startServer(t, "", withAuth("viewer", "s3cret", tc.method))
			cs.publish(0, mjpegArgs...)
			cs.waitAnnounced()

			_, err := collect(t, &rtsp.Source{URL: cs.url("viewer:wrong-pass")}, 1)
			require.ErrorIs(t, err, rtsp.ErrUnauthorized)
			require.ErrorIs(t, err, record.ErrPermanent)
			assert.NotContains(t, err.Error(), "wrong-pass")

			_, err = collect(t, &rtsp.Source{URL: cs.url("")}, 1)
			require.ErrorIs(t, err, rtsp.ErrUnauthorized)

			frames, err := collect(t, &rtsp.Source{URL: cs.url("viewer:s3cret")}, 5)
			require.NoError(t, err)
			checkFrames(t, frames)
		})
	}
}

// TestReconnect: the server dies mid-stream; Run returns an error that
// is not permanent, and once the server is back a new Run goes on.
func TestReconnect(t *testing.T) {
	cs := startServer(t, "")
	cs.publish(0, mjpegArgs...)
	cs.waitAnnounced()
	src := &rtsp.Source{URL: cs.url(""), Timeout: 3 * time.Second}

	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	n := 0
	err := src.Run(ctx, func(*record.Frame) error {
		if n++; n == 10 {
			cs.close() // the camera dies
		}
		return nil
	})
	require.Error(t, err)
	require.NoError(t, ctx.Err(), "Run did not notice the server die")
	assert.NotErrorIs(t, err, record.ErrPermanent)
	assert.GreaterOrEqual(t, n, 10)

	cs = startServer(t, cs.addr)
	cs.publish(0, mjpegArgs...)
	cs.waitAnnounced()
	frames, err := collect(t, src, 10)
	require.NoError(t, err)
	checkFrames(t, frames)
}

// TestNoFFmpeg: an H.264 camera without ffmpeg is a permanent error that
// names ffmpeg.
func TestNoFFmpeg(t *testing.T) {
	cs := startServer(t, "")
	cs.publish(0, h264Args...)
	cs.waitAnnounced()
	_, err := collect(t, &rtsp.Source{URL: cs.url(""), FFmpeg: "/nonexistent/ffmpeg"}, 1)
	require.ErrorIs(t, err, rtsp.ErrNoFFmpeg)
	require.ErrorIs(t, err, record.ErrPermanent)
	assert.Contains(t, err.Error(), "ffmpeg")
	assert.Contains(t, err.Error(), "H.264")
}

// TestInvalidURL: what is not an rtsp:// URL is permanent.
func TestInvalidURL(t *testing.T) {
	for _, u := range []string{"http://cam/x", "rtsp://", "::"} {
		_, err := collect(t, &rtsp.Source{URL: u}, 1)
		require.ErrorIs(t, err, rtsp.ErrInvalidURL, u)
		require.ErrorIs(t, err, record.ErrPermanent, u)
	}
	_, err := rtsp.ParseTransport("sctp")
	require.Error(t, err)
	tr, err := rtsp.ParseTransport("UDP")
	require.NoError(t, err)
	assert.Equal(t, rtsp.UDP, tr)
	assert.True(t, strings.EqualFold(tr.String(), "udp"))
}

// TestDecoderExits: an ffmpeg that exits at once ends Run with
// ErrDecoderExited, which is not permanent: the Recorder runs it again.
func TestDecoderExits(t *testing.T) {
	cs := startServer(t, "")
	cs.publish(0, h264Args...)
	cs.waitAnnounced()
	_, err := collect(t, &rtsp.Source{URL: cs.url(""), FFmpeg: "false"}, 1)
	require.ErrorIs(t, err, rtsp.ErrDecoderExited)
	assert.NotErrorIs(t, err, record.ErrPermanent)
}

// TestScheme: record.Sources opens rtsp:// and rtsps:// names with
// Scheme, each a Source of its own with the template's settings, and
// refuses a name with no host before it connects.
func TestScheme(t *testing.T) {
	tmpl := &rtsp.Source{Transport: rtsp.UDP, FPS: 3, Quality: 7, FFmpeg: "ff", Timeout: time.Second, CAFile: "ca.pem"}
	s := record.Sources{Schemes: map[string]record.SchemeFunc{"rtsp": rtsp.Scheme(tmpl), "rtsps": rtsp.Scheme(nil)}}
	a, err := s.Open(t.Context(), "rtsp://u:p@cam/a")
	require.NoError(t, err)
	b, err := s.Open(t.Context(), "rtsp://cam/b")
	require.NoError(t, err)
	sa, sb := a.(*rtsp.Source), b.(*rtsp.Source)
	assert.NotSame(t, sa, sb)
	assert.Equal(t, "rtsp://u:p@cam/a", sa.URL)
	assert.Equal(t, "rtsp://cam/b", sb.URL)
	for _, s := range []*rtsp.Source{sa, sb} {
		assert.Equal(t, rtsp.UDP, s.Transport)
		assert.Equal(t, 3.0, s.FPS)
		assert.Equal(t, 7, s.Quality)
		assert.Equal(t, "ff", s.FFmpeg)
		assert.Equal(t, time.Second, s.Timeout)
		assert.Equal(t, "ca.pem", s.CAFile)
	}
	c, err := s.Open(t.Context(), "rtsps://cam/c")
	require.NoError(t, err)
	assert.Equal(t, rtsp.TCP, c.(*rtsp.Source).Transport, "no template: the defaults")
	_, err = s.Open(t.Context(), "rtsp://u:secret@/c")
	require.ErrorIs(t, err, rtsp.ErrInvalidURL)
	assert.NotContains(t, err.Error(), "secret")
}
