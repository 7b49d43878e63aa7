// Command shmcamera is a camera in Go for Python readers: it publishes
// synthetic 640x480 frames in OpenCV's BGR order to a shared-memory stream,
// which python/examples/opencv_consumer.py (or any imgstream reader) reads.
//
//	go run ./examples/shmcamera -name camera &
//	/usr/bin/python3 python/examples/opencv_consumer.py camera
//
// Frame n is a colour gradient whose blue channel is n mod 256, so a
// reader can tell the frames apart.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"time"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/shm"
)

func main() {
	name := flag.String("name", "camera", "the stream's name in /dev/shm")
	fps := flag.Float64("fps", 30, "frames per second")
	frames := flag.Int("frames", 0, "stop after this many frames (0: run until interrupted)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	const w, h = 640, 480
	writer, err := shm.Create(*name, w*h*3, 4)
	if err != nil {
		log.Fatal(err)
	}
	defer writer.Close()
	fmt.Printf("publishing %dx%d BGR frames to %s\n", w, h, writer.Path())
	tick := time.NewTicker(time.Duration(float64(time.Second) / *fps))
	defer tick.Stop()
	for n := 1; *frames == 0 || n <= *frames; n++ {
		slot, err := writer.Acquire() // fill the shared memory in place
		if err != nil {
			log.Fatal(err)
		}
		for y := range h {
			row := slot[y*w*3 : (y+1)*w*3]
			for x := range w {
				row[3*x], row[3*x+1], row[3*x+2] = byte(n), byte(y*255/h), byte(x*255/w) // B, G, R
			}
		}
		if err := writer.Publish(container.Header{Width: w, Height: h, Format: container.BGR24, Size: w * h * 3}); err != nil {
			log.Fatal(err)
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return
		}
	}
	time.Sleep(time.Second) // let readers take the last frame before Close ends the stream
}
