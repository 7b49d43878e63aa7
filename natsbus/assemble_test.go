package natsbus

import (
	"bytes"
	"errors"
	"testing"

	"github.com/imgstream/imgstream/container"
)

// chunks returns the messages' prefixes and bytes of a frame of size
// bytes from publisher pub, in chunks of 4 bytes.
func chunks(pub uint32, seq uint64, data []byte) (hs []wireHeader, bodies [][]byte) {
	n := (len(data) + 3) / 4
	for i := range n {
		hs = append(hs, wireHeader{Format: container.Grayscale, Width: len(data), Height: 1, Size: len(data), Seq: seq, Publisher: pub, Chunk: i, Chunks: n})
		bodies = append(bodies, data[i*4:min(i*4+4, len(data))])
	}
	return hs, bodies
}

func TestAssembler(t *testing.T) {
	var as assembler
	var got [][]byte
	add := func(h wireHeader, b []byte) {
		if fh, data := as.add(&h, b); fh != nil {
			got = append(got, bytes.Clone(data))
		}
	}
	a1, b1 := chunks(1, 1, []byte("0123456789"))
	a2, b2 := chunks(2, 1, []byte("abcdefgh"))
	// Two publishers interleaved: both frames whole.
	add(a1[0], b1[0])
	add(a2[0], b2[0])
	add(a1[1], b1[1])
	add(a2[1], b2[1])
	add(a1[2], b1[2])
	if len(got) != 2 || string(got[0]) != "abcdefgh" || string(got[1]) != "0123456789" || as.lost != 0 {
		t.Fatalf("got %q, lost %d", got, as.lost)
	}
	// A chunk missing: lost once, the rest of the frame ignored, the next
	// frame whole.
	c, d := chunks(1, 2, []byte("0123456789"))
	add(c[0], d[0])
	add(c[2], d[2])
	e, f := chunks(1, 3, []byte("xyz"))
	add(e[0], f[0])
	if as.lost != 1 || len(got) != 3 || string(got[2]) != "xyz" {
		t.Fatalf("got %q, lost %d", got, as.lost)
	}
	// Joined in the middle of a frame, and a frame cut by a newer one.
	g, k := chunks(3, 7, []byte("0123456789"))
	add(g[1], k[1])
	add(g[2], k[2])
	m, n := chunks(1, 4, []byte("0123456789"))
	add(m[0], n[0])
	o, p := chunks(1, 5, []byte("0123456789"))
	for i := range o {
		add(o[i], p[i]) // frame 5 begins before frame 4 is whole
	}
	if as.lost != 3 || len(got) != 4 || string(got[3]) != "0123456789" {
		t.Fatalf("got %q, lost %d; want 3 lost: a gap, a join in the middle, a frame cut by the next", got, as.lost)
	}
}

// TestAssemblerBounded: a hostile publisher that declares huge frames
// over many ids and sends part of each never makes the assembler hold
// more than MaxPendingBytes; a size over MaxFrameSize is refused before
// anything is buffered; and a good frame still comes through after.
func TestAssemblerBounded(t *testing.T) {
	var as assembler
	// What the assembler holds: every buffer's capacity.
	buffered := func() int {
		n := 0
		for _, a := range as.pending {
			n += cap(a.data)
		}
		return n
	}
	msg := make([]byte, HeaderSize+1<<20)
	send := func(h wireHeader) (*wireHeader, []byte, error) {
		h.put(msg)
		var ph wireHeader
		body, err := ph.parse(msg)
		if err != nil {
			return nil, nil, err
		}
		fh, data := as.add(&ph, body)
		return fh, data, nil
	}
	hostile := wireHeader{Format: container.JPEG, Width: 640, Height: 480, Seq: 1, Chunks: 1000}

	// Declared sizes over MaxFrameSize, up to the prefix's 4 GiB, over
	// many ids: refused at the prefix, nothing held.
	for id := range uint32(1000) {
		h := hostile
		h.Publisher, h.Size = id, 1<<32-1-int(id)
		if _, _, err := send(h); !errors.Is(err, ErrFormat) {
			t.Fatalf("a %d-byte frame: %v, want ErrFormat", h.Size, err)
		}
	}
	if n := buffered(); n != 0 {
		t.Fatalf("%d bytes held for frames refused at the prefix", n)
	}

	// MaxFrameSize declared, 9 MiB of it sent, over 20 ids: 180 MiB sent.
	most := 0
	for id := range uint32(20) {
		h := hostile
		h.Publisher, h.Size = 1000+id, MaxFrameSize
		for c := range 9 {
			h.Chunk = c
			if fh, _, err := send(h); err != nil || fh != nil {
				t.Fatalf("id %d chunk %d: %v %v", id, c, fh, err)
			}
			most = max(most, buffered())
		}
	}
	if most > MaxPendingBytes {
		t.Fatalf("held %d MiB of frames being put together, over MaxPendingBytes (%d MiB)", most>>20, MaxPendingBytes>>20)
	}
	if as.lost == 0 {
		t.Fatal("the frames that gave way are not counted as lost")
	}

	// A good publisher's 3 MiB frame comes through whole.
	good := wireHeader{Format: container.JPEG, Width: 640, Height: 480, Size: 3 << 20, Seq: 1, Publisher: 7, Chunks: 3}
	for c := range 3 {
		good.Chunk = c
		fh, data, err := send(good)
		if err != nil {
			t.Fatal(err)
		}
		if c == 2 && (fh == nil || len(data) != 3<<20) {
			t.Fatalf("the good frame: %v, %d bytes", fh, len(data))
		}
	}
	if n := buffered(); n > MaxPendingBytes {
		t.Fatalf("held %d MiB", n>>20)
	}
}
