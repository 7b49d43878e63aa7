// Command framediff detects motion by differencing each frame with the one
// recorded a few frames earlier, kept in an in-memory history, as OpenMV's
// "in memory frame differencing" example does.
package main

import (
	"flag"
	"fmt"
	"log"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
)

const w, h = 160, 120

// capture stands in for a camera: a still scene in which an object appears
// at frame 40 and moves.
func capture(i int, img *imageio.Image) {
	for y := range h {
		for x := range w {
			v := byte((x + y) / 2)
			if i >= 40 && x >= (i-40)*3 && x < (i-40)*3+20 && y >= 50 && y < 70 {
				v = 255
			}
			img.Data[y*w+x] = v
		}
	}
}

func main() {
	frames := flag.Int("frames", 60, "frames to process")
	lag := flag.Int("lag", 5, "difference each frame with the one this many frames before")
	threshold := flag.Float64("threshold", 1.0, "percent of pixels that must change to report motion")
	flag.Parse()

	history, err := imageio.NewMemory(w, h, container.Grayscale, *lag, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer history.Close()
	cur := &imageio.Image{Width: w, Height: h, Format: container.Grayscale, Data: make([]byte, w*h)}
	old := &imageio.Image{Data: make([]byte, w*h)}
	for i := range *frames {
		capture(i, cur)
		slot := i % *lag
		if i >= *lag {
			// The slot about to be reused holds the frame lag frames back.
			if err := history.Seek(slot); err != nil {
				log.Fatal(err)
			}
			if err := history.ReadInto(old, imageio.ReadOptions{}); err != nil {
				log.Fatal(err)
			}
			changed := 0
			for j := range cur.Data {
				d := int(cur.Data[j]) - int(old.Data[j])
				if d > 32 || d < -32 {
					changed++
				}
			}
			if pct := 100 * float64(changed) / float64(w*h); pct >= *threshold {
				fmt.Printf("frame %d: motion, %.1f%% of pixels changed\n", i, pct)
			}
		}
		if err := history.Seek(slot); err != nil {
			log.Fatal(err)
		}
		if err := history.Write(cur); err != nil {
			log.Fatal(err)
		}
	}
}
