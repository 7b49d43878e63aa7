package imageio

import (
	"fmt"
	"time"

	"github.com/imgstream/imgstream/bufferio"
	"github.com/imgstream/imgstream/container"
)

// slotHeader is the size of the header at the start of each memory slot: a
// V2.1 frame header (elapsed time in microseconds).
const slotHeader = 32

// slotVersion is the header format of memory slots.
const slotVersion = container.V2_1

// SlotCapacity returns the pixel capacity of a memory-stream slot for
// frames of the given size and format, as OpenMV sizes it: the frame's size
// for raw formats, and two bits per pixel for JPEG and PNG.
func SlotCapacity(width, height int, format container.PixFormat) (int, error) {
	if !format.Valid() {
		return 0, fmt.Errorf("%w: %v", container.ErrInvalidPixFormat, format)
	}
	if format.Compressed() {
		if width < 1 || height < 1 || width > container.MaxDimension || height > container.MaxDimension {
			return 0, fmt.Errorf("%w: %dx%d", container.ErrInvalidDimensions, width, height)
		}
		return max(1, width*height/4), nil
	}
	n, ok := format.PayloadSize(width, height)
	if !ok {
		return 0, fmt.Errorf("%w: %dx%d", container.ErrInvalidDimensions, width, height)
	}
	return n, nil
}

func slotSize(capacity int) int { return slotHeader + capacity + container.Padding(capacity) }

// NewMemory returns a memory stream of count slots for frames of the given
// size and format: OpenMV's ImageIO((width, height, format), count). Its
// memory is allocated once, here. Frames of any format fit if their pixels
// fit in a slot (BufferSize).
func NewMemory(width, height int, format container.PixFormat, count int, opts *Options) (*Stream, error) {
	capacity, err := SlotCapacity(width, height, format)
	if err != nil {
		return nil, err
	}
	if count < 1 {
		return nil, fmt.Errorf("%w: %d slots", ErrInvalidCount, count)
	}
	return NewMemoryBuffer(make([]byte, count*slotSize(capacity)), width, height, format, opts)
}

// NewMemoryBuffer returns a memory stream over buf, which the caller owns
// (preallocated, or shared memory): as many slots as fit in it.
func NewMemoryBuffer(buf []byte, width, height int, format container.PixFormat, opts *Options) (*Stream, error) {
	capacity, err := SlotCapacity(width, height, format)
	if err != nil {
		return nil, err
	}
	slots := len(buf) / slotSize(capacity)
	if slots < 1 {
		return nil, fmt.Errorf("%w: %d bytes hold no slot of %d", ErrFrameTooLarge, len(buf), slotSize(capacity))
	}
	mb := &memBackend{buf: bufferio.New(buf), capacity: capacity, slot: slotSize(capacity), slots: slots, times: make([]time.Duration, slots)}
	return newStream(MemoryStream, mb, slotVersion, opts), nil
}

// memBackend keeps frames in equal slots of a bufferio.Buffer: each slot
// is a frame header and room for capacity bytes of pixels.
type memBackend struct {
	buf      *bufferio.Buffer
	capacity int
	slot     int
	slots    int
	written  int             // slots written at least once
	times    []time.Duration // each slot's frame's time since slot 0's
	hdr      [slotHeader]byte
}

func (mb *memBackend) span() (int, int) { return 0, mb.written }

func (mb *memBackend) read(i int, m *Image) (int, error) {
	off := int64(i * mb.slot)
	if _, err := mb.buf.ReadAt(mb.hdr[:], off); err != nil {
		return i, err
	}
	var h container.Header
	if err := h.Unmarshal(slotVersion, mb.hdr[:]); err != nil {
		return i, err
	}
	data := m.Data
	if cap(data) < h.Size {
		data = make([]byte, h.Size)
	}
	data = data[:h.Size]
	if _, err := mb.buf.ReadAt(data, off+slotHeader); err != nil {
		return i, err
	}
	*m = ImageOf(&h, data)
	m.Time = mb.times[i]
	return i, nil
}

func (mb *memBackend) write(i int, h *container.Header, data []byte, _ time.Duration) error {
	if i >= mb.slots {
		return fmt.Errorf("%w: all %d slots written", ErrEndOfStream, mb.slots)
	}
	if len(data) > mb.capacity {
		return fmt.Errorf("%w: %d bytes, slots hold %d", ErrFrameTooLarge, len(data), mb.capacity)
	}
	if _, err := h.MarshalTo(slotVersion, mb.hdr[:]); err != nil {
		return err
	}
	off := int64(i * mb.slot)
	if _, err := mb.buf.WriteAt(mb.hdr[:], off); err != nil {
		return err
	}
	if _, err := mb.buf.WriteAt(data, off+slotHeader); err != nil {
		return err
	}
	// A frame's time is the sum of the intervals after slot 0's; a frame
	// written again moves the times of the frames after it.
	var t time.Duration
	if i > 0 {
		t = mb.times[i-1] + h.Elapsed
	}
	if d := t - mb.times[i]; d != 0 {
		for j := i + 1; j < mb.written; j++ {
			mb.times[j] += d
		}
	}
	mb.times[i] = t
	mb.written = max(mb.written, i+1)
	return nil
}

func (mb *memBackend) size() int64     { return int64(mb.slots * mb.slot) }
func (mb *memBackend) bufferSize() int { return mb.capacity }
func (mb *memBackend) sync() error     { return nil }
func (mb *memBackend) close() error    { return mb.buf.Close() }
