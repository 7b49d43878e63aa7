package avi_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image/color"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/image/riff"

	"github.com/imgstream/imgstream/avi"
	"github.com/imgstream/imgstream/internal/testkit"
)

// parsed is what a walk of an AVI file with x/image/riff found.
type parsed struct {
	segments  []string // the RIFF form types: "AVI ", "AVIX", ...
	avih      []byte
	strh      []byte
	strf      []byte
	indx      []byte
	dmlh      []byte
	chunks    map[int64][]byte // '00dc' chunks by the offset of their header
	ix        [][]uint64       // each segment's 'ix00' entries (offset from base | size<<32)
	ixBase    []int64
	idx1      []byte
	moviStart []int64 // offset of each 'movi' fourcc
}

// walk parses data with riff, recursing into every LIST, and records the
// offset of every chunk.
func walk(t *testing.T, data []byte) *parsed {
	t.Helper()
	p := &parsed{chunks: map[int64][]byte{}}
	off := int64(0)
	for off < int64(len(data)) {
		require.Equal(t, "RIFF", string(data[off:off+4]), "segment at %d", off)
		size := int64(binary.LittleEndian.Uint32(data[off+4:]))
		form, r, err := riff.NewReader(bytes.NewReader(data[off : off+8+size]))
		require.NoError(t, err)
		p.segments = append(p.segments, string(form[:]))
		walkList(t, p, r, off+12)
		off += 8 + size + size&1
	}
	return p
}

func walkList(t *testing.T, p *parsed, r *riff.Reader, at int64) {
	for {
		id, n, body, err := r.Next()
		if err == io.EOF {
			return
		}
		require.NoError(t, err)
		name := string(id[:])
		if id == riff.LIST {
			listType, lr, err := riff.NewListReader(n, body)
			require.NoError(t, err)
			if string(listType[:]) == "movi" {
				p.moviStart = append(p.moviStart, at+8)
			}
			walkList(t, p, lr, at+12)
			at += 8 + int64(n) + int64(n&1)
			continue
		}
		b, err := io.ReadAll(body)
		require.NoError(t, err)
		require.Len(t, b, int(n))
		switch name {
		case "avih":
			p.avih = b
		case "strh":
			p.strh = b
		case "strf":
			p.strf = b
		case "indx":
			p.indx = b
		case "dmlh":
			p.dmlh = b
		case "00dc":
			p.chunks[at] = b
		case "ix00":
			var es []uint64
			for i := 24; i+8 <= len(b); i += 8 {
				es = append(es, binary.LittleEndian.Uint64(b[i:]))
			}
			require.Equal(t, int(binary.LittleEndian.Uint32(b[4:])), len(es), "entries in use")
			p.ix = append(p.ix, es)
			p.ixBase = append(p.ixBase, int64(binary.LittleEndian.Uint64(b[12:])))
		case "idx1":
			p.idx1 = b
		default:
			t.Fatalf("unexpected chunk %q", name)
		}
		at += 8 + int64(n) + int64(n&1)
	}
}

// frames makes n distinct JPEG-like frames of odd and even lengths.
func frames(n int) [][]byte {
	var out [][]byte
	for i := range n {
		f := testkit.StampJPEG(testkit.SolidJPEG(16, 16, color.RGBA{byte(i * 9), 100, 50, 255}), uint64(i))
		out = append(out, append(f, bytes.Repeat([]byte{0}, i%3)...)) // lengths of both parities
	}
	return out
}

// slotsOf returns the frame each index entry of p points at.
func (p *parsed) slotFrames(t *testing.T) [][]byte {
	t.Helper()
	var out [][]byte
	for s, es := range p.ix {
		for _, e := range es {
			at := p.ixBase[s] + int64(uint32(e)) - 8
			b, ok := p.chunks[at]
			require.True(t, ok, "ix00 entry %#x points at a chunk (segment %d)", e, s)
			require.Equal(t, int(e>>32), len(b))
			out = append(out, b)
		}
	}
	return out
}

func TestTimingOnTheGrid(t *testing.T) {
	fs := frames(6)
	rate := avi.Rate{Num: 30000, Den: 1001}
	// Recorded intervals: 33 ms, a 1 s stall, 10 ms (a frame that lands on
	// the previous one's slot), 66 ms...
	times := []time.Duration{0, 33 * time.Millisecond, 1033 * time.Millisecond, 1043 * time.Millisecond, 1109 * time.Millisecond, 1142 * time.Millisecond}
	var buf writeSeeker
	w, err := avi.NewWriter(&buf, avi.Config{Width: 16, Height: 16, Rate: rate})
	require.NoError(t, err)
	for i, f := range fs {
		require.NoError(t, w.WriteFrame(f, times[i]+5*time.Second)) // any origin
	}
	require.NoError(t, w.Close())
	require.NoError(t, w.Close(), "twice")
	require.ErrorIs(t, w.WriteFrame(fs[0], 10*time.Second), avi.ErrWriteAfterClose)

	p := walk(t, buf.b)
	assert.Equal(t, []string{"AVI "}, p.segments)
	got := p.slotFrames(t)
	// Slots: 0, 1, 31 (1.033 s * 29.97), 31 again (dropped), 33, 34; the
	// last frame shows for one slot.
	want := [][]byte{fs[0]}
	for range 30 {
		want = append(want, fs[1])
	}
	want = append(want, fs[2], fs[2], fs[4], fs[5])
	require.Len(t, got, len(want))
	for i := range want {
		assert.True(t, bytes.Equal(want[i], got[i]), "slot %d", i)
	}
	assert.Equal(t, 1, w.Dropped())
	assert.Equal(t, int64(len(want)), w.Frames())
	assert.Len(t, p.chunks, 5, "repeated slots are index entries, not stored frames")
	checkHeaders(t, p, 16, 16, rate, len(want))
	checkIdx1(t, p, got)
}

func checkHeaders(t *testing.T, p *parsed, w, h int, rate avi.Rate, slots int) {
	t.Helper()
	le := binary.LittleEndian
	assert.Equal(t, uint32((int64(rate.Den)*1e6+int64(rate.Num)/2)/int64(rate.Num)), le.Uint32(p.avih[0:]), "µs per frame")
	assert.Equal(t, uint32(w), le.Uint32(p.avih[32:]))
	assert.Equal(t, uint32(h), le.Uint32(p.avih[36:]))
	assert.Equal(t, "vids", string(p.strh[0:4]))
	assert.Equal(t, "MJPG", string(p.strh[4:8]))
	assert.Equal(t, uint32(rate.Den), le.Uint32(p.strh[20:]), "scale")
	assert.Equal(t, uint32(rate.Num), le.Uint32(p.strh[24:]), "rate")
	assert.Equal(t, uint32(slots), le.Uint32(p.strh[32:]), "length in slots")
	assert.Equal(t, "MJPG", string(p.strf[16:20]))
	assert.Equal(t, uint32(slots), le.Uint32(p.dmlh[0:]), "OpenDML total frames")
	// The super index names every segment's ix00, with its slot count.
	n := int(le.Uint32(p.indx[4:]))
	require.Equal(t, len(p.ix), n)
	total := 0
	for i := range n {
		e := p.indx[24+16*i:]
		assert.Equal(t, uint32(len(p.ix[i])), le.Uint32(e[12:]), "segment %d duration", i)
		total += len(p.ix[i])
	}
	assert.Equal(t, slots, total)
}

// checkIdx1 checks the AVI 1.0 index: the first segment's slots, offsets
// from the 'movi' fourcc.
func checkIdx1(t *testing.T, p *parsed, slots [][]byte) {
	t.Helper()
	n := len(p.idx1) / 16
	require.Equal(t, len(p.ix[0]), n)
	assert.Equal(t, uint32(n), binary.LittleEndian.Uint32(p.avih[16:]), "avih counts the first segment")
	for i := range n {
		e := p.idx1[16*i:]
		assert.Equal(t, "00dc", string(e[:4]))
		assert.Equal(t, uint32(0x10), binary.LittleEndian.Uint32(e[4:]), "key frame")
		at := p.moviStart[0] + int64(binary.LittleEndian.Uint32(e[8:]))
		b, ok := p.chunks[at]
		require.True(t, ok, "idx1 entry %d points at a chunk", i)
		assert.True(t, bytes.Equal(slots[i], b), "idx1 entry %d", i)
	}
}

// TestOpenDMLSegments writes with a small segment size: many RIFF
// segments, each with its own ix00, the first with idx1 too; every slot
// of every segment points at its frame.
func TestOpenDMLSegments(t *testing.T) {
	fs := frames(400)
	var buf writeSeeker
	rate := avi.Rate{Num: 25, Den: 1}
	const fs0time = 0
	w, err := avi.NewWriter(&buf, avi.Config{Width: 16, Height: 16, Rate: rate, SegmentSize: avi.MinSegmentSize})
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(1, 2))
	at := time.Duration(0)
	for i, f := range fs {
		if i > 0 {
			at += time.Duration(20+rng.IntN(100)) * time.Millisecond
		}
		require.NoError(t, w.WriteFrame(f, at))
	}
	require.NoError(t, w.Close())
	p := walk(t, buf.b)
	require.Greater(t, len(p.segments), 3, "several segments")
	assert.Equal(t, "AVI ", p.segments[0])
	for _, s := range p.segments[1:] {
		assert.Equal(t, "AVIX", s)
	}
	got := p.slotFrames(t)
	checkHeaders(t, p, 16, 16, rate, len(got))
	checkIdx1(t, p, got[:len(p.ix[0])])
	// Every frame appears, in order, for its slots.
	var unique [][]byte
	for i, g := range got {
		if i == 0 || !bytes.Equal(g, got[i-1]) {
			unique = append(unique, g)
		}
	}
	assert.Equal(t, len(fs)-w.Dropped(), len(unique))
	// ... the last one for one slot, the rest until the next one's.
	assert.Equal(t, rate.Slot(at-fs0time)+1, int64(len(got)))
	for i := 0; i+8 < len(buf.b); {
		size := int(binary.LittleEndian.Uint32(buf.b[i+4:]))
		assert.LessOrEqual(t, int64(size+8), int64(avi.MinSegmentSize), "segment at %d within SegmentSize", i)
		i += 8 + size + size&1
	}
}

// TestDeterministic: the same frames give the same bytes.
func TestDeterministic(t *testing.T) {
	write := func() []byte {
		var buf writeSeeker
		w, err := avi.NewWriter(&buf, avi.Config{Width: 16, Height: 16, Rate: avi.Rate{Num: 12345, Den: 1000}, SegmentSize: avi.MinSegmentSize})
		require.NoError(t, err)
		for i, f := range frames(200) {
			require.NoError(t, w.WriteFrame(f, time.Duration(i)*77*time.Millisecond))
		}
		require.NoError(t, w.Close())
		return buf.b
	}
	assert.Equal(t, write(), write())
}

func TestErrors(t *testing.T) {
	var buf writeSeeker
	for _, c := range []avi.Config{
		{Width: 0, Height: 1, Rate: avi.Rate{30, 1}},
		{Width: 40000, Height: 1, Rate: avi.Rate{30, 1}},
		{Width: 1, Height: 1, Rate: avi.Rate{0, 1}},
		{Width: 1, Height: 1, Rate: avi.Rate{30, 0}},
		{Width: 1, Height: 1, Rate: avi.Rate{30, 1}, SegmentSize: 1000},
		{Width: 1, Height: 1, Rate: avi.Rate{30, 1}, SegmentSize: 2 << 30},
	} {
		_, err := avi.NewWriter(&buf, c)
		assert.ErrorIs(t, err, avi.ErrInvalidConfig, "%+v", c)
	}
	w, err := avi.NewWriter(&buf, avi.Config{Width: 1, Height: 1, Rate: avi.Rate{30, 1}})
	require.NoError(t, err)
	assert.ErrorIs(t, w.WriteFrame(nil, 0), avi.ErrInvalidFrame)
	require.NoError(t, w.WriteFrame([]byte{1}, time.Second))
	assert.ErrorIs(t, w.WriteFrame([]byte{1}, 0), avi.ErrInvalidFrame, "time goes backwards")
	require.NoError(t, w.WriteFrame([]byte{2}, 2*time.Second), "an invalid frame does not stop the Writer")

	// A writer that fails: the error comes back, and stays.
	fw := &failAfter{n: 20000}
	w, err = avi.NewWriter(fw, avi.Config{Width: 1, Height: 1, Rate: avi.Rate{30, 1}})
	require.NoError(t, err)
	for i := 0; ; i++ {
		if err = w.WriteFrame(make([]byte, 500), time.Duration(i)*time.Second); err != nil {
			break
		}
	}
	assert.ErrorIs(t, err, errBoom)
	assert.ErrorIs(t, w.Close(), errBoom)
}

func TestParseRate(t *testing.T) {
	for s, want := range map[string]avi.Rate{
		"30": {30, 1}, "29.97": {2997, 100}, "30000/1001": {30000, 1001}, "12.345": {2469, 200}, "0.5": {1, 2},
	} {
		got, err := avi.ParseRate(s)
		require.NoError(t, err, s)
		assert.Equal(t, want, got, s)
	}
	for _, s := range []string{"", "0", "-5", "abc", "1/0", "30/", "1e3", "1.1234567", "99999999999"} {
		_, err := avi.ParseRate(s)
		assert.ErrorIs(t, err, avi.ErrInvalidConfig, s)
	}
	r := avi.Rate{30000, 1001}
	assert.Equal(t, int64(0), r.Slot(0))
	assert.Equal(t, int64(30), r.Slot(1001*time.Millisecond))
	assert.Equal(t, int64(17982), r.Slot(10*time.Minute), "10 minutes at 29.97 fps")
	assert.Equal(t, time.Duration(33366667), r.Period())
	assert.Positive(t, r.Slot(1<<62), "no overflow")
}

// writeSeeker is an in-memory io.WriteSeeker.
type writeSeeker struct {
	b   []byte
	pos int
}

func (w *writeSeeker) Write(p []byte) (int, error) {
	if need := w.pos + len(p); need > len(w.b) {
		w.b = append(w.b, make([]byte, need-len(w.b))...)
	}
	copy(w.b[w.pos:], p)
	w.pos += len(p)
	return len(p), nil
}

func (w *writeSeeker) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
		w.pos = int(off)
	case io.SeekCurrent:
		w.pos += int(off)
	case io.SeekEnd:
		w.pos = len(w.b) + int(off)
	}
	return int64(w.pos), nil
}

var errBoom = errors.New("boom")

type failAfter struct {
	writeSeeker
	n int
}

func (f *failAfter) Write(p []byte) (int, error) {
	if f.pos+len(p) > f.n {
		return 0, errBoom
	}
	return f.writeSeeker.Write(p)
}

// TestFile writes to a real file, which players read (make e2e checks
// them).
func TestFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.avi")
	f, err := os.Create(path)
	require.NoError(t, err)
	w, err := avi.NewWriter(f, avi.Config{Width: 16, Height: 16, Rate: avi.Rate{15, 1}})
	require.NoError(t, err)
	for i, fr := range frames(10) {
		require.NoError(t, w.WriteFrame(fr, time.Duration(i)*time.Second/15))
	}
	require.NoError(t, w.Close())
	require.NoError(t, f.Close())
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	p := walk(t, data)
	assert.Len(t, p.slotFrames(t), 10)
}

func TestMeanRate(t *testing.T) {
	assert.Equal(t, avi.Rate{15001, 1000}, avi.MeanRate(90, 89*time.Second/15001*1000))
	assert.Equal(t, avi.Rate{30, 1}, avi.MeanRate(31, time.Second))
	assert.Equal(t, avi.Rate{25, 2}, avi.MeanRate(26, 2*time.Second))
	assert.Equal(t, avi.Rate{30, 1}, avi.MeanRate(1, time.Second), "one frame")
	assert.Equal(t, avi.Rate{30, 1}, avi.MeanRate(5, 0), "no time")
}

// TestTooManySegments: a recording that outgrows the super index stops at
// the frame that would need one more segment; Close finishes the file
// whole, with every frame before it.
func TestTooManySegments(t *testing.T) {
	var buf writeSeeker
	w, err := avi.NewWriter(&buf, avi.Config{Width: 8, Height: 8, Rate: avi.Rate{Num: 10, Den: 1}, SegmentSize: avi.MinSegmentSize, MaxSegments: 2})
	require.NoError(t, err)
	frame := bytes.Repeat([]byte{1}, 10_000)
	n := 0
	for ; n < 100; n++ {
		err = w.WriteFrame(frame, time.Duration(n)*100*time.Millisecond)
		if err != nil {
			break
		}
	}
	require.ErrorIs(t, err, avi.ErrTooManySegments)
	assert.Greater(t, n, 6, "two segments of 64 KiB hold frames of 10 KB")
	require.ErrorIs(t, w.WriteFrame(frame, time.Duration(n+1)*100*time.Millisecond), avi.ErrTooManySegments, "and no frame after")
	require.NoError(t, w.Close())
	p := walk(t, buf.b)
	assert.Len(t, p.slotFrames(t), n, "every frame before the limit, each in its slot")
}
