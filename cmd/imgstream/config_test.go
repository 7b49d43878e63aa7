package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestConfigErrors: each error names the file, the line and the field;
// unknown fields are errors with their line.
func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"unknown top", "cameras:\n  a: {source: shm:a}\nlisten: x\n", "cameras.yaml:3: listen: unknown field"},
		{"unknown camera field", "cameras:\n  door:\n    source: shm:a\n    fps: 3\n", "cameras.yaml:4: cameras.door.fps: unknown field"},
		{"bad pre", "defaults:\n  mode: events\ncameras:\n  door:\n    source: shm:a\n    pre: soon\n", `cameras.yaml:6: cameras.door.pre: "soon": want a duration`},
		{"bad default", "defaults:\n  mode: events\n  post: x\ncameras:\n  door:\n    source: shm:a\n", `cameras.yaml:3: defaults.post: "x": want a duration`},
		{"pre too long", "cameras:\n  door:\n    source: shm:a\n    mode: events\n    pre: 6m\n", "cameras.yaml:5: cameras.door.pre: 6m0s: at most 5m"},
		{"pre continuous", "cameras:\n  door:\n    source: shm:a\n    pre: 5s\n", "cameras.yaml:4: cameras.door.pre: needs mode: events or motion"},
		{"mode", "cameras:\n  door:\n    source: shm:a\n    mode: always\n", `cameras.yaml:4: cameras.door.mode: "always": want continuous, events or motion`},
		{"no source", "cameras:\n  door:\n    mode: events\n", "cameras.yaml:2: cameras.door.source: missing"},
		{"stdin", "cameras:\n  door:\n    source: '-'\n", "cameras.yaml:3: cameras.door.source: - (stdin) is for one camera"},
		{"motion field", "cameras:\n  door:\n    source: shm:a\n    mode: motion\n    motion:\n      area: 1\n      size: 2\n", "cameras.yaml:7: cameras.door.motion.size: unknown field"},
		{"motion area", "cameras:\n  door:\n    source: shm:a\n    mode: motion\n    motion: {area: 200}\n", `cameras.yaml:5: cameras.door.motion.area: "200": want a percent`},
		{"mask", "cameras:\n  door:\n    source: shm:a\n    mode: motion\n    motion:\n      mask: [1,2,3]\n", `cameras.yaml:6: cameras.door.motion.mask: "1": want X,Y,W,H`},
		{"motion needs mode", "cameras:\n  door:\n    source: shm:a\n    motion: {area: 2}\n", "cameras.yaml:4: cameras.door.motion: needs mode: motion"},
		{"keep", "keep: lots\ncameras:\n  door: {source: shm:a}\n", "cameras.yaml:1: keep: want a size"},
		{"camera keep", "cameras:\n  door:\n    source: shm:a\n    keep: [7d, lots]\n", "cameras.yaml:4: cameras.door.keep: want a size"},
		{"split", "cameras:\n  door:\n    source: shm:a\n    split: often\n", `cameras.yaml:4: cameras.door.split: "often"`},
		{"same output", "defaults:\n  output: clips/x.omv\ncameras:\n  a: {source: shm:a}\n  b: {source: shm:b}\n", `cameras.yaml:5: cameras.b.output: "clips/x.omv" is camera a's too`},
		{"twice", "cameras:\n  door: {source: shm:a}\n  door: {source: shm:b}\n", "cameras.yaml:3: cameras.door: a second camera"},
		{"name", "cameras:\n  front/door: {source: shm:a}\n", "cameras.yaml:2: cameras.front/door: a camera's name"},
		{"no cameras", "keep: 1GiB\n", "cameras.yaml:1: no cameras"},
		{"cameras list", "cameras:\n  - source: shm:a\n", "cameras.yaml:2: cameras: want a mapping"},
		{"field twice", "cameras:\n  door:\n    source: shm:a\n    source: shm:b\n", "cameras.yaml:4: cameras.door.source: given twice"},
		{"syntax", "cameras:\n  door: {source: shm:a\n", "cameras.yaml:1: did not find expected ',' or '}'"},
		{"empty", "", "cameras.yaml:1: empty"},
		{"mqtt", "mqtt: http://broker\ncameras:\n  a: {source: shm:a}\n", "cameras.yaml:1: mqtt: mqtt: bad broker URL"},
		{"mqtt list", "mqtt: [mqtt://a, mqtt://b]\ncameras:\n  a: {source: shm:a}\n", "cameras.yaml:1: mqtt: want one URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseConfig("cameras.yaml", []byte(tc.yaml))
			require.Error(t, err)
			var ce *configError
			require.True(t, errors.As(err, &ce), "%T", err)
			assert.True(t, strings.HasPrefix(err.Error(), tc.want), "got %q\nwant %q...", err, tc.want)
		})
	}
}

// TestConfigParse: defaults apply, a camera overrides them, {name} names
// each camera's clips, and the specs of two parses of the same camera
// match (a reload keeps it) while a changed one does not.
func TestConfigParse(t *testing.T) {
	const conf = `
keep: [100GiB, 30d]
defaults:
  mode: motion
  pre: 10s
  motion: {threshold: 40, every: 2}
cameras:
  door:
    source: rtsp://admin:hunter2@10.0.0.5/live
    motion:
      area: 1.5
      mask: ["0,0,640,40"]
  yard:
    source: shm:yard
    mode: continuous
    output: /srv/{name}/%Y.omv
    keep: 7d
`
	cfg, err := parseConfig("c.yaml", []byte(conf))
	require.NoError(t, err)
	assert.Equal(t, []string{"100GiB", "30d"}, cfg.keep)
	require.Len(t, cfg.cameras, 2)
	door, yard := cfg.cameras[0], cfg.cameras[1]
	assert.Equal(t, "door", door.Name)
	assert.Equal(t, "motion", door.Mode)
	assert.Equal(t, 10*time.Second, door.Pre)
	assert.Equal(t, 5*time.Second, door.Post, "events' default")
	assert.Equal(t, 1.5, door.Area, "the camera's own motion: its fields")
	assert.Equal(t, []string{"0,0,640,40"}, door.Mask)
	assert.Equal(t, "clips/door/%Y%m%d-%H%M%S.omv", door.Output)
	assert.Equal(t, "/srv/yard/%Y.omv", yard.Output)
	assert.Equal(t, []string{"7d"}, yard.Keep)
	assert.Equal(t, "continuous", yard.Mode)
	assert.Equal(t, "rtsp://admin:xxxxx@10.0.0.5/live", redact(door.Source))
	assert.Equal(t, "shm:yard", redact(yard.Source))

	again, err := parseConfig("c.yaml", []byte(conf))
	require.NoError(t, err)
	assert.Equal(t, door.key(), again.cameras[0].key())
	changed, err := parseConfig("c.yaml", []byte(strings.Replace(conf, "area: 1.5", "area: 2", 1)))
	require.NoError(t, err)
	assert.NotEqual(t, door.key(), changed.cameras[0].key())
	assert.Equal(t, yard.key(), changed.cameras[1].key())

	_, err = loadConfig(filepath.Join(t.TempDir(), "none.yaml"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}

// TestConfigSinks: mqtt:, mqtt-ca: and webhooks: (one or a list) are
// read for every camera.
func TestConfigSinks(t *testing.T) {
	cfg, err := parseConfig("cameras.yaml", []byte("mqtt: mqtts://u:p@ha.local\nmqtt-ca: ca.pem\nwebhooks: http://a/hook\ncameras:\n  a: {source: shm:a}\n"))
	require.NoError(t, err)
	assert.Equal(t, "mqtts://u:p@ha.local", cfg.mqtt)
	assert.Equal(t, "ca.pem", cfg.mqttCA)
	assert.Equal(t, []string{"http://a/hook"}, cfg.webhooks)
	cfg, err = parseConfig("cameras.yaml", []byte("webhooks: [http://a, http://b]\ncameras:\n  a: {source: shm:a}\n"))
	require.NoError(t, err)
	assert.Equal(t, []string{"http://a", "http://b"}, cfg.webhooks)
	assert.Empty(t, cfg.mqtt)
}
