package mjpeg

import (
	"bytes"
	"fmt"
	"io"
)

// ErrTruncatedFrame is returned by a Splitter for a JPEG the stream ended
// inside: it is reported, never returned as a frame. It matches
// io.ErrUnexpectedEOF.
var ErrTruncatedFrame = fmt.Errorf("mjpeg: the stream ended inside a JPEG: %w", io.ErrUnexpectedEOF)

// A Splitter reads JPEG files written back to back with nothing between
// them (ffmpeg's -f mjpeg, rpicam-vid --codec mjpeg, a program that writes
// cv2.imencode's bytes to stdout) and returns them one at a time.
//
// Frames are found by parsing the JPEG's marker segments, not by searching
// for the end-of-image bytes: a segment's bytes are skipped by its length,
// so an EXIF thumbnail in APP1 (a whole JPEG inside the frame, as phones
// and many cameras write) does not end the frame, and in the entropy-coded
// data stuffed bytes (FF 00), restart markers (FF D0 to FF D7) and fill
// bytes are passed over. A frame ends at its EOI marker. Bytes before a
// frame's SOI marker are skipped and counted ([Splitter.Skipped]), as is a
// frame that a new SOI cuts short.
//
// A frame cut off inside its header segments (before its scan) by the
// start of another can take that frame with it, since a segment's length
// is trusted; one cut off inside its scan, as a camera that drops does, is
// skipped alone.
//
// Memory is bounded by MaxFrameSize: a larger frame is read to its end
// without being kept and reported as [ErrFrameTooLarge], and the Splitter
// goes on with the next frame. A frame cut off by the end of the stream is
// [ErrTruncatedFrame]. Read errors are sticky.
//
// A Splitter is not safe for concurrent use.
type Splitter struct {
	// MaxFrameSize is the largest frame kept: DefaultMaxFrameSize when 0.
	MaxFrameSize int

	r       io.Reader
	b       []byte // b[start:n] is the current frame so far, or unscanned bytes
	start   int    // where the current frame (or, seeking, the unscanned bytes) begins
	p       int    // the next byte to parse
	n       int    // bytes in b
	state   splitState
	over    bool  // the current frame passed MaxFrameSize; it is being dropped
	skipped int64 // bytes skipped between frames
	err     error // the reader's sticky error
	done    bool  // the reader's error has been reported
}

type splitState uint8

const (
	seekSOI  splitState = iota // looking for the next frame's SOI
	inMarker                   // at a marker: b[p] should be 0xFF
	inScan                     // in entropy-coded data
)

// minRead is the least free space a Splitter reads into: smaller gaps are
// made room for first, so that each Read is worth its system call.
// startBuffer is the buffer a Splitter starts with: several frames of a
// 640x480 camera, so that moving a frame's start to the front, to make
// room, happens once every few frames.
const (
	minRead     = 32 << 10
	startBuffer = 256 << 10
)

// NewSplitter returns a Splitter that reads JPEG files from r.
func NewSplitter(r io.Reader) *Splitter {
	return &Splitter{r: r}
}

// Skipped returns the number of bytes skipped so far: bytes between
// frames, and frames cut short by the start of another.
func (s *Splitter) Skipped() int64 { return s.skipped }

func (s *Splitter) maxFrameSize() int {
	if s.MaxFrameSize > 0 {
		return s.MaxFrameSize
	}
	return DefaultMaxFrameSize
}

// NextFrame returns the next JPEG, and io.EOF at the end of the stream. The
// bytes stop being valid at the next call, which may reuse them.
func (s *Splitter) NextFrame() ([]byte, error) {
	for {
		frame, ok, err := s.parse()
		if ok || err != nil {
			return frame, err
		}
		if err := s.fill(); err != nil {
			return nil, err
		}
	}
}

// parse parses what b holds from p on. It returns a frame, or an error for
// the frame just ended, or ok == false when it needs more bytes.
func (s *Splitter) parse() (frame []byte, ok bool, err error) {
	b := s.b[:s.n]
	for {
		switch s.state {
		case seekSOI:
			i := bytes.Index(b[s.p:], soi)
			if i < 0 {
				// Keep a last 0xFF: it may be the first half of an SOI.
				keep := s.n
				if s.n > s.p && b[s.n-1] == 0xFF {
					keep--
				}
				s.skipped += int64(keep - s.start)
				s.start, s.p = keep, keep
				return nil, false, nil
			}
			s.skipped += int64(s.p + i - s.start)
			s.start = s.p + i
			s.p = s.start + 2
			s.state, s.over = inMarker, false
		case inMarker:
			if s.n-s.p < 2 {
				return nil, false, nil
			}
			if b[s.p] != 0xFF {
				// Not a marker where one must be: the frame is broken.
				// Drop it and look for the next.
				s.drop()
				continue
			}
			m := b[s.p+1]
			switch {
			case m == 0xFF: // a fill byte before the marker
				s.p++
			case m == 0xD9: // EOI
				end := s.p + 2
				frame, over := b[s.start:end], s.over || end-s.start > s.maxFrameSize()
				s.start, s.p, s.state, s.over = end, end, seekSOI, false
				if over {
					return nil, false, fmt.Errorf("%w: a JPEG over %d bytes", ErrFrameTooLarge, s.maxFrameSize())
				}
				return frame, true, nil
			case m == 0xD8: // a new frame before this one ended
				s.skipped += int64(s.p - s.start)
				s.start = s.p
				s.p += 2
				s.over = false
			case m == 0x01 || 0xD0 <= m && m <= 0xD7: // markers with no length
				s.p += 2
			default:
				if s.n-s.p < 4 {
					return nil, false, nil
				}
				length := int(b[s.p+2])<<8 | int(b[s.p+3])
				if length < 2 {
					s.drop()
					continue
				}
				if s.n-s.p < 2+length {
					return nil, false, nil
				}
				s.p += 2 + length
				if m == 0xDA { // SOS: its entropy-coded data follows
					s.state = inScan
				}
			}
		case inScan:
			end, resume := scanEnd(b, s.p)
			s.p = resume
			if end < 0 {
				return nil, false, nil
			}
			s.state = inMarker
		}
	}
}

// scanEnd finds the marker that ends the entropy-coded data in b from i
// on: stuffed bytes (FF 00), restart markers and fill bytes do not end it.
// It returns the marker's index, or -1 and the index to go on from once
// b holds more.
func scanEnd(b []byte, i int) (end, resume int) {
	for {
		j := bytes.IndexByte(b[i:], 0xFF)
		if j < 0 {
			return -1, len(b)
		}
		i += j
		if i+1 >= len(b) {
			return -1, i
		}
		switch m := b[i+1]; {
		case m == 0x00 || m-0xD0 < 8: // stuffing, RSTn
			i += 2
		case m == 0xFF: // a fill byte
			i++
		default: // EOI, or DHT, SOS... between the scans of a progressive JPEG
			return i, i
		}
	}
}

var soi = []byte{0xFF, 0xD8}

// drop skips the broken frame that starts at start and looks for the next
// SOI after its own.
func (s *Splitter) drop() {
	s.skipped += int64(s.p - s.start)
	s.start = s.p
	s.state, s.over = seekSOI, false
}

// fill reads more of the stream into b, making room first: it moves the
// current frame to the front, drops what an oversize frame has parsed, and
// grows b up to about MaxFrameSize.
func (s *Splitter) fill() error {
	if s.err != nil {
		return s.finish()
	}
	if s.state != seekSOI && s.n-s.start > s.maxFrameSize() {
		s.over = true
	}
	if s.over || s.state == seekSOI {
		// Keep nothing before the parse position: a frame being dropped,
		// or bytes already scanned for an SOI.
		if s.state == seekSOI {
			s.skipped += int64(s.p - s.start)
		}
		s.start = s.p
	}
	if len(s.b)-s.n < minRead && s.start > 0 {
		copy(s.b, s.b[s.start:s.n])
		s.n -= s.start
		s.p -= s.start
		s.start = 0
	}
	if len(s.b)-s.n < minRead {
		size := max(2*len(s.b), startBuffer)
		size = max(size, s.n+minRead)
		b := make([]byte, size)
		copy(b, s.b[:s.n])
		s.b = b
	}
	k, err := s.r.Read(s.b[s.n:])
	s.n += k
	if err != nil {
		s.err = err
		if k == 0 {
			return s.finish()
		}
	}
	return nil
}

// finish reports the end of the stream once: a frame cut off by it, or
// the reader's error; then io.EOF (or the error) for ever.
func (s *Splitter) finish() error {
	if s.done {
		return s.err
	}
	s.done = true
	if s.state != seekSOI {
		s.state = seekSOI
		s.start, s.p = s.n, s.n
		if s.err == io.EOF {
			return ErrTruncatedFrame
		}
	}
	s.skipped += int64(s.n - s.start)
	s.start, s.p = s.n, s.n
	return s.err
}
