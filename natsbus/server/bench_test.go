package server_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/natsbus"
)

// Frames from a publisher to a subscriber through an embedded server on
// 127.0.0.1, each benchmark op a frame published and received. "raw" is
// the same bytes as raw NATS publishes to a raw subscription (for
// chunked frames, the same chunks), the limit natsbus is compared with:
//
//	cd natsbus/server && go test -run '^$' -bench . -count 6 | go run ../../internal/benchratio

func BenchmarkFrames(b *testing.B) {
	for _, size := range []int{100 << 10, 600 << 10, 2_641_920} { // 2.6 MB: 1280x688 RGB24, in 3 chunks
		b.Run(fmt.Sprintf("%dKB", size>>10), func(b *testing.B) {
			srv := start(b, "")
			data := make([]byte, size)
			for i := range data {
				data[i] = byte(i)
			}
			// A raw frame's size follows from its header, which Publish
			// checks; a JPEG's is its own.
			h := container.Header{Width: 1280, Height: 688, Format: container.JPEG}
			if size == 1280*688*3 {
				h.Format = container.RGB24
			}
			b.Run("raw", func(b *testing.B) {
				pubc, subc := connect(b, srv.URL()), connect(b, srv.URL())
				chunk := int(pubc.MaxPayload()) - natsbus.HeaderSize
				var msgs [][]byte
				for off := 0; off < size; off += chunk {
					msgs = append(msgs, make([]byte, natsbus.HeaderSize+min(chunk, size-off)))
				}
				var got atomic.Int64
				sub, err := subc.Subscribe("raw", func(*nats.Msg) { got.Add(1) })
				if err != nil {
					b.Fatal(err)
				}
				sub.SetPendingLimits(-1, 512<<20)
				subc.Flush()
				b.SetBytes(int64(size))
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					for _, m := range msgs {
						if err := pubc.Publish("raw", m); err != nil {
							b.Fatal(err)
						}
					}
				}
				want := int64(b.N * len(msgs))
				for got.Load() < want {
					time.Sleep(100 * time.Microsecond)
				}
			})
			b.Run("natsbus", func(b *testing.B) {
				pub, err := natsbus.NewPublisher(connect(b, srv.URL()), "bench")
				if err != nil {
					b.Fatal(err)
				}
				sub, err := natsbus.Subscribe(connect(b, srv.URL()), "bench")
				if err != nil {
					b.Fatal(err)
				}
				defer sub.Close()
				time.Sleep(20 * time.Millisecond)
				b.SetBytes(int64(size))
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					if err := pub.Publish(h, data, time.Time{}); err != nil {
						b.Fatal(err)
					}
				}
				for sub.Stats().Received < uint64(b.N) {
					if st := sub.Stats(); st.Lost > 0 || st.SlowConsumer > 0 {
						b.Fatalf("%+v", st)
					}
					time.Sleep(100 * time.Microsecond)
				}
			})
		})
	}
}

// BenchmarkReplay replays 600 KB frames from JetStream as fast as it can,
// with natsbus.Replay and with an ordered consumer on the client's default
// pull settings, and publishes them with a Publisher acknowledged by the
// stream, against publishing them into the stream ("raw" here: the rate
// they were recorded at).
func BenchmarkReplay(b *testing.B) {
	srv := start(b, b.TempDir())
	nc := connect(b, srv.URL())
	js, err := jetstream.New(nc)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	data := make([]byte, 600<<10)
	h := container.Header{Width: 640, Height: 480, Format: container.RGB565}
	// stream makes a stream of its own for one run of a sub-benchmark,
	// removed after it; recorded fills it with b.N frames first.
	runs := 0
	stream := func(b *testing.B, name string) string {
		runs++
		camera := fmt.Sprintf("%s%d", name, runs)
		if _, err := natsbus.Record(ctx, js, camera, natsbus.RecordOptions{}); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { js.DeleteStream(ctx, natsbus.StreamName(camera)) })
		return camera
	}
	recorded := func(b *testing.B, name string) string {
		camera := stream(b, name)
		pub, _ := natsbus.NewPublisher(nc, camera)
		for range b.N {
			pub.Publish(h, data, time.Time{})
		}
		waitStored(b, js, camera, uint64(b.N))
		return camera
	}
	b.Run("raw", func(b *testing.B) { // publishing into the stream, until stored
		camera := stream(b, "publish")
		pub, _ := natsbus.NewPublisher(nc, camera)
		b.SetBytes(int64(len(data)))
		for range b.N {
			if err := pub.Publish(h, data, time.Time{}); err != nil {
				b.Fatal(err)
			}
		}
		waitStored(b, js, camera, uint64(b.N))
	})
	b.Run("acked", func(b *testing.B) { // publishing, each message acknowledged by the stream
		camera := stream(b, "acked")
		pub, _ := natsbus.NewAckedPublisher(js, camera)
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for range b.N {
			if err := pub.Publish(h, data, time.Time{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("jetstream-defaults", func(b *testing.B) { // what a user writes with the client's defaults
		camera := recorded(b, "defaults")
		b.SetBytes(int64(len(data)))
		b.ResetTimer()
		cons, err := js.OrderedConsumer(ctx, natsbus.StreamName(camera), jetstream.OrderedConsumerConfig{})
		if err != nil {
			b.Fatal(err)
		}
		msgs, err := cons.Messages()
		if err != nil {
			b.Fatal(err)
		}
		defer msgs.Stop()
		for range b.N {
			if _, err := msgs.Next(jetstream.NextMaxWait(10 * time.Second)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("replay", func(b *testing.B) {
		camera := recorded(b, "replay")
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		b.ResetTimer()
		n := 0
		if err := natsbus.Replay(ctx, js, camera, natsbus.ReplayOptions{}, func(*natsbus.Frame) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
		if n != b.N {
			b.Fatalf("replayed %d of %d", n, b.N)
		}
	})
}

func waitStored(b *testing.B, js jetstream.JetStream, camera string, n uint64) {
	b.Helper()
	for {
		st, err := js.Stream(context.Background(), natsbus.StreamName(camera))
		if err != nil {
			b.Fatal(err)
		}
		info, err := st.Info(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if info.State.Msgs >= n {
			return
		}
		time.Sleep(time.Millisecond)
	}
}
