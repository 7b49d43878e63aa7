package container_test

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/internal/testkit"
)

// fuzzMaxFrame bounds what one fuzz input may make the reader buffer.
const fuzzMaxFrame = 1 << 20

// FuzzReader reads arbitrary bytes as a stream: it must not panic, must not
// buffer more than its limit, must agree with ReadIndex on where the damage
// is, and what it reads must survive a write and a strict read unchanged.
func FuzzReader(f *testing.F) {
	files, _ := filepath.Glob(testkit.GoldenPath("*.omv"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	rng := rand.New(rand.NewPCG(1, 1))
	for _, v := range allVersions {
		_, data := randomStream(f, rng, v, 4)
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, strict := range []bool{false, true} {
			zr, err := container.NewReader(bytes.NewReader(data))
			if err != nil {
				return
			}
			zr.Strict = strict
			zr.MaxFrameSize = fuzzMaxFrame
			var frames []frame
			var buf []byte
			for {
				var h *container.Header
				h, buf, err = zr.ReadFrame(buf[:0:0])
				if err != nil {
					break
				}
				if h.Size > len(data) {
					t.Fatalf("frame of %d bytes from %d bytes of input", h.Size, len(data))
				}
				frames = append(frames, frame{*h, buf})
			}
			if err != io.EOF {
				var fe *container.FrameError
				if !errors.As(err, &fe) || fe.Index != len(frames) {
					t.Fatalf("error %v after %d frames is not a FrameError for the next frame", err, len(frames))
				}
			}
			if !strict {
				x, xerr := container.ReadIndex(bytes.NewReader(data))
				if len(x.Entries) != len(frames) {
					t.Fatalf("index has %d frames, reader %d (%v, %v)", len(x.Entries), len(frames), xerr, err)
				}
				if (xerr == nil) != (err == io.EOF) {
					t.Fatalf("index error %v, reader error %v", xerr, err)
				}
			}
			var out bytes.Buffer
			zw := container.NewWriter(&out)
			zw.Version = zr.Version()
			for i := range frames {
				if err := zw.WriteFrame(&frames[i].h, frames[i].p); err != nil {
					t.Fatalf("rewriting frame %d: %v", i, err)
				}
			}
			if err := zw.Close(); err != nil {
				t.Fatal(err)
			}
			zr2, err := container.NewReader(&out)
			if err != nil {
				t.Fatal(err)
			}
			zr2.Strict = true
			hs, ps, err := readAll(zr2)
			if err != nil || len(hs) != len(frames) {
				t.Fatalf("reread %d of %d frames: %v", len(hs), len(frames), err)
			}
			for i := range hs {
				if hs[i] != frames[i].h || !bytes.Equal(ps[i], frames[i].p) {
					t.Fatalf("frame %d changed in the round trip", i)
				}
			}
		}
	})
}
