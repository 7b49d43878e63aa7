package main

import (
	"bytes"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/record"
)

// TestHookQueue: clips close faster than the --on-event command runs;
// one command runs at a time, in order, a bounded number wait, and the
// clips beyond get none, each logged.
func TestHookQueue(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	var mu sync.Mutex
	running, most := 0, 0
	var ran []string
	run := func(e record.Event) {
		mu.Lock()
		running++
		most = max(most, running)
		first := len(ran) == 0 && running == 1
		mu.Unlock()
		if first && e.Path == "0" {
			close(started)
		}
		<-release
		mu.Lock()
		running--
		ran = append(ran, e.Path)
		mu.Unlock()
	}
	var logged bytes.Buffer
	h := newHookQueue(run, log.New(&logged, "", 0), 4)
	h.add(record.Event{Kind: record.ClipClosed, Path: "0"})
	<-started // the first command runs, and holds the queue
	for i := 1; i < 100; i++ {
		h.add(record.Event{Kind: record.ClipClosed, Path: fmt.Sprint(i)})
	}
	close(release)
	h.close()
	assert.Equal(t, 1, most, "one command at a time")
	assert.Equal(t, []string{"0", "1", "2", "3", "4"}, ran, "the one running and the 4 waiting, in order")
	assert.Equal(t, 95, strings.Count(logged.String(), "none for"), logged.String())
	assert.Contains(t, logged.String(), "none for the clip event 99")
}

// TestOnEventEnv: the command gets the event's kind, camera and clip in
// its environment, and its JSON line there and on its stdin.
func TestOnEventEnv(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	e := record.Event{Kind: record.MotionStart, Camera: "door", Path: "a.omv", Area: 0.5, Time: time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)}
	var logged bytes.Buffer
	onEvent(`{ echo "$IMGSTREAM_EVENT|$IMGSTREAM_CAMERA|$IMGSTREAM_CLIP|$IMGSTREAM_END|$IMGSTREAM_JSON"; cat; } > `+out, e, log.New(&logged, "", 0))
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	js := e.String()
	assert.Equal(t, "motion_start|door|a.omv||"+js+"\n"+js+"\n", string(b))
	assert.Empty(t, logged.String())
	onEvent("exit 3", e, log.New(&logged, "", 0))
	assert.Contains(t, logged.String(), "--on-event for a motion_start event a.omv: exit status 3")
}
