// Command replay plays an OMV IMG STR recording back at the pace it was
// recorded, as OpenMV's "Image Reader" example does with
// stream.read(loop=..., pause=True). It prints each frame as it comes out.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"time"

	"github.com/imgstream/imgstream/imageio"
)

func main() {
	loop := flag.Bool("loop", false, "start again after the last frame")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: replay [-loop] file.omv")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	stream, err := imageio.Open(flag.Arg(0), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer stream.Close()
	fmt.Printf("%s: %d frames, version %s\n", flag.Arg(0), stream.Count(), stream.Version())
	start := time.Now()
	img := new(imageio.Image)
	for {
		n := stream.Offset()
		err := stream.ReadContext(ctx, img, imageio.ReadOptions{Loop: *loop, Pause: true})
		if err == io.EOF || errors.Is(err, context.Canceled) {
			return
		}
		if err != nil {
			log.Fatal(err) // a damaged recording: every good frame came first
		}
		fmt.Printf("%8.3fs frame %d: %dx%d %v\n", time.Since(start).Seconds(), n, img.Width, img.Height, img.Format)
	}
}
