package export_test

import (
	"bytes"
	"context"
	"fmt"
	"image/color"
	"image/jpeg"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/export"
	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/internal/testkit"
	"github.com/imgstream/imgstream/mjpeg"
)

// replayFrame is a frame of a test stream: a JPEG stamped with its number,
// or (grey) an 8x4 greyscale frame whose first byte is its number.
type replayFrame struct {
	elapsed time.Duration
	grey    bool
	bad     bool // a PNG frame that does not decode
}

// omvStream returns an OMV IMG STR stream of frames.
func omvStream(t *testing.T, frames ...replayFrame) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := container.NewWriter(&b)
	for i, f := range frames {
		m := imageio.Image{Width: 16, Height: 16, Format: container.JPEG, Elapsed: f.elapsed,
			Data: testkit.StampJPEG(testkit.SolidJPEG(16, 16, color.Gray{uint8(i * 10)}), uint64(i))}
		switch {
		case f.grey:
			m.Width, m.Height, m.Format, m.Data = 8, 4, container.Grayscale, make([]byte, 32)
			m.Data[0] = byte(i)
		case f.bad:
			m.Format, m.Data = container.PNG, []byte("not a PNG")
		}
		h := m.Header()
		require.NoError(t, zw.WriteFrame(&h, m.Data))
	}
	require.NoError(t, zw.Close())
	return b.Bytes()
}

// frameNumber tells which frame of omvStream a published JPEG is.
func frameNumber(t *testing.T, jpg []byte) int {
	t.Helper()
	if n, ok := testkit.SeqOf(jpg); ok {
		return int(n)
	}
	m, err := jpeg.Decode(bytes.NewReader(jpg))
	require.NoError(t, err, "a converted frame is a JPEG")
	require.Equal(t, 8, m.Bounds().Dx(), "a greyscale frame of omvStream")
	return -1 // a greyscale frame, whose number does not survive the JPEG
}

// published records what a Replay publishes and when, on a synctest
// bubble's clock.
type published struct {
	start  time.Time
	frames []int
	times  []time.Duration
	t      *testing.T
}

func (p *published) publish(jpg []byte) {
	p.frames = append(p.frames, frameNumber(p.t, jpg))
	p.times = append(p.times, time.Since(p.start))
}

// TestReplayPaced plays a stream at its recorded times on a synctest
// bubble's clock: the first frame at once (its own Elapsed of 5 s, the
// time since the recording was opened, does not count), each other its
// Elapsed after the one before; JPEG frames pass through byte for byte,
// and a greyscale frame is made a JPEG. At the end Run returns nil.
func TestReplayPaced(t *testing.T) {
	stream := omvStream(t, replayFrame{elapsed: 5 * time.Second}, replayFrame{elapsed: 40 * time.Millisecond},
		replayFrame{elapsed: 60 * time.Millisecond, grey: true}, replayFrame{elapsed: 0})
	synctest.Test(t, func(t *testing.T) {
		p := &published{start: time.Now(), t: t}
		var jpgs [][]byte
		err := export.NewReplay(bytes.NewReader(stream), export.ReplayOptions{Pace: true}).Run(t.Context(), func(jpg []byte) {
			jpgs = append(jpgs, bytes.Clone(jpg))
			p.publish(jpg)
		})
		require.NoError(t, err)
		assert.Equal(t, []int{0, 1, -1, 3}, p.frames)
		assert.Equal(t, []time.Duration{0, 40 * time.Millisecond, 100 * time.Millisecond, 101 * time.Millisecond}, p.times,
			"recorded times; frames recorded at once 1 ms apart (imageio.MinFramePeriod)")
		zr, err := container.NewReader(bytes.NewReader(stream))
		require.NoError(t, err)
		_, first, err := zr.ReadFrame(nil)
		require.NoError(t, err)
		assert.Equal(t, first, jpgs[0], "a JPEG frame passes through untouched")
	})
}

// TestReplayUnpaced plays a pipe as fast as it is read: every frame, no
// time passing; Loop does not apply to an input that cannot seek, and
// once it has ended another Run returns at once.
func TestReplayUnpaced(t *testing.T) {
	stream := omvStream(t, replayFrame{}, replayFrame{elapsed: time.Second}, replayFrame{elapsed: time.Second})
	synctest.Test(t, func(t *testing.T) {
		pr, pw := io.Pipe()
		go func() {
			pw.Write(stream)
			pw.Close()
		}()
		p := &published{start: time.Now(), t: t}
		r := export.NewReplay(pr, export.ReplayOptions{Loop: true})
		require.NoError(t, r.Run(t.Context(), p.publish))
		assert.Equal(t, []int{0, 1, 2}, p.frames)
		assert.Equal(t, []time.Duration{0, 0, 0}, p.times)
		require.NoError(t, r.Run(t.Context(), p.publish))
		assert.Len(t, p.frames, 3, "nothing more")
	})
}

// TestReplayLoop plays a seekable stream round and round: a round of two
// frames 40 ms apart takes imageio.MinLoopPeriod, paced; unpaced, a
// one-frame stream goes round no faster. The context's end ends Run with
// its error.
func TestReplayLoop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		stream := omvStream(t, replayFrame{}, replayFrame{elapsed: 40 * time.Millisecond})
		ctx, cancel := context.WithTimeout(t.Context(), 350*time.Millisecond)
		defer cancel()
		p := &published{start: time.Now(), t: t}
		err := export.NewReplay(bytes.NewReader(stream), export.ReplayOptions{Pace: true, Loop: true}).Run(ctx, p.publish)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, []int{0, 1, 0, 1, 0, 1, 0, 1}, p.frames)
		ms := time.Millisecond
		assert.Equal(t, []time.Duration{0, 40 * ms, 100 * ms, 140 * ms, 200 * ms, 240 * ms, 300 * ms, 340 * ms}, p.times)

		one := omvStream(t, replayFrame{})
		ctx, cancel = context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		p = &published{start: time.Now(), t: t}
		err = export.NewReplay(bytes.NewReader(one), export.ReplayOptions{Loop: true}).Run(ctx, p.publish)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.LessOrEqual(t, len(p.frames), int(time.Second/imageio.MinLoopPeriod)+1)
		assert.GreaterOrEqual(t, len(p.frames), int(time.Second/imageio.MinLoopPeriod))
	})
}

// TestReplayResume: a Run cancelled while it waits for a frame leaves a
// pipe there, and the next Run goes on from that frame, at once; a
// seekable input starts again from its first frame.
func TestReplayResume(t *testing.T) {
	stream := omvStream(t, replayFrame{}, replayFrame{elapsed: time.Second}, replayFrame{elapsed: time.Second}, replayFrame{elapsed: time.Second})
	for _, seekable := range []bool{false, true} {
		synctest.Test(t, func(t *testing.T) {
			var in io.Reader = bytes.NewReader(stream)
			if !seekable {
				in = io.MultiReader(in) // hides Seek
			}
			r := export.NewReplay(in, export.ReplayOptions{Pace: true})
			ctx, cancel := context.WithTimeout(t.Context(), 1500*time.Millisecond) // while frame 2 waits
			defer cancel()
			p := &published{start: time.Now(), t: t}
			require.ErrorIs(t, r.Run(ctx, p.publish), context.DeadlineExceeded)
			require.Equal(t, []int{0, 1}, p.frames)
			*p = published{start: time.Now(), t: t}
			require.NoError(t, r.Run(t.Context(), p.publish))
			if seekable {
				assert.Equal(t, []int{0, 1, 2, 3}, p.frames)
				assert.Equal(t, []time.Duration{0, time.Second, 2 * time.Second, 3 * time.Second}, p.times)
			} else {
				assert.Equal(t, []int{2, 3}, p.frames)
				assert.Equal(t, []time.Duration{0, time.Second}, p.times, "the frame a cancelled run held, at once")
			}
		})
	}
}

// TestReplayDamage: a stream cut off in its third frame gives its two
// good frames and then the damage, a *container.FrameError for frame 2;
// looped, it goes round the good frames.
func TestReplayDamage(t *testing.T) {
	stream := omvStream(t, replayFrame{}, replayFrame{elapsed: 10 * time.Millisecond}, replayFrame{elapsed: 10 * time.Millisecond})
	cut := stream[:len(stream)-5]
	synctest.Test(t, func(t *testing.T) {
		p := &published{start: time.Now(), t: t}
		err := export.NewReplay(bytes.NewReader(cut), export.ReplayOptions{}).Run(t.Context(), p.publish)
		var fe *container.FrameError
		require.ErrorAs(t, err, &fe)
		assert.Equal(t, 2, fe.Index)
		assert.Equal(t, []int{0, 1}, p.frames)

		ctx, cancel := context.WithTimeout(t.Context(), 250*time.Millisecond)
		defer cancel()
		p = &published{start: time.Now(), t: t}
		err = export.NewReplay(bytes.NewReader(cut), export.ReplayOptions{Pace: true, Loop: true}).Run(ctx, p.publish)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, []int{0, 1, 0, 1, 0, 1}, p.frames)

		err = export.NewReplay(bytes.NewReader([]byte("not a stream at all")), export.ReplayOptions{Loop: true}).Run(t.Context(), p.publish)
		require.ErrorIs(t, err, container.ErrBadMagic)
	})
}

// sleepClock is an imageio.Clock whose Sleep returns at once, adding up
// the waits it was asked for.
type sleepClock struct {
	now    time.Time
	sleeps []time.Duration
}

func (c *sleepClock) Now() time.Time { return c.now }

func (c *sleepClock) Sleep(ctx context.Context, d time.Duration) error {
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return ctx.Err()
}

// TestReplayClock: the pace is kept on ReplayOptions.Clock.
func TestReplayClock(t *testing.T) {
	stream := omvStream(t, replayFrame{elapsed: time.Hour}, replayFrame{elapsed: 40 * time.Millisecond}, replayFrame{elapsed: 25 * time.Millisecond})
	c := &sleepClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	n := 0
	err := export.NewReplay(bytes.NewReader(stream), export.ReplayOptions{Pace: true, Clock: c}).Run(t.Context(), func([]byte) { n++ })
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	assert.Equal(t, []time.Duration{40 * time.Millisecond, 25 * time.Millisecond}, c.sleeps)
}

// Serving a recording as MJPEG at its recorded pace, round and round, to
// whoever watches: an mjpeg.Server runs the replay only while somebody
// does.
func ExampleReplay() {
	f, err := os.Open("../testdata/sample.omv")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	s := &mjpeg.Server{Source: export.NewReplay(f, export.ReplayOptions{Pace: true, Loop: true})}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	defer s.Close()

	r, err := mjpeg.Dial(context.Background(), ts.URL+"/stream.mjpg")
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	for range 3 {
		frame, err := r.NextFrame()
		if err != nil {
			log.Fatal(err)
		}
		c, err := jpeg.DecodeConfig(bytes.NewReader(frame))
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(c.Width, c.Height)
	}
	// Output:
	// 320 240
	// 320 240
	// 320 240
}

// TestReplayBadFrame: a frame that cannot be made a JPEG ends Run with its
// error, or, with BadFrame, is reported and skipped.
func TestReplayBadFrame(t *testing.T) {
	stream := omvStream(t, replayFrame{}, replayFrame{bad: true}, replayFrame{})
	p := &published{start: time.Now(), t: t}
	err := export.NewReplay(bytes.NewReader(stream), export.ReplayOptions{}).Run(t.Context(), p.publish)
	require.Error(t, err)
	assert.Equal(t, []int{0}, p.frames)

	p = &published{start: time.Now(), t: t}
	var bad []int
	err = export.NewReplay(bytes.NewReader(stream), export.ReplayOptions{BadFrame: func(i int, err error) {
		assert.Error(t, err)
		bad = append(bad, i)
	}}).Run(t.Context(), p.publish)
	require.NoError(t, err)
	assert.Equal(t, []int{0, 2}, p.frames)
	assert.Equal(t, []int{1}, bad)
}

// TestReplayOverlap: a Run started while another runs waits for it to
// return, as when an mjpeg.Server starts its source again for a new
// viewer before the run it cancelled has returned.
func TestReplayOverlap(t *testing.T) {
	stream := omvStream(t, replayFrame{}, replayFrame{elapsed: time.Second})
	synctest.Test(t, func(t *testing.T) {
		r := export.NewReplay(bytes.NewReader(stream), export.ReplayOptions{Pace: true})
		ctx, cancel := context.WithCancel(t.Context())
		hold := make(chan struct{})
		first := make(chan error)
		go func() {
			first <- r.Run(ctx, func([]byte) { <-hold })
		}()
		synctest.Wait() // the first run holds its first frame
		var second []int
		done := make(chan error)
		go func() {
			done <- r.Run(t.Context(), func(jpg []byte) { second = append(second, frameNumber(t, jpg)) })
		}()
		synctest.Wait()
		assert.Empty(t, second, "the second run waits")
		cancel()
		close(hold)
		require.ErrorIs(t, <-first, context.Canceled)
		require.NoError(t, <-done)
		assert.Equal(t, []int{0, 1}, second)
	})
}
