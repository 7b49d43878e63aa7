package main

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/image/draw"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
)

// scaler resizes images: by a factor, or to a width and height.
type scaler struct {
	factor float64
	w, h   int
}

// parseScale parses --scale: a factor (0.5) or WIDTHxHEIGHT (320x240, or
// 320x0 to keep the aspect ratio). "" is no scaling.
func parseScale(s string) (*scaler, error) {
	if s == "" {
		return nil, nil
	}
	bad := usageError{fmt.Errorf("--scale %q: want a factor such as 0.5, or WIDTHxHEIGHT such as 320x240 (0 keeps the aspect ratio)", s)}
	if a, b, ok := strings.Cut(s, "x"); ok {
		w, err1 := strconv.Atoi(a)
		h, err2 := strconv.Atoi(b)
		if err1 != nil || err2 != nil || w < 0 || h < 0 || (w == 0 && h == 0) || w > container.MaxDimension || h > container.MaxDimension {
			return nil, bad
		}
		return &scaler{w: w, h: h}, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || !(f > 0 && f <= 16) {
		return nil, bad
	}
	return &scaler{factor: f}, nil
}

// size returns the scaled size of a w x h image.
func (s *scaler) size(w, h int) (int, int) {
	if s == nil {
		return w, h
	}
	if s.factor > 0 {
		return max(1, int(float64(w)*s.factor+0.5)), max(1, int(float64(h)*s.factor+0.5))
	}
	sw, sh := s.w, s.h
	if sw == 0 {
		sw = max(1, (w*sh+h/2)/h)
	}
	if sh == 0 {
		sh = max(1, (h*sw+w/2)/w)
	}
	return sw, sh
}

func (s *scaler) apply(src image.Image) image.Image {
	if s == nil {
		return src
	}
	b := src.Bounds()
	w, h := s.size(b.Dx(), b.Dy())
	if w == b.Dx() && h == b.Dy() {
		return src
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.ApproxBiLinear.Scale(dst, dst.Rect, src, b, draw.Src, nil)
	return dst
}

// A pool turns frames into output bytes on every core, in order: a frame
// goes in with put, and done gets the results in the order they went in.
// Memory is bounded: at most twice as many frames as workers are in the
// pool at once, and put waits for room.
type pool struct {
	work  chan *poolJob
	queue chan *poolJob
	done  chan struct{}
	free  sync.Pool // *[]byte: frame buffers the workers are done with
	err   error
}

// scratch is what a worker reuses from frame to frame: the decoded picture
// and the encoder's output buffer.
type scratch struct {
	rgba *image.RGBA
	out  bytes.Buffer
}

type poolJob struct {
	m   imageio.Image // a copy: the caller reuses its buffers
	at  int64
	out chan poolResult
}

type poolResult struct {
	b   []byte
	err error
}

// newPool starts workers goroutines running f (0: one per core), and a
// consumer that calls emit with each result in order. Close waits for the
// last one.
func newPool(workers int, f func(m *imageio.Image, s *scratch) ([]byte, error), emit func(b []byte, at int64) error) *pool {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	p := &pool{work: make(chan *poolJob), queue: make(chan *poolJob, 2*workers), done: make(chan struct{})}
	for range workers {
		go func() {
			var s scratch // each worker's own, reused frame after frame
			for j := range p.work {
				b, err := f(&j.m, &s)
				j.out <- poolResult{b, err}
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
					p.err = emit(r.b, j.at)
				}
			}
		}
	}()
	return p
}

// put adds a frame (copied) recorded at time at.
func (p *pool) put(m *imageio.Image, at int64) {
	j := &poolJob{m: *m, at: at, out: make(chan poolResult, 1)}
	var buf []byte
	if b, ok := p.free.Get().(*[]byte); ok {
		buf = *b
	}
	j.m.Data = append(buf[:0], m.Data...)
	p.queue <- j // waits while the pool is full
	p.work <- j
}

// close waits for every frame and returns the first error.
func (p *pool) close() error {
	close(p.work)
	close(p.queue)
	<-p.done
	return p.err
}

// jpegOf returns m as a JPEG at quality q, scaled by s: a JPEG frame passes
// through untouched when neither asks for a change.
func jpegOf(m *imageio.Image, s *scaler, q int, reencode bool) ([]byte, error) {
	return jpegWith(m, s, q, reencode, new(scratch))
}

// jpegWith is jpegOf with a worker's scratch: an RGB565 frame (the common
// raw one) is widened into the reused picture, and the JPEG is built in the
// reused buffer and copied out, so that a frame costs no more allocation
// than its JPEG.
func jpegWith(m *imageio.Image, s *scaler, q int, reencode bool, sc *scratch) ([]byte, error) {
	if m.Format == container.JPEG && s == nil && !reencode {
		return bytes.Clone(m.Data), nil
	}
	var img image.Image
	if m.Format == container.RGB565 && len(m.Data) == 2*m.Width*m.Height {
		if sc.rgba == nil || sc.rgba.Rect.Dx() != m.Width || sc.rgba.Rect.Dy() != m.Height {
			sc.rgba = image.NewRGBA(image.Rect(0, 0, m.Width, m.Height))
		}
		imageio.RGB565ToRGBA(sc.rgba.Pix, m.Data)
		img = sc.rgba
	} else {
		var err error
		if img, err = m.Decode(); err != nil {
			return nil, err
		}
	}
	sc.out.Reset()
	if err := jpeg.Encode(&sc.out, s.apply(img), &jpeg.Options{Quality: q}); err != nil {
		return nil, err
	}
	return bytes.Clone(sc.out.Bytes()), nil
}
