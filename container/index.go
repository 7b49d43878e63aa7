package container

import (
	"fmt"
	"io"
	"time"
)

// An Entry locates one frame of a stream.
type Entry struct {
	Header
	// Offset is the byte offset of the frame's header from the start of
	// the stream (the first byte of the magic).
	Offset int64
	// Time is the frame's time since the stream's first frame: the sum of
	// the Elapsed of the frames after the first, up to and including this
	// one. The first frame's Elapsed counts from the stream's opening, not
	// from a frame, so it is not part of any frame's Time.
	Time time.Duration
}

// An Index lists the frames of a seekable stream, for random access: frame
// i's payload is at Entries[i].Offset + Version.HeaderSize().
type Index struct {
	Version Version
	Entries []Entry
	// End is the offset just past the last complete frame (after its
	// padding): where the next frame goes, and the length a damaged stream
	// is cut back to when it is repaired.
	End int64
}

// Duration returns the time from the first frame to the last: the Time of
// the last entry, 0 for fewer than two frames.
func (x *Index) Duration() time.Duration {
	if len(x.Entries) == 0 {
		return 0
	}
	return x.Entries[len(x.Entries)-1].Time
}

// DataOffset returns the byte offset of frame i's payload.
func (x *Index) DataOffset(i int) int64 {
	return x.Entries[i].Offset + int64(x.Version.HeaderSize())
}

// Append adds a frame that was written at x.End, and moves End past it. The
// entry's Time follows from the previous entry's and h.Elapsed.
func (x *Index) Append(h Header) {
	var t time.Duration
	if n := len(x.Entries); n > 0 {
		t = x.Entries[n-1].Time + h.Elapsed
	}
	x.Entries = append(x.Entries, Entry{Header: h, Offset: x.End, Time: t})
	x.End += int64(x.Version.HeaderSize() + h.Size + Padding(h.Size))
}

// Truncate drops the frames from i on, as when a stream is cut back to
// Entries[i].Offset.
func (x *Index) Truncate(i int) {
	if i < len(x.Entries) {
		x.End = x.Entries[i].Offset
		x.Entries = x.Entries[:i]
	}
}

// ReadIndex reads the frame headers of the stream that starts at r's current
// position, seeking over the payloads, and checks that every payload is
// present. It reads about one header per frame, whatever the frame sizes.
//
// On damage it returns the index of the complete frames before it together
// with the error (a [*FrameError], as [Reader.Next] returns); on a bad magic
// it returns a nil Index. Padding bytes are not read, so ReadIndex is as
// lenient as a default Reader.
func ReadIndex(r io.ReadSeeker) (*Index, error) {
	zr, err := NewReader(r)
	if err != nil {
		return nil, err
	}
	x := &Index{Version: zr.Version(), End: MagicSize}
	for {
		h, err := zr.Next()
		if err == io.EOF {
			return x, nil
		}
		if err != nil {
			return x, err
		}
		x.Append(*h)
	}
}

// ReadPayload reads frame i's payload from r, which holds the stream the
// index describes (offset 0 being the first byte of the magic), into buf,
// growing it if its capacity is too small, and returns the payload. RGB565
// payloads come out little-endian whatever the version, as from a Reader.
// A payload that r no longer holds whole is a [*FrameError] matching
// [ErrTruncatedPayload]; one the index says is over [DefaultMaxFrameSize]
// (an index made by hand) matches [ErrInvalidSize], and nothing is
// allocated for it; an i outside the index is [ErrInvalidIndex].
func (x *Index) ReadPayload(r io.ReaderAt, i int, buf []byte) ([]byte, error) {
	if i < 0 || i >= len(x.Entries) {
		return buf, fmt.Errorf("%w: frame %d of %d", ErrInvalidIndex, i, len(x.Entries))
	}
	e := &x.Entries[i]
	if e.Size < 0 || e.Size > DefaultMaxFrameSize {
		// An index made by hand, not by ReadIndex: nothing is allocated
		// because it says so.
		return buf, &FrameError{Index: i, Offset: e.Offset, Err: fmt.Errorf("%w: %d bytes, over the limit of %d", ErrInvalidSize, e.Size, DefaultMaxFrameSize)}
	}
	if cap(buf) < e.Size {
		buf = make([]byte, e.Size)
	}
	buf = buf[:e.Size]
	if n, err := r.ReadAt(buf, x.DataOffset(i)); n < len(buf) {
		if err == nil || err == io.EOF {
			err = ErrTruncatedPayload
		}
		return buf, &FrameError{Index: i, Offset: e.Offset, Err: err}
	}
	if x.Version.swapsRGB565(e.Format) {
		swap16(buf)
	}
	return buf, nil
}
