package natsbus

// maxAssemblies bounds the publishers whose chunked frames are put
// together at once.
const maxAssemblies = 16

// assembly is a chunked frame being put together.
type assembly struct {
	h    wireHeader
	next int  // the chunk expected next
	dead bool // the frame is lost, or delivered: its chunks are ignored
	data []byte
}

// An assembler puts frames together from their messages, in the order
// they came, per publisher, for Subscribers and replays alike. A frame
// with a chunk missing is counted in lost, once, and never returned.
type assembler struct {
	pending map[uint32]*assembly
	lost    uint64
}

// add takes one message's prefix and bytes, and returns the header and
// bytes of the frame it completes (a view of the assembler's buffer, valid
// until the next add), or nil.
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
		if len(as.pending) >= maxAssemblies && a == nil {
			for id, old := range as.pending { // forget one publisher
				if !old.dead {
					as.lost++
				}
				delete(as.pending, id)
				break
			}
		}
		var buf []byte
		if a != nil {
			buf = a.data[:0]
		}
		a = &assembly{h: *h, data: buf}
		as.pending[h.Publisher] = a
		if h.Chunk != 0 {
			as.lost++ // joined in the middle of a frame, or its first chunk is lost
			a.dead = true
			return nil, nil
		}
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
