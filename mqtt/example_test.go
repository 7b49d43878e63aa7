package mqtt_test

import (
	"context"
	"log"
	"time"

	"github.com/imgstream/imgstream/motion"
	"github.com/imgstream/imgstream/mqtt"
	"github.com/imgstream/imgstream/record"
)

// A camera's motion on MQTT, for Home Assistant: the Client announces the
// camera by discovery, sends ON and OFF on imgstream/door/motion with a
// snapshot, and a message on imgstream/door/trigger records. It needs a
// broker, so it does not run as a test.
func Example() {
	var rec *record.Recorder
	cli, err := mqtt.New(mqtt.Options{
		Broker:  "mqtt://user:secret@homeassistant.local:1883",
		Camera:  "door",
		Trigger: func(reason string) { rec.Trigger(reason) },
	})
	if err != nil {
		log.Fatal(err)
	}
	defer cli.Close(5 * time.Second)
	rec, err = record.New(record.Config{
		Name:   "door",
		Source: record.MJPEG(nil, "http://10.0.0.5/stream.mjpg"),
		Mode:   record.Events, Pre: 5 * time.Second, Post: 5 * time.Second,
		Motion: &motion.Config{},
		Notify: cli.Notify,
	})
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(rec.Run(context.Background()))
}
