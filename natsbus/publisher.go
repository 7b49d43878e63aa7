package natsbus

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/imgstream/imgstream/container"
)

// SubjectPrefix is the first token of every camera's subject.
const SubjectPrefix = "imgstream."

// Subject returns the subject of camera's frames: imgstream.<camera>.
func Subject(camera string) string { return SubjectPrefix + camera }

// ErrInvalidCamera is returned for a camera name that is not one NATS
// subject token.
var ErrInvalidCamera = errors.New("natsbus: invalid camera name")

// ErrFrameTooLarge is returned by Publish for a frame over MaxFrameSize,
// which no Subscriber would take.
var ErrFrameTooLarge = errors.New("natsbus: frame over MaxFrameSize")

// CheckCamera returns an error matching ErrInvalidCamera for a camera
// name that cannot be one subject token, before anything connects.
func CheckCamera(camera string) error {
	if camera == "" || strings.ContainsAny(camera, ".*> \t\r\n") {
		return fmt.Errorf("%w: %q (one subject token: no dots, wildcards or spaces)", ErrInvalidCamera, camera)
	}
	return nil
}

// A Publisher publishes one camera's frames, one message a frame, or
// chunks of one when the frame is larger than the server's max payload.
// It is safe for concurrent use, though frames are best published from
// one goroutine, in order.
type Publisher struct {
	// Set by the constructor, then only read.
	nc      *nats.Conn
	js      jetstream.JetStream // set: each message acknowledged by the stream
	subject string
	id      uint32

	mu    sync.Mutex // guards seq, buf and chunk, and orders a frame's messages
	seq   uint64
	buf   []byte
	chunk int // bytes of frame a message carries
}

// NewPublisher returns a Publisher of camera's frames on nc.
func NewPublisher(nc *nats.Conn, camera string) (*Publisher, error) {
	if err := CheckCamera(camera); err != nil {
		return nil, err
	}
	var id [4]byte
	rand.Read(id[:])
	p := &Publisher{nc: nc, subject: Subject(camera), id: binary.LittleEndian.Uint32(id[:])}
	return p, nil
}

// AckWait bounds how long an acknowledged Publisher tries to have a
// message stored, through leader elections and reconnections.
const AckWait = 10 * time.Second

// NewAckedPublisher returns a Publisher of camera's frames into its
// JetStream stream (see Record) that waits for the stream to acknowledge
// each message, and publishes it again (under a message id, so that it is
// stored once) until it is, for AckWait: through a cluster's leader
// election, which loses the frames a plain Publisher sends meanwhile. It
// costs a round trip to the stream's leader a message, so it suits a
// camera's rate, not bulk transfers. Live subscribers get the frames as
// from a plain Publisher.
func NewAckedPublisher(js jetstream.JetStream, camera string) (*Publisher, error) {
	p, err := NewPublisher(js.Conn(), camera)
	if err != nil {
		return nil, err
	}
	p.js = js
	return p, nil
}

// Subject returns the subject the Publisher publishes on.
func (p *Publisher) Subject() string { return p.subject }

// Publish publishes a frame captured at t (now when zero): h gives its
// width, height and format, data its bytes (a JPEG as it is), at most
// MaxFrameSize ([ErrFrameTooLarge]). A frame over the server's max payload
// goes in chunks, each a message, which a Subscriber puts together again. It returns when the frame is in the
// connection's buffer, not when it is delivered.
func (p *Publisher) Publish(h container.Header, data []byte, t time.Time) error {
	if h.Width < 1 || h.Height < 1 || h.Width > container.MaxDimension || h.Height > container.MaxDimension {
		return fmt.Errorf("natsbus: a frame of %dx%d", h.Width, h.Height)
	}
	if len(data) > MaxFrameSize {
		return fmt.Errorf("%w: %d bytes", ErrFrameTooLarge, len(data))
	}
	if !sizeFits(h.Format, h.Width, h.Height, len(data)) {
		return fmt.Errorf("natsbus: %w: %d bytes for a %dx%d %v frame", container.ErrInvalidSize, len(data), h.Width, h.Height, h.Format)
	}
	if t.IsZero() {
		t = time.Now()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.chunk == 0 {
		p.chunk = max(int(p.nc.MaxPayload())-HeaderSize, 1)
	}
	chunks := max((len(data)+p.chunk-1)/p.chunk, 1)
	if chunks > MaxChunks {
		return fmt.Errorf("natsbus: a frame of %d bytes, over %d chunks of %d", len(data), MaxChunks, p.chunk)
	}
	p.seq++
	w := wireHeader{Format: h.Format, Width: h.Width, Height: h.Height, Size: len(data), Seq: p.seq, Time: t, Publisher: p.id, Chunks: chunks}
	for i := range chunks {
		body := data[min(i*p.chunk, len(data)):min((i+1)*p.chunk, len(data))]
		n := HeaderSize + len(body)
		if cap(p.buf) < n {
			p.buf = make([]byte, n)
		}
		msg := p.buf[:n]
		w.Chunk = i
		w.put(msg)
		copy(msg[HeaderSize:], body)
		if err := p.send(msg, w.Seq, i); err != nil {
			return fmt.Errorf("natsbus: publish %s: %w", p.subject, err)
		}
	}
	return nil
}

// send publishes one message: as it is, or until the stream has it.
func (p *Publisher) send(msg []byte, seq uint64, chunk int) error {
	if p.js == nil {
		return p.nc.Publish(p.subject, msg)
	}
	deadline := time.Now().Add(AckWait)
	id := fmt.Sprintf("%08x-%d-%d", p.id, seq, chunk)
	for {
		// Each try waits a second for its acknowledgement: an election
		// swallows requests rather than refusing them.
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := p.js.Publish(ctx, p.subject, msg, jetstream.WithMsgID(id), jetstream.WithRetryAttempts(10), jetstream.WithRetryWait(100*time.Millisecond))
		cancel()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Flush waits until the server has every frame published so far.
func (p *Publisher) Flush() error { return p.nc.Flush() }
