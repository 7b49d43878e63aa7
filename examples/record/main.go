// Command record records synthetic camera frames to an OMV IMG STR file, as
// OpenMV's "Image Writer" example does: ImageIO(path, "w"), write, close.
// OpenMV IDE and OpenMV cameras play the file back.
package main

import (
	"flag"
	"fmt"
	"image"
	"image/color"
	"log"
	"time"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
)

func main() {
	out := flag.String("o", "stream.bin", "file to record to")
	frames := flag.Int("frames", 90, "frames to record")
	fps := flag.Float64("fps", 30, "frames per second")
	flag.Parse()

	stream, err := imageio.Create(*out, nil)
	if err != nil {
		log.Fatal(err)
	}
	frame := image.NewRGBA(image.Rect(0, 0, 160, 120))
	img := new(imageio.Image)
	tick := time.NewTicker(time.Duration(float64(time.Second) / *fps))
	defer tick.Stop()
	for i := range *frames {
		<-tick.C
		// A bar that sweeps across the picture.
		for y := range 120 {
			for x := range 160 {
				c := color.RGBA{20, 20, 60, 255}
				if (x-i*4)%160 >= 0 && (x-i*4)%160 < 16 {
					c = color.RGBA{250, 200, 40, 255}
				}
				frame.SetRGBA(x, y, c)
			}
		}
		if err := img.SetImage(frame, container.RGB565); err != nil {
			log.Fatal(err)
		}
		if err := stream.Write(img); err != nil {
			log.Fatal(err)
		}
	}
	if err := stream.Sync(); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("recorded %d frames, %d bytes, to %s\n", stream.Count(), stream.Size(), *out)
	if err := stream.Close(); err != nil {
		log.Fatal(err)
	}
}
