package imageio_test

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/imgstream/imgstream/circular"
	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
)

// Record frames to a file, as OpenMV's ImageIO(path, "w") does, then replay
// them: at the recorded pace with Pause, round and round with Loop.
func ExampleCreate() {
	path := filepath.Join(os.TempDir(), "example-stream.bin")
	defer os.Remove(path)

	stream, err := imageio.Create(path, nil)
	if err != nil {
		log.Fatal(err)
	}
	for i := range 3 {
		img := &imageio.Image{Width: 4, Height: 2, Format: container.Grayscale, Data: bytes.Repeat([]byte{byte(i)}, 8)}
		if err := stream.Write(img); err != nil {
			log.Fatal(err)
		}
	}
	if err := stream.Close(); err != nil {
		log.Fatal(err)
	}

	stream, err = imageio.Open(path, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer stream.Close()
	fmt.Println(stream.Count(), "frames,", stream.Size(), "bytes,", stream.Version())
	for img, err := range stream.All() {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(img.Width, img.Height, img.Format, img.Data[0])
	}
	// Output:
	// 3 frames, 160 bytes, V2.0
	// 4 2 GRAYSCALE 0
	// 4 2 GRAYSCALE 1
	// 4 2 GRAYSCALE 2
}

// A short history in preallocated memory, as ImageIO((w, h, format), n).
func ExampleNewMemory() {
	history, err := imageio.NewMemory(320, 240, container.RGB565, 10, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(history.BufferSize(), "bytes a slot,", history.Size(), "in all")
	frame := image.NewRGBA(image.Rect(0, 0, 320, 240))
	for i := range 10 {
		frame.Set(0, 0, color.RGBA{R: byte(i * 20), A: 255})
		img, err := imageio.Encode(frame, container.RGB565)
		if err != nil {
			log.Fatal(err)
		}
		if err := history.Write(img); err != nil {
			log.Fatal(err)
		}
	}
	history.Seek(4)
	img, err := history.Read(imageio.ReadOptions{})
	if err != nil {
		log.Fatal(err)
	}
	decoded, _ := img.Decode()
	r, _, _, _ := decoded.At(0, 0).RGBA()
	fmt.Println("frame 4 red:", r>>8)
	// Output:
	// 153600 bytes a slot, 1536320 in all
	// frame 4 red: 82
}

// A ring that keeps the last 2 seconds; when something happens, the last
// second is saved as a file, and the frames that follow go on into it.
func ExampleStream_SaveTo() {
	ring, err := imageio.NewRing(circular.FrameConfig{Size: 8 << 20, MaxAge: 2 * time.Second}, nil)
	if err != nil {
		log.Fatal(err)
	}
	start := time.Now()
	frame := func(i int) *imageio.Image {
		return &imageio.Image{Width: 2, Height: 2, Format: container.Grayscale, Data: []byte{byte(i), 0, 0, 0}}
	}
	for i := range 50 { // 5 s at 10 fps
		ring.WriteAt(frame(i), start.Add(time.Duration(i)*100*time.Millisecond))
	}
	var file bytes.Buffer // an *os.File in a real program
	clip, err := ring.SaveTo(&file, time.Second)
	if err != nil {
		log.Fatal(err)
	}
	for i := 50; i < 53; i++ {
		ring.WriteAt(frame(i), start.Add(time.Duration(i)*100*time.Millisecond))
	}
	clip.Flush()

	saved, err := imageio.New(bytesReadWriteSeeker(file.Bytes()), nil)
	if err != nil {
		log.Fatal(err)
	}
	for img, err := range saved.All() {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Print(img.Data[0], " ")
	}
	fmt.Println()
	// Output: 40 41 42 43 44 45 46 47 48 49 50 51 52
}

// bytesReadWriteSeeker gives a recording in memory the io.ReadWriteSeeker
// contract, as a file has.
func bytesReadWriteSeeker(b []byte) *rws { return &rws{Reader: bytes.NewReader(b)} }

type rws struct{ *bytes.Reader }

func (*rws) Write([]byte) (int, error) { return 0, os.ErrPermission }

// Decode a recorded frame for Go's image packages, whatever its format.
func ExampleImage_Decode() {
	stream, err := imageio.Open("../testdata/golden/v20_mixed.omv", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer stream.Close()
	for img, err := range stream.All() {
		if err != nil {
			log.Fatal(err)
		}
		m, err := img.Decode()
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%-10v -> %T\n", img.Format, m)
	}
	// Output:
	// RGB565     -> *image.RGBA
	// GRAYSCALE  -> *image.Gray
	// JPEG       -> *image.RGBA
	// BINARY     -> *image.Gray
	// BAYER_RGGB -> *image.RGBA
	// YUV422     -> *image.YCbCr
	// PNG        -> *image.RGBA
	// RGB565     -> *image.RGBA
}

// Decode every frame of a recording with one Decoder, as a player or an
// exporter does: frames of one size reuse its picture, so the loop
// allocates no RGBA picture after the first; a picture kept beyond the
// next frame is copied.
func ExampleDecoder() {
	data, err := os.ReadFile("testdata/640x480-420.jpg")
	if err != nil {
		log.Fatal(err)
	}
	frame := &imageio.Image{Width: 640, Height: 480, Format: container.JPEG, Data: data}
	var d imageio.Decoder
	var first image.Image
	for i := range 3 {
		m, err := d.Decode(frame)
		if err != nil {
			log.Fatal(err)
		}
		if i == 0 {
			first = m
		}
		fmt.Printf("%T %v, the same picture as the first: %v\n", m, m.Bounds().Size(), m == first)
	}
	// Output:
	// *image.RGBA (640,480), the same picture as the first: true
	// *image.RGBA (640,480), the same picture as the first: true
	// *image.RGBA (640,480), the same picture as the first: true
}

// Cut a recording that a power loss left unfinished back to its complete
// frames.
func ExampleRepair() {
	path := filepath.Join(os.TempDir(), "example-cut.omv")
	defer os.Remove(path)
	data, _ := os.ReadFile("../testdata/golden/truncated_payload.omv")
	os.WriteFile(path, data, 0o644)

	report, err := imageio.Repair(path)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("kept %d frames (%d bytes), dropped %d bytes: %v\n", report.Frames, report.Size, report.Dropped, report.Cause)
	// Output: kept 1 frames (3248 bytes), dropped 1032 bytes: frame 1 at offset 3248: container: stream ends inside a frame: unexpected EOF: 3200 payload bytes declared, 1000 left
}

// Say what a repair would cut, without changing the file: here the golden
// file itself, which stays as it is.
func ExampleDryRepair() {
	report, err := imageio.DryRepair("../testdata/golden/truncated_payload.omv")
	if err != nil {
		log.Fatal(err)
	}
	var damage *container.FrameError
	if errors.As(report.Cause, &damage) {
		fmt.Printf("damaged: frame %d at offset %d\n", damage.Index, damage.Offset)
	}
	fmt.Printf("would keep %d frames (%d bytes), dropping %d bytes\n", report.Frames, report.Size, report.Dropped)
	// Output:
	// damaged: frame 1 at offset 3248
	// would keep 1 frames (3248 bytes), dropping 1032 bytes
}

// Encode raw camera frames to JPEG for a live view with one JPEGEncoder,
// which keeps its buffers from frame to frame.
func ExampleJPEGEncoder() {
	var enc imageio.JPEGEncoder
	var jpg []byte
	for i := range 3 {
		frame := &imageio.Image{Width: 64, Height: 48, Format: container.BGR24, Data: bytes.Repeat([]byte{0, byte(80 * i), 200}, 64*48)}
		var err error
		if jpg, err = enc.Append(jpg[:0], frame); err != nil {
			log.Fatal(err)
		}
		c, err := jpeg.DecodeConfig(bytes.NewReader(jpg))
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("frame %d: a %dx%d JPEG\n", i, c.Width, c.Height)
	}
	// Output:
	// frame 0: a 64x48 JPEG
	// frame 1: a 64x48 JPEG
	// frame 2: a 64x48 JPEG
}
