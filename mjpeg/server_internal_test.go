package mjpeg

import (
	"bytes"
	"testing"
)

// TestPublishReuse checks that Publish writes over the newest frame only
// while no one has taken it: a frame handed to a viewer keeps its bytes
// whatever comes after, and a frame no one took costs no allocation.
func TestPublishReuse(t *testing.T) {
	var s Server
	a, b, c := bytes.Repeat([]byte{'a'}, 1000), bytes.Repeat([]byte{'b'}, 3000), bytes.Repeat([]byte{'c'}, 2000)
	if err := s.Publish(a); err != nil {
		t.Fatal(err)
	}
	f, changed := s.current()
	if err := s.Publish(b); err != nil {
		t.Fatal(err)
	}
	select {
	case <-changed:
	default:
		t.Fatal("a viewer waiting on the frame it has was not told of the next")
	}
	first := s.newest
	for range 3 {
		if err := s.Publish(c); err != nil {
			t.Fatal(err)
		}
		if err := s.Publish(b); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(f.jpeg, a) {
		t.Fatalf("the frame a viewer took changed: %.20q..., want %.20q...", f.jpeg, a)
	}
	if s.newest != first {
		t.Error("frames no one took were not written over")
	}
	p := s.newest.part
	head := "Content-Type: image/jpeg\r\nContent-Length: 3000\r\nX-Timestamp: "
	tail := "\r\n\r\n" + string(b) + "\r\n--" + DefaultBoundary + "\r\n"
	if !bytes.HasPrefix(p, []byte(head)) || !bytes.HasSuffix(p, []byte(tail)) || len(p) > len(head)+20+len(tail) {
		t.Errorf("part written over others: %q", p)
	}
	if !bytes.Equal(s.newest.jpeg, b) || s.newest.seq != 8 {
		t.Errorf("newest: %d bytes, seq %d; want %d bytes, seq 8", len(s.newest.jpeg), s.newest.seq, len(b))
	}
	if n := testing.AllocsPerRun(100, func() { s.Publish(b) }); n != 0 {
		t.Errorf("Publish with no one watching: %v allocations, want 0", n)
	}
	big := bytes.Repeat([]byte{'d'}, 1<<20)
	s.Publish(big)
	s.Publish(c)
	if cap(s.newest.part) > 4*len(c)+1000 {
		t.Errorf("a %d-byte frame after a 1 MiB one keeps a buffer of %d bytes", len(c), cap(s.newest.part))
	}
	g, _ := s.current()
	s.Publish(b)
	if !bytes.Equal(g.jpeg, c) || s.newest == g {
		t.Error("Publish wrote over a frame taken by current")
	}
}
