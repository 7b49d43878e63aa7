package avi_test

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"time"

	"github.com/imgstream/imgstream/avi"
)

// Example writes three JPEG frames recorded at uneven times into an AVI at
// 30000/1001 frames a second: the second frame, followed by a stall, is
// indexed for the stall's slots rather than stored again.
func Example() {
	var jpg bytes.Buffer
	jpeg.Encode(&jpg, image.NewGray(image.Rect(0, 0, 64, 48)), nil)

	f, err := os.Create(filepath.Join(os.TempDir(), "example.avi"))
	if err != nil {
		panic(err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	w, err := avi.NewWriter(f, avi.Config{Width: 64, Height: 48, Rate: avi.Rate{Num: 30000, Den: 1001}})
	if err != nil {
		panic(err)
	}
	for _, at := range []time.Duration{0, 33 * time.Millisecond, 1033 * time.Millisecond} {
		if err := w.WriteFrame(jpg.Bytes(), at); err != nil {
			panic(err)
		}
	}
	if err := w.Close(); err != nil {
		panic(err)
	}
	fmt.Printf("%d frames of video from 3 stored\n", w.Frames())
	// Output: 32 frames of video from 3 stored
}

// ExampleParseRate shows the forms a frame rate takes.
func ExampleParseRate() {
	for _, s := range []string{"30", "29.97", "30000/1001"} {
		r, _ := avi.ParseRate(s)
		fmt.Println(s, "is", r, "with frames every", r.Period())
	}
	// Output:
	// 30 is 30/1 with frames every 33.333333ms
	// 29.97 is 2997/100 with frames every 33.3667ms
	// 30000/1001 is 30000/1001 with frames every 33.366667ms
}

// ExampleRateFor picks the rate that keeps every frame of a camera at about
// 15 fps that paused: the mean rate, 6.567 fps, pulled down by the pause,
// would put frame 1 on frame 0's slot. The median interval gives 15 fps;
// the last two frames, 32 ms apart, would share a slot of it, so 30 fps.
func ExampleRateFor() {
	at := []time.Duration{0, 66 * time.Millisecond, 133 * time.Millisecond, 200 * time.Millisecond,
		266 * time.Millisecond, 333 * time.Millisecond, 1034 * time.Millisecond, 1066 * time.Millisecond}
	fmt.Println(avi.RateFor(at))
	// Output: 30/1
}

// ExampleLayout sends an AVI to a writer that cannot seek (an HTTP
// response, a pipe), its size known before the first byte: the frames'
// sizes and times are laid out first, then the frames written.
func ExampleLayout() {
	var jpg bytes.Buffer
	jpeg.Encode(&jpg, image.NewGray(image.Rect(0, 0, 64, 48)), nil)
	times := []time.Duration{0, 100 * time.Millisecond, 200 * time.Millisecond}

	c := avi.Config{Width: 64, Height: 48, Rate: avi.RateFor(times)}
	l, err := avi.NewLayout(c)
	if err != nil {
		panic(err)
	}
	for _, at := range times {
		if err := l.Add(jpg.Len(), at); err != nil {
			panic(err)
		}
	}
	size, err := l.Size()
	if err != nil {
		panic(err)
	}
	var out bytes.Buffer // no Seek
	w, err := l.NewWriter(&out)
	if err != nil {
		panic(err)
	}
	for _, at := range times {
		if err := w.WriteFrame(jpg.Bytes(), at); err != nil {
			panic(err)
		}
	}
	if err := w.Close(); err != nil {
		panic(err)
	}
	fmt.Println(c.Rate, size == int64(out.Len()))
	// Output: 10/1 true
}
