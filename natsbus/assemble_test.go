package natsbus

import (
	"bytes"
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
