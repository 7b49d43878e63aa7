package record_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/motion"
	"github.com/imgstream/imgstream/record"
)

// A camera program's OMV stream, recorded with its own timing: five
// frames 100 ms apart.
func Example() {
	var stream bytes.Buffer
	zw := container.NewWriter(&stream)
	for i := range 5 {
		h := container.Header{Elapsed: 100 * time.Millisecond, Width: 8, Height: 8, Format: container.Grayscale}
		zw.WriteFrame(&h, bytes.Repeat([]byte{byte(i * 50)}, 64))
	}

	dir, _ := os.MkdirTemp("", "clips")
	defer os.RemoveAll(dir)
	rec, err := record.New(record.Config{
		Source:  record.OMV(&stream),
		Pattern: filepath.Join(dir, "camera.omv"),
		Notify: func(e record.Event) {
			if e.Kind == record.ClipClosed {
				fmt.Printf("%s: %d frames over %v\n", filepath.Base(e.Path), e.Frames, e.End.Sub(e.Start))
			}
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := rec.Run(context.Background()); err != nil {
		log.Fatal(err)
	}
	// Output: camera.omv: 5 frames over 400ms
}

// The security camera: clips of the motion an MJPEG camera sees, from
// ten seconds before it to five after, on a disk that never fills.
func ExampleRecorder() {
	rec, err := record.New(record.Config{
		// nil: NewClient, whose timeouts bound connecting and the wait
		// for the headers, never http.DefaultClient, which has none.
		Source:  record.MJPEG(nil, "http://camera.local/stream.mjpg"),
		Mode:    record.Events,
		Pattern: "clips/%Y%m%d-%H%M%S.omv",
		Pre:     10 * time.Second,
		Post:    5 * time.Second,
		Motion:  &motion.Config{Area: 2}, // 2 % of the picture
		Keep:    record.Keep{Size: 20 << 30, Age: 7 * 24 * time.Hour},
		Notify: func(e record.Event) {
			if e.Kind == record.ClipClosed {
				log.Printf("motion: %s", e.Path)
			}
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	// A doorbell button, a sensor, a message: rec.Trigger("door") from any
	// goroutine records the ten seconds before it too.
	log.Fatal(rec.Run(context.Background()))
}

// A camera with a certificate of its own: start from NewClient, which
// bounds connecting and the wait for the headers, and change only what
// differs, so as to keep its timeouts.
func ExampleNewClient() {
	pool := x509.NewCertPool()
	pem, err := os.ReadFile("camera-ca.pem")
	if err != nil {
		log.Fatal(err)
	}
	pool.AppendCertsFromPEM(pem)
	client := record.NewClient()
	client.Transport.(*http.Transport).TLSClientConfig = &tls.Config{RootCAs: pool}
	rec, err := record.New(record.Config{Source: record.MJPEG(client, "https://camera.local/stream.mjpg")})
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(rec.Run(context.Background()))
}

// A Source of a program's own: frames from anywhere, here computed.
func ExampleSourceFunc() {
	src := record.SourceFunc(func(ctx context.Context, emit func(*record.Frame) error) error {
		f := &record.Frame{Image: imageio.Image{Width: 4, Height: 4, Format: container.Grayscale, Data: make([]byte, 16)}}
		for i := range 3 {
			f.Data[0] = byte(i)
			if err := emit(f); err != nil {
				return err
			}
		}
		return io.EOF // the end; any other error and the Recorder runs it again
	})
	dir, _ := os.MkdirTemp("", "clips")
	defer os.RemoveAll(dir)
	rec, err := record.New(record.Config{Source: src, Pattern: filepath.Join(dir, "computed.omv")})
	if err != nil {
		log.Fatal(err)
	}
	if err := rec.Run(context.Background()); err != nil {
		log.Fatal(err)
	}
	fmt.Println(rec.Status().FramesIn, "frames")
	// Output: 3 frames
}
