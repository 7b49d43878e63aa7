package main

import (
	"bytes"
	"fmt"
	"log"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"

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
	assert.Contains(t, logged.String(), "none for 99")
}
