package testkit

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"os/exec"
	"testing"
)

// SolidJPEG returns a w x h JPEG of one colour, at quality 90.
func SolidJPEG(w, h int, c color.Color) []byte {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	r, g, b, _ := c.RGBA()
	for i := 0; i < len(m.Pix); i += 4 {
		m.Pix[i], m.Pix[i+1], m.Pix[i+2], m.Pix[i+3] = byte(r>>8), byte(g>>8), byte(b>>8), 255
	}
	var out bytes.Buffer
	if err := jpeg.Encode(&out, m, &jpeg.Options{Quality: 90}); err != nil {
		panic(err) // encoding into memory does not fail
	}
	return out.Bytes()
}

// StampJPEG returns jpg with a COM segment after its SOI marker that holds
// seq, so that a test can tell every frame it receives: decoders skip
// comments, and SeqOf reads it back.
func StampJPEG(jpg []byte, seq uint64) []byte {
	out := make([]byte, 0, len(jpg)+14)
	out = append(out, jpg[:2]...)
	out = append(out, 0xff, 0xfe, 0, 10) // COM, length 2+8
	out = binary.BigEndian.AppendUint64(out, seq)
	return append(out, jpg[2:]...)
}

// SeqOf returns the sequence number that StampJPEG put in jpg.
func SeqOf(jpg []byte) (uint64, bool) {
	if len(jpg) < 14 || jpg[2] != 0xff || jpg[3] != 0xfe || jpg[4] != 0 || jpg[5] != 10 {
		return 0, false
	}
	return binary.BigEndian.Uint64(jpg[6:14]), true
}

// NoisyJPEG encodes a smooth gradient with noise, w x h, grey or colour
// (image/jpeg writes colour as 4:2:0), at the given quality: a camera-like
// frame of any size, the same for the same seed.
func NoisyJPEG(seed uint64, w, h, quality int, grey bool) []byte {
	rng := rand.New(rand.NewPCG(seed, 1))
	var img image.Image
	val := func(x, y int) byte {
		return byte(max(0, min(255, 40+float64(x*150/max(w, 1))+float64(y*40/max(h, 1))+rng.NormFloat64()*6)))
	}
	if grey {
		m := image.NewGray(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				m.Pix[y*m.Stride+x] = val(x, y)
			}
		}
		img = m
	} else {
		m := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
		for y := range h {
			for x := range w {
				m.Y[y*m.YStride+x] = val(x, y)
			}
		}
		for i := range m.Cb {
			m.Cb[i], m.Cr[i] = byte(100+rng.IntN(56)), byte(100+rng.IntN(56))
		}
		img = m
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: quality}); err != nil {
		panic(err) // encoding into memory does not fail
	}
	return b.Bytes()
}

// Tool runs a command that makes test files (ffmpeg, cjpeg), skipping the
// test when it is not installed (CI installs ffmpeg and
// libjpeg-turbo-progs).
func Tool(t testing.TB, name string, args ...string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("%s not installed", name)
	}
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v: %s", name, args, err, out)
	}
}
