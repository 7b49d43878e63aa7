package export

import (
	"bytes"
	"errors"
	"image/jpeg"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
)

// DefaultQuality is the JPEG quality of frames an export encodes, unless
// Options.Quality says otherwise: imageio.JPEGQuality, what the player's
// frames and streams use.
const DefaultQuality = imageio.JPEGQuality

// MaxWorkers is the most frames an Encoder (and an export's
// Options.Workers) encodes at once: more are taken for it.
const MaxWorkers = 256

// An Encoder turns frames into bytes on several goroutines, and hands the
// results on in the order the frames came: the ordered parallel encoder of
// the exports, for a caller's own outputs. Memory is bounded: at most
// twice as many frames as workers are in it at once, and Put waits for
// room. Put and Close are for one goroutine; encode runs on the workers at
// once, emit on one goroutine, one result after the other.
type Encoder struct{ p *pool }

// NewEncoder starts workers goroutines (0 or less: one per core; at most
// MaxWorkers) that call
// encode for each frame Put, and one that calls emit with each result, in
// order, with the sequence number the frame was Put with. After encode or
// emit fails, the frames still to come are dropped, and Close returns that
// first error. Close must be called, to end the goroutines.
func NewEncoder(workers int, encode func(m *imageio.Image) ([]byte, error), emit func(b []byte, seq int64) error) *Encoder {
	return &Encoder{newPool(workers, func(m *imageio.Image, _ *scratch) ([]byte, error) { return encode(m) }, emit)}
}

// Put adds a frame, copied (the caller may reuse m's buffer), with its
// sequence number. After Close, or once encode or emit has failed, it
// drops the frame.
func (e *Encoder) Put(m *imageio.Image, seq int64) { _ = e.p.put(m, seq) }

// Close waits for every frame Put to be emitted, ends the goroutines, and
// returns the first error of encode or emit; closing again returns it
// again.
func (e *Encoder) Close() error { return e.p.close() }

// A pool is what an Encoder runs; its encode function also gets the
// worker's scratch.
type pool struct {
	work  chan *poolJob
	queue chan *poolJob
	done  chan struct{}
	free  sync.Pool // *[]byte: frame buffers the workers are done with
	err   error     // written by the consumer goroutine, read after done
	// failed is set with err: the frames still to come are not encoded.
	failed atomic.Bool
	closed bool // by close; put and close run on one goroutine
}

// errPoolFailed ends the loop that feeds a pool once the pool has failed;
// close returns the pool's own error.
var errPoolFailed = errors.New("export: the encoder failed")

// scratch is what a worker reuses from frame to frame: the decoder, with
// its picture, and the encoder's output buffer.
type scratch struct {
	dec imageio.Decoder
	out bytes.Buffer
}

type poolJob struct {
	m   imageio.Image // a copy: the caller reuses its buffers
	seq int64
	out chan poolResult
}

type poolResult struct {
	b   []byte
	err error
}

func newPool(workers int, f func(m *imageio.Image, s *scratch) ([]byte, error), emit func(b []byte, seq int64) error) *pool {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, MaxWorkers)
	p := &pool{work: make(chan *poolJob), queue: make(chan *poolJob, 2*workers), done: make(chan struct{})}
	for range workers {
		go func() {
			var s scratch // each worker's own, reused frame after frame
			for j := range p.work {
				if p.failed.Load() {
					j.out <- poolResult{err: errPoolFailed} // dropped
				} else {
					b, err := f(&j.m, &s)
					j.out <- poolResult{b, err}
				}
				buf := j.m.Data[:0]
				p.free.Put(&buf)
			}
		}()
	}
	go func() {
		defer close(p.done)
		for j := range p.queue {
			r := <-j.out
			if p.err == nil {
				p.err = r.err
				if r.err == nil {
					p.err = emit(r.b, j.seq)
				}
				if p.err != nil {
					p.failed.Store(true)
				}
			}
		}
	}()
	return p
}

// put adds a frame; it returns errPoolFailed, and adds nothing, once an
// encode or emit has failed.
func (p *pool) put(m *imageio.Image, seq int64) error {
	if p.closed || p.failed.Load() {
		return errPoolFailed
	}
	j := &poolJob{m: *m, seq: seq, out: make(chan poolResult, 1)}
	var buf []byte
	if b, ok := p.free.Get().(*[]byte); ok {
		buf = *b
	}
	j.m.Data = append(buf[:0], m.Data...)
	p.queue <- j // waits while the pool is full
	p.work <- j
	return nil
}

// close waits for the frames put, ends the goroutines and returns the
// first error.
func (p *pool) close() error {
	if p.closed {
		return p.err
	}
	p.closed = true
	close(p.work)
	close(p.queue)
	<-p.done
	return p.err
}

// jpegWith returns m as a JPEG at quality q, scaled by s, with a worker's
// scratch: a JPEG frame passes through untouched when neither s nor
// reencode asks for a change. The frame is decoded into the worker's
// picture (an imageio.Decoder), and the JPEG is built in the reused buffer
// and copied out, so that a frame costs no more allocation than its JPEG
// (and, for a JPEG frame, image/jpeg's decoding).
func jpegWith(m *imageio.Image, s Scale, q int, reencode bool, sc *scratch) ([]byte, error) {
	if m.Format == container.JPEG && s.none() && !reencode {
		return bytes.Clone(m.Data), nil
	}
	img, err := sc.dec.Decode(m)
	if err != nil {
		return nil, err
	}
	sc.out.Reset()
	if err := jpeg.Encode(&sc.out, s.Apply(img), &jpeg.Options{Quality: q}); err != nil {
		return nil, err
	}
	return bytes.Clone(sc.out.Bytes()), nil
}
