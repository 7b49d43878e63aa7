package testkit

import (
	"encoding/binary"
	"encoding/json"
	"image/color"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// WriteClip writes an OMV IMG STR V2.0 recording at path (making its
// folder) of n 16x16 JPEG frames, period apart (whole milliseconds),
// frame i stamped (StampJPEG) with seq0+i, as a recorder's clip; and,
// when start is not zero, the side file the recorder writes beside it
// (path+".json", record.ClipInfo) with start as its first frame's wall
// time and trigger. It is written by hand, with no package of this
// module, so that every package's tests may use it.
func WriteClip(t testing.TB, path string, n int, period time.Duration, seq0 uint64, start time.Time, trigger string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	jpg := SolidJPEG(16, 16, color.Gray{Y: 128})
	b := []byte("OMV IMG STR V2.0")
	for i := range n {
		data := StampJPEG(jpg, seq0+uint64(i))
		var h [32]byte
		if i > 0 {
			binary.LittleEndian.PutUint32(h[0:], uint32(period.Milliseconds()))
		}
		binary.LittleEndian.PutUint32(h[4:], 16)
		binary.LittleEndian.PutUint32(h[8:], 16)
		binary.LittleEndian.PutUint32(h[12:], 0x06060000) // JPEG
		binary.LittleEndian.PutUint32(h[16:], uint32(len(data)))
		b = append(b, h[:]...)
		b = append(b, data...)
		for len(b)%16 != 0 {
			b = append(b, 0)
		}
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if start.IsZero() {
		return
	}
	side, _ := json.Marshal(map[string]any{"start": start, "trigger": trigger, "trigger_at": start})
	if err := os.WriteFile(path+".json", side, 0o644); err != nil {
		t.Fatal(err)
	}
}
