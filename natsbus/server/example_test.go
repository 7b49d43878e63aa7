package server_test

import (
	"bytes"
	"context"
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

// A server on 127.0.0.1, which other processes of the machine reach at its
// URL: a viewer connects there with a plain NATS client. Beyond the
// loopback interface Start asks for a Token, or a User and Password.
func ExampleStart() {
	srv, err := server.Start(server.Options{}) // 127.0.0.1, a free port
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Shutdown()
	viewConn, err := nats.Connect(srv.URL()) // as from another process
	if err != nil {
		log.Fatal(err)
	}
	defer viewConn.Close()
	sub, err := natsbus.Subscribe(viewConn, "garden")
	if err != nil {
		log.Fatal(err)
	}
	defer sub.Close()

	camConn, err := srv.Connect()
	if err != nil {
		log.Fatal(err)
	}
	defer camConn.Close()
	pub, err := natsbus.NewPublisher(camConn, "garden")
	if err != nil {
		log.Fatal(err)
	}
	if err := pub.Publish(container.Header{Width: 4, Height: 2, Format: container.Grayscale}, make([]byte, 8), time.Time{}); err != nil {
		log.Fatal(err)
	}
	f, err := sub.Next(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("frame %d: %dx%d, %d bytes\n", f.Seq, f.Header.Width, f.Header.Height, len(f.Data))
	// Output: frame 1: 4x2, 8 bytes
}

// With JetStream (Options.Dir), a camera is recorded as it publishes,
// replayed from any time, and exported as an OMV file.
func Example_record() {
	dir, err := os.MkdirTemp("", "natsbus-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	srv, err := server.Start(server.Options{InProcess: true, Dir: dir})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Shutdown()
	nc, err := srv.Connect()
	if err != nil {
		log.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	if _, err := natsbus.Record(ctx, js, "door", natsbus.RecordOptions{MaxAge: 24 * time.Hour}); err != nil {
		log.Fatal(err)
	}

	// An acknowledged Publisher returns once the stream holds the frame.
	pub, err := natsbus.NewAckedPublisher(js, "door")
	if err != nil {
		log.Fatal(err)
	}
	start := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	for i := range 3 {
		at := start.Add(time.Duration(i) * 250 * time.Millisecond)
		if err := pub.Publish(container.Header{Width: 4, Height: 2, Format: container.Grayscale}, bytes.Repeat([]byte{byte(i)}, 8), at); err != nil {
			log.Fatal(err)
		}
	}

	// Replay the frames captured in the first 300 ms, as fast as possible
	// (Paced keeps the recorded intervals).
	err = natsbus.Replay(ctx, js, "door", natsbus.ReplayOptions{Until: start.Add(300 * time.Millisecond)}, func(f *natsbus.Frame) error {
		fmt.Printf("replay: frame %d at +%v\n", f.Seq, f.Time.Sub(start))
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}

	out, err := os.Create(dir + "/door.omv")
	if err != nil {
		log.Fatal(err)
	}
	defer out.Close()
	st, err := natsbus.Export(ctx, js, "door", natsbus.ReplayOptions{}, out)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("exported frames:", st.Frames)
	// Output:
	// replay: frame 1 at +0s
	// replay: frame 2 at +250ms
	// exported frames: 3
}
