// Command securitycam is the security camera that keeps the last seconds,
// on the record package: it records an MJPEG camera, keeps the seconds
// before any motion in memory, and saves each event, from a second before
// the motion to a second after it, as a clip that OpenMV IDE plays.
//
//	go run ./examples/securitycam -url http://camera/stream.mjpg -dir clips
//
// Without -url it films a synthetic scene of its own (served as MJPEG on
// 127.0.0.1), where something crosses between 3 s and 5 s.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"image"
	"image/jpeg"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/imgstream/imgstream/mjpeg"
	"github.com/imgstream/imgstream/motion"
	"github.com/imgstream/imgstream/record"
)

func main() {
	url := flag.String("url", "", "the camera's MJPEG stream (none: a synthetic scene)")
	dir := flag.String("dir", "clips", "where the clips go")
	seconds := flag.Duration("for", 8*time.Second, "how long to record (0: until interrupted)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if *url == "" {
		*url = syntheticCamera(ctx)
	}
	rec, err := record.New(record.Config{
		Source:   record.MJPEG(nil, *url),
		Mode:     record.Events,
		Pattern:  filepath.Join(*dir, "%Y%m%d-%H%M%S.omv"),
		Pre:      time.Second,
		Post:     time.Second,
		Motion:   &motion.Config{},
		Duration: *seconds,
		Keep:     record.Keep{Size: 1 << 30}, // the newest gigabyte of clips
		Log:      log.Default(),
		Notify: func(e record.Event) {
			if e.Kind == record.ClipClosed {
				fmt.Printf("clip %s: %d frames, %.1fs of %s\n", e.Path, e.Frames, e.End.Sub(e.Start).Seconds(), e.Trigger)
			}
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("recording %s into %s\n", *url, *dir)
	if err := rec.Run(ctx); err != nil && ctx.Err() == nil {
		log.Fatal(err)
	}
	st := rec.Status()
	fmt.Printf("%d frames in, %d clips\n", st.FramesIn, st.Clips)
}

// syntheticCamera serves a grey scene at 25 fps, with a bright square
// crossing it from 3 s to 5 s, and returns its stream's URL.
func syntheticCamera(ctx context.Context) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	srv := &mjpeg.Server{}
	go http.Serve(l, srv)
	go func() {
		const fps = 25
		m := image.NewGray(image.Rect(0, 0, 320, 240))
		tick := time.NewTicker(time.Second / fps)
		defer tick.Stop()
		var b bytes.Buffer
		for i := 0; ; i++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			for j := range m.Pix {
				m.Pix[j] = byte(60 + j%320/4)
			}
			if t := i % (10 * fps); t >= 3*fps && t < 5*fps {
				x := t * 6 % 280
				for y := 100; y < 140; y++ {
					for k := x; k < x+40; k++ {
						m.Pix[y*320+k] = 240
					}
				}
			}
			b.Reset()
			jpeg.Encode(&b, m, &jpeg.Options{Quality: 80})
			srv.Publish(b.Bytes())
		}
	}()
	return "http://" + l.Addr().String() + "/"
}
