package avi_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/imgstream/imgstream/avi"
)

// FuzzWriter writes frames of sizes and intervals the fuzzer picks, with a
// rate and a small segment size it picks, and walks the result: it parses
// whole, every index entry of every segment points at a stored frame, the
// headers agree with the indexes, and the slots follow the frames in order.
// A script that needs more segments than the super index holds stops at
// ErrTooManySegments, and the file holds every frame before it.
func FuzzWriter(f *testing.F) {
	f.Add(uint16(30), uint16(1), []byte{10, 1, 200, 3, 0, 0, 255, 7})
	f.Add(uint16(30000), uint16(1001), bytes.Repeat([]byte{33, 90}, 200))
	f.Fuzz(func(t *testing.T, num, den uint16, script []byte) {
		if num == 0 || den == 0 || len(script) > 4000 {
			return
		}
		rate := avi.Rate{Num: int(num), Den: int(den)}
		var buf writeSeeker
		w, err := avi.NewWriter(&buf, avi.Config{Width: 8, Height: 8, Rate: rate, SegmentSize: avi.MinSegmentSize})
		if err != nil {
			t.Fatal(err)
		}
		at := time.Duration(0)
		var stored [][]byte
		for i := 0; i+1 < len(script); i += 2 {
			size := 2 + int(script[i])*37
			at += time.Duration(script[i+1]) * 7 * time.Millisecond
			fr := bytes.Repeat([]byte{byte(i)}, size)
			binary.LittleEndian.PutUint16(fr, uint16(i))
			before := w.Dropped()
			if err := w.WriteFrame(fr, at); errors.Is(err, avi.ErrTooManySegments) {
				break // the documented limit: the file holds what came before
			} else if err != nil {
				t.Fatal(err)
			}
			if w.Dropped() == before {
				stored = append(stored, fr)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		p := walk(t, buf.b)
		slots := p.slotFrames(t)
		if int64(len(slots)) != w.Frames() || binary.LittleEndian.Uint32(p.strh[32:]) != uint32(len(slots)) {
			t.Fatalf("%d slots indexed, %d counted", len(slots), w.Frames())
		}
		var unique [][]byte
		for i, s := range slots {
			if i == 0 || !bytes.Equal(s, slots[i-1]) {
				unique = append(unique, s)
			}
		}
		if len(unique) != len(stored) {
			t.Fatalf("%d frames in the slots, %d stored", len(unique), len(stored))
		}
		for i := range stored {
			if !bytes.Equal(unique[i], stored[i]) {
				t.Fatalf("frame %d out of place", i)
			}
		}
	})
}
