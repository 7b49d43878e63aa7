package export_test

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/avi"
	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/export"
	"github.com/imgstream/imgstream/imageio"
)

// seeker is an io.WriteSeeker in memory.
type seeker struct {
	b   []byte
	off int64
}

func (s *seeker) Write(p []byte) (int, error) {
	if end := s.off + int64(len(p)); end > int64(len(s.b)) {
		s.b = append(s.b, make([]byte, end-int64(len(s.b)))...)
	}
	copy(s.b[s.off:], p)
	s.off += int64(len(p))
	return len(p), nil
}

func (s *seeker) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		off += s.off
	case io.SeekEnd:
		off += int64(len(s.b))
	}
	s.off = off
	return off, nil
}

func TestParseRange(t *testing.T) {
	for _, c := range []struct {
		s      string
		times  bool
		wants  []int // frames wanted among 0..9, 100 ms apart
		bad    bool
		string string
	}{
		{s: "2:5", wants: []int{2, 3, 4}, string: "2:5"},
		{s: ":3", wants: []int{0, 1, 2}, string: "0:3"},
		{s: "7:", wants: []int{7, 8, 9}, string: "7:"},
		{s: "4:4", wants: nil, string: "4:4"},
		{s: "5:4", bad: true},
		{s: "-1:4", bad: true},
		{s: "3", bad: true},
		{s: "0.25:0.5", times: true, wants: []int{3, 4}, string: "250ms:500ms"},
		{s: "1s:", times: true, wants: []int{}, string: "1s:"},
		{s: ":150ms", times: true, wants: []int{0, 1}, string: "0s:150ms"},
		{s: "2s:1s", times: true, bad: true},
		{s: "x:", times: true, bad: true},
	} {
		parse := export.ParseFrames
		if c.times {
			parse = export.ParseTimes
		}
		r, err := parse(c.s)
		if c.bad {
			assert.ErrorIs(t, err, export.ErrInvalidRange, c.s)
			continue
		}
		require.NoError(t, err, c.s)
		var got []int
		for i := range 10 {
			want, more := r.Wants(i, time.Duration(i)*100*time.Millisecond)
			if want {
				got = append(got, i)
			}
			if !more {
				break
			}
		}
		assert.Equal(t, len(c.wants), len(got), "%s: %v", c.s, got)
		assert.Equal(t, c.string, r.String(), c.s)
	}
	want, more := export.Range{}.Wants(1<<30, time.Hour)
	assert.True(t, want && more, "the zero Range picks every frame")
}

// TestAVIStreamSameBytes: the AVI laid out from the index is the AVI
// written with seeks, byte for byte, with its size known first; a raw
// frame or a scale cannot be laid out.
func TestAVIStreamSameBytes(t *testing.T) {
	data := recording(30)
	for _, rng := range []export.Range{{}, export.Frames(5, 20), export.Times(500*time.Millisecond, -1)} {
		rec, err := export.Open(bytes.NewReader(data))
		require.NoError(t, err)
		o := export.Options{Range: rng}
		var ws seeker
		res, err := export.AVI(t.Context(), &ws, rec, o)
		require.NoError(t, err)
		s, err := export.NewAVIStream(t.Context(), rec, o)
		require.NoError(t, err)
		assert.Equal(t, int64(len(ws.b)), s.Size())
		assert.Equal(t, *res, s.Result())
		var b bytes.Buffer
		n, err := s.WriteTo(t.Context(), &b)
		require.NoError(t, err)
		assert.Equal(t, s.Size(), n)
		assert.True(t, bytes.Equal(ws.b, b.Bytes()), "range %v", rng)
		assert.Equal(t, export.VideoRate(rec, o), res.Rate)
	}
	rec, err := export.Open(bytes.NewReader(data))
	require.NoError(t, err)
	_, err = export.NewAVIStream(t.Context(), rec, export.Options{Scale: export.ScaleBy(0.5)})
	assert.ErrorIs(t, err, export.ErrNotLaidOut)
	_, err = export.NewAVIStream(t.Context(), rec, export.Options{Range: export.Frames(30, -1)})
	assert.ErrorIs(t, err, export.ErrNoFrames)
	zr, err := container.NewReader(bytes.NewReader(data))
	require.NoError(t, err)
	_, err = export.NewAVIStream(t.Context(), export.FromReader(zr), export.Options{})
	assert.ErrorIs(t, err, export.ErrNotLaidOut)
}

// TestStreamAndIndexSame: a stream gives the same GIF as the index, and
// is read once; with the rate given, the same AVI.
func TestStreamAndIndexSame(t *testing.T) {
	data := recording(20)
	rec, err := export.Open(bytes.NewReader(data))
	require.NoError(t, err)
	o := export.Options{Range: export.Frames(3, 17), Rate: avi.Rate{Num: 15, Den: 1}}
	var fromIndex, fromStream bytes.Buffer
	_, err = export.GIF(t.Context(), &fromIndex, rec, o)
	require.NoError(t, err)
	zr, err := container.NewReader(bytes.NewReader(data))
	require.NoError(t, err)
	stream := export.FromReader(zr)
	assert.Nil(t, stream.Times(export.Range{}), "a stream's times are not known before it is read")
	_, err = export.GIF(t.Context(), &fromStream, stream, o)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(fromIndex.Bytes(), fromStream.Bytes()))
	_, err = export.GIF(t.Context(), io.Discard, stream, o)
	assert.ErrorIs(t, err, export.ErrStreamRead)
}

// TestStreamDamage: damage after good frames ends a stream's frames: they
// are exported, and Damage says where.
func TestStreamDamage(t *testing.T) {
	data := recording(10)
	x, err := container.ReadIndex(bytes.NewReader(data))
	require.NoError(t, err)
	cut := data[:x.Entries[6].Offset+20] // inside frame 6's payload
	zr, err := container.NewReader(bytes.NewReader(cut))
	require.NoError(t, err)
	rec := export.FromReader(zr)
	var b bytes.Buffer
	res, err := export.GIF(t.Context(), &b, rec, export.Options{})
	require.NoError(t, err)
	assert.Equal(t, 6, res.Frames)
	var fe *container.FrameError
	require.ErrorAs(t, rec.Damage(), &fe)
	assert.Equal(t, 6, fe.Index)
	assert.True(t, export.IsDamage(rec.Damage()))
	readFailed := &container.FrameError{Index: 6, Err: &os.PathError{Op: "read", Path: "x", Err: os.ErrClosed}}
	assert.False(t, export.IsDamage(readFailed), "a failure to read is no damage")
	timedOut := &container.FrameError{Index: 6, Err: &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}}
	assert.False(t, export.IsDamage(timedOut), "a socket's timeout is no damage")

	opened, err := export.Open(bytes.NewReader(cut))
	require.NoError(t, err)
	assert.Equal(t, 6, opened.Len())
	s := export.SummaryOf("cut.omv", opened)
	require.NotNil(t, s.Damage)
	assert.Equal(t, export.Damage{Frame: 6, Offset: x.Entries[6].Offset, Error: s.Damage.Error}, *s.Damage)
}

// TestSummaryOneSchema: reading a stream and reading an index give the
// same summary, byte for byte, and visit sees each frame with its time.
func TestSummaryOneSchema(t *testing.T) {
	data := recording(12)
	rec, err := export.Open(bytes.NewReader(data))
	require.NoError(t, err)
	var fromIndex, fromStream bytes.Buffer
	require.NoError(t, export.SummaryOf("r.omv", rec).WriteJSON(&fromIndex))
	zr, err := container.NewReader(bytes.NewReader(data))
	require.NoError(t, err)
	var times []time.Duration
	s, err := export.ReadSummary(t.Context(), "r.omv", zr, true, func(f *export.Frame) {
		times = append(times, f.Time)
		assert.Len(t, f.Payload, f.Header.Size)
	})
	require.NoError(t, err)
	require.NoError(t, s.WriteJSON(&fromStream))
	assert.Equal(t, fromIndex.String(), fromStream.String())
	assert.Equal(t, rec.Times(export.Range{}), times)
	assert.Equal(t, times[11].Microseconds(), s.DurationUS, "the first frame's elapsed does not count")
}

// TestCancelled: an export stops with its context's cause, and Pictures
// removes what it wrote.
func TestCancelled(t *testing.T) {
	rec, err := export.Open(bytes.NewReader(recording(40)))
	require.NoError(t, err)
	stop := errors.New("stop")
	for _, run := range []func(ctx context.Context, o export.Options) error{
		func(ctx context.Context, o export.Options) error {
			_, err := export.AVI(ctx, &seeker{}, rec, o)
			return err
		},
		func(ctx context.Context, o export.Options) error {
			_, err := export.GIF(ctx, io.Discard, rec, o)
			return err
		},
		func(ctx context.Context, o export.Options) error {
			_, err := export.Convert(ctx, io.Discard, rec, export.ConvertOptions{Range: o.Range, Progress: o.Progress})
			return err
		},
	} {
		ctx, cancel := context.WithCancelCause(t.Context())
		n := 0
		o := export.Options{Progress: func(done int) {
			if n = done; done == 10 {
				cancel(stop)
			}
		}}
		assert.ErrorIs(t, run(ctx, o), stop)
		assert.Equal(t, 10, n, "no frame read after the stop")
	}
	dir := t.TempDir()
	ctx, cancel := context.WithCancelCause(t.Context())
	o := export.Options{Workers: 2, Progress: func(done int) {
		if done == 20 {
			cancel(stop)
		}
	}}
	_, err = export.Pictures(ctx, filepath.Join(dir, "new", "%03d.png"), rec, o)
	assert.ErrorIs(t, err, stop)
	left, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, left, "the pictures and the directory made are removed")
}

// TestPictures: each frame a picture named by its index; a file in the
// way is left as it was; a bad pattern writes nothing.
func TestPictures(t *testing.T) {
	rec, err := export.Open(bytes.NewReader(recording(5)))
	require.NoError(t, err)
	dir := t.TempDir()
	res, err := export.Pictures(t.Context(), filepath.Join(dir, "f%02d.png"), rec, export.Options{Range: export.Frames(1, 4), Scale: export.ScaleTo(16, 0)})
	require.NoError(t, err)
	assert.Equal(t, 3, res.Frames)
	f, err := os.Open(filepath.Join(dir, "f03.png"))
	require.NoError(t, err)
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	require.NoError(t, err)
	assert.Equal(t, [2]int{16, 12}, [2]int{cfg.Width, cfg.Height})

	_, err = export.Pictures(t.Context(), filepath.Join(dir, "f%02d.png"), rec, export.Options{})
	assert.ErrorIs(t, err, export.ErrPictureExists)
	left, _ := os.ReadDir(dir)
	assert.Len(t, left, 3, "only the pictures there before")
	for _, bad := range []string{"%s.png", "%d%d.png", "x.png", "%d.bmp"} {
		_, err = export.Pictures(t.Context(), filepath.Join(dir, bad), rec, export.Options{})
		assert.ErrorIs(t, err, export.ErrBadPattern, bad)
	}
}

// TestEncoderFirstError: after encode fails, Close returns that error and
// nothing after it is emitted.
func TestEncoderFirstError(t *testing.T) {
	boom := errors.New("boom")
	var emitted []int64
	e := export.NewEncoder(3, func(m *imageio.Image) ([]byte, error) {
		if m.Data[0] == 5 {
			return nil, boom
		}
		return []byte{m.Data[0]}, nil
	}, func(b []byte, seq int64) error {
		emitted = append(emitted, seq)
		return nil
	})
	for i := range 12 {
		e.Put(&imageio.Image{Width: 1, Height: 1, Format: container.Grayscale, Data: []byte{byte(i)}}, int64(i))
	}
	assert.ErrorIs(t, e.Close(), boom)
	assert.Equal(t, []int64{0, 1, 2, 3, 4}, emitted)
}

// TestConvertRetime: Speed divides the times, rounded to the unit without
// the rounding adding up.
func TestConvertRetime(t *testing.T) {
	rec, err := export.Open(bytes.NewReader(recording(30)))
	require.NoError(t, err)
	want := rec.Times(export.Range{})
	var b seeker
	res, err := export.Convert(t.Context(), &b, rec, export.ConvertOptions{Speed: 3, Version: container.V2_0})
	require.NoError(t, err)
	assert.Equal(t, 30, res.Frames)
	out, err := export.Open(bytes.NewReader(b.b))
	require.NoError(t, err)
	for i, at := range out.Times(export.Range{}) {
		assert.LessOrEqual(t, (at - want[i]/3).Abs(), time.Millisecond/2, "frame %d", i)
	}
	_, err = export.Convert(t.Context(), io.Discard, rec, export.ConvertOptions{Speed: 2, Rate: avi.Rate{Num: 30, Den: 1}})
	assert.ErrorIs(t, err, export.ErrInvalidOptions)
}

// TestVideo: without ffmpeg, ErrNoFFmpeg; with it, a file of every frame
// at the rate that keeps them.
func TestVideo(t *testing.T) {
	rec, err := export.Open(bytes.NewReader(recording(12)))
	require.NoError(t, err)
	out := filepath.Join(t.TempDir(), "x.mp4")
	_, err = export.Video(t.Context(), out, rec, export.Options{FFmpeg: filepath.Join(t.TempDir(), "no-ffmpeg")})
	require.ErrorIs(t, err, export.ErrNoFFmpeg)
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("no ffmpeg")
	}
	res, err := export.Video(t.Context(), out, rec, export.Options{})
	require.NoError(t, err)
	assert.Equal(t, export.Result{Frames: 12, Rate: avi.Rate{Num: 15, Den: 1}}, *res)
	fi, err := os.Stat(out)
	require.NoError(t, err)
	assert.Positive(t, fi.Size())
}
