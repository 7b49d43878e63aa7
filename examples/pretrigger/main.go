// Command pretrigger is the security camera that keeps the last seconds:
// frames go into a ring stream that holds a few seconds of them; when motion
// is seen, the seconds before it are saved to a file, and the frames that
// follow go on into the same file until the motion has stopped for a while.
// Motion is what the motion package's detector sees, by differencing each
// frame against an adapting background. The file plays in OpenMV IDE and on
// OpenMV cameras.
package main

import (
	"flag"
	"fmt"
	"image"
	"log"
	"os"
	"time"

	"github.com/imgstream/imgstream/circular"
	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/motion"
)

const w, h = 160, 120

func main() {
	out := flag.String("o", "event.omv", "file to save the event to")
	before := flag.Duration("before", 2*time.Second, "how much to keep from before the motion")
	fps := flag.Int("fps", 30, "frames per second")
	flag.Parse()

	ring, err := imageio.NewRing(circular.FrameConfig{Size: 16 << 20, MaxAge: *before}, nil)
	if err != nil {
		log.Fatal(err)
	}
	img := &imageio.Image{Width: w, Height: h, Format: container.Grayscale, Data: make([]byte, w*h)}
	detector, err := motion.New(motion.Config{})
	if err != nil {
		log.Fatal(err)
	}
	grey := &image.Gray{Pix: img.Data, Stride: w, Rect: image.Rect(0, 0, w, h)}
	var clip *imageio.Clip
	var file *os.File
	quiet := 0
	tick := time.NewTicker(time.Second / time.Duration(*fps))
	defer tick.Stop()
	for i := 0; i < 10**fps; i++ {
		<-tick.C
		// The scene: something crosses it between 3 s and 5 s.
		crossing := i >= 3**fps && i < 5**fps
		for j := range img.Data {
			img.Data[j] = byte(j / w)
			if crossing && j%w >= i%w && j%w < i%w+10 {
				img.Data[j] = 255
			}
		}
		moving := detector.Detect(grey).Motion
		if err := ring.Write(img); err != nil {
			log.Fatal(err)
		}
		switch {
		case moving && clip == nil:
			if file, err = os.Create(*out); err != nil {
				log.Fatal(err)
			}
			if clip, err = ring.SaveTo(file, *before); err != nil {
				log.Fatal(err)
			}
			fmt.Printf("motion at %.2fs: saved the %v before it\n", float64(i)/float64(*fps), *before)
		case clip != nil:
			if _, err := clip.Flush(); err != nil {
				log.Fatal(err)
			}
			if quiet++; moving {
				quiet = 0
			}
			if quiet == *fps { // a second without motion ends the event
				if err := file.Close(); err != nil {
					log.Fatal(err)
				}
				clip = nil
				saved, err := imageio.Open(*out, nil)
				if err != nil {
					log.Fatal(err)
				}
				fmt.Printf("event saved to %s: %d frames\n", *out, saved.Count())
				saved.Close()
			}
		}
	}
}
