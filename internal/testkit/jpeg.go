package testkit

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
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
