package motion_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"

	"github.com/imgstream/imgstream/motion"
)

// frame returns a 320x240 grey frame of the given brightness, with a white
// 80x64 object at (120, 96) when object is set.
func frame(brightness uint8, object bool) *image.Gray {
	m := image.NewGray(image.Rect(0, 0, 320, 240))
	draw.Draw(m, m.Bounds(), image.NewUniform(color.Gray{brightness}), image.Point{}, draw.Src)
	if object {
		draw.Draw(m, image.Rect(120, 96, 200, 160), image.NewUniform(color.Gray{250}), image.Point{}, draw.Src)
	}
	return m
}

// A Detector learns the background from its first frames (Config.Warmup),
// ignores a change of light over the whole picture, and reports motion when
// an object covers more than Config.Area percent of it.
func ExampleDetector() {
	d, err := motion.New(motion.Config{}) // the zero Config works
	if err != nil {
		fmt.Println(err)
		return
	}
	for range motion.DefaultWarmup {
		d.Detect(frame(50, false))
	}
	for _, f := range []struct {
		what string
		img  image.Image
	}{
		{"same", frame(50, false)},
		{"lights up", frame(90, false)},
		{"object", frame(90, true)},
	} {
		r := d.Detect(f.img)
		fmt.Printf("%-9s motion=%t changed=%.2f%%\n", f.what, r.Motion, r.Changed)
	}
	// Output:
	// same      motion=false changed=0.00%
	// lights up motion=false changed=0.00%
	// object    motion=true changed=6.67%
}

// DetectJPEG takes a camera's JPEG frames as they come, and with
// Config.Every decodes only the frames it analyses: the others repeat the
// last result, with Analysed false.
func ExampleDetector_DetectJPEG() {
	d, err := motion.New(motion.Config{Every: 2, Warmup: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	for i, object := range []bool{false, false, false, false, true, true} {
		var b bytes.Buffer
		if err := jpeg.Encode(&b, frame(50, object), nil); err != nil {
			fmt.Println(err)
			return
		}
		r, err := d.DetectJPEG(b.Bytes())
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("frame %d: analysed=%t motion=%t\n", i, r.Analysed, r.Motion)
	}
	// Output:
	// frame 0: analysed=true motion=false
	// frame 1: analysed=false motion=false
	// frame 2: analysed=true motion=false
	// frame 3: analysed=false motion=false
	// frame 4: analysed=true motion=true
	// frame 5: analysed=false motion=true
}

// Stats says which decoder read the JPEG frames: the luma decoder reads
// baseline JPEGs (what cameras and image/jpeg write), image/jpeg the
// others.
func ExampleDetector_Stats() {
	d, err := motion.New(motion.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, frame(50, false), nil); err != nil {
		fmt.Println(err)
		return
	}
	for range 3 {
		if _, err := d.DetectJPEG(b.Bytes()); err != nil {
			fmt.Println(err)
			return
		}
	}
	fmt.Printf("%+v\n", d.Stats())
	// Output:
	// {Luma:3 Fallback:0}
}
