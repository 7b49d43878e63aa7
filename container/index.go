package container

import (
	"fmt"
	"io"
)

// An Entry locates one frame of a stream.
type Entry struct {
	Header
	// Offset is the byte offset of the frame's header from the start of
	// the stream (the first byte of the magic).
	Offset int64
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

// DataOffset returns the byte offset of frame i's payload.
func (x *Index) DataOffset(i int) int64 {
	return x.Entries[i].Offset + int64(x.Version.HeaderSize())
}

// Append adds a frame that was written at x.End, and moves End past it.
func (x *Index) Append(h Header) {
	x.Entries = append(x.Entries, Entry{Header: h, Offset: x.End})
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
// [ErrTruncatedPayload]; an i outside the index is [ErrInvalidIndex].
func (x *Index) ReadPayload(r io.ReaderAt, i int, buf []byte) ([]byte, error) {
	if i < 0 || i >= len(x.Entries) {
		return buf, fmt.Errorf("%w: frame %d of %d", ErrInvalidIndex, i, len(x.Entries))
	}
	e := &x.Entries[i]
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
