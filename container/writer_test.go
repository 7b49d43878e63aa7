package container_test

import (
	"bytes"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/container"
)

func TestWriterEmptyStream(t *testing.T) {
	for _, v := range allVersions {
		var buf bytes.Buffer
		zw := container.NewWriter(&buf)
		zw.Version = v
		require.NoError(t, zw.Flush())
		require.NoError(t, zw.Flush())
		require.NoError(t, zw.Close())
		m := v.Magic()
		require.Equal(t, m[:], buf.Bytes(), "magic written once")
		zr, err := container.NewReader(&buf)
		require.NoError(t, err)
		assert.Equal(t, v, zr.Version())
		_, err = zr.Next()
		assert.Equal(t, io.EOF, err)
	}
	var buf bytes.Buffer
	require.NoError(t, container.NewWriter(&buf).Close())
	assert.Equal(t, "OMV IMG STR V2.0", buf.String(), "the zero Version writes V2.0")
}

func TestWriterClose(t *testing.T) {
	var buf bytes.Buffer
	zw := container.NewWriter(&buf)
	h := container.Header{Width: 2, Height: 2, Format: container.Grayscale}
	require.NoError(t, zw.WriteFrame(&h, []byte{1, 2, 3, 4}))
	require.NoError(t, zw.Close())
	n := buf.Len()
	assert.Equal(t, 16+32+16, n)
	require.NoError(t, zw.Close(), "Close is idempotent")
	assert.ErrorIs(t, zw.WriteFrame(&h, []byte{1, 2, 3, 4}), container.ErrWriteAfterClose)
	assert.ErrorIs(t, zw.Flush(), container.ErrWriteAfterClose)
	assert.Equal(t, n, buf.Len(), "nothing written after Close")
}

func TestWriterInvalidFrames(t *testing.T) {
	jpeg3 := []byte{1, 2, 3}
	cases := []struct {
		name    string
		v       container.Version
		h       container.Header
		payload []byte
		want    error
	}{
		{"unknown format", container.V2_0, container.Header{Width: 1, Height: 1, Format: 0x0C030003}, make([]byte, 3), container.ErrInvalidPixFormat},
		{"ARGB8", container.V2_0, container.Header{Width: 1, Height: 1, Format: 0x0C080004}, make([]byte, 4), container.ErrInvalidPixFormat},
		{"width 0", container.V2_0, container.Header{Width: 0, Height: 1, Format: container.Grayscale}, nil, container.ErrInvalidDimensions},
		{"height 32768", container.V2_0, container.Header{Width: 1, Height: 32768, Format: container.Grayscale}, make([]byte, 32768), container.ErrInvalidDimensions},
		{"raw size mismatch", container.V2_0, container.Header{Width: 2, Height: 2, Format: container.RGB565}, make([]byte, 7), container.ErrInvalidSize},
		{"header size mismatch", container.V2_0, container.Header{Width: 2, Height: 2, Format: container.JPEG, Size: 9}, make([]byte, 8), container.ErrInvalidSize},
		{"empty JPEG", container.V2_0, container.Header{Width: 2, Height: 2, Format: container.JPEG}, nil, container.ErrInvalidSize},
		{"negative elapsed", container.V2_0, container.Header{Elapsed: -time.Millisecond, Width: 1, Height: 1, Format: container.Grayscale}, []byte{0}, container.ErrInvalidElapsed},
		{"elapsed overflow ms", container.V2_0, container.Header{Elapsed: (math.MaxUint32 + 1) * time.Millisecond, Width: 1, Height: 1, Format: container.Grayscale}, []byte{0}, container.ErrInvalidElapsed},
		{"elapsed overflow us", container.V2_1, container.Header{Elapsed: 4295 * time.Second, Width: 1, Height: 1, Format: container.Grayscale}, []byte{0}, container.ErrInvalidElapsed},
		{"PNG in V1.1", container.V1_1, container.Header{Width: 1, Height: 1, Format: container.PNG}, make([]byte, 10), container.ErrInvalidPixFormat},
		{"YUV in V1.0", container.V1_0, container.Header{Width: 2, Height: 1, Format: container.YUV422}, make([]byte, 4), container.ErrInvalidPixFormat},
		{"RGGB in V1.1", container.V1_1, container.Header{Width: 2, Height: 2, Format: container.BayerRGGB}, make([]byte, 4), container.ErrInvalidPixFormat},
		{"tiny JPEG in V1.1", container.V1_1, container.Header{Width: 1, Height: 1, Format: container.JPEG}, jpeg3, container.ErrInvalidSize},
		{"version 3.0", 0x0300, container.Header{Width: 1, Height: 1, Format: container.Grayscale}, []byte{0}, container.ErrUnsupportedVersion},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			zw := container.NewWriter(&buf)
			zw.Version = c.v
			err := zw.WriteFrame(&c.h, c.payload)
			require.ErrorIs(t, err, c.want)
			assert.Zero(t, buf.Len(), "an invalid frame writes nothing")
			if c.v.Supported() {
				// The Writer is not poisoned by a rejected frame.
				ok := container.Header{Width: 1, Height: 1, Format: container.Grayscale}
				require.NoError(t, zw.WriteFrame(&ok, []byte{7}))
				zr, err := container.NewReader(&buf)
				require.NoError(t, err)
				hs, ps, err := readAll(zr)
				require.NoError(t, err)
				require.Len(t, hs, 1)
				assert.Equal(t, []byte{7}, ps[0])
			}
		})
	}
}

func TestWriterElapsedRounding(t *testing.T) {
	cases := []struct {
		v    container.Version
		in   time.Duration
		want time.Duration
	}{
		{container.V2_0, 1499 * time.Microsecond, time.Millisecond},
		{container.V2_0, 1500 * time.Microsecond, 2 * time.Millisecond},
		{container.V2_0, 33333333, 33 * time.Millisecond},
		{container.V2_0, math.MaxUint32 * time.Millisecond, math.MaxUint32 * time.Millisecond},
		{container.V2_1, 33333333, 33333 * time.Microsecond},
		{container.V2_1, 1500, 2 * time.Microsecond},
		{container.V1_1, 400 * time.Microsecond, 0},
	}
	for _, c := range cases {
		var buf bytes.Buffer
		zw := container.NewWriter(&buf)
		zw.Version = c.v
		h := container.Header{Elapsed: c.in, Width: 1, Height: 1, Format: container.Grayscale}
		require.NoError(t, zw.WriteFrame(&h, []byte{0}))
		zr, err := container.NewReader(&buf)
		require.NoError(t, err)
		got, err := zr.Next()
		require.NoError(t, err)
		assert.Equal(t, c.want, got.Elapsed, "%v %v", c.v, c.in)
	}
}

// countingWriter counts the Write calls it gets.
type countingWriter struct {
	bytes.Buffer
	writes int
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.writes++
	return w.Buffer.Write(p)
}

func TestWriterWholeFramesPerWrite(t *testing.T) {
	var w countingWriter
	zw := container.NewWriter(&w)
	small := container.Header{Width: 30, Height: 30, Format: container.Grayscale}
	require.NoError(t, zw.WriteFrame(&small, make([]byte, 900)))
	assert.Equal(t, 1, w.writes, "magic, header, payload and padding in one write")
	assert.Equal(t, 16+32+900+12, w.Len())
	require.NoError(t, zw.WriteFrame(&small, make([]byte, 900)))
	assert.Equal(t, 2, w.writes)
	big := container.Header{Width: 641, Height: 481, Format: container.Grayscale}
	require.NoError(t, zw.WriteFrame(&big, make([]byte, 641*481)))
	assert.Equal(t, 5, w.writes, "a large frame: header, payload, padding; the payload is not copied")
}

func TestWriterKeepsCallerPayload(t *testing.T) {
	// V1.0 stores RGB565 byte-reversed; the writer must swap a copy.
	for _, w := range []int{3, 100} {
		h := container.Header{Width: w, Height: 40, Format: container.RGB565}
		p := make([]byte, w*40*2)
		for i := range p {
			p[i] = byte(i)
		}
		orig := bytes.Clone(p)
		var buf bytes.Buffer
		zw := container.NewWriter(&buf)
		zw.Version = container.V1_0
		require.NoError(t, zw.WriteFrame(&h, p))
		assert.Equal(t, orig, p, "payload modified")
		stored := buf.Bytes()[16+16:][:len(p)]
		assert.Equal(t, orig[1], stored[0])
		assert.Equal(t, orig[0], stored[1])
		zr, err := container.NewReader(&buf)
		require.NoError(t, err)
		_, ps, err := readAll(zr)
		require.NoError(t, err)
		assert.Equal(t, orig, ps[0])
	}
}

type failWriter struct {
	n   int // bytes accepted before failing
	err error
}

func (w *failWriter) Write(p []byte) (int, error) {
	if len(p) <= w.n {
		w.n -= len(p)
		return len(p), nil
	}
	n := w.n
	w.n = 0
	return n, w.err
}

func TestWriterErrorIsSticky(t *testing.T) {
	boom := errors.New("disk full")
	zw := container.NewWriter(&failWriter{n: 100, err: boom})
	h := container.Header{Width: 100, Height: 100, Format: container.Grayscale}
	err := zw.WriteFrame(&h, make([]byte, 10000))
	require.ErrorIs(t, err, boom)
	assert.ErrorIs(t, zw.WriteFrame(&h, make([]byte, 10000)), boom)
	assert.ErrorIs(t, zw.Flush(), boom)
	assert.ErrorIs(t, zw.Close(), boom)
}

func TestWriterReset(t *testing.T) {
	var a, b bytes.Buffer
	zw := container.NewWriter(&a)
	zw.Version = container.V2_1
	require.NoError(t, zw.Close())
	zw.Reset(&b)
	h := container.Header{Width: 1, Height: 1, Format: container.Grayscale}
	require.NoError(t, zw.WriteFrame(&h, []byte{1}))
	assert.Equal(t, "OMV IMG STR V2.1", b.String()[:16])
}

func TestHeaderMarshal(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, v := range allVersions {
		for _, f := range allFormats {
			if !carries(v, f) {
				continue
			}
			fr := randomFrame(rng, v, f)
			buf := make([]byte, 32)
			for i := range buf {
				buf[i] = 0xEE
			}
			n, err := fr.h.MarshalTo(v, buf)
			require.NoError(t, err)
			require.Equal(t, v.HeaderSize(), n)
			assert.False(t, container.NonZeroReserved(v, buf))
			var got container.Header
			require.NoError(t, got.Unmarshal(v, buf[:n]))
			assert.Equal(t, fr.h, got)
			_, err = fr.h.MarshalTo(v, buf[:n-1])
			assert.ErrorIs(t, err, io.ErrShortBuffer)
			assert.ErrorIs(t, got.Unmarshal(v, buf[:n-1]), io.ErrShortBuffer)
		}
	}
	// The size field of an uncompressed V2.x frame is written as 0.
	h := container.Header{Width: 2, Height: 2, Format: container.RGB565, Size: 8}
	buf := make([]byte, 32)
	_, err := h.MarshalTo(container.V2_0, buf)
	require.NoError(t, err)
	assert.Equal(t, []byte{0, 0, 0, 0}, buf[16:20])
}

func TestPixFormat(t *testing.T) {
	assert.Len(t, allFormats, 11)
	for _, f := range allFormats {
		assert.True(t, f.Valid(), "%v", f)
		assert.NotContains(t, f.String(), "PixFormat(")
	}
	assert.False(t, container.PixFormat(0x0C080004).Valid(), "ARGB8")
	assert.Equal(t, "PixFormat(0x0c080004)", container.PixFormat(0x0C080004).String())
	assert.True(t, container.JPEG.Compressed())
	assert.True(t, container.PNG.Compressed())
	assert.False(t, container.RGB565.Compressed())
	assert.False(t, container.PixFormat(0x0E000000).Compressed(), "invalid formats are not compressed")
	assert.True(t, container.BayerGRBG.Bayer())
	assert.False(t, container.Grayscale.Bayer())

	sizes := []struct {
		f    container.PixFormat
		w, h int
		want int
	}{
		{container.Binary, 45, 7, 56},
		{container.Binary, 32, 3, 12},
		{container.Binary, 70, 2, 24},
		{container.Grayscale, 30, 30, 900},
		{container.RGB565, 40, 40, 3200},
		{container.BayerRGGB, 10, 6, 60},
		{container.YUV422, 18, 7, 252},
		{container.YVU422, 10, 4, 80},
		{container.RGB565, 32767, 32767, 32767 * 32767 * 2},
	}
	for _, s := range sizes {
		n, ok := s.f.PayloadSize(s.w, s.h)
		assert.True(t, ok)
		assert.Equal(t, s.want, n, "%v %dx%d", s.f, s.w, s.h)
	}
	for _, bad := range []struct {
		f    container.PixFormat
		w, h int
	}{{container.JPEG, 4, 4}, {container.PixFormat(7), 4, 4}, {container.Grayscale, 0, 4}, {container.Grayscale, 4, 32768}, {container.Grayscale, -1, 4}} {
		_, ok := bad.f.PayloadSize(bad.w, bad.h)
		assert.False(t, ok, "%v %dx%d", bad.f, bad.w, bad.h)
	}
}

func TestVersion(t *testing.T) {
	assert.Equal(t, "V2.0", container.V2_0.String())
	assert.Equal(t, "V1.1", container.V1_1.String())
	assert.Equal(t, 16, container.V1_0.HeaderSize())
	assert.Equal(t, 32, container.V2_1.HeaderSize())
	assert.Equal(t, time.Microsecond, container.V2_1.TimeUnit())
	assert.Equal(t, time.Millisecond, container.V2_0.TimeUnit())
	assert.False(t, container.Version(0x0300).Supported())
	m := container.V1_1.Magic()
	assert.Equal(t, "OMV IMG STR V1.1", string(m[:]))
}

func TestPadding(t *testing.T) {
	for size, want := range map[int]int{0: 0, 1: 15, 15: 1, 16: 0, 900: 12, 3200: 0, 781: 3} {
		assert.Equal(t, want, container.Padding(size), "size %d", size)
	}
}

// TestAppendWriter reopens a recording and goes on after its last frame.
func TestAppendWriter(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	for _, v := range allVersions {
		first, data := randomStream(t, rng, v, 3)
		more, _ := randomStream(t, rng, v, 2)
		buf := bytes.NewBuffer(bytes.Clone(data))
		zw := container.NewAppendWriter(buf, v)
		for _, f := range more {
			require.NoError(t, zw.WriteFrame(&f.h, f.p))
		}
		require.NoError(t, zw.Close())
		zr, err := container.NewReader(buf)
		require.NoError(t, err)
		hs, ps, err := readAll(zr)
		require.NoError(t, err)
		all := append(first, more...)
		require.Len(t, hs, len(all))
		for i, f := range all {
			assert.Equal(t, f.h, hs[i])
			assert.Equal(t, f.p, ps[i])
		}
	}
}

// TestStreamOnlyFormats: RGB24 and BGR24 are defined, sized and named, but
// no OMV IMG STR stream carries them.
func TestStreamOnlyFormats(t *testing.T) {
	for _, f := range []container.PixFormat{container.RGB24, container.BGR24} {
		assert.True(t, f.Defined())
		assert.False(t, f.Valid())
		assert.False(t, f.Compressed())
		n, ok := f.PayloadSize(640, 480)
		assert.True(t, ok)
		assert.Equal(t, 640*480*3, n)
		var b bytes.Buffer
		zw := container.NewWriter(&b)
		err := zw.WriteFrame(&container.Header{Width: 2, Height: 2, Format: f}, make([]byte, 12))
		assert.ErrorIs(t, err, container.ErrInvalidPixFormat)
	}
	assert.Equal(t, "RGB24", container.RGB24.String())
	assert.Equal(t, "BGR24", container.BGR24.String())
	assert.False(t, container.PixFormat(0).Defined())
}
