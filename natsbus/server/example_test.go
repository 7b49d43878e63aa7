package server_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/natsbus"
	"github.com/imgstream/imgstream/natsbus/server"
)

// One machine: a server inside the process, a camera publishing on it, a
// viewer subscribed to it.
func Example() {
	srv, err := server.Start(server.Options{InProcess: true})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Shutdown()
	camConn, _ := srv.Connect()
	defer camConn.Close()
	viewConn, _ := srv.Connect()
	defer viewConn.Close()

	sub, err := natsbus.Subscribe(viewConn, "door")
	if err != nil {
		log.Fatal(err)
	}
	defer sub.Close()
	viewConn.Flush()
	pub, err := natsbus.NewPublisher(camConn, "door")
	if err != nil {
		log.Fatal(err)
	}
	frame := make([]byte, 2_000_000) // over the 1 MB max payload: sent in two chunks
	if err := pub.Publish(container.Header{Width: 2000, Height: 1000, Format: container.Grayscale}, frame, time.Time{}); err != nil {
		log.Fatal(err)
	}
	f, err := sub.Next(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("frame %d: %dx%d, %d bytes on %s\n", f.Seq, f.Header.Width, f.Header.Height, len(f.Data), pub.Subject())
	// Output: frame 1: 2000x1000, 2000000 bytes on imgstream.door
}
