package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/internal/testkit"
	"github.com/imgstream/imgstream/record"
)

// TestRecordMQTT runs `imgstream record --name porch --mqtt URL` against
// mosquitto: the camera comes online with its discovery config, its
// events arrive as JSON, a message on its trigger topic makes a clip
// with its pre-buffer, and an interrupt leaves it offline.
func TestRecordMQTT(t *testing.T) {
	b := testkit.StartBroker(t, false)
	var mu sync.Mutex
	got := map[string][][]byte{}
	o := paho.NewClientOptions().AddBroker("tcp://" + b.Addr()).SetClientID("sub-cmd")
	o.SetDefaultPublishHandler(func(_ paho.Client, m paho.Message) {
		mu.Lock()
		got[m.Topic()] = append(got[m.Topic()], m.Payload())
		mu.Unlock()
	})
	sub := paho.NewClient(o)
	tok := sub.Connect()
	require.True(t, tok.WaitTimeout(30*time.Second))
	require.NoError(t, tok.Error())
	defer sub.Disconnect(0)
	for _, f := range []string{"imgstream/#", "homeassistant/#"} {
		tok := sub.Subscribe(f, 1, nil)
		require.True(t, tok.WaitTimeout(30*time.Second))
		require.NoError(t, tok.Error())
	}
	on := func(topic string) [][]byte {
		mu.Lock()
		defer mu.Unlock()
		return got[topic]
	}
	events := func() []record.Event {
		var out []record.Event
		for _, p := range on("imgstream/porch/event") {
			var e record.Event
			require.NoError(t, json.Unmarshal(p, &e))
			out = append(out, e)
		}
		return out
	}

	cam := testCamera(t)
	dir := t.TempDir()
	cmd := exec.Command(bin, "record", cam, filepath.Join(dir, "%Y%m%d-%H%M%S.omv"), "--name", "porch",
		"--pre", "500ms", "--post", "300ms", "--mqtt", b.URL())
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	defer cmd.Process.Kill()
	require.Eventually(t, func() bool {
		es := events()
		return len(on("imgstream/porch/availability")) > 0 && len(es) > 0 && es[0].Kind == record.CameraUp
	}, 30*time.Second, 10*time.Millisecond, "online, and the camera up")
	assert.Equal(t, "online", string(on("imgstream/porch/availability")[0]))
	cfg := on("homeassistant/binary_sensor/imgstream_porch/motion/config")
	require.Len(t, cfg, 1)
	assert.Contains(t, string(cfg[0]), `"state_topic":"imgstream/porch/motion"`)

	time.Sleep(time.Second) // not an assertion: the pre-buffer fills
	sub.Publish("imgstream/porch/trigger", 1, false, "record").WaitTimeout(30 * time.Second)
	var clip record.Event
	require.Eventually(t, func() bool {
		for _, e := range events() {
			if e.Kind == record.ClipClosed {
				clip = e
				return true
			}
		}
		return false
	}, 30*time.Second, 10*time.Millisecond, "a clip from the trigger")
	assert.Equal(t, "mqtt", clip.Trigger)
	assert.Equal(t, "porch", clip.Camera)
	assert.GreaterOrEqual(t, clip.Frames, 10, "the pre-buffer's frames and Post's, at 50 fps")
	assert.FileExists(t, clip.Path)

	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	require.NoError(t, cmd.Wait())
	require.Eventually(t, func() bool {
		a := on("imgstream/porch/availability")
		return string(a[len(a)-1]) == "offline"
	}, 30*time.Second, 10*time.Millisecond, "offline at the end")
}

// TestConfigMQTTReload: with record --config and mqtt: in the file, each
// camera comes online on its own topics; a reload (SIGHUP) that removes
// one leaves it offline, and the other online, at once rather than at
// the process's end.
func TestConfigMQTTReload(t *testing.T) {
	b := testkit.StartBroker(t, false)
	var mu sync.Mutex
	avail := map[string][]string{}
	o := paho.NewClientOptions().AddBroker("tcp://" + b.Addr()).SetClientID("sub-reload")
	o.SetDefaultPublishHandler(func(_ paho.Client, m paho.Message) {
		mu.Lock()
		avail[m.Topic()] = append(avail[m.Topic()], string(m.Payload()))
		mu.Unlock()
	})
	sub := paho.NewClient(o)
	tok := sub.Connect()
	require.True(t, tok.WaitTimeout(30*time.Second))
	require.NoError(t, tok.Error())
	defer sub.Disconnect(0)
	tok = sub.Subscribe("imgstream/+/availability", 1, nil)
	require.True(t, tok.WaitTimeout(30*time.Second))
	require.NoError(t, tok.Error())
	last := func(camera string) string {
		mu.Lock()
		defer mu.Unlock()
		a := avail["imgstream/"+camera+"/availability"]
		if len(a) == 0 {
			return ""
		}
		return a[len(a)-1]
	}

	dir := t.TempDir()
	conf := filepath.Join(dir, "cameras.yaml")
	sources := map[string]string{"front": testCamera(t), "back": testCamera(t)}
	write := func(names ...string) {
		s := fmt.Sprintf("mqtt: %q\ndefaults:\n  output: %q\ncameras:\n", b.URL(), filepath.Join(dir, "{name}", "%H%M%S.omv"))
		for _, n := range names {
			s += fmt.Sprintf("  %s:\n    source: %q\n", n, sources[n])
		}
		require.NoError(t, os.WriteFile(conf, []byte(s), 0o644))
	}
	write("front", "back")
	cmd := exec.Command(bin, "record", "--config", conf)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	defer cmd.Process.Kill()
	require.Eventually(t, func() bool { return last("front") == "online" && last("back") == "online" },
		30*time.Second, 10*time.Millisecond, "both cameras online")

	write("front")
	require.NoError(t, cmd.Process.Signal(syscall.SIGHUP))
	require.Eventually(t, func() bool { return last("back") == "offline" }, 30*time.Second, 10*time.Millisecond,
		"the camera removed is offline")
	assert.Equal(t, "online", last("front"), "the camera kept")

	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	require.NoError(t, cmd.Wait())
	assert.Equal(t, "offline", last("front"), "offline at the end")
}
