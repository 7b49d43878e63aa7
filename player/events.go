package player

import (
	"bytes"
	"cmp"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Limits of an EventStream, with their reasons.
const (
	// EventBuffer is how many events wait for one client of an
	// EventStream: a client further behind (a slow link, a stopped tab)
	// is dropped, and its browser's EventSource connects again, getting
	// the last event of each camera; the others never wait for it.
	EventBuffer = 64
	// MaxEventClients bounds the clients of an EventStream: each holds a
	// connection and a goroutine. More are answered 503.
	MaxEventClients = 64
	// EventKeepAlive is how often a client with no event gets a comment
	// line, so that proxies and the browser keep the connection.
	EventKeepAlive = 15 * time.Second
)

// An EventStream serves Server-Sent Events (text/event-stream) to any
// number of clients: Send gives an event to every client connected, and
// never waits for one. Each client has EventBuffer events of room; one
// that falls further behind is disconnected (a browser's EventSource
// connects again), so a slow client never holds up Send or the others.
// A client that connects first gets the last event Send gave of each key
// (each camera), so a page shows the state at once.
//
// The zero EventStream is ready. Its methods are safe for concurrent use.
// NewLive and NewGrid serve it at /api/events when Options.Events is set.
type EventStream struct {
	// WriteTimeout bounds each write to a client: DefaultWriteTimeout
	// when 0.
	WriteTimeout time.Duration

	mu      sync.Mutex // guards the fields below
	clients map[chan []byte]struct{}
	last    map[string][]byte // the last message of each key
	keys    []string          // the keys, in the order they came
	dropped uint64
	closed  bool
}

// EventStreamStats counts an EventStream's clients.
type EventStreamStats struct {
	Clients int    // connected now
	Dropped uint64 // clients disconnected for falling behind
}

// Send gives every client an event of the type kind with data (one line
// of JSON, say), and keeps it as key's last, for the clients to come. A
// newline in data is sent as SSE's multi-line data, which the client
// joins again.
func (s *EventStream) Send(key, kind string, data []byte) {
	msg := message(kind, data)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last == nil {
		s.last = map[string][]byte{}
	}
	if _, ok := s.last[key]; !ok {
		s.keys = append(s.keys, key)
	}
	s.last[key] = msg
	for c := range s.clients {
		select {
		case c <- msg:
		default: // too far behind: dropped; it connects again
			delete(s.clients, c)
			close(c)
			s.dropped++
		}
	}
}

// message is one SSE message.
func message(kind string, data []byte) []byte {
	var b bytes.Buffer
	if kind != "" {
		b.WriteString("event: " + strings.NewReplacer("\n", "", "\r", "").Replace(kind) + "\n")
	}
	for line := range bytes.Lines(data) {
		b.WriteString("data: ")
		b.Write(bytes.TrimRight(line, "\r\n"))
		b.WriteByte('\n')
	}
	if len(data) == 0 {
		b.WriteString("data:\n")
	}
	b.WriteByte('\n')
	return b.Bytes()
}

// Close ends every client's stream and refuses new ones: a server that
// shuts down calls it, since an event stream never ends by itself.
func (s *EventStream) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for c := range s.clients {
		delete(s.clients, c)
		close(c)
	}
}

// Stats returns the clients connected and dropped.
func (s *EventStream) Stats() EventStreamStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return EventStreamStats{Clients: len(s.clients), Dropped: s.dropped}
}

// ServeHTTP streams the events to one client until it goes, falls
// behind, or the request's context ends.
func (s *EventStream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := make(chan []byte, EventBuffer)
	s.mu.Lock()
	if len(s.clients) >= MaxEventClients || s.closed {
		s.mu.Unlock()
		http.Error(w, "player: too many event clients, or the events are closed", http.StatusServiceUnavailable)
		return
	}
	if s.clients == nil {
		s.clients = map[chan []byte]struct{}{}
	}
	s.clients[c] = struct{}{}
	var first [][]byte
	for _, k := range s.keys {
		first = append(first, s.last[k])
	}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		if _, ok := s.clients[c]; ok {
			delete(s.clients, c)
			close(c)
		}
		s.mu.Unlock()
	}()

	rc := http.NewResponseController(w)
	timeout := cmp.Or(s.WriteTimeout, DefaultWriteTimeout)
	write := func(b []byte) bool {
		rc.SetWriteDeadline(time.Now().Add(timeout))
		if _, err := w.Write(b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	if !write([]byte(": imgstream events\n\n")) {
		return
	}
	for _, m := range first {
		if !write(m) {
			return
		}
	}
	keep := time.NewTicker(EventKeepAlive)
	defer keep.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case m, ok := <-c:
			if !ok || !write(m) {
				return // dropped for falling behind, or gone
			}
		case <-keep.C:
			if !write([]byte(": keep-alive\n\n")) {
				return
			}
		}
	}
}
