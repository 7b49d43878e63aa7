package mqtt_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"image/jpeg"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/internal/testkit"
	"github.com/imgstream/imgstream/motion"
	"github.com/imgstream/imgstream/mqtt"
	"github.com/imgstream/imgstream/record"
)

// deadline is how long a test waits for a condition: generous, for a
// slow, shared machine.
const deadline = 30 * time.Second

// until waits for cond, at most deadline.
func until(t *testing.T, cond func() bool, what string) {
	t.Helper()
	end := time.Now().Add(deadline)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// subscriber collects what a paho client gets on topic filters.
type subscriber struct {
	mu   sync.Mutex
	msgs []paho.Message
	cli  paho.Client
}

func subscribe(t *testing.T, url, id string, filters ...string) *subscriber {
	t.Helper()
	s := &subscriber{}
	o := paho.NewClientOptions().AddBroker("tcp://" + url[len("mqtt://"):]).SetClientID(id).
		SetCleanSession(false).SetAutoReconnect(true).SetMaxReconnectInterval(500 * time.Millisecond).SetConnectRetry(true).SetConnectRetryInterval(200 * time.Millisecond)
	o.SetDefaultPublishHandler(func(_ paho.Client, m paho.Message) {
		s.mu.Lock()
		s.msgs = append(s.msgs, m)
		s.mu.Unlock()
	})
	s.cli = paho.NewClient(o)
	tok := s.cli.Connect()
	require.True(t, tok.WaitTimeout(deadline), "subscriber connects")
	require.NoError(t, tok.Error())
	for _, f := range filters {
		tok := s.cli.Subscribe(f, 1, nil)
		require.True(t, tok.WaitTimeout(deadline))
		require.NoError(t, tok.Error())
	}
	t.Cleanup(func() { s.cli.Disconnect(0) })
	return s
}

// on returns the messages on topic.
func (s *subscriber) on(topic string) []paho.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []paho.Message
	for _, m := range s.msgs {
		if m.Topic() == topic {
			out = append(out, m)
		}
	}
	return out
}

// wait waits for the nth message (1-based) on topic, and returns it.
func (s *subscriber) wait(t *testing.T, topic string, n int) paho.Message {
	t.Helper()
	until(t, func() bool { return len(s.on(topic)) >= n }, fmt.Sprintf("message %d on %s", n, topic))
	return s.on(topic)[n-1]
}

// events returns the record.Events on topic.
func (s *subscriber) events(t *testing.T, topic string) []record.Event {
	var out []record.Event
	for _, m := range s.on(topic) {
		var e record.Event
		require.NoError(t, json.Unmarshal(m.Payload(), &e))
		out = append(out, e)
	}
	return out
}

// scene is a 160x120 grey camera at 50 fps: a gradient, and a bright
// square while moving is set. Frame n's first byte is n%256. hold, if
// set, is called before each frame and may wait.
type scene struct {
	moving atomic.Bool
	frames atomic.Int64
	hold   func(n int)
}

func (s *scene) Run(ctx context.Context, emit func(*record.Frame) error) error {
	const w, h = 160, 120
	f := &record.Frame{Image: imageio.Image{Width: w, Height: h, Format: container.Grayscale, Data: make([]byte, w*h)}}
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		if s.hold != nil {
			s.hold(n)
		}
		moving := s.moving.Load()
		for y := range h {
			for x := range w {
				v := byte(40 + x/4 + y/4)
				if moving && x >= 40 && x < 90 && y >= 30 && y < 80 {
					v = 240
				}
				f.Data[y*w+x] = v
			}
		}
		f.Data[0] = byte(n)
		s.frames.Add(1)
		if err := emit(f); err != nil {
			return err
		}
	}
}

// record runs a Recorder of c with a Client of o as its Notify, until
// the test ends.
func runRecorder(t *testing.T, c record.Config, o mqtt.Options) (*record.Recorder, *mqtt.Client) {
	t.Helper()
	var rec *record.Recorder
	o.Trigger = func(reason string) { rec.Trigger(reason) }
	cli, err := mqtt.New(o)
	require.NoError(t, err)
	c.Notify = cli.Notify
	c.Name = o.Camera
	c.Pattern = filepath.Join(t.TempDir(), "%H%M%S.omv")
	rec, err = record.New(c)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rec.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		cli.Close(time.Second)
	})
	return rec, cli
}

// TestMotion: the subscriber sees ON after the first frame with motion
// (the camera sends no other until it does), with the frame as a JPEG
// snapshot; OFF once Post has passed since the last; each event as JSON;
// Home Assistant's discovery configs, as valid JSON naming the topics;
// the camera online.
func TestMotion(t *testing.T) {
	b := testkit.StartBroker(t, false)
	sub := subscribe(t, b.URL(), "sub-motion", "imgstream/#", "homeassistant/#")
	gate := make(chan struct{})
	s := &scene{}
	s.hold = func(n int) {
		switch n {
		case 40:
			s.moving.Store(true)
		case 41:
			select { // one frame with motion, then nothing until ON is seen
			case <-gate:
			case <-time.After(deadline):
			}
		case 70:
			s.moving.Store(false)
		}
	}
	post := 300 * time.Millisecond
	runRecorder(t, record.Config{Source: s, Mode: record.Events, Pre: 200 * time.Millisecond, Post: post,
		Motion: &motion.Config{}}, mqtt.Options{Broker: b.URL(), Camera: "front door"})

	on := sub.wait(t, "imgstream/front_door/motion", 1)
	assert.Equal(t, "ON", string(on.Payload()))
	assert.EqualValues(t, 41, s.frames.Load(), "ON came after the first frame with motion, with no other frame sent")
	close(gate)
	snap := sub.wait(t, "imgstream/front_door/snapshot", 1)
	img, err := jpeg.Decode(bytes.NewReader(snap.Payload()))
	require.NoError(t, err, "the snapshot is a JPEG")
	assert.Equal(t, 160, img.Bounds().Dx())
	r, _, _, _ := img.At(60, 50).RGBA()
	assert.Greater(t, r>>8, uint32(200), "the snapshot is the frame with the square")

	off := sub.wait(t, "imgstream/front_door/motion", 2)
	assert.Equal(t, "OFF", string(off.Payload()))
	until(t, func() bool {
		for _, e := range sub.events(t, "imgstream/front_door/event") {
			if e.Kind == record.ClipClosed {
				return true
			}
		}
		return false
	}, "the clip closed")
	var start, end *record.Event
	for _, e := range sub.events(t, "imgstream/front_door/event") {
		assert.Equal(t, "front door", e.Camera)
		switch e.Kind {
		case record.MotionStart:
			start = &e
		case record.MotionEnd:
			end = &e
		}
	}
	require.NotNil(t, start)
	require.NotNil(t, end)
	assert.Greater(t, start.Area, 0.05)
	assert.GreaterOrEqual(t, end.Time.Sub(end.Start), post, "OFF once Post has passed since the last motion")

	avail := sub.wait(t, "imgstream/front_door/availability", 1)
	assert.Equal(t, "online", string(avail.Payload()))
	// A subscriber that comes later (Home Assistant restarted) gets the
	// discovery configs and the motion state, retained.
	late := subscribe(t, b.URL(), "sub-late", "homeassistant/#", "imgstream/+/motion")
	assert.Equal(t, "OFF", string(late.wait(t, "imgstream/front_door/motion", 1).Payload()))
	parse := func(topic string) map[string]any {
		m := late.wait(t, topic, 1)
		var v map[string]any
		require.NoError(t, json.Unmarshal(m.Payload(), &v), "%s: %s", topic, m.Payload())
		assert.True(t, m.Retained(), "%s is retained, for Home Assistant's restarts", topic)
		return v
	}
	bs := parse("homeassistant/binary_sensor/imgstream_front_door/motion/config")
	assert.Equal(t, "imgstream/front_door/motion", bs["state_topic"])
	assert.Equal(t, "ON", bs["payload_on"])
	assert.Equal(t, "OFF", bs["payload_off"])
	assert.Equal(t, "motion", bs["device_class"])
	assert.Equal(t, "imgstream/front_door/availability", bs["availability_topic"])
	cam := parse("homeassistant/camera/imgstream_front_door/snapshot/config")
	assert.Equal(t, "imgstream/front_door/snapshot", cam["topic"])
	btn := parse("homeassistant/button/imgstream_front_door/record/config")
	assert.Equal(t, "imgstream/front_door/trigger", btn["command_topic"])
	assert.Equal(t, cam["device"], bs["device"], "one device")
}

// TestTrigger: a message on the trigger topic makes a clip that starts
// with its pre-buffer.
func TestTrigger(t *testing.T) {
	b := testkit.StartBroker(t, false)
	sub := subscribe(t, b.URL(), "sub-trigger", "imgstream/#")
	s := &scene{}
	pre := 500 * time.Millisecond
	_, cli := runRecorder(t, record.Config{Source: s, Mode: record.Events, Pre: pre, Post: 200 * time.Millisecond},
		mqtt.Options{Broker: b.URL(), Camera: "yard"})
	until(t, func() bool { return cli.Stats().Connected && s.frames.Load() > 60 }, "connected, and more than Pre of frames")
	sub.wait(t, "imgstream/yard/availability", 1) // subscribed to the trigger before online
	tok := sub.cli.Publish("imgstream/yard/trigger", 1, false, "record")
	require.True(t, tok.WaitTimeout(deadline))
	var closed *record.Event
	until(t, func() bool {
		for _, e := range sub.events(t, "imgstream/yard/event") {
			if e.Kind == record.ClipClosed {
				closed = &e
				return true
			}
		}
		return false
	}, "the clip closed")
	assert.Equal(t, "mqtt", closed.Trigger)
	var opened record.Event
	for _, e := range sub.events(t, "imgstream/yard/event") {
		if e.Kind == record.ClipOpened {
			opened = e
		}
	}
	assert.GreaterOrEqual(t, opened.Time.Sub(closed.Start), pre*8/10, "the clip starts with its pre-buffer")
	f, err := os.Open(closed.Path)
	require.NoError(t, err)
	defer f.Close()
	r, err := container.NewReader(f)
	require.NoError(t, err)
	n := 0
	for {
		if _, err := r.Next(); err == io.EOF {
			break
		} else {
			require.NoError(t, err)
		}
		n++
	}
	assert.Equal(t, closed.Frames, n)
	assert.GreaterOrEqual(t, n, 20, "the pre-buffer's frames at 50 fps, and Post's")
}

// TestLastWill: a client that dies (its connection cut, no DISCONNECT)
// leaves the camera offline, by its last will; one that closes says so.
func TestLastWill(t *testing.T) {
	b := testkit.StartBroker(t, false)
	sub := subscribe(t, b.URL(), "sub-will", "imgstream/+/availability")
	// A proxy, to cut the connection as a dying process's would be.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", b.Addr())
			if err != nil {
				c.Close()
				continue
			}
			mu.Lock()
			conns = append(conns, c, u)
			mu.Unlock()
			go io.Copy(u, c)
			go io.Copy(c, u)
		}
	}()
	dying, err := mqtt.New(mqtt.Options{Broker: "mqtt://" + l.Addr().String(), Camera: "dying"})
	require.NoError(t, err)
	assert.Equal(t, "online", string(sub.wait(t, "imgstream/dying/availability", 1).Payload()))
	l.Close() // no way back
	mu.Lock()
	for _, c := range conns {
		c.Close()
	}
	mu.Unlock()
	assert.Equal(t, "offline", string(sub.wait(t, "imgstream/dying/availability", 2).Payload()), "the last will")
	dying.Close(0)

	clean, err := mqtt.New(mqtt.Options{Broker: b.URL(), Camera: "clean"})
	require.NoError(t, err)
	assert.Equal(t, "online", string(sub.wait(t, "imgstream/clean/availability", 1).Payload()))
	clean.Close(time.Second)
	assert.Equal(t, "offline", string(sub.wait(t, "imgstream/clean/availability", 2).Payload()))
}

// TestBrokerAway: while the broker is away, Notify never waits and the
// recording goes on; Queue messages wait and the rest are dropped,
// counted; once the broker is back (on the same port), the queued ones
// arrive, in order.
func TestBrokerAway(t *testing.T) {
	b := testkit.StartBroker(t, false)
	sub := subscribe(t, b.URL(), "sub-away", "imgstream/#")
	s := &scene{}
	rec, cli := runRecorder(t, record.Config{Source: s, Mode: record.Events, Post: time.Hour},
		mqtt.Options{Broker: b.URL(), Camera: "cam", Queue: 5})
	until(t, func() bool { return cli.Stats().Connected }, "connected")
	sub.wait(t, "imgstream/cam/availability", 1)
	b.Stop()
	until(t, func() bool { return !cli.Stats().Connected }, "the client sees the broker gone")
	before := cli.Stats()
	frames := rec.Status().FramesIn
	for i := range 8 {
		cli.Notify(record.Event{Kind: record.Gap, Camera: "cam", Path: fmt.Sprint(i)})
	}
	until(t, func() bool { return rec.Status().FramesIn > frames+20 }, "the recording goes on")
	st := cli.Stats()
	assert.Equal(t, 5, st.Queued)
	assert.EqualValues(t, 3+before.Dropped, st.Dropped, "the newest dropped, counted")

	b.Start()
	until(t, func() bool { return len(sub.events(t, "imgstream/cam/event")) >= 5 && cli.Stats().Queued == 0 }, "the queued events sent")
	var got []string
	for _, e := range sub.events(t, "imgstream/cam/event") {
		if e.Kind == record.Gap {
			got = append(got, e.Path)
		}
	}
	assert.Equal(t, []string{"0", "1", "2", "3", "4"}, got, "the queued ones, in order, once each")
}

// TestTLS: mqtts:// with the broker's CA.
func TestTLS(t *testing.T) {
	b := testkit.StartBroker(t, true)
	sub := subscribe(t, b.URL(), "sub-tls", "imgstream/#")
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(b.CAPEM))
	cli, err := mqtt.New(mqtt.Options{Broker: fmt.Sprintf("mqtts://127.0.0.1:%d", b.TLSPort), Camera: "tls", TLS: &tls.Config{RootCAs: pool}})
	require.NoError(t, err)
	defer cli.Close(time.Second)
	cli.Notify(record.Event{Kind: record.CameraUp, Camera: "tls"})
	m := sub.wait(t, "imgstream/tls/event", 1)
	assert.Contains(t, string(m.Payload()), `"event":"camera_up"`)

	// Without the CA, the broker is not trusted: nothing is sent.
	bad, err := mqtt.New(mqtt.Options{Broker: fmt.Sprintf("mqtts://127.0.0.1:%d", b.TLSPort), Camera: "untrusted", TLS: &tls.Config{RootCAs: x509.NewCertPool()}})
	require.NoError(t, err)
	defer bad.Close(0)
	bad.Notify(record.Event{Kind: record.CameraUp})
	cli.Notify(record.Event{Kind: record.CameraDown, Camera: "tls"})
	sub.wait(t, "imgstream/tls/event", 2) // after it, had the other been sent
	assert.Empty(t, sub.on("imgstream/untrusted/event"))
	assert.False(t, bad.Stats().Connected)
}

// TestURL: bad broker URLs are ErrURL.
func TestURL(t *testing.T) {
	for _, u := range []string{"http://host", "mqtt://", "::"} {
		_, err := mqtt.New(mqtt.Options{Broker: u})
		assert.ErrorIs(t, err, mqtt.ErrURL, u)
	}
}
