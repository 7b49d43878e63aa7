package container

import (
	"fmt"
	"io"
)

// A Writer writes an OMV IMG STR stream to an [io.Writer]: the magic, then
// each frame as a header, its payload and zero padding to a multiple of 16
// bytes, exactly as OpenMV firmware does.
//
// A Writer does not buffer: when WriteFrame returns, the frame has been
// handed to the underlying writer whole, so a reader on the other end of a
// pipe or socket can read it at once. Small frames go out in one Write;
// large ones in three (header, payload, padding) so the payload is never
// copied. Wrap the destination in a [bufio.Writer] to batch many small frames.
//
// A Writer is not safe for concurrent use.
type Writer struct {
	// Version is the version to write: [V2_0] when zero (what current
	// firmware writes), [V2_1] for microsecond times (read by OpenMV IDE,
	// not by the firmware), or [V1_0] or [V1_1] for old readers (no PNG,
	// YUV or Bayer other than BGGR). Set it before the first frame.
	Version Version

	w       io.Writer
	started bool  // the magic has been written
	err     error // sticky error
	scratch []byte
}

// smallFrame is the largest payload that is copied into the Writer's scratch
// buffer to go out in a single Write with its header and padding.
const smallFrame = 4 << 10

// NewWriter returns a Writer that writes a stream to w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: w}
}

// NewAppendWriter returns a Writer that adds frames to a stream of version v
// whose magic (and perhaps some frames) w already holds, such as a recording
// reopened to go on, or a file positioned after its last complete frame.
func NewAppendWriter(w io.Writer, v Version) *Writer {
	return &Writer{Version: v, w: w, started: true}
}

// Reset discards the Writer's state and makes it write a new stream to w,
// keeping its Version.
func (zw *Writer) Reset(w io.Writer) {
	*zw = Writer{Version: zw.Version, w: w, scratch: zw.scratch[:0]}
}

func (zw *Writer) version() Version {
	if zw.Version == 0 {
		return V2_0
	}
	return zw.Version
}

// WriteFrame writes one frame. It checks h against the payload first: the
// format must be one the stream's version carries, the dimensions in
// 1..[MaxDimension], h.Size equal to len(payload) (a zero h.Size is taken
// as len(payload)), which for uncompressed formats must match the
// dimensions, and h.Elapsed non-negative and within the stream's 32-bit
// time field (it is rounded to the nearest millisecond, or microsecond in
// V2.1). An invalid frame writes nothing and does not poison the Writer;
// an error from the underlying writer does.
func (zw *Writer) WriteFrame(h *Header, payload []byte) error {
	if zw.err != nil {
		return zw.err
	}
	if h.Size != 0 && h.Size != len(payload) {
		return fmt.Errorf("%w: header says %d bytes, payload has %d", ErrInvalidSize, h.Size, len(payload))
	}
	v := zw.version()
	if !v.Supported() {
		return fmt.Errorf("%w: %s", ErrUnsupportedVersion, v)
	}
	hc := *h
	hc.Size = len(payload)
	if cap(zw.scratch) < MagicSize+32+smallFrame+16 {
		zw.scratch = make([]byte, 0, MagicSize+32+smallFrame+16)
	}
	buf := zw.scratch[:0]
	if !zw.started {
		m := v.Magic()
		buf = append(buf, m[:]...)
	}
	hs := v.HeaderSize()
	if _, err := hc.MarshalTo(v, buf[len(buf):len(buf)+hs]); err != nil {
		return err
	}
	buf = buf[:len(buf)+hs]
	zw.started = true

	pad := Padding(len(payload))
	swap := v.swapsRGB565(h.Format)
	if len(payload) <= smallFrame {
		buf = append(buf, payload...)
		if swap {
			swap16(buf[len(buf)-len(payload):])
		}
		buf = append(buf, zeros[:pad]...)
		return zw.write(buf)
	}
	if err := zw.write(buf); err != nil {
		return err
	}
	if swap {
		// V1.0 stores RGB565 byte-reversed: swap through the scratch buffer
		// rather than touch the caller's payload.
		for p := payload; len(p) > 0; {
			chunk := zw.scratch[:min(len(p), cap(zw.scratch))]
			copy(chunk, p)
			swap16(chunk)
			if err := zw.write(chunk); err != nil {
				return err
			}
			p = p[len(chunk):]
		}
	} else if err := zw.write(payload); err != nil {
		return err
	}
	if pad > 0 {
		return zw.write(zeros[:pad])
	}
	return nil
}

var zeros [16]byte

func (zw *Writer) write(b []byte) error {
	if _, err := zw.w.Write(b); err != nil {
		zw.err = err
		return err
	}
	return nil
}

// Flush writes the magic if no frame has been written yet, so that an empty
// stream is a valid one. The Writer holds no other data back: each frame is
// written whole by WriteFrame. Flush does not flush the underlying writer.
// Close calls Flush; calling it separately is only needed to make an empty
// stream visible before Close.
func (zw *Writer) Flush() error {
	if zw.err != nil {
		return zw.err
	}
	if zw.started {
		return nil
	}
	v := zw.version()
	if !v.Supported() {
		return fmt.Errorf("%w: %s", ErrUnsupportedVersion, v)
	}
	m := v.Magic()
	if err := zw.write(m[:]); err != nil {
		return err
	}
	zw.started = true
	return nil
}

// Close finishes the stream: it writes the magic if no frame was written.
// It does not close the underlying writer. Later calls to WriteFrame and
// Flush return [ErrWriteAfterClose]; Close itself may be called again and
// then returns nil.
func (zw *Writer) Close() error {
	if zw.err == ErrWriteAfterClose {
		return nil
	}
	if err := zw.Flush(); err != nil {
		return err
	}
	zw.err = ErrWriteAfterClose
	return nil
}
