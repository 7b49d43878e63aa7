package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/imgstream/imgstream/mqtt"
	"github.com/imgstream/imgstream/player"
	"github.com/imgstream/imgstream/record"
)

// sinkFlags are record's flags of where the events go, besides --json
// and --on-event.
type sinkFlags struct {
	webhooks []string
	mqtt     string
	mqttCA   string
	name     string
}

func (s *sinkFlags) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringArrayVar(&s.webhooks, "webhook", nil, "POST each event as JSON to this URL, retried with a backoff (repeatable)")
	f.StringVar(&s.mqtt, "mqtt", "", "send the events to this MQTT broker: mqtt://[USER:PASSWORD@]HOST[:1883] or mqtts://")
	f.StringVar(&s.mqttCA, "mqtt-ca", "", "with an mqtts:// --mqtt: a CA certificate file to trust for the broker")
	f.StringVar(&s.name, "name", "", "the camera's name in the events and the MQTT topics (default: camera)")
}

// eventSinks delivers a recorder's events to every sink asked for: JSON
// lines on stdout, --on-event commands, /api/events, webhooks and MQTT.
// Each queues and returns: none holds up the recorder, or the others.
type eventSinks struct {
	json     bool
	out      io.Writer
	outMu    sync.Mutex // one line at a time on stdout
	hooks    *hookQueue
	sse      *player.EventStream
	webhooks []*record.Webhook
	mqttOpts *mqtt.Options // nil without --mqtt
	trigger  func(camera, reason string)
	logger   *log.Logger

	mu    sync.Mutex              // guards clients
	mqtts map[string]*mqtt.Client // by camera

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// newSinks starts the sinks of the flags. trigger is what a message on a
// camera's MQTT trigger topic calls.
func newSinks(cmd *cobra.Command, o *recordFlags, logger *log.Logger, trigger func(camera, reason string)) (*eventSinks, error) {
	s := &eventSinks{json: o.json, out: cmd.OutOrStdout(), logger: logger, trigger: trigger, mqtts: map[string]*mqtt.Client{},
		sse: &player.EventStream{}}
	if o.onEvent != "" {
		s.hooks = newHookQueue(func(e record.Event) { onEvent(o.onEvent, e, logger) }, logger, maxHooksWaiting)
	}
	if o.sinks.mqtt != "" {
		mo := &mqtt.Options{Broker: o.sinks.mqtt, Log: logger}
		if o.sinks.mqttCA != "" {
			pem, err := os.ReadFile(o.sinks.mqttCA)
			if err != nil {
				return nil, usageError{fmt.Errorf("--mqtt-ca: %w", err)}
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, usageError{fmt.Errorf("--mqtt-ca %s: no PEM certificate in it", o.sinks.mqttCA)}
			}
			mo.TLS = &tls.Config{RootCAs: pool}
		}
		if err := mqtt.CheckBroker(mo.Broker); err != nil {
			return nil, usageError{fmt.Errorf("--mqtt: %w", err)}
		}
		s.mqttOpts = mo
	} else if o.sinks.mqttCA != "" {
		return nil, usageError{fmt.Errorf("--mqtt-ca needs --mqtt")}
	}
	for _, u := range o.sinks.webhooks {
		if p, err := url.Parse(u); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return nil, usageError{fmt.Errorf("--webhook %s: want an http:// or https:// URL, such as http://homeassistant.local:8123/api/webhook/ID", redact(u))}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	for _, u := range o.sinks.webhooks {
		w := &record.Webhook{URL: u, Log: logger}
		s.webhooks = append(s.webhooks, w)
		s.wg.Go(func() { w.Run(ctx) })
	}
	return s, nil
}

// camera readies the sinks of a camera: its MQTT connection, announced
// to Home Assistant, listening for triggers.
func (s *eventSinks) camera(name string) {
	if s.mqttOpts == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mqtts[name] != nil {
		return
	}
	mo := *s.mqttOpts
	mo.Camera = name
	mo.Trigger = func(reason string) { s.trigger(name, reason) }
	c, err := mqtt.New(mo) // the URL was checked in newSinks
	if err != nil {
		s.logger.Printf("--mqtt: %v", err)
		return
	}
	s.mqtts[name] = c
}

// retire closes the MQTT connections of the cameras not in names (those
// a reload removed), each saying offline: a camera gone from the config
// must not stay online in Home Assistant until the process ends.
func (s *eventSinks) retire(names map[string]bool) {
	s.mu.Lock()
	var gone []*mqtt.Client
	for name, c := range s.mqtts {
		if !names[name] {
			gone = append(gone, c)
			delete(s.mqtts, name)
		}
	}
	s.mu.Unlock()
	for _, c := range gone {
		c.Close(sinkDrain)
	}
}

// notify gives e to every sink. Synced events (one a --sync) go only to
// /api/events: they would drown the others.
func (s *eventSinks) notify(e record.Event) {
	s.sse.Send(e.Camera, "", []byte(e.String()))
	if e.Kind == record.Synced {
		return
	}
	if s.json {
		s.outMu.Lock()
		fmt.Fprintln(s.out, e.String())
		s.outMu.Unlock()
	}
	if s.hooks != nil {
		s.hooks.add(e)
	}
	for _, w := range s.webhooks {
		w.Notify(e)
	}
	if s.mqttOpts != nil {
		s.camera(e.Camera)
		s.mu.Lock()
		c := s.mqtts[e.Camera]
		s.mu.Unlock()
		if c != nil {
			c.Notify(e)
		}
	}
}

// close waits for the --on-event commands queued, gives the webhooks and
// MQTT a few seconds to send what is queued, and ends the event streams.
func (s *eventSinks) close() {
	s.sse.Close()
	if s.hooks != nil {
		s.hooks.close()
	}
	end := time.Now().Add(sinkDrain)
	for _, w := range s.webhooks {
		for w.Stats().Queued > 0 && time.Now().Before(end) {
			time.Sleep(20 * time.Millisecond)
		}
	}
	s.cancel()
	s.wg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.mqtts {
		c.Close(max(time.Until(end), 0))
	}
}

// sinkDrain bounds the wait at the end for webhooks and MQTT to send
// the events queued: a server away must not hold up an exit.
const sinkDrain = 3 * time.Second

// onEvent runs the --on-event command for an event, with the event in
// its environment and as JSON on its stdin. An interrupt does not stop
// it: record waits for it before it exits.
func onEvent(command string, e record.Event, logger *log.Logger) {
	c := exec.Command("sh", "-c", command)
	js := e.String()
	c.Env = append(os.Environ(),
		"IMGSTREAM_EVENT="+string(e.Kind),
		"IMGSTREAM_CAMERA="+e.Camera,
		"IMGSTREAM_CLIP="+e.Path,
		"IMGSTREAM_START="+timeEnv(e.Start),
		"IMGSTREAM_END="+timeEnv(e.End),
		"IMGSTREAM_FRAMES="+strconv.Itoa(e.Frames),
		"IMGSTREAM_TRIGGER="+e.Trigger,
		"IMGSTREAM_JSON="+js,
	)
	c.Stdin = strings.NewReader(js + "\n")
	c.Stdout, c.Stderr = os.Stderr, os.Stderr
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // a Ctrl-C for record is not for it
	if err := c.Run(); err != nil {
		logger.Printf("--on-event for a %s event %s: %v", e.Kind, e.Path, err)
	}
}

// timeEnv is t in RFC 3339, or "" for no time.
func timeEnv(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339Nano)
}
