package player_test

import (
	"bufio"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/mjpeg"
	"github.com/imgstream/imgstream/player"
)

// sseClient reads the Server-Sent Events of url.
type sseClient struct {
	resp *http.Response
	r    *bufio.Reader
}

func dialEvents(t *testing.T, url string) *sseClient {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	return &sseClient{resp: resp, r: bufio.NewReaderSize(resp.Body, 1<<20)}
}

// next returns the next message's data lines joined, skipping comments.
func (c *sseClient) next(t *testing.T) string {
	t.Helper()
	var data []string
	for {
		line, err := c.r.ReadString('\n')
		require.NoError(t, err)
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "" && data != nil:
			return strings.Join(data, "\n")
		case strings.HasPrefix(line, "data: "):
			data = append(data, strings.TrimPrefix(line, "data: "))
		}
	}
}

// TestEventStreamLive: a live page serves its events at /api/events; a
// client gets each event sent, and one that connects later first gets
// the last event of each camera; /api/info says the page has events.
func TestEventStreamLive(t *testing.T) {
	es := &player.EventStream{}
	live := &mjpeg.Server{}
	defer live.Close()
	srv := httptest.NewServer(player.NewLive(live, "door", player.Options{Events: es}))
	t.Cleanup(srv.Close) // after the clients' bodies are closed

	a := dialEvents(t, srv.URL+"/api/events")
	es.Send("door", "", []byte(`{"event":"motion_start","camera":"door"}`))
	assert.Equal(t, `{"event":"motion_start","camera":"door"}`, a.next(t))
	es.Send("yard", "", []byte(`{"event":"camera_up","camera":"yard"}`))
	es.Send("door", "", []byte("two\nlines"))
	assert.Equal(t, `{"event":"camera_up","camera":"yard"}`, a.next(t))
	assert.Equal(t, "two\nlines", a.next(t), "a newline is SSE's multi-line data")

	b := dialEvents(t, srv.URL+"/api/events")
	assert.Equal(t, "two\nlines", b.next(t), "the last of door, first seen first")
	assert.Equal(t, `{"event":"camera_up","camera":"yard"}`, b.next(t), "the last of yard")
	assert.Equal(t, 2, es.Stats().Clients)

	resp, err := http.Get(srv.URL + "/api/info")
	require.NoError(t, err)
	defer resp.Body.Close()
	body := new(strings.Builder)
	_, err = bufio.NewReader(resp.Body).WriteTo(body)
	require.NoError(t, err)
	assert.Contains(t, body.String(), `"events":true`)
}

// TestEventStreamSlowClient: a client that never reads is dropped once
// its buffer and its connection's are full; a client that keeps up gets
// every event, in order, and Send never waits for either.
func TestEventStreamSlowClient(t *testing.T) {
	es := &player.EventStream{}
	cams := func() []player.LiveCamera { return nil }
	srv := httptest.NewServer(player.NewGrid(cams, nil, player.Options{Events: es}))
	t.Cleanup(srv.Close) // after the clients' bodies are closed

	slow := dialEvents(t, srv.URL+"/api/events") // never read
	_ = slow
	fast := dialEvents(t, srv.URL+"/api/events")
	pad := strings.Repeat("x", 32<<10)
	n := 0
	for ; n < 5000 && es.Stats().Dropped == 0; n++ {
		es.Send("cam", "", fmt.Appendf(nil, `{"n":%d,"pad":%q}`, n, pad))
		assert.Equal(t, fmt.Sprintf(`{"n":%d,"pad":%q}`, n, pad), fast.next(t))
	}
	st := es.Stats()
	require.EqualValues(t, 1, st.Dropped, "the slow client is dropped after %d events", n)
	assert.Equal(t, 1, st.Clients, "the fast one stays")
	es.Send("cam", "", []byte("after"))
	assert.Equal(t, "after", fast.next(t))
}

// TestEventStreamClose: Close ends every client's stream, so that a
// server shuts down, and refuses new ones.
func TestEventStreamClose(t *testing.T) {
	es := &player.EventStream{}
	srv := httptest.NewServer(es)
	t.Cleanup(srv.Close)
	c := dialEvents(t, srv.URL)
	es.Send("a", "", []byte("1"))
	assert.Equal(t, "1", c.next(t))
	es.Close()
	_, err := c.r.ReadString('\n')
	assert.Error(t, err, "the stream ended")
	resp, err := http.Get(srv.URL)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
}

// TestEventStreamMaxClients: MaxEventClients streams at once, a client
// more is answered 503 at once (a page opened in many tabs, or a peer
// opening connections, cannot hold a goroutine each without bound), and
// a client that leaves makes room for one.
func TestEventStreamMaxClients(t *testing.T) {
	es := &player.EventStream{}
	srv := httptest.NewServer(es)
	t.Cleanup(srv.Close)    // after the clients' bodies are closed
	tr := &http.Transport{} // its own connections, closed at the end
	t.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr}
	var open []*http.Response
	for range player.MaxEventClients {
		resp, err := client.Get(srv.URL)
		require.NoError(t, err)
		t.Cleanup(func() { resp.Body.Close() })
		require.Equal(t, http.StatusOK, resp.StatusCode)
		open = append(open, resp)
	}
	require.Equal(t, player.MaxEventClients, es.Stats().Clients)
	resp, err := client.Get(srv.URL)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, "one more")

	open[0].Body.Close()
	require.Eventually(t, func() bool { return es.Stats().Clients < player.MaxEventClients }, 10*time.Second, time.Millisecond,
		"the client that left is gone")
	resp, err = client.Get(srv.URL)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	assert.Equal(t, http.StatusOK, resp.StatusCode, "its place taken")
}
