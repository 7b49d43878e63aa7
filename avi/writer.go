package avi

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"strconv"
	"strings"
	"time"
)

// Errors returned by Writer; match them with errors.Is.
var (
	// ErrInvalidConfig is returned by NewWriter for a Config outside the
	// package's limits.
	ErrInvalidConfig = errors.New("avi: invalid configuration")

	// ErrInvalidFrame is returned by WriteFrame for an empty frame, one over
	// MaxFrameSize or larger than a segment, or one recorded before the
	// previous frame. The frame is not written; the Writer goes on.
	ErrInvalidFrame = errors.New("avi: invalid frame")

	// ErrTooManySegments is returned by WriteFrame for a frame that would
	// need more segments than the super index has room for
	// (Config.MaxSegments). The frame is not written, nor any after it;
	// Close finishes the file whole with the frames before it.
	ErrTooManySegments = errors.New("avi: more segments than the super index holds")

	// ErrWriteAfterClose is returned by WriteFrame after Close.
	ErrWriteAfterClose = errors.New("avi: write after close")
)

// Limits; see the package doc.
const (
	// DefaultSegmentSize is the largest RIFF segment, and the default.
	DefaultSegmentSize = 1 << 30
	// MinSegmentSize is the smallest SegmentSize: room for the headers
	// and a few frames.
	MinSegmentSize = 64 << 10
	// DefaultMaxSegments is how many segments the super index has room
	// for unless Config.MaxSegments says otherwise: 256 GiB at the default
	// segment size, for 4 KiB of header.
	DefaultMaxSegments = 256
	// MaxFrameSize is the largest frame: 64 MiB, far above any JPEG a
	// camera sends, so that a corrupt length cannot make a file of one
	// frame.
	MaxFrameSize = 64 << 20
	// MaxDimension is the largest width or height.
	MaxDimension = 32767
	// DefaultMaxHold is the longest a frame is shown unless
	// Config.MaxHold says otherwise: one minute. A longer gap between
	// two frames (a camera that stopped, a clock that jumped: a V2.0 file
	// can hold a gap of 49.7 days) is shortened to it, so that an 8 KB
	// recording cannot make gigabytes of index; Writer.Shortened counts
	// the gaps shortened.
	DefaultMaxHold = time.Minute
	// MaxHoldSlots is the most grid slots one frame is shown for, whatever
	// the rate and MaxHold: 65536 index entries (1.5 MiB of index in the
	// first segment, 0.5 MiB in the others).
	MaxHoldSlots = 1 << 16
)

// A Rate is a frame rate as a fraction: Num frames every Den seconds, such
// as 30000/1001 for NTSC's 29.97 fps.
type Rate struct {
	Num, Den int
}

// String returns the rate as "Num/Den".
func (r Rate) String() string { return strconv.Itoa(r.Num) + "/" + strconv.Itoa(r.Den) }

// Float returns the rate in frames per second.
func (r Rate) Float() float64 { return float64(r.Num) / float64(r.Den) }

// Period returns the time between two frames, rounded to the nanosecond.
func (r Rate) Period() time.Duration {
	return time.Duration((int64(r.Den)*int64(time.Second) + int64(r.Num)/2) / int64(r.Num))
}

func (r Rate) valid() bool {
	return r.Num >= 1 && r.Den >= 1 && r.Num <= math.MaxInt32 && r.Den <= math.MaxInt32
}

// Slot returns the slot of the grid that time t (from the first frame)
// falls on: t*Num/Den seconds, rounded to the nearest slot, computed
// without overflow for any t.
func (r Rate) Slot(t time.Duration) int64 {
	if t <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(t), uint64(r.Num))
	d := uint64(r.Den) * uint64(time.Second)
	lo, carry := bits.Add64(lo, d/2, 0)
	hi += carry
	if hi >= d {
		return math.MaxInt64
	}
	q, _ := bits.Div64(hi, lo, d)
	return int64(min(q, math.MaxInt64))
}

// MeanRate returns the mean rate of frames frames spread over d (from the
// first frame's time to the last's), to three decimals, as a fraction:
// the rate a recording with uneven intervals is best shown at. It is 30/1
// when there are fewer than two frames or no time between them.
func MeanRate(frames int, d time.Duration) Rate {
	if frames < 2 || d <= 0 {
		return Rate{Num: 30, Den: 1}
	}
	milli := int64(math.Round(float64(frames-1) / d.Seconds() * 1000))
	if milli < 1 || milli > math.MaxInt32 {
		return Rate{Num: 30, Den: 1}
	}
	g := gcd(int(milli), 1000)
	return Rate{Num: int(milli) / g, Den: 1000 / g}
}

// ParseRate parses a frame rate: a fraction ("30000/1001"), or a decimal
// number ("30", "29.97", "12.345"), which is taken exactly (29.97 is
// 2997/100).
func ParseRate(s string) (Rate, error) {
	bad := fmt.Errorf("%w: frame rate %q: want a number such as 30 or 29.97, or a fraction such as 30000/1001", ErrInvalidConfig, s)
	if num, den, ok := strings.Cut(s, "/"); ok {
		n, err1 := strconv.Atoi(num)
		d, err2 := strconv.Atoi(den)
		r := Rate{n, d}
		if err1 != nil || err2 != nil || !r.valid() {
			return Rate{}, bad
		}
		return r, nil
	}
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(frac) > 6 || strings.Trim(whole+frac, "0123456789") != "" {
		return Rate{}, bad
	}
	den := 1
	for range frac {
		den *= 10
	}
	n, err := strconv.Atoi(whole + frac)
	r := Rate{n, den}
	if err != nil || !r.valid() {
		return Rate{}, bad
	}
	g := gcd(r.Num, r.Den)
	return Rate{r.Num / g, r.Den / g}, nil
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// Config describes the video a Writer writes.
type Config struct {
	Width, Height int
	// Rate is the output's frame rate: the grid frames are placed on.
	Rate Rate
	// SegmentSize is the largest RIFF segment in bytes:
	// DefaultSegmentSize when 0. Tests set it small to make files of many
	// segments.
	SegmentSize int64
	// MaxSegments is how many segments the super index has room for:
	// DefaultMaxSegments when 0.
	MaxSegments int
	// MaxHold is the longest a frame is shown: DefaultMaxHold when 0. A
	// frame recorded longer than that after the one before is shown
	// MaxHold after it, and every later frame as much earlier (see
	// Writer.Shortened). It is also bounded by MaxHoldSlots.
	MaxHold time.Duration
}

// A Writer writes an MJPEG AVI file to an io.WriteSeeker: JPEG frames in,
// each at the time it was recorded. Close writes the indexes and the
// headers' totals; it does not close the io.WriteSeeker. Each frame is two
// writes (its chunk header, then the JPEG as it is): give a buffered
// io.WriteSeeker to batch them. A Writer is not safe for concurrent use.
type Writer struct {
	w   io.WriteSeeker
	c   Config
	err error // sticky: an error of the io.WriteSeeker

	pos int64 // where the next byte goes

	// Header fields patched by Close.
	avihAt, strhAt, indxAt, dmlhAt int64

	// The segment being written.
	segStart  int64 // its RIFF header
	moviAt    int64 // its LIST 'movi' header
	segIndex  []run // the segment's chunks, with the slots each is shown for
	segSlots  int64 // the slots segIndex covers
	super     []superEntry
	inFirst   bool
	slots     int64 // grid slots indexed so far, in every segment
	slotsSeg0 int64
	maxChunk  int

	// The last frame stored: the slot it starts at and its chunk.
	cur       chunk
	haveCur   bool
	t0, last  time.Duration
	started   bool
	dropped   int
	skip      int64 // slots taken out of the timeline by shortened gaps
	hold      int64 // the most slots a frame is shown for
	shortened int
	closed    bool
	layout    *Layout // the file's layout, when it is streamed (Layout.NewWriter)
	nframe    int     // frames given so far, to check against layout
	full      bool    // the super index is full: WriteFrame refuses more
	scratch   [64]byte
	patchBuf  []byte
}

type chunk struct {
	slot int64
	at   int64 // offset of the chunk's header
	size int   // bytes of JPEG
}

// run is an index entry repeated for n slots: the index is kept in memory
// as one run per stored frame, not one entry per slot, and written out
// slot by slot.
type run struct {
	at   int64 // offset of the chunk's header
	size int
	n    int64
}

type superEntry struct {
	at       int64
	size     int
	duration int
}

// Sizes of the fixed header chunks' bodies.
const (
	avihSize = 56
	strhSize = 56
	strfSize = 40
	dmlhSize = 248
	ixHeader = 24 // an 'ix00' body before its entries
	// indxHeader is an 'indx' body before its entries (16 bytes each).
	indxHeader = 24
	chunkHead  = 8
)

// NewWriter returns a Writer of an MJPEG AVI file described by c, and
// writes the file's headers to w at once, starting at w's current position
// (which must be 0 for players to read the file).
func NewWriter(w io.WriteSeeker, c Config) (*Writer, error) {
	if c.SegmentSize == 0 {
		c.SegmentSize = DefaultSegmentSize
	}
	if c.MaxSegments == 0 {
		c.MaxSegments = DefaultMaxSegments
	}
	switch {
	case c.Width < 1 || c.Height < 1 || c.Width > MaxDimension || c.Height > MaxDimension:
		return nil, fmt.Errorf("%w: %dx%d", ErrInvalidConfig, c.Width, c.Height)
	case !c.Rate.valid():
		return nil, fmt.Errorf("%w: frame rate %v", ErrInvalidConfig, c.Rate)
	case c.SegmentSize < MinSegmentSize || c.SegmentSize > DefaultSegmentSize:
		return nil, fmt.Errorf("%w: segment size %d: want %d to %d", ErrInvalidConfig, c.SegmentSize, MinSegmentSize, DefaultSegmentSize)
	case c.MaxSegments < 1 || c.MaxSegments > 1<<20:
		return nil, fmt.Errorf("%w: %d segments", ErrInvalidConfig, c.MaxSegments)
	case c.MaxHold < 0:
		return nil, fmt.Errorf("%w: MaxHold %v", ErrInvalidConfig, c.MaxHold)
	}
	if c.MaxHold == 0 {
		c.MaxHold = DefaultMaxHold
	}
	pos, err := w.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, err
	}
	aw := &Writer{w: w, c: c, pos: pos, inFirst: true, hold: min(max(c.Rate.Slot(c.MaxHold), 1), MaxHoldSlots)}
	aw.writeHeaders()
	if aw.err != nil {
		return nil, aw.err
	}
	return aw, nil
}

func (aw *Writer) write(p []byte) {
	if aw.err != nil {
		return
	}
	n, err := aw.w.Write(p)
	aw.pos += int64(n)
	aw.err = err
}

// skipBytes moves past n bytes without writing them: a Layout's plan
// lays out a frame's bytes without having them.
func (aw *Writer) skipBytes(n int) {
	if aw.err != nil {
		return
	}
	_, aw.err = aw.w.Seek(int64(n), io.SeekCurrent)
	if aw.err == nil {
		aw.pos += int64(n)
	}
}

func (aw *Writer) fourcc(s string) { aw.write([]byte(s)) }

func (aw *Writer) u32(v uint32) {
	binary.LittleEndian.PutUint32(aw.scratch[:4], v)
	aw.write(aw.scratch[:4])
}

func (aw *Writer) u16(v uint16) {
	binary.LittleEndian.PutUint16(aw.scratch[:2], v)
	aw.write(aw.scratch[:2])
}

func (aw *Writer) u64(v uint64) {
	binary.LittleEndian.PutUint64(aw.scratch[:8], v)
	aw.write(aw.scratch[:8])
}

func (aw *Writer) zeros(n int) {
	var z [256]byte
	for n > 0 {
		k := min(n, len(z))
		aw.write(z[:k])
		n -= k
	}
}

// writeHeaders writes the first segment's headers, with the totals and the
// super index left to Close.
func (aw *Writer) writeHeaders() {
	c := aw.c
	indxSize := indxHeader + 16*c.MaxSegments
	strl := 4 + (chunkHead + strhSize) + (chunkHead + strfSize) + (chunkHead + indxSize)
	odml := 4 + chunkHead + dmlhSize
	hdrl := 4 + (chunkHead + avihSize) + (chunkHead + strl) + (chunkHead + odml)

	aw.segStart = aw.pos
	aw.fourcc("RIFF")
	aw.u32(0) // patched
	aw.fourcc("AVI ")
	aw.fourcc("LIST")
	aw.u32(uint32(hdrl))
	aw.fourcc("hdrl")

	aw.fourcc("avih")
	aw.u32(avihSize)
	aw.avihAt = aw.pos
	aw.zeros(avihSize) // patched

	aw.fourcc("LIST")
	aw.u32(uint32(strl))
	aw.fourcc("strl")
	aw.fourcc("strh")
	aw.u32(strhSize)
	aw.strhAt = aw.pos
	aw.zeros(strhSize) // patched
	aw.fourcc("strf")
	aw.u32(strfSize)
	aw.u32(strfSize) // biSize
	aw.u32(uint32(c.Width))
	aw.u32(uint32(c.Height))
	aw.u16(1)  // planes
	aw.u16(24) // bits per pixel
	aw.fourcc("MJPG")
	aw.u32(uint32(c.Width * c.Height * 3)) // biSizeImage
	aw.zeros(16)                           // pels per meter, colours used and important
	aw.fourcc("indx")
	aw.u32(uint32(indxSize))
	aw.indxAt = aw.pos
	aw.zeros(indxSize) // patched

	aw.fourcc("LIST")
	aw.u32(uint32(odml))
	aw.fourcc("odml")
	aw.fourcc("dmlh")
	aw.u32(dmlhSize)
	aw.dmlhAt = aw.pos
	aw.zeros(dmlhSize) // patched

	aw.startMovi()
}

func (aw *Writer) startMovi() {
	aw.moviAt = aw.pos
	aw.fourcc("LIST")
	aw.u32(0) // patched when the segment is finished
	aw.fourcc("movi")
}

// Dropped returns how many frames WriteFrame left out because an earlier
// frame already held their slot of the grid: frames recorded faster than
// the output rate.
func (aw *Writer) Dropped() int { return aw.dropped }

// Shortened returns how many gaps between frames were longer than
// Config.MaxHold (or MaxHoldSlots), and were shortened to it.
func (aw *Writer) Shortened() int { return aw.shortened }

// Frames returns the number of grid slots indexed so far: the video's
// length in frames once Close has run.
func (aw *Writer) Frames() int64 { return aw.slots }

// WriteFrame adds a JPEG frame recorded at time at (any origin: the first
// frame's time is the video's start). The frame starts at its slot of the
// grid, at*Rate rounded, and is shown until the next frame's slot, for at
// most Config.MaxHold (see Shortened); a frame whose slot an earlier frame
// already has is left out (see Dropped). The JPEG is stored as it is.
func (aw *Writer) WriteFrame(jpeg []byte, at time.Duration) error {
	return aw.frame(jpeg, len(jpeg), at)
}

// frame writes a frame of size bytes: jpeg, or, when jpeg is nil (a
// Layout's plan), size bytes skipped.
func (aw *Writer) frame(jpeg []byte, size int, at time.Duration) error {
	if aw.closed {
		return ErrWriteAfterClose
	}
	if aw.err != nil {
		return aw.err
	}
	if l := aw.layout; l != nil {
		if aw.nframe >= len(l.sizes) || l.sizes[aw.nframe] != size {
			aw.err = fmt.Errorf("%w: frame %d is %d bytes", ErrLayoutMismatch, aw.nframe, size)
			return aw.err
		}
		aw.nframe++
	}
	if aw.full {
		return fmt.Errorf("%w: %d", ErrTooManySegments, aw.c.MaxSegments)
	}
	if size == 0 || size > MaxFrameSize {
		return fmt.Errorf("%w: %d bytes", ErrInvalidFrame, size)
	}
	if !aw.started {
		aw.t0, aw.last, aw.started = at, at, true
	}
	if at < aw.last {
		return fmt.Errorf("%w: recorded at %v, after one at %v", ErrInvalidFrame, at, aw.last)
	}
	need := int64(chunkHead+size+size&1) + 8 + 16 // the chunk and its index entries
	if need > aw.c.SegmentSize-aw.overhead() {
		return fmt.Errorf("%w: %d bytes do not fit in a segment of %d", ErrInvalidFrame, size, aw.c.SegmentSize)
	}
	aw.last = at
	slot := aw.c.Rate.Slot(at-aw.t0) - aw.skip
	if aw.haveCur && slot <= aw.cur.slot {
		aw.dropped++
		return nil
	}
	if aw.haveCur && slot-aw.cur.slot > aw.hold {
		aw.skip += slot - aw.cur.slot - aw.hold
		slot = aw.cur.slot + aw.hold
		aw.shortened++
	}
	if aw.haveCur {
		aw.index(aw.cur, slot-aw.cur.slot)
	}
	if aw.pos-aw.segStart+aw.indexBytes()+need > aw.c.SegmentSize {
		if len(aw.super)+1 >= aw.c.MaxSegments {
			// The super index has room for this segment and no other:
			// the file ends with the frames it holds, the last shown
			// until this one's time, and Close finishes it whole.
			aw.full, aw.haveCur = true, false
			return fmt.Errorf("%w: %d", ErrTooManySegments, aw.c.MaxSegments)
		}
		if err := aw.nextSegment(); err != nil {
			return err
		}
	}
	aw.cur = chunk{slot: slot, at: aw.pos, size: size}
	aw.haveCur = true
	copy(aw.scratch[:4], "00dc")
	binary.LittleEndian.PutUint32(aw.scratch[4:8], uint32(size))
	aw.write(aw.scratch[:8])
	if jpeg != nil {
		aw.write(jpeg)
	} else {
		aw.skipBytes(size)
	}
	if size&1 == 1 {
		aw.write([]byte{0})
	}
	aw.maxChunk = max(aw.maxChunk, size)
	return aw.err
}

// overhead is what a segment holds besides frames and index entries.
func (aw *Writer) overhead() int64 {
	return 4096 + 16*int64(aw.c.MaxSegments) // the headers, with the super index
}

// indexBytes is the size the current segment's indexes will take.
func (aw *Writer) indexBytes() int64 {
	n := aw.segSlots
	b := chunkHead + ixHeader + 8*n
	if aw.inFirst {
		b += chunkHead + 16*n
	}
	return b
}

// index adds n entries for ch to the current segment's indexes: the slots
// it is shown for.
func (aw *Writer) index(ch chunk, n int64) {
	aw.segIndex = append(aw.segIndex, run{at: ch.at, size: ch.size, n: n})
	aw.segSlots += n
	aw.slots += n
}

// finishSegment writes the segment's 'ix00' (and, for the first, 'idx1'),
// and patches its sizes.
func (aw *Writer) finishSegment() {
	if len(aw.super) == aw.c.MaxSegments {
		aw.err = fmt.Errorf("%w: %d", ErrTooManySegments, aw.c.MaxSegments)
		return
	}
	ixAt := aw.pos
	n := int(aw.segSlots)
	aw.fourcc("ix00")
	aw.u32(uint32(ixHeader + 8*n))
	aw.u16(2) // longs per entry
	aw.write([]byte{0, 1})
	aw.u32(uint32(n))
	aw.fourcc("00dc")
	aw.u64(uint64(aw.segStart)) // base offset: entries count from the segment's start
	aw.u32(0)
	buf := aw.patchBuf[:0]
	for _, r := range aw.segIndex {
		e := uint64(uint32(r.at+chunkHead-aw.segStart)) | uint64(uint32(r.size))<<32
		for range r.n {
			buf = binary.LittleEndian.AppendUint64(buf, e)
			if len(buf) >= 64<<10 {
				aw.write(buf)
				buf = buf[:0]
			}
		}
	}
	aw.write(buf)
	aw.super = append(aw.super, superEntry{at: ixAt, size: chunkHead + ixHeader + 8*n, duration: n})
	aw.patch(aw.moviAt+4, uint32(aw.pos-aw.moviAt-8))
	if aw.inFirst {
		aw.fourcc("idx1")
		aw.u32(uint32(16 * n))
		movi := aw.moviAt + 8 // offsets count from the 'movi' fourcc
		buf = buf[:0]
		for _, r := range aw.segIndex {
			for range r.n {
				buf = append(buf, "00dc"...)
				buf = binary.LittleEndian.AppendUint32(buf, 0x10) // AVIIF_KEYFRAME
				buf = binary.LittleEndian.AppendUint32(buf, uint32(r.at-movi))
				buf = binary.LittleEndian.AppendUint32(buf, uint32(r.size))
				if len(buf) >= 64<<10 {
					aw.write(buf)
					buf = buf[:0]
				}
			}
		}
		aw.write(buf)
		aw.slotsSeg0 = aw.segSlots
	}
	aw.patchBuf = buf[:0]
	aw.patch(aw.segStart+4, uint32(aw.pos-aw.segStart-8))
	aw.segIndex, aw.segSlots = aw.segIndex[:0], 0
}

func (aw *Writer) nextSegment() error {
	aw.finishSegment()
	aw.inFirst = false
	aw.segStart = aw.pos
	aw.fourcc("RIFF")
	aw.u32(0)
	aw.fourcc("AVIX")
	aw.startMovi()
	return aw.err
}

// patch writes v at offset at, and comes back.
func (aw *Writer) patch(at int64, v uint32) {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], v)
	aw.patchBytes(at, b[:])
}

func (aw *Writer) patchBytes(at int64, b []byte) {
	if aw.err != nil {
		return
	}
	if _, err := aw.w.Seek(at, io.SeekStart); err != nil {
		aw.err = err
		return
	}
	if _, err := aw.w.Write(b); err != nil {
		aw.err = err
		return
	}
	_, aw.err = aw.w.Seek(aw.pos, io.SeekStart)
}

// Close indexes the last frame (for one slot), writes the last segment's
// indexes and the headers' totals. It does not close the io.WriteSeeker.
// Closing twice is not an error; WriteFrame after Close is
// ErrWriteAfterClose.
func (aw *Writer) Close() error {
	if aw.closed {
		return aw.err
	}
	aw.closed = true
	if aw.err != nil {
		return aw.err
	}
	if l := aw.layout; l != nil && aw.nframe != len(l.sizes) {
		aw.err = fmt.Errorf("%w: %d frames of %d", ErrLayoutMismatch, aw.nframe, len(l.sizes))
		return aw.err
	}
	if aw.haveCur {
		aw.index(aw.cur, 1)
	}
	aw.finishSegment()
	if aw.err != nil {
		return aw.err
	}
	c := aw.c
	le := binary.LittleEndian
	period := uint32(min((int64(c.Rate.Den)*1_000_000+int64(c.Rate.Num)/2)/int64(c.Rate.Num), math.MaxUint32))

	avih := make([]byte, avihSize)
	le.PutUint32(avih[0:], period)
	bytesPerSec := float64(aw.maxChunk) * c.Rate.Float()
	le.PutUint32(avih[4:], uint32(min(bytesPerSec, math.MaxUint32)))
	le.PutUint32(avih[12:], 0x10|0x100|0x800) // AVIF_HASINDEX | AVIF_ISINTERLEAVED | AVIF_TRUSTCKTYPE
	le.PutUint32(avih[16:], uint32(min(aw.slotsSeg0, math.MaxUint32)))
	le.PutUint32(avih[24:], 1) // streams
	le.PutUint32(avih[28:], uint32(aw.maxChunk+chunkHead))
	le.PutUint32(avih[32:], uint32(c.Width))
	le.PutUint32(avih[36:], uint32(c.Height))
	aw.patchBytes(aw.avihAt, avih)

	strh := make([]byte, strhSize)
	copy(strh[0:], "vids")
	copy(strh[4:], "MJPG")
	le.PutUint32(strh[20:], uint32(c.Rate.Den)) // scale
	le.PutUint32(strh[24:], uint32(c.Rate.Num)) // rate
	le.PutUint32(strh[32:], uint32(min(aw.slots, math.MaxUint32)))
	le.PutUint32(strh[36:], uint32(aw.maxChunk+chunkHead))
	le.PutUint32(strh[40:], math.MaxUint32) // quality: default
	le.PutUint16(strh[52:], uint16(c.Width))
	le.PutUint16(strh[54:], uint16(c.Height))
	aw.patchBytes(aw.strhAt, strh)

	indx := make([]byte, indxHeader+16*len(aw.super))
	le.PutUint16(indx[0:], 4) // longs per entry
	indx[2], indx[3] = 0, 0   // sub-type, AVI_INDEX_OF_INDEXES
	le.PutUint32(indx[4:], uint32(len(aw.super)))
	copy(indx[8:], "00dc")
	for i, e := range aw.super {
		b := indx[indxHeader+16*i:]
		le.PutUint64(b[0:], uint64(e.at))
		le.PutUint32(b[8:], uint32(e.size))
		le.PutUint32(b[12:], uint32(e.duration))
	}
	aw.patchBytes(aw.indxAt, indx)

	var dmlh [4]byte
	le.PutUint32(dmlh[:], uint32(min(aw.slots, math.MaxUint32)))
	aw.patchBytes(aw.dmlhAt, dmlh[:])
	if l := aw.layout; l != nil && aw.err == nil && aw.pos != l.size {
		aw.err = fmt.Errorf("%w: %d bytes written, %d laid out", ErrLayoutMismatch, aw.pos, l.size)
	}
	return aw.err
}
