package natsbus

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/imgstream/imgstream/container"
)

// A Frame is a frame a Subscriber received.
type Frame struct {
	// Header gives the frame's width, height, format and size (Elapsed
	// is not used: Time is when it was captured).
	Header container.Header
	// Seq is the frame's number from its publisher, from 1.
	Seq uint64
	// Time is when the frame was captured, on the publisher's clock.
	Time time.Time
	// Data is the frame's bytes. It stays valid until the next call to
	// Next.
	Data []byte
}

// Stats are a Subscriber's counters.
type Stats struct {
	Received uint64 // whole frames received
	Skipped  uint64 // whole frames replaced by a newer one before Next took them: the reader was slower
	Lost     uint64 // frames with a chunk missing, dropped, never delivered torn
	Invalid  uint64 // messages that are not natsbus frames
	// SlowConsumer counts the times the NATS client dropped messages
	// because the subscription's pending limits were reached.
	SlowConsumer uint64
}

// ErrClosed is returned by Next after Close.
var ErrClosed = errors.New("natsbus: subscriber closed")

// A Subscriber receives one camera's live frames: Next returns the newest
// whole frame. A Subscriber that is slower than the camera skips frames
// (counted in Stats) and never holds up the publisher or the other
// subscribers; a frame with a chunk missing is dropped and counted, never
// delivered torn. Next and Close may be called from any goroutine, but
// Next from one at a time.
type Subscriber struct {
	sub *nats.Subscription // set by Subscribe, then only read

	// mu guards ready, latest, has, closed, stats, spare, given and
	// frames: receive (in the subscription's goroutine), Next, Stats and
	// Close all take it.
	mu     sync.Mutex
	ready  chan struct{} // closed and replaced when a newer frame is in latest
	latest Frame         // the newest whole frame, not yet taken
	has    bool
	closed bool
	stats  Stats
	spare  []byte // a free buffer for the next frame
	given  []byte // the buffer the caller has from Next
	frames assembler
}

// Subscribe subscribes to camera's frames on nc. It returns once the
// server nc is connected to has the subscription, so that every frame
// published there after it reaches the Subscriber (in a cluster, the
// other servers learn of it a moment later). While nc reconnects, the
// subscription is sent when the connection is back.
func Subscribe(nc *nats.Conn, camera string) (*Subscriber, error) {
	if err := CheckCamera(camera); err != nil {
		return nil, err
	}
	s := &Subscriber{ready: make(chan struct{})}
	// The callback may run before s.sub is set: it waits for s.mu.
	s.mu.Lock()
	sub, err := nc.Subscribe(Subject(camera), s.receive)
	if err == nil {
		// The client's own buffer: generous in bytes, so that a burst of
		// chunks is not cut; beyond it the client drops, and counts.
		err = sub.SetPendingLimits(-1, 256<<20)
	}
	s.sub = sub
	s.mu.Unlock()
	if err == nil {
		if err = nc.Flush(); err != nil && !nc.IsConnected() && !nc.IsClosed() {
			err = nil // reconnecting: the client sends the subscription again
		}
	}
	if err != nil {
		if sub != nil {
			sub.Unsubscribe()
		}
		return nil, err
	}
	return s, nil
}

// receive handles one message, in the subscription's goroutine.
func (s *Subscriber) receive(m *nats.Msg) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	var h wireHeader
	body, err := h.parse(m.Data)
	if err != nil {
		s.stats.Invalid++
		return
	}
	if fh, data := s.frames.add(&h, body); fh != nil {
		s.deliver(fh, data)
	}
	s.stats.Lost = s.frames.lost
}

// deliver makes a whole frame the newest. It runs with s.mu held.
func (s *Subscriber) deliver(h *wireHeader, data []byte) {
	s.stats.Received++
	buf := s.latest.Data // the frame not taken yet is overwritten in place
	if s.has {
		s.stats.Skipped++
	} else {
		buf, s.spare = s.spare, nil
	}
	s.latest = Frame{
		Header: container.Header{Width: h.Width, Height: h.Height, Format: h.Format, Size: h.Size},
		Seq:    h.Seq,
		Time:   h.Time,
		Data:   append(buf[:0], data...),
	}
	s.has = true
	close(s.ready)
	s.ready = make(chan struct{})
}

// Next waits until ctx is done for a frame newer than the last it
// returned, and returns the newest. Three buffers take turns (the newest
// frame's, the one the caller holds, a spare), so that steady state
// allocates nothing.
func (s *Subscriber) Next(ctx context.Context) (Frame, error) {
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return Frame{}, ErrClosed
		}
		if s.has {
			f := s.latest
			s.has, s.latest.Data = false, nil
			// The buffer the caller had from the call before is free now.
			s.spare, s.given = s.given, f.Data
			s.mu.Unlock()
			return f, nil
		}
		ready := s.ready
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			return Frame{}, ctx.Err()
		case <-ready:
		}
	}
}

// Stats returns the Subscriber's counters.
func (s *Subscriber) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n, err := s.sub.Dropped(); err == nil {
		s.stats.SlowConsumer = uint64(n)
	}
	return s.stats
}

// Close unsubscribes; Next then returns ErrClosed.
func (s *Subscriber) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.ready)
	s.ready = make(chan struct{})
	s.mu.Unlock()
	return s.sub.Unsubscribe()
}
