package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"image/color"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/internal/testkit"
	"github.com/imgstream/imgstream/natsbus"
	"github.com/imgstream/imgstream/natsbus/server"
)

// start starts an embedded server on 127.0.0.1 with JetStream in dir (if
// not empty) until the test ends.
func start(t testing.TB, dir string) *server.Server {
	t.Helper()
	s, err := server.Start(server.Options{Dir: dir})
	require.NoError(t, err)
	t.Cleanup(s.Shutdown)
	return s
}

func connect(t testing.TB, url string) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(url)
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	return nc
}

// frameOf is frame i of a test: a stamped JPEG, or raw RGB24 of w x h
// whose bytes depend on i (greyscale when grey is set: RGB24 is for
// streams only, not files).
func frameOf(i, w, h int, grey ...bool) (container.Header, []byte) {
	if w == 0 {
		jpg := testkit.StampJPEG(testkit.SolidJPEG(64, 48, color.Gray{Y: uint8(i)}), uint64(i))
		return container.Header{Width: 64, Height: 48, Format: container.JPEG}, jpg
	}
	f, n := container.RGB24, w*h*3
	if len(grey) > 0 && grey[0] {
		f, n = container.Grayscale, w*h
	}
	b := make([]byte, n)
	for j := range b {
		b[j] = byte(i*7 + j)
	}
	return container.Header{Width: w, Height: h, Format: f}, b
}

// waitReceived waits until s has received n whole frames.
func waitReceived(t testing.TB, s *natsbus.Subscriber, n uint64) {
	t.Helper()
	require.Eventually(t, func() bool { return s.Stats().Received >= n }, 20*time.Second, time.Millisecond, "received %d of %d", s.Stats().Received, n)
}

// TestFramesIntact: JPEG frames, and raw 2.6 MB frames in chunks, arrive
// whole, byte for byte, in order, with their timing.
func TestFramesIntact(t *testing.T) {
	srv := start(t, "")
	for _, size := range []struct{ w, h int }{{0, 0}, {1280, 688}} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			pub, err := natsbus.NewPublisher(connect(t, srv.URL()), "cam1")
			require.NoError(t, err)
			sub, err := natsbus.Subscribe(connect(t, srv.URL()), "cam1")
			require.NoError(t, err)
			defer sub.Close()
			t0 := time.Unix(1700000000, 0)
			for i := range 20 {
				h, data := frameOf(i, size.w, size.h)
				require.NoError(t, pub.Publish(h, data, t0.Add(time.Duration(i)*40*time.Millisecond)))
				require.NoError(t, pub.Flush())
				// In lock step, Next sees every frame.
				f, err := sub.Next(t.Context())
				require.NoError(t, err)
				assert.Equal(t, uint64(i+1), f.Seq)
				require.True(t, bytes.Equal(data, f.Data), "frame %d byte for byte", i)
				assert.Equal(t, h.Width, f.Header.Width)
				assert.Equal(t, h.Format, f.Header.Format)
				assert.Equal(t, len(data), f.Header.Size)
				assert.True(t, t0.Add(time.Duration(i)*40*time.Millisecond).Equal(f.Time))
			}
			st := sub.Stats()
			assert.Equal(t, uint64(20), st.Received)
			assert.Zero(t, st.Lost)
			assert.Zero(t, st.Skipped)
		})
	}
}

// TestLostChunk: a chunked frame with a chunk missing is counted as lost
// and never delivered; the next whole frame is.
func TestLostChunk(t *testing.T) {
	srv := start(t, "")
	nc := connect(t, srv.URL())
	// Catch the chunks a Publisher sends, to send them again with one
	// missing.
	raw, err := nc.SubscribeSync(natsbus.Subject("cam"))
	require.NoError(t, err)
	require.NoError(t, nc.Flush())
	pub, err := natsbus.NewPublisher(connect(t, srv.URL()), "cam")
	require.NoError(t, err)
	h, data := frameOf(1, 1280, 688)
	require.NoError(t, pub.Publish(h, data, time.Time{}))
	require.NoError(t, pub.Publish(h, data, time.Time{}))
	var chunks [][]byte
	for range 6 {
		m, err := raw.NextMsg(10 * time.Second)
		require.NoError(t, err)
		chunks = append(chunks, m.Data)
	}
	sub, err := natsbus.Subscribe(connect(t, srv.URL()), "cam")
	require.NoError(t, err)
	defer sub.Close()
	// Frame 1 without its middle chunk, then frame 2 whole.
	for i, c := range chunks {
		if i != 1 {
			require.NoError(t, nc.Publish(natsbus.Subject("cam"), c))
		}
	}
	require.NoError(t, nc.Flush())
	require.Eventually(t, func() bool { return sub.Stats().Received >= 1 }, 10*time.Second, time.Millisecond)
	st := sub.Stats()
	assert.Equal(t, uint64(1), st.Lost)
	assert.Equal(t, uint64(1), st.Received)
	f, err := sub.Next(t.Context())
	require.NoError(t, err)
	assert.Equal(t, uint64(2), f.Seq, "only the whole frame")
	assert.True(t, bytes.Equal(data, f.Data))
	// Not a frame at all: counted, ignored.
	require.NoError(t, nc.Publish(natsbus.Subject("cam"), []byte("hello")))
	require.NoError(t, nc.Flush())
	require.Eventually(t, func() bool { return sub.Stats().Invalid == 1 }, 10*time.Second, time.Millisecond)
}

// TestHostileSizes: messages that declare frames over MaxFrameSize, up to
// the prefix's 4 GiB, over many publisher ids, are refused at their
// prefix and counted as invalid, none buffered; a good frame still comes.
func TestHostileSizes(t *testing.T) {
	srv := start(t, "")
	nc := connect(t, srv.URL())
	sub, err := natsbus.Subscribe(connect(t, srv.URL()), "cam")
	require.NoError(t, err)
	defer sub.Close()
	const ids = 500
	msg := make([]byte, natsbus.HeaderSize+64<<10)
	le := binary.LittleEndian
	copy(msg, "IMF1")
	le.PutUint32(msg[4:], uint32(container.JPEG))
	le.PutUint16(msg[8:], 640)
	le.PutUint16(msg[10:], 480)
	le.PutUint64(msg[16:], 1)
	le.PutUint16(msg[38:], 1000) // chunk 0 of 1000
	for id := range uint32(ids) {
		size := uint32(1<<32 - 1 - id)
		if id%2 == 0 {
			size = natsbus.MaxFrameSize + 1 + id
		}
		le.PutUint32(msg[12:], size)
		le.PutUint32(msg[32:], id)
		require.NoError(t, nc.Publish(natsbus.Subject("cam"), msg))
	}
	pub, err := natsbus.NewPublisher(nc, "cam")
	require.NoError(t, err)
	h, data := frameOf(1, 0, 0)
	require.NoError(t, pub.Publish(h, data, time.Time{}))
	require.NoError(t, nc.Flush())
	f, err := sub.Next(t.Context())
	require.NoError(t, err)
	assert.True(t, bytes.Equal(data, f.Data), "the good frame")
	st := sub.Stats()
	assert.Equal(t, uint64(ids), st.Invalid, "every frame over MaxFrameSize refused at its prefix")
	assert.Zero(t, st.Lost, "none was begun")

	err = pub.Publish(container.Header{Width: 8192, Height: 8192, Format: container.JPEG}, make([]byte, natsbus.MaxFrameSize+1), time.Time{})
	assert.ErrorIs(t, err, natsbus.ErrFrameTooLarge)
}

// stalledSubscriber connects to the server by hand, subscribes to subject
// and never reads again: a viewer whose process hangs.
func stalledSubscriber(t *testing.T, url, subject string) net.Conn {
	t.Helper()
	addr := url[len("nats://"):]
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	br := bufio.NewReader(c)
	_, err = br.ReadString('\n') // INFO
	require.NoError(t, err)
	fmt.Fprintf(c, "CONNECT {\"verbose\":false,\"pedantic\":false}\r\nSUB %s 1\r\nPING\r\n", subject)
	for {
		line, err := br.ReadString('\n')
		require.NoError(t, err)
		if line == "PONG\r\n" {
			break
		}
	}
	c.(*net.TCPConn).SetReadBuffer(4096)
	return c
}

// TestStalledSubscriber: a subscriber that never reads does not hold up
// the publisher or a healthy subscriber: the healthy one receives every
// frame of 600 KB published as fast as the publisher goes.
func TestStalledSubscriber(t *testing.T) {
	srv := start(t, "")
	stalledSubscriber(t, srv.URL(), natsbus.Subject("cam"))
	healthy, err := natsbus.Subscribe(connect(t, srv.URL()), "cam")
	require.NoError(t, err)
	defer healthy.Close()
	pub, err := natsbus.NewPublisher(connect(t, srv.URL()), "cam")
	require.NoError(t, err)
	const n = 300 // 180 MB: far past any buffer the stalled one has
	data := bytes.Repeat([]byte{7}, 600<<10)
	h := container.Header{Width: 640, Height: 320, Format: container.RGB24}
	for range n {
		require.NoError(t, pub.Publish(h, data, time.Time{}))
	}
	require.NoError(t, pub.Flush(), "the publisher is never held up")
	waitReceived(t, healthy, n)
	st := healthy.Stats()
	assert.Zero(t, st.Lost)
	assert.Zero(t, st.SlowConsumer)
}

// TestJetStreamRestart: a camera recorded into JetStream, the server
// restarted from the same directory, then replayed: the same frames, byte
// for byte, in order; exported to an OMV file, with their times; paced,
// at the recorded intervals on a fake clock.
func TestJetStreamRestart(t *testing.T) {
	dir := t.TempDir()
	srv, err := server.Start(server.Options{Dir: dir})
	require.NoError(t, err)
	nc := connect(t, srv.URL())
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	ctx := t.Context()
	_, err = natsbus.Record(ctx, js, "door", natsbus.RecordOptions{MaxAge: time.Hour})
	require.NoError(t, err)
	pub, err := natsbus.NewPublisher(nc, "door")
	require.NoError(t, err)
	t0 := time.Unix(1700000000, 0)
	var want [][]byte
	for i := range 30 {
		w, h := 0, 0
		if i%10 == 9 {
			w, h = 2048, 1280 // 2.6 MB: chunked
		}
		hd, data := frameOf(i, w, h, true)
		require.NoError(t, pub.Publish(hd, data, t0.Add(time.Duration(i)*100*time.Millisecond)))
		want = append(want, data)
	}
	require.NoError(t, pub.Flush())
	require.Eventually(t, func() bool {
		st, err := js.Stream(ctx, natsbus.StreamName("door"))
		if err != nil {
			return false
		}
		info, err := st.Info(ctx)
		return err == nil && info.State.Msgs == 30-3+3*3
	}, 10*time.Second, 10*time.Millisecond)
	nc.Close()
	srv.Shutdown()

	srv = start(t, dir)
	js, err = jetstream.New(connect(t, srv.URL()))
	require.NoError(t, err)
	var got [][]byte
	require.NoError(t, natsbus.Replay(ctx, js, "door", natsbus.ReplayOptions{}, func(f *natsbus.Frame) error {
		got = append(got, bytes.Clone(f.Data))
		return nil
	}))
	require.Len(t, got, 30)
	for i := range want {
		require.True(t, bytes.Equal(want[i], got[i]), "frame %d byte for byte", i)
	}

	// From a time on.
	got = got[:0]
	require.NoError(t, natsbus.Replay(ctx, js, "door", natsbus.ReplayOptions{Until: t0.Add(1450 * time.Millisecond)}, func(f *natsbus.Frame) error {
		got = append(got, bytes.Clone(f.Data))
		return nil
	}))
	assert.Len(t, got, 15, "frames captured up to 1.45 s")

	// Exported to a file.
	path := filepath.Join(t.TempDir(), "door.omv")
	f, err := os.Create(path)
	require.NoError(t, err)
	st, err := natsbus.Export(ctx, js, "door", natsbus.ReplayOptions{}, f)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	assert.Equal(t, natsbus.ExportStats{Frames: 30}, st)
	s, err := imageio.Open(path, nil)
	require.NoError(t, err)
	defer s.Close()
	require.Equal(t, 30, s.Count())
	zr, err := container.NewReader(bytes.NewReader(mustRead(t, path)))
	require.NoError(t, err)
	for i := range 30 {
		hd, data, err := zr.ReadFrame(nil)
		require.NoError(t, err)
		require.True(t, bytes.Equal(want[i], data), "exported frame %d", i)
		if i > 0 {
			assert.Equal(t, 100*time.Millisecond, hd.Elapsed, "exported frame %d keeps its interval", i)
		}
	}

	// Paced, on a fake clock: it waits the recorded intervals.
	clock := &fakeClock{now: time.Unix(0, 0)}
	require.NoError(t, natsbus.Replay(ctx, js, "door", natsbus.ReplayOptions{Paced: true, Clock: clock}, func(*natsbus.Frame) error { return nil }))
	assert.Equal(t, 2900*time.Millisecond, clock.now.Sub(time.Unix(0, 0)), "29 intervals of 100 ms")
}

func jetstreamOf(t *testing.T, nc *nats.Conn) jetstream.JetStream {
	t.Helper()
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	return js
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

// fakeClock is an imageio.Clock whose Sleep moves it on at once.
type fakeClock struct {
	mu  sync.Mutex // guards now
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return ctx.Err()
}

// TestObjectStore: a whole recording goes up and comes down the same.
func TestObjectStore(t *testing.T) {
	srv := start(t, t.TempDir())
	js, err := jetstream.New(connect(t, srv.URL()))
	require.NoError(t, err)
	sample := filepath.Join(testkit.Root, "testdata", "sample.omv")
	info, err := natsbus.Upload(t.Context(), js, "recordings", "sample.omv", sample)
	require.NoError(t, err)
	assert.Equal(t, uint64(len(mustRead(t, sample))), info.Size)
	out := filepath.Join(t.TempDir(), "back.omv")
	require.NoError(t, natsbus.Download(t.Context(), js, "recordings", "sample.omv", out))
	assert.True(t, bytes.Equal(mustRead(t, sample), mustRead(t, out)))
	_, err = natsbus.Upload(t.Context(), js, "recordings", "x", filepath.Join(testkit.Root, "go.mod"))
	assert.ErrorIs(t, err, container.ErrBadMagic, "only recordings")
}

// startCluster starts three embedded servers in a cluster on 127.0.0.1,
// each with every route (clustered JetStream needs them on every node),
// until the test ends; a test may shut one down and set it to nil.
func startCluster(t *testing.T) []*server.Server {
	t.Helper()
	ports, err := server.FreePorts(3)
	require.NoError(t, err)
	var routes []string
	for _, p := range ports {
		routes = append(routes, server.RouteURL(p))
	}
	nodes := make([]*server.Server, 3)
	t.Cleanup(func() {
		for _, s := range nodes {
			if s != nil {
				s.Shutdown()
			}
		}
	})
	for i, p := range ports {
		s, err := server.Start(server.Options{Name: fmt.Sprintf("node-%c", 'a'+i), Dir: t.TempDir(), Cluster: "imgstream", ClusterPort: p, Routes: routes, Ready: 20 * time.Second})
		require.NoError(t, err)
		nodes[i] = s
	}
	for _, s := range nodes {
		require.NoError(t, s.JetStreamReady(30*time.Second))
	}
	return nodes
}

// TestCluster: three embedded servers in a cluster on 127.0.0.1, a
// publisher on A, a subscriber on C and a stream replicated on all three.
// When B dies, the publisher and the subscriber go on, and the stream
// stays readable with every frame.
func TestCluster(t *testing.T) {
	nodes := startCluster(t)
	ncA, ncC := connect(t, nodes[0].URL()), connect(t, nodes[2].URL())
	jsC, err := jetstream.New(ncC)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	require.Eventually(t, func() bool {
		_, err := natsbus.Record(ctx, jsC, "gate", natsbus.RecordOptions{MaxAge: time.Hour, Replicas: 3})
		return err == nil
	}, 30*time.Second, 100*time.Millisecond, "a replicated stream")
	sub, err := natsbus.Subscribe(ncC, "gate")
	require.NoError(t, err)
	defer sub.Close()
	pub, err := natsbus.NewPublisher(ncA, "gate")
	require.NoError(t, err)
	require.Eventually(t, func() bool { // the subscription reaches node A
		h, d := frameOf(0, 0, 0)
		pub.Publish(h, d, time.Time{})
		pub.Flush()
		return sub.Stats().Received > 0
	}, 20*time.Second, 50*time.Millisecond)
	before := sub.Stats().Received
	for i := range 20 {
		h, d := frameOf(1000+i, 0, 0)
		require.NoError(t, pub.Publish(h, d, time.Time{}))
	}
	require.NoError(t, pub.Flush())
	waitReceived(t, sub, before+20)

	// Before B dies, the stream has stored them (the subscriber getting
	// a frame does not mean a quorum of the stream has it).
	hasAll := func(base uint64) bool {
		got := map[uint64]bool{}
		err := natsbus.Replay(ctx, jsC, "gate", natsbus.ReplayOptions{}, func(f *natsbus.Frame) error {
			if seq, ok := testkit.SeqOf(f.Data); ok {
				got[seq] = true
			}
			return nil
		})
		for i := range uint64(20) {
			if !got[base+i] {
				return false
			}
		}
		return err == nil
	}
	require.Eventually(t, func() bool { return hasAll(1000) }, 30*time.Second, 50*time.Millisecond, "the stream stored the first frames")
	nodes[1].Shutdown() // B dies
	nodes[1] = nil
	before = sub.Stats().Received
	for i := range 20 {
		h, d := frameOf(2000+i, 0, 0)
		require.NoError(t, pub.Publish(h, d, time.Time{}), "the publisher goes on")
		time.Sleep(5 * time.Millisecond)
	}
	require.NoError(t, pub.Flush())
	waitReceived(t, sub, before+20) // and so does the subscriber
	// The stream stays readable: once it has a leader among the two left
	// (if B led it, frames published during the election are not in it:
	// a core publish is not retried), it takes frames again, and it
	// replays those from before B died and after.
	require.Eventually(t, func() bool {
		st, err := jsC.Stream(ctx, natsbus.StreamName("gate"))
		if err != nil {
			return false
		}
		info, err := st.Info(ctx)
		return err == nil && info.Cluster != nil && info.Cluster.Leader != "" && info.Cluster.Leader != "node-b"
	}, 30*time.Second, 100*time.Millisecond, "a stream leader without B")
	for i := range 20 {
		h, d := frameOf(3000+i, 0, 0)
		require.NoError(t, pub.Publish(h, d, time.Time{}))
	}
	require.NoError(t, pub.Flush())
	var replayed map[uint64]bool
	missing := func() []uint64 {
		var m []uint64
		for i := range uint64(20) {
			for _, base := range []uint64{1000, 3000} {
				if !replayed[base+i] {
					m = append(m, base+i)
				}
			}
		}
		return m
	}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		replayed = map[uint64]bool{}
		err := natsbus.Replay(ctx, jsC, "gate", natsbus.ReplayOptions{}, func(f *natsbus.Frame) error {
			if seq, ok := testkit.SeqOf(f.Data); ok {
				replayed[seq] = true
			}
			return nil
		})
		if err == nil && len(missing()) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the replay misses frames from before B died or after the stream recovered: %v (%v)", missing(), err)
		}
	}
	during := 0
	for i := range uint64(20) {
		if replayed[2000+i] {
			during++
		}
	}
	t.Logf("the stream kept %d of the 20 frames published just after B died", during)

}

// TestCamerabusExample runs the example program: what it publishes comes
// back whole from JetStream as a recording.
func TestCamerabusExample(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	out := filepath.Join(t.TempDir(), "bus.omv")
	b, err := exec.Command("go", "run", "./examples/camerabus", "-for", "1s", "-o", out).CombinedOutput()
	require.NoError(t, err, "%s", b)
	var published, replayed int
	_, err = fmt.Sscanf(string(b[bytes.Index(b, []byte("published")):]), "published %d frames", &published)
	require.NoError(t, err)
	_, err = fmt.Sscanf(string(b[bytes.Index(b, []byte("replayed")):]), "replayed %d frames", &replayed)
	require.NoError(t, err)
	assert.Equal(t, published, replayed, "%s", b)
	s, err := imageio.Open(out, nil)
	require.NoError(t, err)
	defer s.Close()
	assert.Equal(t, replayed, s.Count())
}

// TestAckedPublisherElection: the stream's leader dies, and an
// acknowledged Publisher goes on at once: every frame it published is in
// the stream, none twice.
func TestAckedPublisherElection(t *testing.T) {
	nodes := startCluster(t)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	js := jetstreamOf(t, connect(t, nodes[0].URL()))
	var stream jetstream.Stream
	require.Eventually(t, func() bool {
		var err error
		stream, err = natsbus.Record(ctx, js, "yard", natsbus.RecordOptions{MaxAge: time.Hour, Replicas: 3})
		return err == nil
	}, 30*time.Second, 100*time.Millisecond)
	info, err := stream.Info(ctx)
	require.NoError(t, err)
	// The publisher and the reader on a node that stays.
	var leader, stays int
	for i, s := range nodes {
		if s.Name() == info.Cluster.Leader {
			leader = i
		}
	}
	stays = (leader + 1) % 3
	nc := connect(t, nodes[stays].URL())
	pub, err := natsbus.NewAckedPublisher(jetstreamOf(t, nc), "yard")
	require.NoError(t, err)
	for i := range 10 {
		h, d := frameOf(i, 0, 0)
		require.NoError(t, pub.Publish(h, d, time.Time{}))
	}
	t.Logf("killing the stream's leader, %s", info.Cluster.Leader)
	nodes[leader].Shutdown()
	nodes[leader] = nil
	for i := 10; i < 30; i++ {
		h, d := frameOf(i, 0, 0)
		require.NoError(t, pub.Publish(h, d, time.Time{}), "frame %d acknowledged", i)
	}
	seen := map[uint64]int{}
	require.NoError(t, natsbus.Replay(ctx, jetstreamOf(t, nc), "yard", natsbus.ReplayOptions{}, func(f *natsbus.Frame) error {
		if seq, ok := testkit.SeqOf(f.Data); ok {
			seen[seq]++
		}
		return nil
	}))
	for i := range uint64(30) {
		assert.Equal(t, 1, seen[i], "frame %d stored once", i)
	}
}
