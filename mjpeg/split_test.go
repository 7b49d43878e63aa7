package mjpeg_test

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"runtime"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/mjpeg"
)

// encodeJPEG encodes a w x h picture whose content depends on seed.
func encodeJPEG(t testing.TB, w, h int, seed byte) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{byte(x*7) + seed, byte(y*13) ^ seed, byte(x*y) + seed, 255})
		}
	}
	var buf bytes.Buffer
	require.NoError(t, jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80}))
	return buf.Bytes()
}

// withThumbnail returns frame with an EXIF APP1 segment holding a whole
// JPEG thumbnail, whose EOI a search for FF D9 would take for the frame's.
func withThumbnail(t testing.TB, frame, thumb []byte) []byte {
	t.Helper()
	body := append([]byte("Exif\x00\x00"), thumb...)
	require.Less(t, len(body)+2, 1<<16)
	seg := []byte{0xFF, 0xE1, byte((len(body) + 2) >> 8), byte(len(body) + 2)}
	out := append([]byte{}, frame[:2]...)
	out = append(out, seg...)
	out = append(out, body...)
	return append(out, frame[2:]...)
}

// synthetic returns a frame that no encoder here writes but cameras do:
// restart markers, stuffed bytes, fill bytes before markers, and two scans
// (as a progressive JPEG has), with scan bytes from data.
func synthetic(data []byte) []byte {
	out := []byte{0xFF, 0xD8}
	out = append(out, 0xFF, 0xDD, 0x00, 0x04, 0x00, 0x08) // DRI
	sos := []byte{0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00}
	for scan := range 2 {
		out = append(out, sos...)
		for i, c := range data {
			out = append(out, c)
			if c == 0xFF {
				out = append(out, 0x00) // stuffing
			}
			if i%5 == 4 {
				out = append(out, 0xFF, 0xD0+byte(i/5%8)) // RSTn
			}
		}
		if scan == 0 {
			out = append(out, 0xFF, 0xFF, 0xC4, 0x00, 0x02) // a fill byte, then an empty DHT
		}
	}
	return append(out, 0xFF, 0xFF, 0xD9) // a fill byte before EOI
}

func testFrames(t testing.TB) [][]byte {
	small := encodeJPEG(t, 16, 16, 1)
	return [][]byte{
		encodeJPEG(t, 64, 48, 2),
		withThumbnail(t, encodeJPEG(t, 80, 60, 3), small),
		synthetic([]byte{1, 0xFF, 2, 0xD9, 0xFF, 0xFF, 3, 0xD8, 4, 5, 6, 7}),
		small,
		encodeJPEG(t, 320, 240, 4),
	}
}

func split(t testing.TB, s *mjpeg.Splitter) ([][]byte, error) {
	t.Helper()
	var got [][]byte
	for {
		f, err := s.NextFrame()
		if err != nil {
			return got, err
		}
		got = append(got, bytes.Clone(f))
	}
}

// TestSplitRoundTrip: JPEGs written back to back come back the same, one
// by one, whatever sizes the reads return.
func TestSplitRoundTrip(t *testing.T) {
	frames := testFrames(t)
	stream := bytes.Join(frames, nil)
	readers := map[string]func(io.Reader) io.Reader{
		"whole":   func(r io.Reader) io.Reader { return r },
		"onebyte": iotest.OneByteReader,
		"half":    iotest.HalfReader,
		"dataerr": iotest.DataErrReader,
	}
	for name, wrap := range readers {
		t.Run(name, func(t *testing.T) {
			s := mjpeg.NewSplitter(wrap(bytes.NewReader(stream)))
			got, err := split(t, s)
			assert.Equal(t, io.EOF, err)
			require.Len(t, got, len(frames))
			for i := range frames {
				assert.Equal(t, frames[i], got[i], "frame %d", i)
			}
			assert.Zero(t, s.Skipped())
			_, err = s.NextFrame()
			assert.Equal(t, io.EOF, err, "EOF stays")
		})
	}
	// The thumbnail's frame decodes to its own size, not the thumbnail's.
	s := mjpeg.NewSplitter(bytes.NewReader(stream))
	_, err := s.NextFrame()
	require.NoError(t, err)
	f, err := s.NextFrame()
	require.NoError(t, err)
	w, h, ok := mjpeg.Dimensions(f)
	assert.True(t, ok)
	assert.Equal(t, [2]int{80, 60}, [2]int{w, h})
}

// TestSplitSkips: bytes before, between and after frames, a lone FF D9 and
// a frame cut short by the next one's SOI are skipped and counted.
func TestSplitSkips(t *testing.T) {
	frames := testFrames(t)
	junk := []byte("HTTP/1.0 200 OK\r\n\r\n\xFF\xD9\xFF")
	cut := frames[4][:len(frames[4])/2] // a frame a new SOI interrupts in its scan
	var stream []byte
	stream = append(stream, junk...)
	stream = append(stream, frames[0]...)
	stream = append(stream, '\n', 0, 0xFF)
	stream = append(stream, cut...)
	stream = append(stream, frames[1]...)
	stream = append(stream, junk...)
	s := mjpeg.NewSplitter(iotest.HalfReader(bytes.NewReader(stream)))
	got, err := split(t, s)
	assert.Equal(t, io.EOF, err)
	require.Len(t, got, 2)
	assert.Equal(t, frames[0], got[0])
	assert.Equal(t, frames[1], got[1])
	assert.Equal(t, int64(2*len(junk)+3+len(cut)), s.Skipped())
}

// TestSplitTruncated: a last frame the stream ends inside is reported, not
// returned, after every whole frame; then io.EOF.
func TestSplitTruncated(t *testing.T) {
	frames := testFrames(t)
	for _, cutAt := range []int{1, 2, 3, 100, len(frames[4]) - 1} {
		stream := append(bytes.Join(frames[:4], nil), frames[4][:cutAt]...)
		s := mjpeg.NewSplitter(bytes.NewReader(stream))
		got, err := split(t, s)
		if cutAt == 1 { // a lone FF: not a frame yet
			assert.Equal(t, io.EOF, err)
			assert.Equal(t, int64(1), s.Skipped())
		} else {
			assert.ErrorIs(t, err, mjpeg.ErrTruncatedFrame, "cut at %d", cutAt)
			assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
			_, err = s.NextFrame()
			assert.Equal(t, io.EOF, err)
		}
		assert.Len(t, got, 4, "cut at %d", cutAt)
	}
}

// TestSplitReadError: a read error after some frames comes after them, and
// stays.
func TestSplitReadError(t *testing.T) {
	frames := testFrames(t)
	boom := errors.New("boom")
	r := io.MultiReader(bytes.NewReader(bytes.Join(frames[:2], nil)), bytes.NewReader(frames[2][:10]), iotest.ErrReader(boom))
	s := mjpeg.NewSplitter(r)
	got, err := split(t, s)
	assert.ErrorIs(t, err, boom)
	assert.Len(t, got, 2)
	_, err = s.NextFrame()
	assert.ErrorIs(t, err, boom)
}

// endless is a frame whose scan never ends: SOI, SOS, then bytes for ever.
type endless struct{ head []byte }

func (e *endless) Read(p []byte) (int, error) {
	n := copy(p, e.head)
	e.head = e.head[n:]
	for i := n; i < len(p); i++ {
		p[i] = byte(i) & 0x7F
	}
	return len(p), nil
}

// TestSplitTooLarge: a frame over MaxFrameSize is read through without
// being kept, reported, and the next frame comes after it; memory stays
// near MaxFrameSize whatever the frame's size.
func TestSplitTooLarge(t *testing.T) {
	frames := testFrames(t)
	const limit = 1 << 20
	big := synthetic(bytes.Repeat([]byte{1, 2, 3, 0xFF}, 16<<20/4)) // 16 MiB of scan, twice
	stream := bytes.Join([][]byte{frames[0], big, frames[1]}, nil)
	s := mjpeg.NewSplitter(bytes.NewReader(stream))
	s.MaxFrameSize = limit
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f, err := s.NextFrame()
	require.NoError(t, err)
	assert.Equal(t, frames[0], f)
	_, err = s.NextFrame()
	assert.ErrorIs(t, err, mjpeg.ErrFrameTooLarge)
	f, err = s.NextFrame()
	require.NoError(t, err)
	assert.Equal(t, frames[1], f)
	runtime.ReadMemStats(&after)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(8*limit), "allocated for a %d-byte frame", len(big))

	// A scan that never ends allocates no more.
	s = mjpeg.NewSplitter(io.LimitReader(&endless{head: []byte{0xFF, 0xD8, 0xFF, 0xDA, 0, 2}}, 256<<20))
	s.MaxFrameSize = limit
	runtime.ReadMemStats(&before)
	_, err = s.NextFrame()
	assert.ErrorIs(t, err, mjpeg.ErrTruncatedFrame)
	runtime.ReadMemStats(&after)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(8*limit))
}

// TestSplitEmpty: an empty stream and one with no JPEG in it end at once.
func TestSplitEmpty(t *testing.T) {
	for _, in := range []string{"", "no jpeg here", "\xFF", "\xFF\xD9\xFF\xD9"} {
		s := mjpeg.NewSplitter(bytes.NewReader([]byte(in)))
		_, err := s.NextFrame()
		assert.Equal(t, io.EOF, err, "%q", in)
		assert.Equal(t, int64(len(in)), s.Skipped(), "%q", in)
	}
}

// FuzzSplit: whatever the input, frames come out starting with SOI and
// ending with EOI, inside the bounds of the input, and never more bytes
// than went in; and frames built from the input, written back to back,
// come back the same.
func FuzzSplit(f *testing.F) {
	for _, fr := range testFrames(f) {
		f.Add(fr)
	}
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xD8, 0xFF, 0xD9})
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 0xFF, 0x00, 0xFF, 0xD9})
	f.Fuzz(func(t *testing.T, data []byte) {
		s := mjpeg.NewSplitter(iotest.HalfReader(bytes.NewReader(data)))
		s.MaxFrameSize = 1 << 12
		total := int64(0)
		for {
			fr, err := s.NextFrame()
			if errors.Is(err, mjpeg.ErrFrameTooLarge) {
				continue
			}
			if err != nil {
				break
			}
			require.True(t, bytes.HasPrefix(fr, []byte{0xFF, 0xD8}) && bytes.HasSuffix(fr, []byte{0xFF, 0xD9}))
			require.LessOrEqual(t, len(fr), 1<<12)
			total += int64(len(fr))
		}
		require.LessOrEqual(t, total+s.Skipped(), int64(len(data)))

		// Round trip: the input as the scan data of frames, and as the
		// body of an APP segment.
		var frames [][]byte
		for chunk := range bytes.SplitSeq(data, []byte{0x42}) {
			fr := synthetic(chunk)
			if len(chunk) < 1<<15 {
				fr = withThumbnail(t, fr, chunk)
			}
			frames = append(frames, fr)
		}
		s = mjpeg.NewSplitter(bytes.NewReader(bytes.Join(frames, nil)))
		got, err := split(t, s)
		require.Equal(t, io.EOF, err)
		require.Equal(t, frames, got)
		require.Zero(t, s.Skipped())
	})
}
