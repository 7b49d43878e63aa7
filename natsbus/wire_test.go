package natsbus

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/imgstream/imgstream/container"
)

func TestWireRoundTrip(t *testing.T) {
	h := wireHeader{Format: container.JPEG, Width: 640, Height: 480, Size: 5, Seq: 1 << 40, Time: time.Unix(1700000000, 123456789),
		Publisher: 0xdeadbeef, Chunk: 0, Chunks: 1}
	msg := make([]byte, HeaderSize+5)
	h.put(msg)
	copy(msg[HeaderSize:], "hello")
	var got wireHeader
	body, err := got.parse(msg)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Time.Equal(h.Time) || got.Seq != h.Seq || got.Publisher != h.Publisher || got.Width != 640 || got.Height != 480 ||
		got.Format != container.JPEG || got.Size != 5 || got.Chunks != 1 || string(body) != "hello" {
		t.Fatalf("got %+v %q", got, body)
	}
	for name, bad := range map[string]func([]byte){
		"magic":      func(m []byte) { m[0] = 'X' },
		"chunk":      func(m []byte) { m[36] = 1 }, // chunk 1 of 1
		"no chunks":  func(m []byte) { m[38] = 0 },
		"width":      func(m []byte) { m[8], m[9] = 0, 0 },
		"size":       func(m []byte) { m[12] = 4 }, // 5 bytes of a 4-byte frame
		"huge width": func(m []byte) { m[8], m[9] = 0xff, 0xff },
	} {
		m := bytes.Clone(msg)
		bad(m)
		if _, err := new(wireHeader).parse(m); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := new(wireHeader).parse(msg[:HeaderSize-1]); !errors.Is(err, ErrFormat) {
		t.Errorf("short: %v", err)
	}
}

// FuzzParse: any message is a frame chunk within its bounds, or
// ErrFormat; never a panic.
func FuzzParse(f *testing.F) {
	msg := make([]byte, HeaderSize+3)
	(&wireHeader{Format: container.Grayscale, Width: 3, Height: 1, Size: 3, Chunks: 1}).put(msg)
	f.Add(msg)
	f.Add([]byte("IMF1"))
	f.Fuzz(func(t *testing.T, m []byte) {
		var h wireHeader
		body, err := h.parse(m)
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatal(err)
			}
			return
		}
		if len(body) > h.Size || h.Chunk >= h.Chunks || h.Width < 1 || h.Height < 1 {
			t.Fatalf("accepted %+v with %d bytes", h, len(body))
		}
	})
}
