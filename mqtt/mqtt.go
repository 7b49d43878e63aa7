// Package mqtt sends a camera's events to an MQTT broker, and takes its
// triggers from there, in the topics Home Assistant and other home
// automation read:
//
//	imgstream/CAMERA/motion        ON or OFF (retained): motion seen, within Post
//	imgstream/CAMERA/event         each event as JSON (record.Event)
//	imgstream/CAMERA/snapshot      the frame that started a motion, JPEG (retained)
//	imgstream/CAMERA/availability  online or offline (retained; the last will)
//	imgstream/CAMERA/trigger       in: any message starts a recording with its
//	                               pre-buffer (record.Recorder.Trigger)
//
// It also announces the camera by Home Assistant's MQTT discovery
// (homeassistant/binary_sensor/..., homeassistant/camera/...,
// homeassistant/button/...), so that the camera shows up as a motion
// sensor, a camera entity of its snapshots and a "record" button, with no
// YAML.
//
// A Client never holds up a recording: Notify queues the event, at most
// Options.Queue of them while the broker is away, and drops the newest
// beyond, counted in Stats. The queued events are sent once the broker is
// back. The client connects again by itself, from one second doubling up
// to MaxReconnect.
//
// It lives in a module of its own, so that the library downloads no MQTT
// client: github.com/eclipse/paho.mqtt.golang.
package mqtt

import (
	"cmp"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/url"
	"strings"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"

	"github.com/imgstream/imgstream/record"
)

// Defaults, with their reasons.
const (
	// DefaultPrefix is the first level of the topics.
	DefaultPrefix = "imgstream"
	// DefaultDiscovery is Home Assistant's discovery prefix.
	DefaultDiscovery = "homeassistant"
	// DefaultQueue is how many messages wait for the broker at most:
	// minutes of a busy camera's events, with a few snapshots.
	DefaultQueue = 256
	// MaxReconnect caps the wait between connection attempts.
	MaxReconnect = 10 * time.Second
	// PublishTimeout bounds the wait for the broker to take a message
	// (QoS 1); one that is not taken waits for the next connection.
	PublishTimeout = 10 * time.Second
)

// Errors of the package.
var (
	// ErrURL is returned by New for a broker URL it cannot use.
	ErrURL = errors.New("mqtt: bad broker URL")
)

// Options configure a Client.
type Options struct {
	// Broker is the broker's URL: mqtt://[USER:PASSWORD@]HOST[:1883], or
	// mqtts://...[:8883] for TLS.
	Broker string
	// Camera names the camera in the topics (characters MQTT topics do
	// not allow, + # / and spaces, become _): "camera" when empty.
	Camera string
	// TLS configures mqtts:// (a CA of the broker's in RootCAs): the
	// system's roots when nil.
	TLS *tls.Config
	// Trigger, if not nil, is called for each message on the trigger
	// topic, with "mqtt", as Recorder.Trigger.
	Trigger func(reason string)
	// Prefix is the topics' first level: DefaultPrefix when empty.
	Prefix string
	// Discovery is Home Assistant's discovery prefix: DefaultDiscovery
	// when empty; "-" sends no discovery.
	Discovery string
	// Queue bounds the messages waiting for the broker: DefaultQueue
	// when 0.
	Queue int
	// Log, if not nil, logs the connection lost and back (once each),
	// and the first drop of each outage.
	Log *log.Logger
}

// A Client is one camera's connection to a broker. Its methods are safe
// for concurrent use.
type Client struct {
	o      Options
	cli    paho.Client
	topic  string // prefix/camera
	camera string

	mu      sync.Mutex // guards the fields below
	queue   []message
	stats   Stats
	dropLog bool // a drop was logged in this outage
	closed  bool

	wake  chan struct{} // a message is queued, or the client connected
	done  chan struct{} // Close was called
	ended chan struct{} // the sender returned
}

// Stats counts what a Client did.
type Stats struct {
	Sent      uint64 // messages the broker took
	Dropped   uint64 // messages dropped: the queue was full
	Queued    int    // messages waiting now
	Connected bool   // connected to the broker now
}

type message struct {
	topic   string
	payload []byte
	retain  bool
}

// Topic returns the topic of the camera's leaf: "motion", "event",
// "snapshot", "availability" or "trigger".
func (c *Client) Topic(leaf string) string { return c.topic + "/" + leaf }

// New returns a Client of o, which connects in the background, again and
// again until it is closed: a broker away at the start is no error. It
// returns an error only for options it cannot use (ErrURL).
func New(o Options) (*Client, error) {
	u, server, err := parseBroker(o.Broker)
	if err != nil {
		return nil, err
	}
	camera := topicSafe(cmp.Or(o.Camera, "camera"))
	c := &Client{o: o, camera: camera, topic: cmp.Or(o.Prefix, DefaultPrefix) + "/" + camera,
		wake: make(chan struct{}, 1), done: make(chan struct{}), ended: make(chan struct{})}
	id := make([]byte, 4)
	rand.Read(id)
	po := paho.NewClientOptions().AddBroker(server).
		SetClientID("imgstream-"+camera+"-"+hex.EncodeToString(id)).
		SetCleanSession(true).
		SetOrderMatters(false).
		SetStore(noStore{}). // the queue below sends again, once

		SetKeepAlive(30*time.Second).
		SetConnectTimeout(10*time.Second).
		SetAutoReconnect(true).
		SetConnectRetry(true).
		SetConnectRetryInterval(time.Second).
		SetMaxReconnectInterval(MaxReconnect).
		SetWill(c.Topic("availability"), "offline", 1, true).
		SetOnConnectHandler(func(paho.Client) { go c.connected() }).
		SetConnectionLostHandler(func(_ paho.Client, err error) {
			c.logf("connection lost: %v; connecting again", err)
		})
	if u.User != nil {
		po.SetUsername(u.User.Username())
		if p, ok := u.User.Password(); ok {
			po.SetPassword(p)
		}
	}
	if server[:3] == "ssl" {
		tc := o.TLS
		if tc == nil {
			tc = &tls.Config{}
		}
		tc = tc.Clone()
		if tc.ServerName == "" {
			tc.ServerName = u.Hostname()
		}
		po.SetTLSConfig(tc)
	}
	c.cli = paho.NewClient(po)
	c.cli.Connect() // with ConnectRetry, it goes on in the background
	go c.send()
	return c, nil
}

// CheckBroker returns the error New would return for the broker URL u,
// without connecting.
func CheckBroker(u string) error {
	_, _, err := parseBroker(u)
	return err
}

// parseBroker parses a broker URL into paho's server URL.
func parseBroker(broker string) (*url.URL, string, error) {
	u, err := url.Parse(broker)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %w", ErrURL, err)
	}
	var server string
	switch u.Scheme {
	case "mqtt", "tcp":
		server = "tcp://" + hostPort(u, "1883")
	case "mqtts", "ssl", "tls":
		server = "ssl://" + hostPort(u, "8883")
	default:
		return nil, "", fmt.Errorf("%w: %s: want mqtt://HOST[:PORT] or mqtts://", ErrURL, u.Redacted())
	}
	if u.Hostname() == "" {
		return nil, "", fmt.Errorf("%w: %s: no host", ErrURL, u.Redacted())
	}
	return u, server, nil
}

// hostPort is u's host with port def when it has none.
func hostPort(u *url.URL, def string) string {
	if u.Port() != "" {
		return u.Host
	}
	h := u.Hostname()
	if strings.Contains(h, ":") {
		h = "[" + h + "]"
	}
	return h + ":" + def
}

// topicSafe replaces what a topic level must not hold.
func topicSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '+', '#', '/', ' ', 0:
			return '_'
		}
		return r
	}, s)
}

func (c *Client) logf(format string, args ...any) {
	if c.o.Log != nil {
		c.o.Log.Printf("mqtt %s: "+format, append([]any{c.camera}, args...)...)
	}
}

// connected runs at each connection: the camera is online, announced,
// and listens for triggers; the queue is sent.
func (c *Client) connected() {
	c.logf("connected")
	c.cli.Publish(c.Topic("availability"), 1, true, "online")
	if d := cmp.Or(c.o.Discovery, DefaultDiscovery); d != "-" {
		for _, m := range c.discovery(d) {
			c.cli.Publish(m.topic, 1, true, m.payload)
		}
	}
	if c.o.Trigger != nil {
		c.cli.Subscribe(c.Topic("trigger"), 1, func(paho.Client, paho.Message) { c.o.Trigger("mqtt") })
	}
	c.mu.Lock()
	c.dropLog = false
	c.mu.Unlock()
	c.poke()
}

func (c *Client) poke() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// discovery returns Home Assistant's discovery messages of the camera.
func (c *Client) discovery(prefix string) []message {
	id := "imgstream_" + strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' {
			return r
		}
		return '_'
	}, c.camera)
	device := map[string]any{"identifiers": []string{id}, "name": c.camera, "manufacturer": "imgstream", "model": "imgstream record"}
	avail := c.Topic("availability")
	entity := func(kind, name string, fields map[string]any) message {
		fields["name"] = name
		fields["unique_id"] = id + "_" + strings.ToLower(name)
		fields["availability_topic"] = avail
		fields["device"] = device
		b, _ := json.Marshal(fields) // strings and maps: no error
		return message{topic: prefix + "/" + kind + "/" + id + "/" + strings.ToLower(name) + "/config", payload: b, retain: true}
	}
	msgs := []message{
		entity("binary_sensor", "Motion", map[string]any{"state_topic": c.Topic("motion"), "payload_on": "ON", "payload_off": "OFF", "device_class": "motion"}),
		entity("camera", "Snapshot", map[string]any{"topic": c.Topic("snapshot")}),
	}
	if c.o.Trigger != nil {
		msgs = append(msgs, entity("button", "Record", map[string]any{"command_topic": c.Topic("trigger"), "payload_press": "record"}))
	}
	return msgs
}

// Notify queues the messages of e: it never waits. Give it to
// record.Config.Notify (with the Config's Name as Options.Camera).
func (c *Client) Notify(e record.Event) {
	js, _ := json.Marshal(e) // as Event.String: no error
	msgs := []message{{topic: c.Topic("event"), payload: js}}
	switch e.Kind {
	case record.MotionStart:
		msgs = append(msgs, message{topic: c.Topic("motion"), payload: []byte("ON"), retain: true})
		if len(e.Snapshot) > 0 {
			msgs = append(msgs, message{topic: c.Topic("snapshot"), payload: e.Snapshot, retain: true})
		}
	case record.MotionEnd:
		msgs = append(msgs, message{topic: c.Topic("motion"), payload: []byte("OFF"), retain: true})
	}
	// The motion state first: it is what a home acts on.
	if len(msgs) > 1 {
		msgs[0], msgs[1] = msgs[1], msgs[0]
	}
	c.mu.Lock()
	logIt := false
	for _, m := range msgs {
		if c.closed || len(c.queue) >= cmp.Or(c.o.Queue, DefaultQueue) {
			c.stats.Dropped++
			logIt = logIt || !c.dropLog && !c.closed
			continue
		}
		c.queue = append(c.queue, m)
	}
	if logIt {
		c.dropLog = true
	}
	c.mu.Unlock()
	if logIt {
		c.logf("%d messages wait for the broker: the newest are dropped (counted; logged once an outage)", cmp.Or(c.o.Queue, DefaultQueue))
	}
	c.poke()
}

// send is the goroutine that publishes the queue, in order, while the
// broker is there.
func (c *Client) send() {
	defer close(c.ended)
	for {
		c.mu.Lock()
		var m message
		n := len(c.queue)
		if n > 0 {
			m = c.queue[0]
		}
		c.mu.Unlock()
		if n == 0 || !c.cli.IsConnectionOpen() {
			select {
			case <-c.done:
				return
			case <-c.wake:
			case <-time.After(time.Second): // a lost connection says nothing
			}
			continue
		}
		t := c.cli.Publish(m.topic, 1, m.retain, m.payload)
		taken := false
		select {
		case <-c.done:
			return
		case <-t.Done():
			taken = t.Error() == nil
		case <-time.After(PublishTimeout):
		}
		if !taken {
			continue // not taken: again once connected
		}
		c.mu.Lock()
		c.queue = c.queue[1:]
		c.stats.Sent++
		c.mu.Unlock()
	}
}

// Stats returns what c did so far.
func (c *Client) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	s.Queued = len(c.queue)
	s.Connected = c.cli.IsConnectionOpen()
	return s
}

// Close sends what is queued while the broker takes it, for at most
// wait, says the camera is offline, and disconnects.
func (c *Client) Close(wait time.Duration) {
	deadline := time.Now().Add(wait)
	for c.cli.IsConnectionOpen() && time.Now().Before(deadline) {
		if c.Stats().Queued == 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	c.mu.Unlock()
	close(c.done)
	<-c.ended
	if c.cli.IsConnectionOpen() {
		c.cli.Publish(c.Topic("availability"), 1, true, "offline").WaitTimeout(time.Second)
	}
	c.cli.Disconnect(250)
}

// noStore keeps no message for paho to send again after a reconnection:
// the Client's queue does that, so a message is not sent twice (and
// paho's resend races with its new connection's writer).
type noStore struct{}

func (noStore) Open()                             {}
func (noStore) Put(string, packets.ControlPacket) {}
func (noStore) Get(string) packets.ControlPacket  { return nil }
func (noStore) All() []string                     { return nil }
func (noStore) Del(string)                        {}
func (noStore) Close()                            {}
func (noStore) Reset()                            {}
