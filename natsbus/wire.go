package natsbus

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/imgstream/imgstream/container"
)

// The wire format: every message is one frame, or one chunk of a frame,
// as a fixed little-endian prefix and the bytes. A binary prefix rather
// than NATS headers: it costs no parsing or allocation, and it survives
// every path a message takes (core NATS, JetStream, replay) unchanged.
//
//	offset size field
//	0      4    magic "IMF1"
//	4      4    pixel format (container.PixFormat, OpenMV's code)
//	8      2    width
//	10     2    height
//	12     4    frame size in bytes (the whole frame, all chunks)
//	16     8    frame number, from 1, counted by the publisher
//	24     8    capture time, Unix nanoseconds
//	32     4    publisher id (random per Publisher: chunks of two
//	            publishers on one subject are not mixed)
//	36     2    chunk index, from 0
//	38     2    chunk count (1: not chunked)
//	40     ...  the chunk's bytes: the frame's bytes from index*chunk size
const (
	// HeaderSize is the size of the prefix of every message.
	HeaderSize = 40
	// MaxChunks bounds a frame's chunks: 65 535 of the default 1 MB max
	// payload is 64 GB, far beyond a frame.
	MaxChunks = 1<<16 - 1
	// MaxFrameSize is the largest frame that a Publisher sends and that a
	// Subscriber or a replay puts together: 64 MiB, the largest frame an
	// OMV reader accepts by default (container.DefaultMaxFrameSize), so
	// that every frame that passes can be recorded and read back. A
	// message that declares a larger frame is refused before any of it is
	// buffered: the prefix's 32-bit size would otherwise let a hostile
	// publisher make every subscriber hold 4 GiB for each publisher id.
	MaxFrameSize = container.DefaultMaxFrameSize
	// MaxPendingBytes bounds the bytes that a Subscriber or a replay holds
	// for the chunked frames it is putting together, all publishers
	// together: twice MaxFrameSize, so that two publishers of the largest
	// frames interleave without loss. A frame that would take the total
	// past it drops the oldest frames being put together (counted as
	// lost), however many ids a publisher claims.
	MaxPendingBytes = 2 * MaxFrameSize
)

var magic = [4]byte{'I', 'M', 'F', '1'}

// ErrFormat is returned for a message that is not a natsbus frame, or
// whose prefix is inconsistent.
var ErrFormat = errors.New("natsbus: not a frame message")

// wireHeader is a message's prefix.
type wireHeader struct {
	Format        container.PixFormat
	Width, Height int
	Size          int
	Seq           uint64
	Time          time.Time
	Publisher     uint32
	Chunk, Chunks int
}

func (h *wireHeader) put(b []byte) {
	le := binary.LittleEndian
	copy(b[0:4], magic[:])
	le.PutUint32(b[4:], uint32(h.Format))
	le.PutUint16(b[8:], uint16(h.Width))
	le.PutUint16(b[10:], uint16(h.Height))
	le.PutUint32(b[12:], uint32(h.Size))
	le.PutUint64(b[16:], h.Seq)
	le.PutUint64(b[24:], uint64(h.Time.UnixNano()))
	le.PutUint32(b[32:], h.Publisher)
	le.PutUint16(b[36:], uint16(h.Chunk))
	le.PutUint16(b[38:], uint16(h.Chunks))
}

// parse reads a message's prefix and returns the chunk's bytes.
func (h *wireHeader) parse(msg []byte) ([]byte, error) {
	if len(msg) < HeaderSize || [4]byte(msg[0:4]) != magic {
		return nil, ErrFormat
	}
	le := binary.LittleEndian
	*h = wireHeader{
		Format:    container.PixFormat(le.Uint32(msg[4:])),
		Width:     int(le.Uint16(msg[8:])),
		Height:    int(le.Uint16(msg[10:])),
		Size:      int(le.Uint32(msg[12:])),
		Seq:       le.Uint64(msg[16:]),
		Time:      time.Unix(0, int64(le.Uint64(msg[24:]))),
		Publisher: le.Uint32(msg[32:]),
		Chunk:     int(le.Uint16(msg[36:])),
		Chunks:    int(le.Uint16(msg[38:])),
	}
	body := msg[HeaderSize:]
	switch {
	case h.Chunks < 1 || h.Chunk >= h.Chunks:
		return nil, fmt.Errorf("%w: chunk %d of %d", ErrFormat, h.Chunk, h.Chunks)
	case h.Width < 1 || h.Height < 1 || h.Width > container.MaxDimension || h.Height > container.MaxDimension:
		return nil, fmt.Errorf("%w: %dx%d", ErrFormat, h.Width, h.Height)
	case h.Size > MaxFrameSize:
		return nil, fmt.Errorf("%w: a %d-byte frame, over MaxFrameSize", ErrFormat, h.Size)
	case !sizeFits(h.Format, h.Width, h.Height, h.Size):
		return nil, fmt.Errorf("%w: %d bytes for a %dx%d %v frame", ErrFormat, h.Size, h.Width, h.Height, h.Format)
	case len(body) > h.Size || h.Chunks == 1 && len(body) != h.Size:
		return nil, fmt.Errorf("%w: %d bytes of a %d-byte frame", ErrFormat, len(body), h.Size)
	}
	return body, nil
}

// sizeFits reports whether size bytes can be a frame of the format and
// dimensions: those of an uncompressed format give its size.
func sizeFits(f container.PixFormat, width, height, size int) bool {
	n, ok := f.PayloadSize(width, height)
	return !ok || n == size
}
