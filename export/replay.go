package export

import (
	"context"
	"io"
	"time"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/mjpeg"
)

// ReplayOptions say how a [Replay] plays its stream. The zero value
// delivers each frame once, as fast as it is read: a live pipe.
type ReplayOptions struct {
	// Pace delivers the frames at their recorded times, by an
	// [imageio.Pacer]: the first frame at once, each other its recorded
	// interval after the one before (the first frame's Elapsed does not
	// count; see [container.Entry]), never closer than
	// [imageio.MinFramePeriod].
	Pace bool
	// Loop plays the stream round and round, when its input can seek back
	// to where the stream starts (a file); a round takes at least
	// [imageio.MinLoopPeriod], paced or not. An input that cannot seek
	// plays once.
	Loop bool
	// Clock times the pace and the loop's rounds: the system clock when
	// nil. Tests give a fake one.
	Clock imageio.Clock
	// BadFrame, if not nil, is told of a frame that cannot be made a JPEG
	// (its index in the stream, and why), which is then skipped; when nil,
	// such a frame ends Run with its error.
	BadFrame func(index int, err error)
}

// A Replay delivers the frames of an OMV IMG STR stream as JPEGs, as an
// [mjpeg.Source]: give it to an [mjpeg.Server] (which runs it while
// somebody watches), or call Run with a publish function of your own. JPEG
// frames pass through untouched; any other is encoded once per frame
// ([imageio.Image.AppendJPEG]), never once per viewer.
//
// The stream is read as it comes, from any io.Reader: a file, a pipe, a
// socket. A Run cancelled between two frames leaves the stream there: the
// next Run goes on from that frame when the input cannot seek, and starts
// again from the first frame when it can (as a file replayed to a new
// viewer does). A read of the input that waits (a pipe with nothing in it)
// is not interrupted by the context: Run returns when the read does.
//
// Run may be called again after it returns, and calls may overlap (an
// mjpeg.Server starts a new run before a cancelled one has returned): a
// call waits for the one before to return. A Replay is otherwise not safe
// for concurrent use, and does not close its input.
type Replay struct {
	r    io.Reader
	o    ReplayOptions
	turn chan struct{} // held by the running Run

	// State across runs, guarded by turn.
	zr      *container.Reader // nil until the stream is opened
	seeker  io.Seeker         // r, when it can seek
	start   int64             // seeker's position of the stream's start
	started bool              // start is known
	ended   bool              // an input that cannot seek has ended
	end     error             // what ended it: nil for its end
	next    int               // the index of the next frame zr reads
	held    bool              // jpeg is a frame read but not delivered
	data    []byte            // the payload buffer, reused
	jpeg    []byte            // the JPEG buffer, reused
}

// NewReplay returns a Replay of the OMV IMG STR stream that r holds from
// where it is now. Nothing is read before the first Run.
func NewReplay(r io.Reader, o ReplayOptions) *Replay {
	return &Replay{r: r, o: o, turn: make(chan struct{}, 1)}
}

var _ mjpeg.Source = (*Replay)(nil)

// Run passes each frame of the stream to publish as a JPEG (valid until
// publish returns), paced and looped as the options say, until the stream
// ends or ctx is done, when it returns the context's cause
// (context.Cause). At the end it returns nil; at damage, the damage (a
// *container.FrameError that says which frame and where) after every good
// frame before it; an error of the input or of its magic
// (container.ErrBadMagic) comes as it is. With Loop, the end and damage
// start another round instead (one that delivers no frame ends the loop).
// Once an input that cannot seek has ended, Run returns what ended it at
// once.
func (p *Replay) Run(ctx context.Context, publish func(jpeg []byte)) error {
	select {
	case p.turn <- struct{}{}:
		defer func() { <-p.turn }()
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	if err := p.rewind(); err != nil {
		return err
	}
	pace := imageio.Pacer{Clock: p.o.Clock}
	for round := 0; ; round++ {
		frames, err := p.play(ctx, &pace, round, publish)
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		if !p.o.Loop || p.seeker == nil || frames == 0 {
			if p.seeker == nil {
				p.ended, p.end = true, err
			}
			return err
		}
		if err := p.rewind(); err != nil {
			return err
		}
	}
}

// rewind opens the stream for a run: from its start when the input can
// seek, where it was left otherwise.
func (p *Replay) rewind() error {
	if p.ended {
		return p.end
	}
	if !p.started {
		p.started = true
		if s, ok := p.r.(io.Seeker); ok {
			if at, err := s.Seek(0, io.SeekCurrent); err == nil {
				p.seeker, p.start = s, at
			}
		}
	}
	if p.seeker != nil {
		if _, err := p.seeker.Seek(p.start, io.SeekStart); err != nil {
			return err
		}
		p.zr, p.held = nil, false
	}
	if p.zr != nil {
		return nil // a pipe, left between two frames
	}
	zr, err := container.NewReader(p.r)
	if err != nil {
		if p.seeker == nil {
			p.ended, p.end = true, err
		}
		return err
	}
	p.zr, p.next = zr, 0
	return nil
}

// play delivers the frames up to the stream's end: it returns how many it
// delivered, and nil at the end, the damage, or ctx.Err().
func (p *Replay) play(ctx context.Context, pace *imageio.Pacer, round int, publish func([]byte)) (int, error) {
	frames := 0
	var last time.Duration // the time of the frame delivered before
	if p.held {
		// A frame a cancelled run read from a pipe, and did not deliver.
		p.held = false
		publish(p.jpeg)
		frames, last = 1, p.zr.Time()
	}
	for {
		if err := ctx.Err(); err != nil {
			return frames, err
		}
		h, data, err := p.zr.ReadFrame(p.data)
		p.data = data
		if err == io.EOF {
			return frames, nil
		}
		if err != nil {
			return frames, err
		}
		index := p.next
		p.next++
		m := imageio.ImageOf(h, data)
		jpg, err := m.AppendJPEG(p.jpeg[:0])
		if err != nil {
			if p.o.BadFrame == nil {
				return frames, err
			}
			p.o.BadFrame(index, err)
			continue
		}
		p.jpeg = jpg
		// The first frame of a run, or of a round, is due at once (after
		// the loop's floor); each other its recorded interval after the
		// frame delivered before it.
		at := p.zr.Time()
		interval := at - last
		if frames == 0 {
			interval = 0
		}
		last = at
		if p.o.Pace || (p.o.Loop && frames == 0) {
			if round > 0 && frames == 0 {
				pace.Loop()
			}
			if err := pace.Wait(ctx, interval); err != nil {
				p.held = p.seeker == nil
				return frames, err
			}
		}
		publish(jpg)
		frames++
	}
}
