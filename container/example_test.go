package container_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"time"

	"github.com/imgstream/imgstream/container"
)

func ExampleWriter() {
	var buf bytes.Buffer // or an *os.File, a pipe, a socket
	zw := container.NewWriter(&buf)
	for i := range 3 {
		pixels := bytes.Repeat([]byte{byte(i * 100)}, 32*24) // a 32x24 grayscale frame
		h := &container.Header{
			Elapsed: 33 * time.Millisecond,
			Width:   32,
			Height:  24,
			Format:  container.Grayscale,
		}
		if err := zw.WriteFrame(h, pixels); err != nil {
			log.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d bytes: %q...\n", buf.Len(), buf.Bytes()[:16])
	// Output: 2416 bytes: "OMV IMG STR V2.0"...
}

func ExampleReader() {
	f, err := os.Open("../testdata/golden/v20_mixed.omv")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	zr, err := container.NewReader(f)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(zr.Version())
	for {
		h, err := zr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		payload, err := io.ReadAll(zr)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%-10v %2dx%-2d %4d bytes after %v\n", h.Format, h.Width, h.Height, len(payload), h.Elapsed)
	}
	// Output:
	// V2.0
	// RGB565     12x9   216 bytes after 0s
	// GRAYSCALE   7x5    35 bytes after 1ms
	// JPEG       24x16  781 bytes after 33ms
	// BINARY     45x3    24 bytes after 1s
	// BAYER_RGGB  6x4    24 bytes after 1m5.535s
	// YUV422      4x2    16 bytes after 250ms
	// PNG         9x9    90 bytes after 16m39.999s
	// RGB565      1x1     2 bytes after 2ms
}

// A recording cut off by a power loss: every complete frame comes out, then
// an error that says where the damage is.
func ExampleFrameError() {
	f, err := os.Open("../testdata/golden/truncated_header.omv")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	zr, err := container.NewReader(f)
	if err != nil {
		log.Fatal(err)
	}
	var buf []byte
	for {
		_, buf, err = zr.ReadFrame(buf)
		if err != nil {
			break
		}
		fmt.Println("good frame of", len(buf), "bytes")
	}
	var fe *container.FrameError
	if errors.As(err, &fe) && errors.Is(err, io.ErrUnexpectedEOF) {
		fmt.Printf("cut off in frame %d; keep the first %d bytes\n", fe.Index, fe.Offset)
	}
	// Output:
	// good frame of 900 bytes
	// good frame of 900 bytes
	// cut off in frame 2; keep the first 1904 bytes
}

func ExampleReadIndex() {
	f, err := os.Open("../testdata/golden/v20_rgb565_unittest.omv")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	x, err := container.ReadIndex(f)
	if err != nil {
		log.Fatal(err)
	}
	// Jump straight to the last frame.
	last := len(x.Entries) - 1
	if _, err := f.Seek(x.DataOffset(last), io.SeekStart); err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(x.Entries), "frames; the last at offset", x.Entries[last].Offset, "ends at", x.End)
	// Output: 3 frames; the last at offset 6480 ends at 9712
}
