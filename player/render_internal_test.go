package player

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/internal/testkit"
)

// TestMaxRenders holds MaxRenders renders of /frame/N.png on a real
// server: one request more waits for a place instead of rendering, gets
// one when a render ends, and gives up when its request is cancelled
// (issue 17, item 9: every request rendered at once, 100 took 2 GB).
func TestMaxRenders(t *testing.T) {
	events := make(chan string, 4*MaxRenders)
	release := make(chan struct{})
	testHook = func(e string) {
		events <- e
		if e == "render" {
			<-release
		}
	}
	t.Cleanup(func() { testHook = nil })
	p, err := NewFile(filepath.Join(testkit.Root, "testdata", "sample.omv"), Options{})
	require.NoError(t, err)
	ts := httptest.NewServer(p)
	t.Cleanup(func() { ts.Close(); p.Close() })
	var unblock sync.Once
	t.Cleanup(func() { unblock.Do(func() { close(release) }) }) // before ts.Close

	codes := make(chan int, 2*MaxRenders)
	get := func(ctx context.Context, i int) {
		req, _ := http.NewRequestWithContext(ctx, "GET", ts.URL+"/frame/"+string(rune('0'+i))+".png", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			codes <- 0
			return
		}
		resp.Body.Close()
		codes <- resp.StatusCode
	}
	for i := range MaxRenders {
		go get(t.Context(), i)
	}
	for range MaxRenders {
		require.Equal(t, "render", <-events)
	}

	// One more waits, and renders once a place is free.
	go get(t.Context(), MaxRenders)
	require.Equal(t, "wait", <-events, "a render beyond MaxRenders")
	release <- struct{}{}
	require.Equal(t, http.StatusOK, <-codes)
	require.Equal(t, "render", <-events)

	// One more waits, and gives up when its request ends.
	ctx, cancel := context.WithCancel(t.Context())
	go get(ctx, MaxRenders+1)
	require.Equal(t, "wait", <-events, "a render beyond MaxRenders")
	cancel()
	assert.Equal(t, "gave up", <-events)
	assert.Equal(t, 0, <-codes)

	unblock.Do(func() { close(release) })
	for range MaxRenders {
		assert.Equal(t, http.StatusOK, <-codes)
	}
}
