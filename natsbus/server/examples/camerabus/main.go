// Command camerabus is a camera bus in one process or across hosts: it
// starts a NATS server with JetStream (or connects to -nats), publishes a
// synthetic camera on imgstream.<camera>, records it in JetStream for a
// minute, and after a few seconds replays what was recorded into an OMV
// file, which OpenMV IDE plays.
//
//	go run ./examples/camerabus -o /tmp/bus.omv
//	go run ./examples/camerabus -nats nats://nats.local:4222 -camera garden
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/natsbus"
	"github.com/imgstream/imgstream/natsbus/server"
)

func main() {
	url := flag.String("nats", "", "a NATS server or cluster (none: one in this process)")
	camera := flag.String("camera", "demo", "the camera's name")
	seconds := flag.Duration("for", 3*time.Second, "how long to publish")
	out := flag.String("o", "bus.omv", "the replayed recording")
	flag.Parse()
	ctx := context.Background()

	var nc *nats.Conn
	var err error
	if *url == "" {
		dir, _ := os.MkdirTemp("", "camerabus")
		defer os.RemoveAll(dir)
		srv, err := server.Start(server.Options{Dir: dir})
		if err != nil {
			log.Fatal(err)
		}
		defer srv.Shutdown()
		fmt.Println("NATS server at", srv.URL())
		nc, err = srv.Connect()
		if err != nil {
			log.Fatal(err)
		}
	} else if nc, err = nats.Connect(*url); err != nil {
		log.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := natsbus.Record(ctx, js, *camera, natsbus.RecordOptions{MaxAge: time.Minute}); err != nil {
		log.Fatal(err)
	}
	pub, err := natsbus.NewPublisher(nc, *camera)
	if err != nil {
		log.Fatal(err)
	}
	start := time.Now()
	frame := make([]byte, 160*120)
	n := 0
	for tick := time.NewTicker(40 * time.Millisecond); time.Since(start) < *seconds; <-tick.C {
		for i := range frame {
			frame[i] = byte(i%160 + n)
		}
		if err := pub.Publish(container.Header{Width: 160, Height: 120, Format: container.Grayscale}, frame, time.Time{}); err != nil {
			log.Fatal(err)
		}
		n++
	}
	pub.Flush()
	fmt.Printf("published %d frames on %s\n", n, pub.Subject())
	time.Sleep(200 * time.Millisecond) // JetStream stores the last ones

	f, err := os.Create(*out)
	if err != nil {
		log.Fatal(err)
	}
	saved, err := natsbus.Export(ctx, js, *camera, natsbus.ReplayOptions{}, f)
	if err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("replayed %d frames into %s\n", saved.Frames, *out)
}
