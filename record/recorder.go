package record

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"io/fs"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/imgstream/imgstream/circular"
	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/motion"
)

// A Recorder records frames from a Source into files: continuously, or as
// events around triggers. Make one with New, then call Run once. Trigger
// and Status are safe for concurrent use, from any goroutine: they never
// wait for the disk, and Config.Notify may call them.
type Recorder struct {
	c       Config
	pattern string
	sync    time.Duration
	stall   time.Duration
	backoff time.Duration

	ran atomic.Bool

	// mu guards what Status, Trigger and every frame need: the fields
	// from here to nmu. It is held for no I/O and no callback.
	mu       sync.Mutex
	status   Status
	mark     string        // a Trigger not acted on yet
	markAt   time.Time     // and when it came
	done     bool          // Duration or Frames reached
	queue    []Event       // events for Notify, in order, not yet told
	arrivals [32]time.Time // the last frames' arrivals, a ring
	arrived  int           // how many frames arrived
	// finish ends the Run in progress with a cause.
	finish context.CancelCauseFunc

	// nmu makes the delivery of events to Notify one at a time, in order.
	nmu sync.Mutex

	// wmu is the writer's: the goroutine that handles a frame, expires an
	// event or closes the recording holds it for the ring, the clip and
	// the disk. It guards the fields below.
	wmu  sync.Mutex
	ring *imageio.Stream
	det  *motion.Detector
	grey image.Gray // a view of raw greyscale frames for the detector
	jpeg []byte     // raw frames encoded for Live
	cur  *clip      // the clip being written, nil between events
	// event state
	event       bool          // an event is in progress, with a clip or (the disk failing) without
	reason      string        // what triggered it
	lastTrigger time.Time     // the last trigger of the event in progress
	pending     string        // a trigger that came before the first frame
	lastEnd     time.Time     // the last frame of the previous clip
	prev        *imageio.Clip // the previous clip
	// timing
	first     time.Time // the first frame's time
	last      time.Time // the newest frame's time
	frames    int       // frames recorded
	runBase   time.Time // arrival of a Run's first source-timed frame
	srcBase   time.Time // and its source time
	warnedPre bool      // logged that PreSize holds less than Pre
	gapStart  time.Time
	// disk faults
	disk          disk
	durationTimer *time.Timer
}

// disk is the state of the disk the clips go to: a write that fails
// starts an outage, in which frames are lost and a new clip is tried
// after a backoff.
type disk struct {
	err      error     // the error that started the outage in progress; nil when none
	since    time.Time // when it started
	retry    time.Time // when to try again
	wait     time.Duration
	lost     uint64 // frames lost to write errors, in all
	lostThen uint64 // lost when the outage started
	first    error  // the first write error of the Run
}

// Backoff of the retries of a disk that failed: from minDiskRetry,
// doubling up to maxDiskRetry.
const (
	minDiskRetry = time.Second
	maxDiskRetry = 30 * time.Second
)

// clip is a file being written.
type clip struct {
	f          clipFile
	w          *countingWriter
	clip       *imageio.Clip
	name       string    // the name it is to take
	path       string    // the name it took with its first frame; "" before
	start      time.Time // first frame
	end        time.Time // last frame
	good       int64     // bytes of whole frames
	goodFrames int       // and how many frames
	lastSync   time.Time
	trigger    string
}

// err returns err, from c's file, naming the clip rather than the hidden
// partial, which no longer exists once the clip is named.
func (c *clip) err(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == c.f.Name() {
		p := c.path
		if p == "" {
			p = c.name
		}
		if err == error(pe) {
			return &fs.PathError{Op: pe.Op, Path: p, Err: pe.Err}
		}
		return fmt.Errorf("%s: %w", p, pe.Err)
	}
	return err
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

// diskFault reports whether err, from making or naming a file, is the
// disk's fault (full, or failing), which time or retention may cure,
// rather than a clip that cannot be made at all (a bad path, no
// permission).
func diskFault(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) || errors.Is(err, syscall.EIO)
}

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
// the trigger. In the Continuous mode it does nothing. Trigger only marks
// the trigger and returns at once: the Recorder acts on it before its
// next frame, or within a quarter of Post while no frame comes.
func (r *Recorder) Trigger(reason string) {
	if reason == "" {
		reason = "manual"
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.c.Mode != Events || r.done {
		return
	}
	if r.mark == "" {
		r.mark = reason
	}
	r.markAt = time.Now()
}

// Status returns what the Recorder is doing now. It never waits for the
// disk.
func (r *Recorder) Status() Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.status
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
//
// A write that fails (a full disk) is not the source's fault: Run logs it
// once, counts the frames it costs in Status().Dropped, lets retention
// run, and tries the disk again after a backoff, from one second doubling
// up to 30, in a new clip. A source that ends (a pipe, a file) cannot send
// its lost frames again: then Run returns an error matching ErrWrite.
//
// A source that fails before its first frame is logged at once, then
// retried in silence.
func (r *Recorder) Run(ctx context.Context) error {
	if r.ran.Swap(true) {
		return ErrRunning
	}
	parent := ctx
	ctx, finish := context.WithCancelCause(ctx)
	defer finish(nil)
	r.mu.Lock()
	r.finish = finish
	r.mu.Unlock()
	if r.c.Duration > 0 {
		// Duration counts from here, not from the first frame: a source
		// that never delivers ends on time too.
		r.wmu.Lock()
		r.durationTimer = time.AfterFunc(r.c.Duration, func() { finish(errDone) })
		r.wmu.Unlock()
	}
	ended, err := r.run(ctx, parent)
	var lost uint64
	var first error
	cerr := r.write(func() error {
		if r.durationTimer != nil {
			r.durationTimer.Stop()
		}
		lost, first = r.disk.lost, r.disk.first
		return r.closeClip(nil)
	})
	switch {
	case err != nil:
		return err
	case cerr != nil:
		return fmt.Errorf("%w: %w", ErrWrite, cerr)
	case ended && lost > 0:
		return fmt.Errorf("%w: %d frames lost: %w", ErrWrite, lost, first)
	}
	return nil
}

// run runs the source until it ends (ended), a limit is reached, ctx is
// done or the source fails for good.
func (r *Recorder) run(ctx, parent context.Context) (ended bool, err error) {
	wait := MinBackoff
	failed := false // a failure was logged: the rest of its outage is not
	for {
		err := r.runSource(ctx)
		switch {
		case errors.Is(err, errDone), errors.Is(context.Cause(ctx), errDone):
			return false, nil
		case err == nil, err == io.EOF:
			return true, nil
		case parent.Err() != nil:
			return false, parent.Err()
		case errors.Is(err, ErrPermanent), errors.As(err, new(*fileError)):
			return false, err
		}
		r.wmu.Lock()
		r.mu.Lock()
		delivered := r.status.Connected
		r.status.Connected = false
		r.status.LastError = err.Error()
		r.mu.Unlock()
		if delivered {
			wait = MinBackoff // it ran well before this fault
			r.gapStart = r.last
		}
		r.wmu.Unlock()
		if r.c.Log != nil {
			switch {
			case delivered:
				r.c.Log.Printf("record: source lost: %v; connecting again", err)
			case !failed:
				r.c.Log.Printf("record: source: %v; trying again", err) // the first failure, at once
			}
		}
		failed = true
		if err := r.sleep(ctx, wait); err != nil {
			if errors.Is(context.Cause(ctx), errDone) {
				return false, nil
			}
			return false, err
		}
		wait = min(2*wait, r.backoff)
	}
}

// write runs fn with the writer's lock, then brings Status up to date, and
// tells Notify of the events fn queued, once no lock is held.
func (r *Recorder) write(fn func() error) error {
	r.wmu.Lock()
	err := fn()
	r.mu.Lock()
	r.status.Recording, r.status.Clip, r.status.Frames = r.cur != nil, "", 0
	if r.cur != nil {
		r.status.Clip, r.status.Frames = r.cur.path, r.cur.goodFrames
	}
	r.mu.Unlock()
	r.wmu.Unlock()
	r.deliver()
	return err
}

// notify queues e for Notify, which deliver tells once no lock is held.
func (r *Recorder) notify(e Event) {
	if r.c.Notify == nil {
		return
	}
	r.mu.Lock()
	r.queue = append(r.queue, e)
	r.mu.Unlock()
}

// deliver tells Notify of the queued events, in order, holding no lock
// but nmu, so that Notify may call Status and Trigger.
func (r *Recorder) deliver() {
	if r.c.Notify == nil {
		return
	}
	r.nmu.Lock()
	defer r.nmu.Unlock()
	for {
		r.mu.Lock()
		q := r.queue
		r.queue = nil
		r.mu.Unlock()
		if len(q) == 0 {
			return
		}
		for _, e := range q {
			r.c.Notify(e)
		}
	}
}

// sleep waits for d, acting on a trigger and closing an event whose Post
// runs out meanwhile.
func (r *Recorder) sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
	}
	return r.write(func() error { return r.tick(time.Now()) })
}

// tick acts on a trigger and closes an event whose Post has run out, at
// now, while no frame comes.
func (r *Recorder) tick(now time.Time) error {
	if err := r.applyMark(); err != nil {
		return err
	}
	return r.expire(now)
}

// applyMark acts on the trigger that Trigger marked, if any.
func (r *Recorder) applyMark() error {
	r.mu.Lock()
	reason, at := r.mark, r.markAt
	r.mark = ""
	r.mu.Unlock()
	switch {
	case reason == "":
		return nil
	case r.last.IsZero():
		r.pending = reason // before the first frame: it starts the event
		return nil
	}
	if err := r.expire(at); err != nil {
		return err
	}
	return r.trigger(at, reason)
}

// runSource runs the source once, with the stall watchdog.
func (r *Recorder) runSource(ctx context.Context) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	errStall := fmt.Errorf("record: no frame for %v", r.stall)
	watchdog := time.AfterFunc(r.stall, func() { cancel(errStall) })
	defer watchdog.Stop()
	// An event's Post runs out, and a trigger is acted on, even while no
	// frame comes.
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
				r.write(func() error { return r.tick(now) })
			}
		}
	}()
	defer func() { <-ticking }()
	defer cancel(nil)

	r.wmu.Lock()
	r.runBase, r.srcBase = time.Time{}, time.Time{}
	r.wmu.Unlock()
	err := r.c.Source.Run(ctx, func(f *Frame) error {
		watchdog.Reset(r.stall)
		return r.write(func() error { return r.handle(f) })
	})
	if cause := context.Cause(ctx); cause == errStall {
		return errStall
	}
	return err
}

// handle records one frame. It runs with r.wmu held. It returns errDone
// at the limits and a fileError when a clip cannot be made: never an
// error of the disk, which is no fault of the source.
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
	var back time.Duration
	r.mu.Lock()
	if !r.status.Connected {
		r.status.Connected = true
		if !r.gapStart.IsZero() {
			r.status.Gaps++
			if r.c.Notify != nil {
				r.queue = append(r.queue, Event{Kind: Gap, Path: r.curPath(), Start: r.gapStart, End: t})
			}
			back = t.Sub(r.gapStart)
			r.gapStart = time.Time{}
		}
	}
	r.status.FramesIn++
	r.status.Dropped += f.Skipped
	r.arrivals[r.arrived%len(r.arrivals)] = now
	r.arrived++
	done := r.done
	r.mu.Unlock()
	if back > 0 && r.c.Log != nil {
		r.c.Log.Printf("record: source back after %v", back.Round(time.Millisecond))
	}

	if r.first.IsZero() {
		r.first = t
	}
	if done || r.c.Duration > 0 && t.Sub(r.first) >= r.c.Duration {
		r.setDone()
		return errDone
	}
	// A trigger that came before this frame: the event starts with the
	// frames before it.
	if err := r.applyMark(); err != nil {
		return err
	}
	if err := r.ring.WriteAt(&f.Image, t); err != nil {
		r.drop(1, err.Error())
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
			if r.diskDue() {
				err = r.startClip(t, "")
			}
			if err == nil && r.cur == nil {
				r.lose(1) // the disk is failing
			}
		} else {
			err = r.appendFrame(t, &f.Image)
		}
		if err == nil && r.c.Frames > 0 && r.frames >= r.c.Frames {
			r.setDone()
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
	switch {
	case open && r.cur != nil:
		return r.appendFrame(t, &f.Image)
	case r.cur == nil && r.event:
		// The disk failed in the event: it goes on in a new clip, from
		// this frame, once the disk takes it.
		if r.diskDue() {
			if err := r.openClip(t, r.reason, time.Nanosecond); err != nil {
				return err
			}
		}
		if r.cur == nil {
			r.lose(1)
		}
	}
	return nil
}

// setDone marks the limit reached: Trigger does nothing from then on.
func (r *Recorder) setDone() {
	r.mu.Lock()
	r.done = true
	r.mu.Unlock()
}

// drop counts n frames dropped, for why.
func (r *Recorder) drop(n int, why string) {
	r.mu.Lock()
	r.status.Dropped += uint64(n)
	r.status.LastError = why
	r.mu.Unlock()
}

// lose counts n frames lost to the disk.
func (r *Recorder) lose(n int) {
	if n <= 0 {
		return
	}
	r.disk.lost += uint64(n)
	r.mu.Lock()
	r.status.Dropped += uint64(n)
	r.mu.Unlock()
}

// diskDue reports whether a clip may be made: the disk works, or its
// backoff has run out.
func (r *Recorder) diskDue() bool {
	return r.disk.err == nil || !time.Now().Before(r.disk.retry)
}

// diskFailed starts an outage of the disk with err, logged once, or goes
// on with the one in progress, and sets when to try again.
func (r *Recorder) diskFailed(err error) {
	now := time.Now()
	if r.disk.first == nil {
		r.disk.first = err
	}
	r.mu.Lock()
	r.status.LastError = err.Error()
	r.mu.Unlock()
	if r.disk.err != nil {
		r.disk.wait = min(2*r.disk.wait, maxDiskRetry)
		r.disk.retry = now.Add(r.disk.wait)
		return
	}
	r.disk = disk{err: err, since: now, wait: minDiskRetry, retry: now.Add(minDiskRetry),
		lost: r.disk.lost, lostThen: r.disk.lost, first: r.disk.first}
	if r.c.Log != nil {
		r.c.Log.Printf("record: %v: frames are lost until the disk takes them again; trying again in %v, then less often (at most every %v)", err, minDiskRetry, maxDiskRetry)
	}
}

// diskWorks ends the outage in progress, if any: a clip was made.
func (r *Recorder) diskWorks() {
	if r.disk.err == nil {
		return
	}
	if r.c.Log != nil {
		r.c.Log.Printf("record: writing again after %v; %d frames lost", time.Since(r.disk.since).Round(time.Millisecond), r.disk.lost-r.disk.lostThen)
	}
	r.disk.err = nil
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
	if r.event {
		return nil
	}
	r.event, r.reason = true, reason
	if !r.diskDue() {
		return nil // the next frame after the backoff starts the clip
	}
	return r.startClip(t, reason)
}

// expire ends the event when its Post has run out at now, closing its
// clip; an error closing it is the disk's, not the source's.
func (r *Recorder) expire(now time.Time) error {
	if r.c.Mode != Events || !r.event || now.Sub(r.lastTrigger) <= r.c.Post {
		return nil
	}
	r.event = false
	if c := r.cur; c != nil {
		r.cur = nil
		r.closeQuiet(c, false, nil)
	}
	return nil
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
	return r.openClip(t, reason, d)
}

// openClip opens a clip at t with the frames of the ring from d before its
// newest, or none since the previous clip's last. A disk that fails
// leaves r.cur nil; only a clip that cannot be made at all is an error.
func (r *Recorder) openClip(t time.Time, reason string, d time.Duration) error {
	prev := r.prev
	if r.last.After(r.lastEnd) {
		prev = nil
	}
	if r.disk.err != nil {
		r.retain() // it may make room
	}
	cur, err := r.open(t, func(w io.Writer) (*imageio.Clip, error) {
		if prev != nil {
			return prev.Continue(w) // no frame since the previous clip's last
		}
		return r.ring.SaveTo(w, d)
	})
	var fe *fileError
	if errors.As(err, &fe) {
		return err
	} else if err != nil {
		r.diskFailed(err)
		return nil
	}
	r.diskWorks()
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
	if c.goodFrames > 0 && (r.c.SplitEvery > 0 && t.Sub(c.start) >= r.c.SplitEvery ||
		r.c.SplitSize > 0 && c.good+chunk > r.c.SplitSize) {
		if err := r.split(t); err != nil || r.cur == nil {
			return err
		}
		c = r.cur
	}
	if _, err := c.clip.Flush(); err != nil {
		r.writeFailed(err)
		return nil
	}
	if c.start.IsZero() {
		c.start = t
	}
	c.end = t
	if err := r.written(c); err != nil {
		return err
	}
	return r.syncIfDue(t)
}

// written notes that c's frames so far are whole in its file, and gives c
// its name with its first frame.
func (r *Recorder) written(c *clip) error {
	c.good, c.goodFrames = c.w.n, c.clip.Frames()
	if c.path != "" || c.goodFrames == 0 {
		return nil
	}
	p, err := publish(c.f, c.name)
	if err == nil {
		c.path = p
		return nil
	}
	if !diskFault(err) {
		return &fileError{err}
	}
	r.writeFailed(err)
	return nil
}

// split closes the clip and goes on in a new one from the next frame. A
// new clip the disk does not take leaves r.cur nil.
func (r *Recorder) split(t time.Time) error {
	next, err := r.open(t, r.cur.clip.Continue)
	var fe *fileError
	if errors.As(err, &fe) {
		return err
	}
	old := r.cur
	if err != nil {
		// The clip is whole: it closes as it is, and the frame is lost.
		r.diskFailed(err)
		r.cur = nil
		r.lose(1)
		r.closeQuiet(old, false, nil)
		r.lastEnd, r.prev = r.last, nil
		return nil
	}
	next.trigger = old.trigger
	r.cur = next
	r.closeQuiet(old, true, nil)
	return nil
}

// open makes the hidden file of a clip starting at t and writes its start
// with start; the clip is named when it holds a frame. A file that cannot
// be made or named, but for the disk's faults, is a fileError.
func (r *Recorder) open(t time.Time, start func(io.Writer) (*imageio.Clip, error)) (*clip, error) {
	f, name, err := create(r.pattern, t)
	if err != nil {
		if diskFault(err) {
			return nil, err
		}
		return nil, &fileError{err}
	}
	w := &countingWriter{w: f}
	cur := &clip{f: f, w: w, name: name, lastSync: t}
	cur.clip, err = start(w)
	if err == nil {
		c := cur.clip
		cur.good, cur.goodFrames = w.n, c.Frames()
		if c.Frames() > 0 {
			cur.path, err = publish(f, name)
			if err != nil && !diskFault(err) {
				err = &fileError{err}
			}
		}
	}
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, cur.err(err)
	}
	return cur, nil
}

// writeFailed handles a failed write to the clip: it cuts the file back
// to its whole frames, closes it with the error, counts the frames cut,
// and starts an outage of the disk; the recording goes on in a new clip
// once the disk takes it.
func (r *Recorder) writeFailed(err error) {
	c := r.cur
	err = c.err(err)
	c.f.Truncate(c.good)
	r.lose(c.clip.Frames() - c.goodFrames)
	r.diskFailed(err)
	r.cur = nil
	r.closeQuiet(c, false, err)
	r.lastEnd, r.prev = r.last, nil // nothing from before the failure again
}

// syncIfDue fsyncs the clip when Sync has passed since the last.
func (r *Recorder) syncIfDue(t time.Time) error {
	c := r.cur
	if c == nil || c.path == "" || r.sync < 0 || t.Sub(c.lastSync) < r.sync {
		return nil
	}
	if err := c.f.Sync(); err != nil {
		r.writeFailed(err)
		return nil
	}
	c.lastSync = t
	r.notify(Event{Kind: Synced, Path: c.path, Start: c.start, End: c.end, Frames: c.goodFrames, Bytes: c.good})
	return nil
}

// closeClip closes the clip in progress, if any, and returns the error
// of closing it.
func (r *Recorder) closeClip(cause error) error {
	c := r.cur
	if c == nil {
		return nil
	}
	r.cur = nil
	return r.closeFile(c, false, cause)
}

// closeQuiet closes c as closeFile does, while the recording goes on: an
// error is the disk's, logged once.
func (r *Recorder) closeQuiet(c *clip, split bool, cause error) {
	if err := r.closeFile(c, split, cause); err != nil {
		r.diskFailed(err)
	}
}

// closeFile syncs and closes c, tells of it, and applies retention, which
// spares the clip in progress. split says the recording goes on in
// another clip; cause is the write error that cut c short. A clip with no
// frame has no name: its hidden file is removed.
func (r *Recorder) closeFile(c *clip, split bool, cause error) error {
	var err error
	if c.path != "" {
		err = c.f.Sync()
	}
	if cerr := c.f.Close(); err == nil {
		err = cerr
	}
	if c.path == "" {
		os.Remove(c.f.Name())
		return nil
	}
	err = c.err(err)
	if cause != nil {
		err = nil // told in the event
	}
	r.lastEnd, r.prev = c.end, c.clip
	r.mu.Lock()
	r.status.Clips++
	r.mu.Unlock()
	ev := Event{Kind: ClipClosed, Path: c.path, Start: c.start, End: c.end, Frames: c.goodFrames, Bytes: c.good, Trigger: c.trigger, Split: split}
	if cause != nil {
		ev.Err = cause.Error()
	} else if err != nil {
		ev.Err = err.Error()
	}
	r.notify(ev)
	r.retain()
	return err
}

// retain applies Keep, sparing the clip in progress.
func (r *Recorder) retain() {
	removed, err := retain(r.pattern, r.c.Keep, r.curPath(), time.Now())
	for _, p := range removed {
		r.notify(Event{Kind: Removed, Path: p})
	}
	if err != nil && r.c.Log != nil {
		r.c.Log.Printf("record: retention: %v", err)
	}
}

func (r *Recorder) curPath() string {
	if r.cur == nil {
		return ""
	}
	return r.cur.path
}

// fps is the rate of the last arrivals. It runs with r.mu held.
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
