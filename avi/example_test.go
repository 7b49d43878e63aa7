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
