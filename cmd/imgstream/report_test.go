package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/internal/testkit"
	"github.com/imgstream/imgstream/shm"
)

// The reports as a user's program decodes them: the field names are
// spelled here, not taken from the command's types, so that a renamed
// field fails (and DisallowUnknownFields catches one added unnoticed).

type wantDamage struct {
	Frame  int    `json:"frame"`
	Offset int64  `json:"offset"`
	Error  string `json:"error"`
}

type wantVerify struct {
	File    string      `json:"file"`
	Version string      `json:"version"`
	Count   int         `json:"count"`
	OK      bool        `json:"ok"`
	Damage  *wantDamage `json:"damage"`
}

type wantRepair struct {
	File         string      `json:"file"`
	DryRun       bool        `json:"dry_run"`
	Count        int         `json:"count"`
	KeptBytes    int64       `json:"kept_bytes"`
	DroppedBytes int64       `json:"dropped_bytes"`
	Damage       *wantDamage `json:"damage"`
}

// decodeStrict decodes the one JSON object that out must be.
func decodeStrict(t *testing.T, out string, v any) {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(out))
	d.DisallowUnknownFields()
	require.NoError(t, d.Decode(v), out)
	require.False(t, d.More(), "one JSON object: %s", out)
}

// TestVerifyJSON: verify --json reports every golden file as the manifest
// does: ok for the valid ones, and for the others the frames read whole and
// the first problem's frame and offset, with the exit code of verify.
func TestVerifyJSON(t *testing.T) {
	for _, g := range testkit.Golden(t) {
		if !g.Valid && g.ErrorFrame == nil {
			continue // no recording: an error, no report
		}
		t.Run(g.Name, func(t *testing.T) {
			path := testkit.GoldenPath(g.Name)
			out, errOut, code := cli(t, "verify", "--json", path)
			var v wantVerify
			decodeStrict(t, out, &v)
			assert.Equal(t, path, v.File)
			if g.Version != "" {
				assert.Equal(t, "V"+g.Version, v.Version)
			}
			assert.Equal(t, len(g.Frames), v.Count, "the frames before the damage")
			if g.Valid {
				assert.Equal(t, 0, code, errOut)
				assert.True(t, v.OK)
				assert.Nil(t, v.Damage)
				return
			}
			assert.Equal(t, 1, code, errOut)
			assert.False(t, v.OK)
			require.NotNil(t, v.Damage)
			assert.Equal(t, *g.ErrorFrame, v.Damage.Frame)
			assert.Equal(t, g.ErrorOffset, v.Damage.Offset)
			assert.NotEmpty(t, v.Damage.Error)
			assert.Contains(t, errOut, fmt.Sprintf("frame %d at offset %d", *g.ErrorFrame, g.ErrorOffset))
		})
	}
}

// TestRepairJSON: repair --json --dry-run on every cut-off or damaged
// golden file reports what repair --json then does, which is what the
// manifest says is good; the dry run changes nothing, the repair cuts the
// file to kept_bytes, and a second repair finds nothing to do.
func TestRepairJSON(t *testing.T) {
	for _, g := range testkit.Golden(t) {
		if g.ErrorFrame == nil || g.StrictOnly {
			continue
		}
		t.Run(g.Name, func(t *testing.T) {
			orig, err := os.ReadFile(testkit.GoldenPath(g.Name))
			require.NoError(t, err)
			path := filepath.Join(t.TempDir(), g.Name)
			require.NoError(t, os.WriteFile(path, orig, 0o644))
			want := wantRepair{File: path, DryRun: true, Count: len(g.Frames), KeptBytes: g.ErrorOffset, DroppedBytes: int64(len(orig)) - g.ErrorOffset}

			out, errOut, code := cli(t, "repair", "--json", "--dry-run", path)
			require.Equal(t, 0, code, errOut)
			var dry wantRepair
			decodeStrict(t, out, &dry)
			require.NotNil(t, dry.Damage)
			assert.Equal(t, *g.ErrorFrame, dry.Damage.Frame)
			assert.Equal(t, g.ErrorOffset, dry.Damage.Offset)
			assert.NotEmpty(t, dry.Damage.Error)
			damage := dry.Damage
			dry.Damage = nil
			assert.Equal(t, want, dry)
			after, err := os.ReadFile(path)
			require.NoError(t, err)
			require.Equal(t, orig, after, "a dry run changes nothing")

			out, errOut, code = cli(t, "repair", "--json", path)
			require.Equal(t, 0, code, errOut)
			var rep wantRepair
			decodeStrict(t, out, &rep)
			assert.Equal(t, damage, rep.Damage, "the damage the dry run named")
			rep.Damage = nil
			want.DryRun = false
			assert.Equal(t, want, rep, "what the dry run said")
			fi, err := os.Stat(path)
			require.NoError(t, err)
			assert.Equal(t, g.ErrorOffset, fi.Size())

			out, errOut, code = cli(t, "repair", "--json", path)
			require.Equal(t, 0, code, errOut)
			var again wantRepair
			decodeStrict(t, out, &again)
			assert.Equal(t, wantRepair{File: path, Count: len(g.Frames), KeptBytes: g.ErrorOffset}, again, "nothing left to repair")
		})
	}
}

// TestShmLsJSON: shm ls --json lists a live stream and a stale one with
// their states and sizes.
func TestShmLsJSON(t *testing.T) {
	if _, err := os.Stat(shm.Dir); err != nil {
		t.Skip("no /dev/shm")
	}
	live := fmt.Sprintf("imgstream-json-live-%d", os.Getpid())
	stale := fmt.Sprintf("imgstream-json-stale-%d", os.Getpid())
	w, err := shm.Create(live, 64, 3)
	require.NoError(t, err)
	defer w.Close()
	require.NoError(t, w.Write(container.Header{Width: 8, Height: 1, Format: container.Grayscale}, make([]byte, 8)))
	data, err := os.ReadFile(w.Path())
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(shm.Dir, stale), data, 0o600)) // what a killed writer leaves
	defer os.Remove(filepath.Join(shm.Dir, stale))

	out, err := runIn(t, context.Background(), "shm", "ls", "--json")
	require.NoError(t, err)
	var list struct {
		Streams []struct {
			Name      string    `json:"name"`
			Path      string    `json:"path"`
			State     string    `json:"state"`
			Slots     int       `json:"slots"`
			FrameSize int       `json:"frame_size"`
			Count     uint64    `json:"count"`
			WriterPID int       `json:"writer_pid"`
			Size      int64     `json:"size"`
			ModTime   time.Time `json:"mod_time"`
		} `json:"streams"`
	}
	decodeStrict(t, out, &list)
	states := map[string]string{}
	for _, s := range list.Streams {
		if s.Name != live && s.Name != stale {
			continue
		}
		states[s.Name] = s.State
		assert.Equal(t, filepath.Join(shm.Dir, s.Name), s.Path)
		assert.Equal(t, 3, s.Slots)
		assert.Equal(t, 64, s.FrameSize)
		assert.Equal(t, uint64(1), s.Count, "frames published")
		assert.Equal(t, os.Getpid(), s.WriterPID)
		assert.Equal(t, int64(len(data)), s.Size)
		assert.WithinDuration(t, time.Now(), s.ModTime, time.Hour)
	}
	assert.Equal(t, map[string]string{live: "live", stale: "stale"}, states)
}

// TestPublishJSON: publish --json says what it does as JSON lines on
// stdout: the embedded server's URL, with the token a client needs, and
// store, the subject, and at the end the frames it published.
func TestPublishJSON(t *testing.T) {
	const frames = 5
	path := filepath.Join(t.TempDir(), "five.omv")
	s, err := imageio.Create(path, nil)
	require.NoError(t, err)
	for i := range frames {
		require.NoError(t, s.Write(&imageio.Image{Width: 8, Height: 4, Format: container.Grayscale, Data: bytes.Repeat([]byte{byte(i)}, 32)}))
	}
	require.NoError(t, s.Close())
	store := t.TempDir()
	pub := exec.Command(bin, "publish", "--json", "--listen", "127.0.0.1:0", "--token", "s3cret", "--store", store, path, "door")
	stdout, err := pub.StdoutPipe()
	require.NoError(t, err)
	var stderr bytes.Buffer
	pub.Stderr = &stderr
	require.NoError(t, pub.Start())
	t.Cleanup(func() { pub.Process.Kill(); pub.Wait() })

	type status struct {
		Event   string `json:"event"`
		URL     string `json:"url"`
		Store   string `json:"store"`
		Source  string `json:"source"`
		Camera  string `json:"camera"`
		Subject string `json:"subject"`
		Frames  *int   `json:"frames"`
		Err     string `json:"error"`
	}
	var lines []status
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		var st status
		d := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		d.DisallowUnknownFields()
		require.NoError(t, d.Decode(&st), sc.Text())
		lines = append(lines, st)
	}
	require.NoError(t, pub.Wait(), stderr.String())
	assert.Empty(t, stderr.String(), "no notes on stderr with --json")
	require.Len(t, lines, 3)
	assert.Equal(t, "server", lines[0].Event)
	assert.Regexp(t, `^nats://s3cret@127\.0\.0\.1:[1-9]\d*$`, lines[0].URL)
	assert.Equal(t, store, lines[0].Store)
	assert.Equal(t, status{Event: "publishing", Source: path, Camera: "door", Subject: "imgstream.door"}, lines[1])
	assert.Equal(t, "stopped", lines[2].Event)
	require.NotNil(t, lines[2].Frames)
	assert.Equal(t, frames, *lines[2].Frames)
	assert.Empty(t, lines[2].Err)
}
