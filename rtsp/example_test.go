package rtsp_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"os/signal"

	"github.com/imgstream/imgstream/record"
	"github.com/imgstream/imgstream/rtsp"
)

// Record an RTSP camera into camera.omv until Ctrl-C: an H.264 camera is
// decoded by ffmpeg, at most 5 frames a second, read over UDP; the
// Recorder connects again, with a gap event, whenever the camera drops.
func Example() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rec, err := record.New(record.Config{
		Source: &rtsp.Source{
			URL:       "rtsp://viewer:secret@192.168.1.64:554/Streaming/Channels/101",
			Transport: rtsp.UDP,
			FPS:       5,
		},
		Pattern: "camera.omv",
		Notify:  func(e record.Event) { log.Println(e) },
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := rec.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		log.Fatal(err)
	}
}

// Errors that connecting again cannot cure are permanent: the Recorder
// stops and says why.
func ExampleSource_Run() {
	src := &rtsp.Source{URL: "http://192.168.1.64/stream"}
	err := src.Run(context.Background(), func(*record.Frame) error { return nil })
	fmt.Println(errors.Is(err, rtsp.ErrInvalidURL), errors.Is(err, record.ErrPermanent))
	// Output: true true
}

// Open sources by name, as imgstream's record and serve do: rtsp:// and
// rtsps:// names get Sources with these settings.
func ExampleScheme() {
	sources := record.Sources{Schemes: map[string]record.SchemeFunc{
		"rtsp":  rtsp.Scheme(&rtsp.Source{Transport: rtsp.UDP, FPS: 5}),
		"rtsps": rtsp.Scheme(&rtsp.Source{CAFile: "camera-ca.pem"}),
	}}
	src, err := sources.Open(context.Background(), "rtsp://viewer:secret@192.168.1.64/stream1")
	if err != nil {
		log.Fatal(err)
	}
	cam := src.(*rtsp.Source)
	fmt.Println(cam.Transport, cam.FPS)
	_, err = sources.Open(context.Background(), "rtsp://viewer:secret@/stream1")
	fmt.Println(err)
	// Output:
	// udp 5
	// rtsp: invalid URL: rtsp://viewer:xxxxx@/stream1: give rtsp://[USER:PASSWORD@]HOST[:PORT]/PATH, or rtsps:// for TLS
}
