// Command gensample writes testdata/sample.omv, the recording that
// `make run` serves: 6 seconds at 15 fps of a 320x240 animated scene, as
// JPEG frames, in the OMV IMG STR V2.0 format an OpenMV camera writes.
//
//	go run ./internal/gensample -o testdata/sample.omv
package main

import (
	"context"
	"flag"
	"image"
	"image/color"
	"log"
	"math"
	"time"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
)

const (
	w, h   = 320, 240
	fps    = 15
	frames = 6 * fps
)

// scene draws frame i: a sky that darkens, a sun that crosses it, and a
// sweeping bar, so that playback and its pace are easy to see.
func scene(m *image.RGBA, i int) {
	t := float64(i) / frames
	sunX := int(20 + t*(w-40))
	sunY := int(60 + 40*math.Sin(t*math.Pi*2))
	for y := range h {
		for x := range w {
			c := color.RGBA{byte(40 + 80*(1-t)), byte(90 + 100*(1-t)), 200, 255}
			if y > 170 {
				c = color.RGBA{40, byte(110 + (x+i*4)%40), 50, 255}
			}
			if dx, dy := x-sunX, y-sunY; dx*dx+dy*dy < 18*18 {
				c = color.RGBA{255, 210, 60, 255}
			}
			if bar := (i * 7) % w; x >= bar && x < bar+6 && y > 170 {
				c = color.RGBA{230, 60, 60, 255}
			}
			m.SetRGBA(x, y, c)
		}
	}
}

func main() {
	out := flag.String("o", "testdata/sample.omv", "file to write")
	flag.Parse()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s, err := imageio.Create(*out, &imageio.Options{Clock: fixedClock(start)})
	if err != nil {
		log.Fatal(err)
	}
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	img := new(imageio.Image)
	for i := range frames {
		scene(m, i)
		if err := img.SetImage(m, container.JPEG); err != nil {
			log.Fatal(err)
		}
		if err := s.WriteAt(img, start.Add(time.Duration(i+1)*time.Second/fps)); err != nil {
			log.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		log.Fatal(err)
	}
}

// fixedClock makes the recording the same on every run.
type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

func (fixedClock) Sleep(context.Context, time.Duration) error { return nil }
