package natsbus

// maxAssemblies bounds the publishers whose chunked frames are put
// together at once.
const maxAssemblies = 16

// assembly is a chunked frame being put together.
type assembly struct {
	h     wireHeader
	next  int    // the chunk expected next
	dead  bool   // the frame is lost, or delivered: its chunks are ignored
	began uint64 // when the frame began, in the assembler's count of frames
	data  []byte
}

// held returns the bytes a holds, or may come to hold: its buffer, and
// while it is being put together, the frame's declared size.
func (a *assembly) held() int {
	if a.dead {
		return cap(a.data)
	}
	return max(cap(a.data), a.h.Size)
}

// An assembler puts frames together from their messages, in the order
// they came, per publisher, for Subscribers and replays alike. A frame
// with a chunk missing is counted in lost, once, and never returned. It
// holds at most MaxPendingBytes, whatever sizes and ids the messages
// declare: a frame's declared size is reserved when it begins, and the
// oldest frames give way to it.
type assembler struct {
	pending map[uint32]*assembly
	lost    uint64
	began   uint64 // frames begun
}

// add takes one message's prefix and bytes, as parse checked them, and
// returns the header and bytes of the frame it completes (a view of the
// assembler's buffer, valid until the next add), or nil.
func (as *assembler) add(h *wireHeader, body []byte) (*wireHeader, []byte) {
	if h.Chunks == 1 {
		return h, body
	}
	if as.pending == nil {
		as.pending = map[uint32]*assembly{}
	}
	a := as.pending[h.Publisher]
	if a != nil && a.h.Seq == h.Seq {
		if a.dead {
			return nil, nil // the rest of a frame already lost, or done
		}
		if h.Chunk != a.next || h.Size != a.h.Size || len(a.data)+len(body) > a.h.Size {
			as.lost++ // a chunk went missing: the frame is lost, counted once
			a.dead, a.data = true, a.data[:0]
			return nil, nil
		}
	} else {
		if a != nil && !a.dead {
			as.lost++ // a newer frame began before this one was whole
		}
		var buf []byte
		if a != nil {
			buf = a.data[:0]
		}
		delete(as.pending, h.Publisher)
		if h.Chunk != 0 {
			// Joined in the middle of a frame, or its first chunk is
			// lost: the buffer is kept for the publisher's next frame.
			as.lost++
			as.makeRoom(cap(buf))
			as.began++
			as.pending[h.Publisher] = &assembly{h: *h, dead: true, began: as.began, data: buf}
			return nil, nil
		}
		as.makeRoom(max(cap(buf), h.Size))
		as.began++
		a = &assembly{h: *h, began: as.began, data: buf}
		as.pending[h.Publisher] = a
	}
	if n := len(a.data) + len(body); n > cap(a.data) {
		// Grow by what came, never past the declared size, which parse
		// bounded and makeRoom reserved.
		grown := make([]byte, len(a.data), min(max(2*cap(a.data), n), a.h.Size))
		copy(grown, a.data)
		a.data = grown
	}
	a.data = append(a.data, body...)
	a.next++
	if a.next < a.h.Chunks {
		return nil, nil
	}
	a.dead = true // done: later chunks of the same frame are not counted again
	if len(a.data) != a.h.Size {
		as.lost++
		return nil, nil
	}
	return &a.h, a.data
}

// makeRoom forgets the oldest frames being put together, counting those
// not yet whole as lost, until another that holds n bytes fits within
// MaxPendingBytes and maxAssemblies.
func (as *assembler) makeRoom(n int) {
	for len(as.pending) > 0 && (len(as.pending) >= maxAssemblies || as.held()+n > MaxPendingBytes) {
		var oldest uint32
		var first *assembly
		for id, a := range as.pending {
			if first == nil || a.began < first.began {
				oldest, first = id, a
			}
		}
		if !first.dead {
			as.lost++
		}
		delete(as.pending, oldest)
	}
}

// held returns the bytes the assembler holds, or may come to hold.
func (as *assembler) held() int {
	n := 0
	for _, a := range as.pending {
		n += a.held()
	}
	return n
}
