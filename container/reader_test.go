package container_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"runtime"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/container"
)

var allFormats = []container.PixFormat{
	container.Binary, container.Grayscale, container.RGB565,
	container.BayerBGGR, container.BayerGBRG, container.BayerGRBG, container.BayerRGGB,
	container.YUV422, container.YVU422, container.JPEG, container.PNG,
}

var allVersions = []container.Version{container.V1_0, container.V1_1, container.V2_0, container.V2_1}

// carries reports whether a stream of version v can hold format f.
func carries(v container.Version, f container.PixFormat) bool {
	if v.HeaderSize() == 32 {
		return true
	}
	switch f {
	case container.Binary, container.Grayscale, container.RGB565, container.BayerBGGR, container.JPEG:
		return true
	}
	return false
}

type frame struct {
	h container.Header
	p []byte
}

// randomFrame makes a frame of format f with random odd-ish dimensions and
// random payload bytes; compressed payloads get a random size.
func randomFrame(rng *rand.Rand, v container.Version, f container.PixFormat) frame {
	w, h := 1+rng.IntN(70), 1+rng.IntN(40)
	size, ok := f.PayloadSize(w, h)
	if !ok {
		size = 4 + rng.IntN(3000)
	}
	p := make([]byte, size)
	for i := range p {
		p[i] = byte(rng.Uint32())
	}
	unit := v.TimeUnit()
	return frame{
		h: container.Header{Elapsed: time.Duration(rng.Uint32()) * unit, Width: w, Height: h, Format: f, Size: size},
		p: p,
	}
}

func randomStream(t testing.TB, rng *rand.Rand, v container.Version, n int) ([]frame, []byte) {
	t.Helper()
	var formats []container.PixFormat
	for _, f := range allFormats {
		if carries(v, f) {
			formats = append(formats, f)
		}
	}
	var buf bytes.Buffer
	zw := container.NewWriter(&buf)
	zw.Version = v
	frames := make([]frame, n)
	for i := range frames {
		frames[i] = randomFrame(rng, v, formats[i%len(formats)])
		require.NoError(t, zw.WriteFrame(&frames[i].h, frames[i].p))
	}
	require.NoError(t, zw.Close())
	return frames, buf.Bytes()
}

func TestRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, v := range allVersions {
		t.Run(v.String(), func(t *testing.T) {
			for range 20 {
				frames, data := randomStream(t, rng, v, 1+rng.IntN(25))
				for _, src := range []io.Reader{bytes.NewReader(data), struct{ io.Reader }{bytes.NewReader(data)}} {
					zr, err := container.NewReader(src)
					require.NoError(t, err)
					require.Equal(t, v, zr.Version())
					zr.Strict = true
					hs, ps, err := readAll(zr)
					require.NoError(t, err)
					require.Len(t, hs, len(frames))
					for i, f := range frames {
						require.Equal(t, f.h, hs[i], "frame %d header", i)
						require.Equal(t, f.p, ps[i], "frame %d payload", i)
					}
				}
			}
		})
	}
}

// TestReadSizes reads payloads in pieces of every size from 1 to 7 bytes,
// so that byte-reversed V1.0 RGB565 words are split in every way.
func TestReadSizes(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, v := range allVersions {
		frames, data := randomStream(t, rng, v, 12)
		for step := 1; step <= 7; step++ {
			zr, err := container.NewReader(bytes.NewReader(data))
			require.NoError(t, err)
			for i, f := range frames {
				h, err := zr.Next()
				require.NoError(t, err)
				require.Equal(t, f.h, *h)
				var got []byte
				p := make([]byte, step)
				for {
					n, err := zr.Read(p)
					got = append(got, p[:n]...)
					if err == io.EOF {
						break
					}
					require.NoError(t, err)
				}
				require.Equal(t, f.p, got, "%v frame %d step %d", v, i, step)
			}
			_, err = zr.Next()
			require.Equal(t, io.EOF, err)
		}
	}
}

// TestSkip reads part of some payloads and none of others: Next skips the
// rest, on seekable and non-seekable sources.
func TestSkip(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, v := range allVersions {
		frames, data := randomStream(t, rng, v, 30)
		for _, seekable := range []bool{true, false} {
			var src io.Reader = bytes.NewReader(data)
			if !seekable {
				src = struct{ io.Reader }{src}
			}
			zr, err := container.NewReader(src)
			require.NoError(t, err)
			for i, f := range frames {
				h, err := zr.Next()
				require.NoError(t, err)
				require.Equal(t, f.h, *h)
				if k := i % 3; k > 0 {
					part := make([]byte, min(len(f.p), k*3+1))
					_, err := io.ReadFull(zr, part)
					require.NoError(t, err)
					require.Equal(t, f.p[:len(part)], part, "%v frame %d", v, i)
				}
			}
			_, err = zr.Next()
			require.Equal(t, io.EOF, err)
		}
	}
}

// TestTruncation cuts a stream at every byte: a reader delivers exactly the
// frames complete before the cut, then io.EOF at a frame boundary or
// io.ErrUnexpectedEOF (as ErrTruncatedHeader or ErrTruncatedPayload, in a
// FrameError naming the cut frame and its offset) anywhere else.
func TestTruncation(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, v := range allVersions {
		frames, data := randomStream(t, rng, v, 6)
		// Chunk boundaries.
		offsets := []int{container.MagicSize}
		for _, f := range frames {
			last := offsets[len(offsets)-1]
			offsets = append(offsets, last+v.HeaderSize()+f.h.Size+container.Padding(f.h.Size))
		}
		require.Equal(t, len(data), offsets[len(offsets)-1])
		for cut := 0; cut < len(data); cut++ {
			for _, seekable := range []bool{true, false} {
				var src io.Reader = bytes.NewReader(data[:cut])
				if !seekable {
					src = struct{ io.Reader }{src}
				}
				zr, err := container.NewReader(src)
				if cut < container.MagicSize {
					require.ErrorIs(t, err, container.ErrTruncatedHeader, "cut %d", cut)
					require.ErrorIs(t, err, io.ErrUnexpectedEOF)
					continue
				}
				require.NoError(t, err)
				var buf []byte
				n := 0
				for {
					var h *container.Header
					h, buf, err = zr.ReadFrame(buf)
					if err != nil {
						break
					}
					require.Equal(t, frames[n].h, *h)
					require.Equal(t, frames[n].p, buf)
					n++
				}
				// The frames wholly before the cut, and no more.
				k := 0
				for k < len(frames) && offsets[k+1] <= cut {
					k++
				}
				require.Equal(t, k, n, "%v cut %d seekable %v", v, cut, seekable)
				if cut == offsets[k] {
					require.Equal(t, io.EOF, err, "%v cut %d at a boundary", v, cut)
					continue
				}
				require.ErrorIs(t, err, io.ErrUnexpectedEOF, "%v cut %d", v, cut)
				want := container.ErrTruncatedPayload
				if cut < offsets[k]+v.HeaderSize() {
					want = container.ErrTruncatedHeader
				}
				require.ErrorIs(t, err, want, "%v cut %d", v, cut)
				var fe *container.FrameError
				require.ErrorAs(t, err, &fe)
				require.Equal(t, k, fe.Index)
				require.Equal(t, int64(offsets[k]), fe.Offset)
			}
		}
	}
}

func TestIOErrorIsSticky(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	_, data := randomStream(t, rng, container.V2_0, 4)
	boom := errors.New("boom")
	r := io.MultiReader(bytes.NewReader(data[:100]), iotest.ErrReader(boom))
	zr, err := container.NewReader(r)
	require.NoError(t, err)
	_, _, err = readAll(zr)
	require.ErrorIs(t, err, boom)
	var fe *container.FrameError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, 0, fe.Index)
	assert.Equal(t, int64(16), fe.Offset)
	_, err2 := zr.Next()
	assert.Equal(t, err, err2)
	_, err2 = zr.Read(make([]byte, 4))
	assert.Equal(t, err, err2)
}

func TestReadBeforeNext(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	_, data := randomStream(t, rng, container.V2_0, 1)
	zr, err := container.NewReader(bytes.NewReader(data))
	require.NoError(t, err)
	n, err := zr.Read(make([]byte, 10))
	assert.Equal(t, 0, n)
	assert.Equal(t, io.EOF, err)
	assert.Equal(t, int64(container.MagicSize), zr.Offset())
	h, err := zr.Next()
	require.NoError(t, err)
	assert.Positive(t, h.Size)
	assert.Equal(t, int64(container.MagicSize), zr.Offset(), "the first frame's header follows the magic")
}

func TestReset(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	f1, d1 := randomStream(t, rng, container.V1_0, 3)
	f2, d2 := randomStream(t, rng, container.V2_1, 2)
	zr, err := container.NewReader(bytes.NewReader(d1))
	require.NoError(t, err)
	zr.Strict = true
	zr.MaxFrameSize = 1 << 20
	hs, _, err := readAll(zr)
	require.NoError(t, err)
	require.Len(t, hs, len(f1))
	require.NoError(t, zr.Reset(bytes.NewReader(d2)))
	assert.True(t, zr.Strict)
	assert.Equal(t, 1<<20, zr.MaxFrameSize)
	assert.Equal(t, container.V2_1, zr.Version())
	hs, ps, err := readAll(zr)
	require.NoError(t, err)
	require.Len(t, hs, len(f2))
	assert.Equal(t, f2[1].p, ps[1])
}

// absurdStream is a V2.0 stream whose only frame is a JPEG that claims size
// bytes but carries 100.
func absurdStream(size uint32) []byte {
	var b bytes.Buffer
	m := container.V2_0.Magic()
	b.Write(m[:])
	hdr := make([]byte, 32)
	hdr[4], hdr[8] = 8, 8
	binary.LittleEndian.PutUint32(hdr[12:], uint32(container.JPEG))
	binary.LittleEndian.PutUint32(hdr[16:], size)
	b.Write(hdr)
	b.Write(bytes.Repeat([]byte{0xff}, 100))
	return b.Bytes()
}

func TestMaxFrameSize(t *testing.T) {
	data := absurdStream(1000)
	zr, err := container.NewReader(struct{ io.Reader }{bytes.NewReader(data)})
	require.NoError(t, err)
	zr.MaxFrameSize = 999
	_, err = zr.Next()
	require.ErrorIs(t, err, container.ErrInvalidSize)

	// The default limit applies to a stream that cannot be checked for the
	// bytes that remain.
	data = absurdStream(container.DefaultMaxFrameSize + 1)
	zr, err = container.NewReader(struct{ io.Reader }{bytes.NewReader(data)})
	require.NoError(t, err)
	_, err = zr.Next()
	require.ErrorIs(t, err, container.ErrInvalidSize)

	// A seekable source reports the missing bytes first.
	zr, err = container.NewReader(bytes.NewReader(data))
	require.NoError(t, err)
	_, err = zr.Next()
	require.ErrorIs(t, err, container.ErrTruncatedPayload)
}

// TestLyingSizeMemory: a stream that claims a 1 GiB frame, under a limit
// raised to allow it, and sends 100 bytes, costs ReadFrame no more than a
// small step of memory on a source that cannot seek.
func TestLyingSizeMemory(t *testing.T) {
	data := absurdStream(1 << 30)
	zr, err := container.NewReader(struct{ io.Reader }{bytes.NewReader(data)})
	require.NoError(t, err)
	zr.MaxFrameSize = 1 << 30
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, _, err = zr.ReadFrame(nil)
	runtime.ReadMemStats(&after)
	require.ErrorIs(t, err, container.ErrTruncatedPayload)
	grew := after.TotalAlloc - before.TotalAlloc
	assert.Less(t, grew, uint64(1<<20), "ReadFrame allocated %d bytes for a lying header", grew)
}

func TestReadFrameReusesBuffer(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	var frames []frame
	var buf bytes.Buffer
	zw := container.NewWriter(&buf)
	for range 50 {
		f := randomFrame(rng, container.V2_0, container.RGB565)
		frames = append(frames, f)
		require.NoError(t, zw.WriteFrame(&f.h, f.p))
	}
	data := buf.Bytes()
	br := bytes.NewReader(data)
	zr, err := container.NewReader(br)
	require.NoError(t, err)
	p := make([]byte, 0, 70*40*2)
	allocs := testing.AllocsPerRun(5, func() {
		br.Reset(data)
		if err := zr.Reset(br); err != nil {
			panic(err)
		}
		for range frames {
			_, p, err = zr.ReadFrame(p)
			if err != nil {
				panic(err)
			}
		}
	})
	assert.Zero(t, allocs)
}

func TestFrameErrorMessage(t *testing.T) {
	err := &container.FrameError{Index: 3, Offset: 1904, Err: container.ErrTruncatedHeader}
	assert.Equal(t, "frame 3 at offset 1904: container: stream ends inside a header: unexpected EOF", err.Error())
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.ErrorIs(t, fmt.Errorf("open x: %w", err), container.ErrTruncatedHeader)
}

// TestIsDamage: what is wrong with a stream's bytes is damage; a failure
// to read them is not, even inside a FrameError.
func TestIsDamage(t *testing.T) {
	for _, err := range []error{container.ErrTruncatedHeader, container.ErrTruncatedPayload, container.ErrInvalidSize,
		&container.FrameError{Index: 3, Err: fmt.Errorf("%w: 9 bytes", container.ErrInvalidElapsed)}} {
		assert.True(t, container.IsDamage(err), "%v", err)
	}
	timeout := &net.OpError{Op: "read", Err: os.ErrDeadlineExceeded}
	for _, err := range []error{io.EOF, errors.New("boom"), &container.FrameError{Index: 1, Err: timeout},
		&container.FrameError{Index: 1, Err: context.Canceled}, container.ErrBadMagic} {
		assert.False(t, container.IsDamage(err), "%v", err)
	}
}
