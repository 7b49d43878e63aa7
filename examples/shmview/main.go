// Command shmview shows a shared-memory stream in the browser: the Go end
// of a Python (OpenCV) producer. It reads the stream's frames as they come
// (OpenCV's BGR, numpy's RGB, grayscale, JPEG...), follows the producer
// across restarts, and serves them as MJPEG, each frame encoded once
// however many watch.
//
//	/usr/bin/python3 python/examples/opencv_producer.py camera &
//	go run ./examples/shmview -name camera          # then open http://127.0.0.1:8080/
//
// With -frames N it prints a line for each of the first N frames and
// exits, without serving.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"

	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/mjpeg"
	"github.com/imgstream/imgstream/shm"
)

func main() {
	name := flag.String("name", "camera", "the stream's name in /dev/shm")
	addr := flag.String("addr", "127.0.0.1:8080", "address to serve on")
	frames := flag.Int("frames", 0, "print the first N frames and exit instead of serving")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	r, err := shm.OpenWait(ctx, *name)
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	r.Follow = true // a producer that restarts is followed

	if *frames > 0 {
		var buf []byte
		for i := 0; i < *frames; i++ {
			f, err := r.NextInto(ctx, buf)
			if err != nil {
				log.Fatal(err)
			}
			buf = f.Data
			m := imageio.ImageOf(&f.Header, f.Data)
			img, err := m.Decode()
			if err != nil {
				log.Fatal(err)
			}
			c := img.At(0, 0)
			rr, g, b, _ := c.RGBA()
			fmt.Printf("frame %d: %dx%d %v, skipped %d, top-left rgb %d %d %d\n",
				f.Number, f.Header.Width, f.Header.Height, f.Header.Format, f.Skipped, rr>>8, g>>8, b>>8)
		}
		return
	}

	var srv mjpeg.Server
	go func() {
		var buf, jpeg []byte
		for {
			f, err := r.NextInto(ctx, buf)
			if err != nil {
				if ctx.Err() == nil {
					log.Print(err)
				}
				return
			}
			buf = f.Data
			m := imageio.ImageOf(&f.Header, f.Data)
			if jpeg, err = m.AppendJPEG(jpeg[:0]); err != nil {
				log.Print(err)
				continue
			}
			srv.Publish(jpeg)
		}
	}()
	fmt.Printf("serving shared-memory stream %q at http://%s/\n", *name, *addr)
	if err := mjpeg.ListenAndServe(ctx, *addr, &srv); err != nil {
		log.Fatal(err)
	}
}
