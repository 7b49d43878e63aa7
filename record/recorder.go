package record

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/imgstream/imgstream/circular"
	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/motion"
)

// A Recorder records frames from a Source into files: continuously, or as
// events around triggers. Make one with New, then call Run once. Trigger
// and Status are safe for concurrent use, from any goroutine.
type Recorder struct {
	c       Config
	pattern string
	sync    time.Duration
	stall   time.Duration
	backoff time.Duration

	ran atomic.Bool

	mu     sync.Mutex
	ring   *imageio.Stream
	det    *motion.Detector
	grey   image.Gray // a view of raw greyscale frames for the detector
	jpeg   []byte     // raw frames encoded for Live
	cur    *clip      // the clip being written, nil between events
	status Status
	// event state
	lastTrigger time.Time     // the last trigger of the event in progress
	pending     string        // a trigger that came before the first frame
	lastEnd     time.Time     // the last frame of the previous clip
	prev        *imageio.Clip // the previous clip
	// timing
	first     time.Time     // the first frame's time
	last      time.Time     // the newest frame's time
	frames    int           // frames recorded
	runBase   time.Time     // arrival of a Run's first source-timed frame
	srcBase   time.Time     // and its source time
	arrivals  [32]time.Time // the last frames' arrivals, a ring
	arrived   int           // how many frames arrived
	done      bool          // Duration or Frames reached
	warnedPre bool          // logged that PreSize holds less than Pre
	gapStart  time.Time
	// finish ends the Run in progress with a cause.
	finish        context.CancelCauseFunc
	durationTimer *time.Timer
}

// clip is a file being written.
type clip struct {
	f        *os.File
	w        *countingWriter
	clip     *imageio.Clip
	path     string
	start    time.Time // first frame
	end      time.Time // last frame
	good     int64     // bytes of whole frames
	lastSync time.Time
	trigger  string
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// A fileError is a clip that cannot be made: it ends Run.
type fileError struct{ err error }

func (e *fileError) Error() string { return "record: " + e.err.Error() }
func (e *fileError) Unwrap() error { return e.err }

// errDone ends a Run at the Duration or Frames limit.
var errDone = errors.New("record: limit reached")

// New checks c and returns a Recorder of it. It allocates the ring the
// frames pass through: PreSize bytes in the Events mode, ContinuousRingSize
// in the Continuous mode.
func New(c Config) (*Recorder, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	c.Source = storable(c.Source) // RGB24 and BGR24 frames as JPEG
	r := &Recorder{
		c:       c,
		pattern: c.pattern(),
		sync:    orDefault(c.Sync, DefaultSync),
		stall:   orDefault(c.Stall, DefaultStall),
		backoff: orDefault(c.MaxBackoff, DefaultMaxBackoff),
	}
	fc := circular.FrameConfig{Size: ContinuousRingSize}
	if c.Mode == Events {
		fc = circular.FrameConfig{Size: c.PreSize, MaxAge: c.Pre}
		if fc.Size == 0 {
			fc.Size = DefaultPreSize
		}
		if fc.MaxAge == 0 {
			fc.MaxAge = time.Nanosecond // nothing from before a trigger but the newest frame
		}
	}
	v := c.Version
	if v == 0 {
		v = container.V2_0
	}
	ring, err := imageio.NewRing(fc, &imageio.Options{Version: v})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	r.ring = ring
	if c.Motion != nil {
		if r.det, err = motion.New(*c.Motion); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Trigger starts an event, or extends the one in progress by Post, as a
// motion does; reason says what triggered it ("manual" when empty), for
// the clip's Event. The event's clip starts with the Pre seconds before
// the trigger. In the Continuous mode it does nothing.
func (r *Recorder) Trigger(reason string) {
	if reason == "" {
		reason = "manual"
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.c.Mode != Events || r.done {
		return
	}
	if r.last.IsZero() {
		r.pending = reason // before the first frame: it starts the event
		return
	}
	r.trigger(time.Now(), reason)
}

// Status returns what the Recorder is doing now.
func (r *Recorder) Status() Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.status
	if r.cur != nil {
		s.Recording, s.Clip, s.Frames = true, r.cur.path, r.cur.clip.Frames()
	}
	s.FPS = r.fps()
	return s
}

// Run records until ctx is done, the source ends or fails for good, or
// Duration or Frames is reached, and closes the clip in progress in every
// case. It returns nil at the source's end and at the limits, ctx.Err()
// when ctx is done, and the error when the source fails for good (see
// Source) or a file cannot be made. When the source drops or stalls for
// Stall, Run connects again after a backoff capped at MaxBackoff, logs the
// outage once, and goes on with the same clip: the gap shows in its timing.
// A source that fails before its first frame is logged at once, then
// retried in silence.
func (r *Recorder) Run(ctx context.Context) (err error) {
	if r.ran.Swap(true) {
		return ErrRunning
	}
	defer func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		if cerr := r.closeClip(nil); err == nil || errors.Is(err, errDone) {
			err = cerr
		}
	}()
	parent := ctx
	ctx, finish := context.WithCancelCause(ctx)
	defer finish(nil)
	r.mu.Lock()
	r.finish = finish
	if r.c.Duration > 0 {
		// Duration counts from here, not from the first frame: a source
		// that never delivers ends on time too.
		r.durationTimer = time.AfterFunc(r.c.Duration, func() { finish(errDone) })
	}
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.durationTimer != nil {
			r.durationTimer.Stop()
		}
	}()
	wait := MinBackoff
	failed := false // a failure was logged: the rest of its outage is not
	for {
		err := r.runSource(ctx)
		switch {
		case err == nil, err == io.EOF, errors.Is(err, errDone), errors.Is(context.Cause(ctx), errDone):
			return nil
		case parent.Err() != nil:
			return parent.Err()
		case errors.Is(err, ErrPermanent), errors.As(err, new(*fileError)):
			return err
		}
		r.mu.Lock()
		delivered := r.status.Connected
		if delivered {
			wait = MinBackoff // it ran well before this fault
			if r.c.Log != nil {
				r.c.Log.Printf("record: source lost: %v; connecting again", err)
			}
			r.gapStart = r.last
		} else if !failed && r.c.Log != nil {
			r.c.Log.Printf("record: source: %v; trying again", err) // the first failure, at once
		}
		failed = true
		r.status.Connected = false
		r.status.LastError = err.Error()
		r.mu.Unlock()
		if err := r.sleep(ctx, wait); err != nil {
			if errors.Is(context.Cause(ctx), errDone) {
				return nil
			}
			return err
		}
		wait = min(2*wait, r.backoff)
	}
}

// sleep waits for d, closing an event whose Post runs out meanwhile.
func (r *Recorder) sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.expire(time.Now())
}

// runSource runs the source once, with the stall watchdog.
func (r *Recorder) runSource(ctx context.Context) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	errStall := fmt.Errorf("record: no frame for %v", r.stall)
	watchdog := time.AfterFunc(r.stall, func() { cancel(errStall) })
	defer watchdog.Stop()
	// An event's Post runs out even while no frame comes.
	var tick <-chan time.Time
	if r.c.Mode == Events {
		t := time.NewTicker(max(r.c.Post/4, 10*time.Millisecond))
		defer t.Stop()
		tick = t.C
	}
	ticking := make(chan struct{})
	go func() {
		defer close(ticking)
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-tick:
				r.mu.Lock()
				r.expire(now)
				r.mu.Unlock()
			}
		}
	}()
	defer func() { <-ticking }()
	defer cancel(nil)

	r.mu.Lock()
	r.runBase, r.srcBase = time.Time{}, time.Time{}
	r.mu.Unlock()
	err := r.c.Source.Run(ctx, func(f *Frame) error {
		watchdog.Reset(r.stall)
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.handle(f)
	})
	if cause := context.Cause(ctx); cause == errStall {
		return errStall
	}
	return err
}

// handle records one frame. It runs with r.mu held.
func (r *Recorder) handle(f *Frame) error {
	now := time.Now()
	t := now
	if !f.Time.IsZero() {
		if r.srcBase.IsZero() {
			r.runBase, r.srcBase = now, f.Time
		}
		t = r.runBase.Add(f.Time.Sub(r.srcBase))
	}
	if t.Before(r.last) {
		t = r.last
	}
	if !r.status.Connected {
		r.status.Connected = true
		if !r.gapStart.IsZero() {
			r.status.Gaps++
			r.notify(Event{Kind: Gap, Path: r.curPath(), Start: r.gapStart, End: t})
			if r.c.Log != nil {
				r.c.Log.Printf("record: source back after %v", t.Sub(r.gapStart).Round(time.Millisecond))
			}
			r.gapStart = time.Time{}
		}
	}
	r.status.FramesIn++
	r.status.Dropped += f.Skipped
	r.arrivals[r.arrived%len(r.arrivals)] = now
	r.arrived++

	if r.first.IsZero() {
		r.first = t
	}
	if r.done || r.c.Duration > 0 && t.Sub(r.first) >= r.c.Duration {
		r.done = true
		return errDone
	}
	if err := r.ring.WriteAt(&f.Image, t); err != nil {
		r.status.Dropped++
		r.status.LastError = err.Error()
		if r.c.Log != nil {
			r.c.Log.Printf("record: frame dropped: %v", err)
		}
		return nil
	}
	r.last = t
	r.frames++
	r.publish(&f.Image)

	if r.c.Mode == Continuous {
		var err error
		if r.cur == nil {
			err = r.startClip(t, "")
		} else {
			err = r.appendFrame(t, &f.Image)
		}
		if err == nil && r.c.Frames > 0 && r.frames >= r.c.Frames {
			r.done = true
			err = errDone
		}
		return err
	}
	if err := r.expire(t); err != nil {
		return err
	}
	open := r.cur != nil
	if r.pending != "" {
		if err := r.trigger(t, r.pending); err != nil {
			return err
		}
		r.pending = ""
	}
	if r.det != nil && r.detect(&f.Image) {
		if err := r.trigger(t, "motion"); err != nil {
			return err
		}
	}
	if !open || r.cur == nil {
		return nil // no event, or one that started with this frame
	}
	return r.appendFrame(t, &f.Image)
}

// detect reports whether the detector sees motion in m.
func (r *Recorder) detect(m *imageio.Image) bool {
	switch m.Format {
	case container.JPEG:
		res, err := r.det.DetectJPEG(m.Data)
		return err == nil && res.Motion
	case container.Grayscale:
		r.grey = image.Gray{Pix: m.Data, Stride: m.Width, Rect: image.Rect(0, 0, m.Width, m.Height)}
		return r.det.Detect(&r.grey).Motion
	}
	img, err := m.Decode()
	return err == nil && r.det.Detect(img).Motion
}

// publish gives the frame to Live.
func (r *Recorder) publish(m *imageio.Image) {
	if r.c.Live == nil {
		return
	}
	if m.Format == container.JPEG {
		r.c.Live.Publish(m.Data)
		return
	}
	if r.c.Live.Stats().Viewers == 0 {
		return // encoding is for somebody to see
	}
	var err error
	if r.jpeg, err = m.AppendJPEG(r.jpeg[:0]); err == nil {
		r.c.Live.Publish(r.jpeg)
	}
}

// trigger starts or extends an event at t.
func (r *Recorder) trigger(t time.Time, reason string) error {
	r.lastTrigger = t
	if r.cur != nil {
		return nil
	}
	return r.startClip(t, reason)
}

// expire closes the event's clip when its Post has run out at now.
func (r *Recorder) expire(now time.Time) error {
	if r.c.Mode != Events || r.cur == nil || now.Sub(r.lastTrigger) <= r.c.Post {
		return nil
	}
	return r.closeClip(nil)
}

// startClip opens a clip at t, with the frames of the ring from Pre
// before t (and after the previous clip), or only the newest frame.
func (r *Recorder) startClip(t time.Time, reason string) error {
	d := time.Nanosecond // the newest frame only
	if r.c.Mode == Events {
		d = max(r.c.Pre, d)
		if !r.lastEnd.IsZero() {
			// Nothing the previous clip holds: the ring's limit counts
			// back from its newest frame, and leaves out a frame exactly
			// that far back.
			d = min(d, r.last.Sub(r.lastEnd))
		}
	}
	prev := r.prev
	if r.last.After(r.lastEnd) {
		prev = nil
	}
	cur, err := r.open(t, func(w io.Writer) (*imageio.Clip, error) {
		if prev != nil {
			return prev.Continue(w) // no frame since the previous clip's last
		}
		return r.ring.SaveTo(w, d)
	})
	if err != nil {
		return err
	}
	cur.trigger = reason
	r.cur = cur
	c := cur.clip
	if c.Frames() > 0 {
		r.cur.start, r.cur.end = r.last.Add(-c.Span()), r.last
	}
	// The ring's bytes ran out before its time, though it has run for
	// longer than Pre: say so once.
	if held := c.Span(); r.c.Mode == Events && d == r.c.Pre && !r.warnedPre && r.last.Sub(r.first) > r.c.Pre && held < r.c.Pre*9/10 {
		r.warnedPre = true
		if r.c.Log != nil {
			r.c.Log.Printf("record: the pre-trigger ring of %d bytes holds only %v of the %v asked: raise PreSize", r.ring.BufferSize(), held.Round(time.Millisecond), r.c.Pre)
		}
	}
	return r.syncIfDue(t)
}

// appendFrame adds the ring's newest frame, at t, to the clip: first
// splitting the clip when it is due.
func (r *Recorder) appendFrame(t time.Time, m *imageio.Image) error {
	c := r.cur
	chunk := int64(r.ring.Version().HeaderSize() + len(m.Data) + container.Padding(len(m.Data)))
	if c.clip.Frames() > 0 && (r.c.SplitEvery > 0 && t.Sub(c.start) >= r.c.SplitEvery ||
		r.c.SplitSize > 0 && c.good+chunk > r.c.SplitSize) {
		if err := r.split(t); err != nil {
			return err
		}
		c = r.cur
	}
	if _, err := c.clip.Flush(); err != nil {
		return r.writeFailed(err)
	}
	c.good = c.w.n
	if c.start.IsZero() {
		c.start = t
	}
	c.end = t
	return r.syncIfDue(t)
}

// split closes the clip and goes on in a new one from the next frame.
func (r *Recorder) split(t time.Time) error {
	next, err := r.open(t, r.cur.clip.Continue)
	var fe *fileError
	if errors.As(err, &fe) {
		return err
	} else if err != nil {
		return r.writeFailed(err)
	}
	old := r.cur
	next.trigger = old.trigger
	r.cur = next // and retention spares it
	return r.closeFile(old, true, nil)
}

// open makes the file of a clip starting at t, writes its start with
// start, and gives it its name. A file that cannot be made or named is a
// fileError.
func (r *Recorder) open(t time.Time, start func(io.Writer) (*imageio.Clip, error)) (*clip, error) {
	f, name, err := create(r.pattern, t)
	if err != nil {
		return nil, &fileError{err}
	}
	w := &countingWriter{w: f}
	c, err := start(w)
	if err == nil {
		name, err = publish(f, name)
		if err != nil {
			err = &fileError{err}
		}
	}
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return &clip{f: f, w: w, clip: c, path: name, good: w.n, lastSync: t}, nil
}

// writeFailed handles a failed write to the clip: it cuts the file back
// to its whole frames, closes it with the error, and frees the oldest
// clips; the recording goes on in a new clip from the next frame.
func (r *Recorder) writeFailed(err error) error {
	c := r.cur
	c.f.Truncate(c.good)
	r.status.LastError = err.Error()
	if r.c.Log != nil {
		r.c.Log.Printf("record: %s: %v; going on in a new clip", c.path, err)
	}
	if cerr := r.closeClip(err); cerr != nil {
		return cerr
	}
	r.lastEnd, r.prev = time.Time{}, nil
	return nil
}

// syncIfDue fsyncs the clip when Sync has passed since the last.
func (r *Recorder) syncIfDue(t time.Time) error {
	c := r.cur
	if r.sync < 0 || t.Sub(c.lastSync) < r.sync {
		return nil
	}
	if err := c.f.Sync(); err != nil {
		return r.writeFailed(err)
	}
	c.lastSync = t
	r.notify(Event{Kind: Synced, Path: c.path, Start: c.start, End: c.end, Frames: c.clip.Frames(), Bytes: c.good})
	return nil
}

// closeClip closes the clip in progress, if any; cause is the write
// error that cut it short.
func (r *Recorder) closeClip(cause error) error {
	c := r.cur
	if c == nil {
		return nil
	}
	r.cur = nil
	return r.closeFile(c, false, cause)
}

// closeFile syncs and closes c, tells of it, and applies retention, which
// spares the clip in progress. split says the recording goes on in
// another clip; cause is the write error that cut c short.
func (r *Recorder) closeFile(c *clip, split bool, cause error) error {
	err := c.f.Sync()
	if cerr := c.f.Close(); err == nil {
		err = cerr
	}
	if cause != nil {
		err = nil // told in the event
	}
	r.lastEnd, r.prev = c.end, c.clip
	r.status.Clips++
	ev := Event{Kind: ClipClosed, Path: c.path, Start: c.start, End: c.end, Frames: c.clip.Frames(), Bytes: c.good, Trigger: c.trigger, Split: split}
	if cause != nil {
		ev.Err = cause.Error()
	}
	r.notify(ev)
	removed, rerr := retain(r.pattern, r.c.Keep, r.curPath(), time.Now())
	for _, p := range removed {
		r.notify(Event{Kind: Removed, Path: p})
	}
	if rerr != nil && r.c.Log != nil {
		r.c.Log.Printf("record: retention: %v", rerr)
	}
	return err
}

func (r *Recorder) curPath() string {
	if r.cur == nil {
		return ""
	}
	return r.cur.path
}

func (r *Recorder) notify(e Event) {
	if r.c.Notify != nil {
		r.c.Notify(e)
	}
}

// fps is the rate of the last arrivals.
func (r *Recorder) fps() float64 {
	n := min(r.arrived, len(r.arrivals)) - 1 // intervals
	if n < 1 {
		return 0
	}
	newest := r.arrivals[(r.arrived-1)%len(r.arrivals)]
	oldest := r.arrivals[(r.arrived-1-n)%len(r.arrivals)]
	if d := newest.Sub(oldest); d > 0 {
		return float64(n) / d.Seconds()
	}
	return 0
}
