package container

import (
	"errors"
	"fmt"
	"io"
	"time"
)

// A Reader reads the frames of an OMV IMG STR stream in order, from any
// [io.Reader]: a file, a pipe, a socket. [Reader.Next] advances to the next
// frame and the Reader itself reads that frame's payload.
//
// When the source is also an [io.Seeker] that can seek (a regular file, not
// a pipe), the Reader seeks over payloads it is told to skip, and checks each
// frame's size against the bytes that remain, so a cut-off file is reported
// at the damaged frame's header.
//
// Errors are sticky: after one, every method returns it. Everything but a
// clean end of stream ([io.EOF]) comes as a [*FrameError] that says which
// frame and where; every complete frame before it has been delivered.
//
// A Reader is not safe for concurrent use.
type Reader struct {
	// Strict makes non-zero reserved header bytes and non-zero alignment
	// padding an error ([ErrNonZeroPadding]). By default the Reader is as
	// lenient as the firmware, which ignores them. Set it before the first
	// call to Next.
	Strict bool

	// MaxFrameSize is the largest payload accepted, in bytes; a larger frame
	// is [ErrInvalidSize]. Zero means [DefaultMaxFrameSize].
	MaxFrameSize int

	r       io.Reader
	seeker  io.Seeker // r, when it can seek; nil otherwise
	start   int64     // seeker position of the magic
	end     int64     // stream length as last seen through seeker
	version Version
	pos     int64 // offset of the next byte of r, from the start of the magic

	index  int           // index of the current frame; -1 before the first
	hdr    Header        // the current frame's header
	off    int64         // offset of the current frame's header
	at     time.Duration // the current frame's time since the first frame
	remain int           // payload bytes not yet handed out
	pad    int           // padding bytes not yet consumed
	swap   bool          // the payload is RGB565 stored byte-reversed (V1.0)
	held   bool          // swap: heldB is the first byte of the next pair to hand out
	heldB  byte

	err error    // sticky error
	buf [32]byte // header scratch
}

// NewReader returns a Reader that reads the stream from r, after reading and
// checking its magic. It returns [ErrBadMagic], [ErrUnsupportedVersion] or
// [ErrTruncatedHeader] (which matches [io.ErrUnexpectedEOF]) if the magic is
// wrong or cut off.
func NewReader(r io.Reader) (*Reader, error) {
	zr := new(Reader)
	if err := zr.Reset(r); err != nil {
		return nil, err
	}
	return zr, nil
}

// Reset makes zr read a new stream from r, as [NewReader] does, keeping its
// Strict and MaxFrameSize settings.
func (zr *Reader) Reset(r io.Reader) error {
	*zr = Reader{Strict: zr.Strict, MaxFrameSize: zr.MaxFrameSize, r: r, index: -1}
	if s, ok := r.(io.Seeker); ok {
		if p, err := s.Seek(0, io.SeekCurrent); err == nil {
			zr.seeker, zr.start, zr.end = s, p, -1
		}
	}
	n, err := io.ReadFull(r, zr.buf[:MagicSize])
	zr.pos = int64(n)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		zr.err = err
		return err
	}
	zr.version, err = parseMagic(zr.buf[:n])
	if err != nil {
		zr.err = err
		return err
	}
	return nil
}

// Version returns the stream's version.
func (zr *Reader) Version() Version { return zr.version }

// Time returns the time since the stream's first frame of the frame Next
// returned last: the sum of the Elapsed of the frames after the first, up to
// and including it (the first frame's Elapsed counts from the stream's
// opening, not from a frame). It is 0 before the first frame and for it.
func (zr *Reader) Time() time.Duration { return zr.at }

// Offset returns the byte offset, from the first byte of the magic, of the
// header of the frame Next returned last (MagicSize before the first).
func (zr *Reader) Offset() int64 {
	if zr.index < 0 {
		return MagicSize
	}
	return zr.off
}

// Next advances to the next frame and returns its header, skipping whatever
// is unread of the current frame. At a clean end of stream (the stream ends
// right after a complete frame) it returns [io.EOF].
//
// The returned Header is owned by the Reader and is overwritten by the next
// call to Next; copy it to keep it.
func (zr *Reader) Next() (*Header, error) {
	if zr.err != nil {
		return nil, zr.err
	}
	if err := zr.skip(); err != nil {
		return nil, zr.fail(err)
	}
	zr.index++
	zr.off = zr.pos
	n := zr.version.HeaderSize()
	m, err := io.ReadFull(zr.r, zr.buf[:n])
	zr.pos += int64(m)
	switch {
	case err == io.EOF:
		zr.err = io.EOF
		return nil, io.EOF
	case err == io.ErrUnexpectedEOF:
		return nil, zr.fail(ErrTruncatedHeader)
	case err != nil:
		return nil, zr.fail(err)
	}
	if err := zr.hdr.Unmarshal(zr.version, zr.buf[:n]); err != nil {
		return nil, zr.fail(err)
	}
	if zr.Strict && NonZeroReserved(zr.version, zr.buf[:n]) {
		return nil, zr.fail(fmt.Errorf("%w: reserved header bytes % x", ErrNonZeroPadding, zr.buf[20:32]))
	}
	size := zr.hdr.Size
	pad := Padding(size)
	if zr.seeker != nil && !zr.available(int64(size)+int64(pad)) {
		return nil, zr.fail(fmt.Errorf("%w: %d payload bytes declared, %d left", ErrTruncatedPayload, size, zr.end-zr.pos))
	}
	if size > zr.maxFrameSize() {
		return nil, zr.fail(fmt.Errorf("%w: %d bytes, over the limit of %d", ErrInvalidSize, size, zr.maxFrameSize()))
	}
	zr.remain, zr.pad = size, pad
	if zr.index > 0 {
		zr.at += zr.hdr.Elapsed
	}
	zr.swap = zr.version.swapsRGB565(zr.hdr.Format)
	return &zr.hdr, nil
}

// Read reads from the current frame's payload. It returns (0, [io.EOF]) at
// the end of the payload, and before the first call to [Reader.Next].
// RGB565 payloads come out little-endian whatever the stream's version.
func (zr *Reader) Read(p []byte) (int, error) {
	if zr.err != nil {
		return 0, zr.err
	}
	if zr.index < 0 {
		return 0, io.EOF
	}
	if zr.remain == 0 {
		if err := zr.finish(); err != nil {
			return 0, zr.fail(err)
		}
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	if zr.swap {
		return zr.readSwapped(p)
	}
	if len(p) > zr.remain {
		p = p[:zr.remain]
	}
	n, err := zr.r.Read(p)
	zr.pos += int64(n)
	zr.remain -= n
	if err == io.EOF {
		if zr.remain == 0 {
			return n, nil
		}
		err = ErrTruncatedPayload
	}
	if err != nil {
		return n, zr.fail(err)
	}
	return n, nil
}

// readSwapped reads a byte-reversed RGB565 payload, handing out its 16-bit
// words little-endian. It reads whole pairs from the source, holding back
// the second byte of a pair when p ends between them.
func (zr *Reader) readSwapped(p []byte) (int, error) {
	n := 0
	if zr.held {
		p[0] = zr.heldB
		zr.held = false
		zr.remain--
		n++
		p = p[1:]
	}
	if m := min(len(p)&^1, zr.remain); m > 0 {
		k, err := io.ReadFull(zr.r, p[:m])
		zr.pos += int64(k)
		if err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				err = ErrTruncatedPayload
			}
			return n, zr.fail(err)
		}
		swap16(p[:m])
		zr.remain -= m
		n += m
	} else if len(p) == 1 && zr.remain > 0 {
		k, err := io.ReadFull(zr.r, zr.buf[:2])
		zr.pos += int64(k)
		if err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				err = ErrTruncatedPayload
			}
			return n, zr.fail(err)
		}
		p[0], zr.heldB, zr.held = zr.buf[1], zr.buf[0], true
		zr.remain--
		n++
	}
	return n, nil
}

// ReadFrame advances to the next frame, as [Reader.Next] does, and reads its
// whole payload into buf, growing it if its capacity is too small. It returns
// the payload, which aliases buf when buf was large enough, so a loop that
// passes the previous payload back in reads without allocating. A frame is
// returned only when all of it, alignment padding included, is present and
// valid. At a clean end of stream it returns [io.EOF].
//
// Growing buf is bounded by MaxFrameSize; on a source that cannot seek it
// grows in steps as data arrives, so a lying size field costs no more memory
// than the data actually sent.
func (zr *Reader) ReadFrame(buf []byte) (*Header, []byte, error) {
	h, err := zr.Next()
	if err != nil {
		return nil, buf, err
	}
	size := h.Size
	if cap(buf) >= size || zr.seeker != nil {
		if cap(buf) < size {
			buf = make([]byte, size)
		}
		buf = buf[:size]
		if _, err := io.ReadFull(zr, buf); err != nil {
			return nil, buf, zr.fail(err)
		}
	} else {
		buf = buf[:0]
		for len(buf) < size {
			step := min(size-len(buf), max(len(buf), growStep))
			if cap(buf)-len(buf) < step {
				grown := make([]byte, len(buf), len(buf)+step)
				copy(grown, buf)
				buf = grown
			}
			k, err := io.ReadFull(zr, buf[len(buf):len(buf)+step])
			buf = buf[:len(buf)+k]
			if err != nil {
				return nil, buf, zr.fail(err)
			}
		}
	}
	if err := zr.finish(); err != nil {
		return nil, buf, zr.fail(err)
	}
	return h, buf, nil
}

// growStep is the first step ReadFrame grows a buffer by on a source that
// cannot seek; later steps double what has arrived.
const growStep = 64 << 10

// skip discards what is unread of the current frame.
func (zr *Reader) skip() error {
	if zr.index < 0 {
		return nil
	}
	if zr.held {
		zr.held = false
		zr.remain--
	}
	switch {
	case zr.seeker != nil:
		// The bytes were checked to be there when Next read the header. A
		// lenient Reader need not read the padding either: it seeks over it.
		n := int64(zr.remain)
		if !zr.Strict {
			n += int64(zr.pad)
			zr.pad = 0
		}
		if n > 0 {
			if _, err := zr.seeker.Seek(n, io.SeekCurrent); err != nil {
				return err
			}
			zr.pos += n
		}
	case zr.remain > 0:
		n, err := io.CopyN(io.Discard, zr.r, int64(zr.remain))
		zr.pos += n
		if err == io.EOF {
			return ErrTruncatedPayload
		} else if err != nil {
			return err
		}
	}
	zr.remain = 0
	return zr.finish()
}

// finish consumes the current frame's padding, once its payload is read.
func (zr *Reader) finish() error {
	if zr.pad == 0 {
		return nil
	}
	n, err := io.ReadFull(zr.r, zr.buf[:zr.pad])
	zr.pos += int64(n)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return ErrTruncatedPayload
	} else if err != nil {
		return err
	}
	if zr.Strict && !allZero(zr.buf[:zr.pad]) {
		return fmt.Errorf("%w: alignment padding % x", ErrNonZeroPadding, zr.buf[:zr.pad])
	}
	zr.pad = 0
	return nil
}

// available reports whether n bytes remain in a seekable source after pos.
// It asks the source for its length only when the last known length is too
// short, so a file that grows while it is read is seen to grow.
func (zr *Reader) available(n int64) bool {
	if zr.end >= 0 && zr.pos+n <= zr.end {
		return true
	}
	end, err := zr.seeker.Seek(0, io.SeekEnd)
	if err == nil {
		_, err = zr.seeker.Seek(zr.start+zr.pos, io.SeekStart)
	}
	if err != nil {
		// A source that cannot tell its length is read as a stream.
		zr.seeker = nil
		return true
	}
	zr.end = end - zr.start
	return zr.pos+n <= zr.end
}

func (zr *Reader) maxFrameSize() int {
	if zr.MaxFrameSize > 0 {
		return zr.MaxFrameSize
	}
	return DefaultMaxFrameSize
}

// fail records err as the sticky error, in a FrameError for the current
// frame, and returns it.
func (zr *Reader) fail(err error) error {
	var fe *FrameError
	if !errors.As(err, &fe) {
		err = &FrameError{Index: zr.index, Offset: zr.off, Err: err}
	}
	zr.err = err
	return err
}
