package record

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
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
// and Status are safe for concurrent use, from any goroutine: they never
// wait for the disk, and Config.Notify may call them.
//
// Two goroutines do the work. The one that receives each frame from the
// Source touches only memory: it puts the frame into the ring, keeps the
// Status, detects motion and decides what goes into which clip. A writer
// goroutine, which Run starts and waits for, does every file operation:
// it copies the frames from the ring into the clips, as it is told in
// order, each command bounded by a frame's index, so a split or an
// event's end falls at an exact frame however far behind the disk is. At
// a camera's pace it is woken every writeBatch (100 ms), not every frame,
// and writes the frames waiting in one write.
type Recorder struct {
	c       Config
	pattern string
	sync    time.Duration
	stall   time.Duration
	backoff time.Duration

	ran atomic.Bool

	// mu guards what Status, Trigger and every frame need: status, mark,
	// markAt, done, queue, arrivals, arrived and finish. It is held for
	// no I/O and no callback.
	mu       sync.Mutex
	status   Status
	mark     string        // a Trigger not acted on yet
	markAt   time.Time     // and when it came
	done     bool          // Duration or Frames reached
	queue    []Event       // events for Notify, in order, not yet told; at most MaxQueuedEvents
	dropLog  bool          // a drop of events was logged
	arrivals [32]time.Time // the last frames' arrivals, a ring
	arrived  int           // how many frames arrived
	// finish ends the Run in progress with a cause.
	finish context.CancelCauseFunc

	// nwake wakes the notifier goroutine: an event is queued; ndone
	// tells it that the writer is done, and nstop that it has told the
	// last event.
	nwake chan struct{}
	ndone chan struct{}
	nstop chan struct{}

	// fmu is the frame path's: the goroutine that handles a frame, or
	// the one that expires an event while no frame comes, holds it for
	// the ring and the decisions, never for the disk. It guards every
	// field below, from ring to durationTimer (the ring's writes and its
	// growth; its reads are the ring's own to lock).
	fmu     sync.Mutex
	ring    *imageio.Stream
	maxRing int // the most the ring grows to: PreSize (Events), its size (Continuous)
	det     *motion.Detector
	grey    image.Gray      // a view of raw greyscale frames for the detector
	dec     imageio.Decoder // other raw frames for the detector, decoded
	jpeg    []byte          // raw frames encoded for Live
	// event state
	event       bool      // an event is in progress
	reason      string    // what triggered it
	lastTrigger time.Time // the last trigger of the event in progress
	pending     string    // a trigger that came before the first frame
	lastEnd     time.Time // the last frame of the previous event's clip
	lastEndIdx  int       // and its index in the ring; -1 before one
	// motion state, for MotionStart and MotionEnd
	moving     bool      // motion seen within Post
	lastMotion time.Time // the last frame with motion
	motionArea float64   // the largest area changed during it, 0 to 1
	snap       []byte    // raw frames encoded for a MotionStart
	// the clip asked of the writer, for its splits
	asked      bool      // a clip is asked (opened and not closed)
	clipFrom   int       // its first frame's index
	clipStart  time.Time // its first frame's time
	clipLast   time.Time // its last frame's time
	clipBytes  int64     // its bytes, magic included
	clipFrames int       // its frames
	clipNext   int       // the index of the next frame it takes
	// timing
	first         time.Time // the first frame's time
	last          time.Time // the newest frame's time
	frames        int       // frames recorded: the ring's index of the next
	runBase       time.Time // arrival of a Run's first source-timed frame
	srcBase       time.Time // and its source time
	warnedPre     bool      // logged that PreSize holds less than Pre
	gapStart      time.Time
	stuck         int         // the writer's need when a wait for it timed out; -1 none
	roomTimer     *time.Timer // bounds a wait for the writer
	durationTimer *time.Timer

	// qmu guards the commands from the frame path to the writer (q,
	// qneed) and what the writer still needs of the ring (wneed); wake
	// and freed are channels, safe without it.
	qmu   sync.Mutex
	q     []command
	qneed int           // the lowest frame index the queued commands need; noNeed when none
	wneed int           // the lowest frame index the writer still needs; noNeed when none
	wake  chan struct{} // a command is queued
	freed chan struct{} // the writer needs less of the ring
	// the frames queued without waking the writer (see writeBatch)
	batch      time.Duration // writeBatch, or Sync/4 if shorter
	wokeAt     time.Time     // the writer's last wake by push
	unwoken    int64         // bytes of frames queued since
	batchTimer *time.Timer   // wakes the writer for them when no frame does
	batchArmed bool          // batchTimer is set

	// w is the writer's state: only the writer goroutine touches it,
	// and Run once the writer is done.
	w     writer
	wdone chan struct{}
}

// writeBatch is how long a frame may wait in the ring before the writer is
// woken for it: a camera's frames are written a few at a time, in one
// write, rather than one wake and one write each, which at 30 fps costs
// more than the copy. It is at most a quarter of Sync, so that a kill
// loses no more than Sync says: a frame waits for the next frame at least
// a batch after the last wake, or, when frames stop coming, for a timer
// 2 batches after it (so that the timer never races the next frame), less
// than 3 batches in all. The ring holds what waits; a quarter of the
// ring's bytes waiting wakes the writer at once, as does a frame that
// finds no room.
const writeBatch = 100 * time.Millisecond

// noNeed is a need of no frame.
const noNeed = math.MaxInt

// maxRoomWait caps the wait of a frame for the writer to copy the frames
// it would overwrite in a full ring; DefaultStall/2 at most, so that the
// wait never looks like a stalled source.
const maxRoomWait = 5 * time.Second

// A command tells the writer what to do with the frames in the ring, in
// the order the frames came.
type command struct {
	kind   cmdKind
	index  int       // cmdOpen, cmdSplit: the new clip's first frame; cmdTo: its last so far
	t      time.Time // cmdOpen, cmdSplit: the time the clip is named by; cmdTo: frame index's
	start  time.Time // cmdGap: the last frame before the gap
	reason string    // cmdOpen: what triggered the event
}

type cmdKind uint8

const (
	cmdOpen  cmdKind = iota // a clip from frame index
	cmdTo                   // the clip goes on to frame index
	cmdSplit                // the clip ends before frame index, and the next starts there
	cmdClose                // the clip ends (at its last cmdTo)
	cmdGap                  // the source came back: a Gap event
	cmdEnd                  // the Run ends: close everything and return
)

// New checks c and returns a Recorder of it. It allocates the ring the
// frames pass through, InitialPreSize (or PreSize if smaller), which grows
// as the frames seen require: in the Events mode to hold Pre of them, up
// to PreSize (see Config.Pre); in both modes to hold a frame larger than
// the ring, and the frames a slow disk has not taken yet, up to PreSize
// (Events) or ContinuousRingSize (Continuous).
func New(c Config) (*Recorder, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	c.Source = storable(c.Source) // RGB24 and BGR24 frames as JPEG
	r := &Recorder{
		c:          c,
		pattern:    c.pattern(),
		sync:       cmp.Or(c.Sync, DefaultSync),
		stall:      cmp.Or(c.Stall, DefaultStall),
		backoff:    cmp.Or(c.MaxBackoff, DefaultMaxBackoff),
		lastEndIdx: -1,
		stuck:      -1,
		qneed:      noNeed,
		wneed:      noNeed,
		wake:       make(chan struct{}, 1),
		freed:      make(chan struct{}, 1),
		wdone:      make(chan struct{}),
		nwake:      make(chan struct{}, 1),
		ndone:      make(chan struct{}),
		nstop:      make(chan struct{}),
	}
	// The ring holds what came before a trigger, and the frames the
	// writer has not copied yet: no MaxAge, which would drop those; Pre
	// is the bound of what a trigger takes from it.
	r.maxRing = ContinuousRingSize
	if c.Mode == Events {
		r.maxRing = cmp.Or(c.PreSize, DefaultPreSize)
	}
	fc := circular.FrameConfig{Size: min(InitialPreSize, r.maxRing)}
	v := c.Version
	if v == 0 {
		v = container.V2_0
	}
	ring, err := imageio.NewRing(fc, &imageio.Options{Version: v})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	r.ring = ring
	r.batch = writeBatch
	if r.sync > 0 {
		r.batch = min(r.batch, r.sync/4)
	}
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
// Run returns once its writer has written and closed every clip: every
// frame recorded before it returns is in a file, or counted in
// Status().Dropped.
//
// A write that fails (a full disk) is not the source's fault: Run logs it
// once, counts the frames it costs in Status().Dropped, lets retention
// run, and tries the disk again after a backoff, from one second doubling
// up to 30, in a new clip. The frames a writer too far behind lets the
// ring overwrite are counted there too, and logged once with an error
// matching circular.ErrOverrun. A source that ends (a pipe, a file)
// cannot send its lost frames again: then Run returns an error matching
// ErrWrite.
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
	go r.write()
	go r.notifier()
	if r.c.Duration > 0 {
		// Duration counts from here, not from the first frame: a source
		// that never delivers ends on time too.
		r.fmu.Lock()
		r.durationTimer = time.AfterFunc(r.c.Duration, func() { finish(errDone) })
		r.fmu.Unlock()
	}
	ended, err := r.run(ctx, parent)
	r.fmu.Lock()
	if r.durationTimer != nil {
		r.durationTimer.Stop()
	}
	if r.moving { // the motion ends with the recording
		r.lastMotion = time.Time{}
		r.expire(r.last)
	}
	r.push(command{kind: cmdEnd})
	r.fmu.Unlock()
	<-r.wdone
	r.qmu.Lock()
	r.wokeLocked(time.Time{}) // stops batchTimer: cmdEnd wrote everything
	r.qmu.Unlock()
	close(r.ndone)
	<-r.nstop
	w := &r.w
	switch {
	case w.fatal != nil:
		return w.fatal
	case err != nil:
		return err
	case w.closed != nil:
		return fmt.Errorf("%w: %w", ErrWrite, w.closed)
	case ended && w.disk.lost > 0:
		return fmt.Errorf("%w: %d frames lost: %w", ErrWrite, w.disk.lost, w.disk.first)
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
		var fe *fileError
		switch {
		case errors.As(context.Cause(ctx), &fe):
			return false, fe // from the writer
		case errors.Is(err, errDone), errors.Is(context.Cause(ctx), errDone):
			return false, nil
		case err == nil, err == io.EOF:
			r.notify(Event{Kind: CameraDown, Err: "the source ended"})
			return true, nil
		case parent.Err() != nil:
			return false, parent.Err()
		case errors.Is(err, ErrPermanent):
			r.notify(Event{Kind: CameraDown, Err: err.Error()})
			return false, err
		}
		r.fmu.Lock()
		r.mu.Lock()
		delivered := r.status.Connected
		r.status.Connected = false
		r.status.LastError = err.Error()
		r.mu.Unlock()
		if delivered {
			wait = MinBackoff // it ran well before this fault
			r.gapStart = r.last
		}
		r.fmu.Unlock()
		if r.c.Log != nil {
			switch {
			case delivered:
				r.c.Log.Printf("record: source lost: %v; connecting again", err)
			case !failed:
				r.c.Log.Printf("record: source: %v; trying again", err) // the first failure, at once
			}
		}
		if delivered || !failed {
			kind := CameraDown
			if errors.Is(err, ErrStalled) {
				kind = CameraStalled
			}
			r.notify(Event{Kind: kind, Err: err.Error()})
		}
		failed = true
		if err := r.sleep(ctx, wait); err != nil {
			if errors.As(context.Cause(ctx), &fe) {
				return false, fe
			}
			if errors.Is(context.Cause(ctx), errDone) {
				return false, nil
			}
			return false, err
		}
		wait = min(2*wait, r.backoff)
	}
}

// MaxQueuedEvents bounds the events waiting for Config.Notify: a Notify
// slower than the events come loses the newest, counted in
// Status.EventsDropped and logged once, rather than the Recorder's memory.
const MaxQueuedEvents = 1024

// notify queues e for Notify, which the notifier goroutine tells once no
// lock is held, with the camera's name and the time.
func (r *Recorder) notify(e Event) {
	if r.c.Notify == nil {
		return
	}
	e.Camera = r.c.Name
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	r.mu.Lock()
	full := len(r.queue) >= MaxQueuedEvents
	logIt := full && !r.dropLog
	if full {
		r.status.EventsDropped++
		r.dropLog = true
	} else {
		r.queue = append(r.queue, e)
	}
	r.mu.Unlock()
	if logIt && r.c.Log != nil {
		r.c.Log.Printf("record: %d events wait for Notify: the newest are dropped (counted in Status, logged once)", MaxQueuedEvents)
	}
	select {
	case r.nwake <- struct{}{}:
	default:
	}
}

// notifier is the goroutine that tells Notify of the queued events, in
// order, one at a time, holding no lock, so that Notify may call Status
// and Trigger, and a slow Notify holds up neither the frames nor the
// disk. It tells the last events once the writer is done, and returns.
func (r *Recorder) notifier() {
	defer close(r.nstop)
	for {
		var done bool
		select {
		case <-r.nwake:
		case <-r.ndone:
			done = true
		}
		for {
			r.mu.Lock()
			q := r.queue
			r.queue = nil
			r.mu.Unlock()
			if len(q) == 0 {
				break
			}
			for _, e := range q {
				r.c.Notify(e)
			}
		}
		if done {
			return
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
	r.tick(time.Now())
	return nil
}

// tick acts on a trigger and closes an event whose Post has run out, at
// now, while no frame comes: while a frame is handled (or waits for room
// in the ring), its handling does that.
func (r *Recorder) tick(now time.Time) {
	if !r.fmu.TryLock() {
		return
	}
	defer r.fmu.Unlock()
	r.applyMark()
	r.expire(now)
}

// applyMark acts on the trigger that Trigger marked, if any.
func (r *Recorder) applyMark() {
	r.mu.Lock()
	reason, at := r.mark, r.markAt
	r.mark = ""
	r.mu.Unlock()
	switch {
	case reason == "":
		return
	case r.last.IsZero():
		r.pending = reason // before the first frame: it starts the event
		return
	}
	r.expire(at)
	r.trigger(at, reason)
}

// runSource runs the source once, with the stall watchdog.
func (r *Recorder) runSource(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
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
				r.tick(now)
			}
		}
	}()
	defer func() { <-ticking }()
	defer cancel()

	r.fmu.Lock()
	r.runBase, r.srcBase = time.Time{}, time.Time{}
	r.fmu.Unlock()
	return watch(ctx, r.c.Source, r.stall, func(f *Frame) error {
		r.fmu.Lock()
		defer r.fmu.Unlock()
		return r.handle(ctx, f)
	})
}

// handle records one frame into the ring, and tells the writer what to do
// with it. It runs with r.fmu held, and touches no file. It returns
// errDone at the limits.
func (r *Recorder) handle(ctx context.Context, f *Frame) error {
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
	gap, gapped := r.gapStart, false
	r.mu.Lock()
	up := !r.status.Connected
	if up {
		r.status.Connected = true
		if !gap.IsZero() {
			r.status.Gaps++
			back, gapped = t.Sub(gap), true
			r.gapStart = time.Time{}
		}
	}
	r.status.FramesIn++
	r.status.Dropped += f.Skipped
	r.arrivals[r.arrived%len(r.arrivals)] = now
	r.arrived++
	done := r.done
	r.mu.Unlock()
	if up {
		r.notify(Event{Kind: CameraUp, Time: now})
	}
	if gapped {
		if r.c.Notify != nil {
			r.push(command{kind: cmdGap, start: gap, t: t}) // named by the clip the writer is in then
		}
		if back > 0 && r.c.Log != nil {
			r.c.Log.Printf("record: source back after %v", back.Round(time.Millisecond))
		}
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
	r.applyMark()
	if r.c.Mode == Events {
		r.growFor(&f.Image, t)
	} else if !r.ring.Fits(r.frames, &f.Image) {
		r.grow(int(2 * r.chunkSize(&f.Image))) // a frame larger than the ring
	}
	r.room(ctx, &f.Image)
	if err := r.ring.WriteAt(&f.Image, t); err != nil {
		r.drop(1, err.Error())
		if r.c.Log != nil {
			r.c.Log.Printf("record: frame dropped: %v", err)
		}
		return nil
	}
	r.last = t
	index := r.frames
	r.frames++
	r.publish(&f.Image)
	chunk := r.chunkSize(&f.Image)

	if r.c.Mode == Continuous {
		if !r.asked {
			r.openAsked(index, t, "", imageio.Range{First: index, Last: index - 1})
		}
		r.take(index, t, chunk, now)
		if r.c.Frames > 0 && r.frames >= r.c.Frames {
			r.setDone()
			return errDone
		}
		return nil
	}
	r.expire(t)
	if r.pending != "" {
		r.trigger(t, r.pending)
		r.pending = ""
	}
	if r.det != nil {
		if res := r.detect(&f.Image); res.Motion {
			r.motionSeen(t, res.Changed/100, &f.Image)
			r.trigger(t, "motion")
		}
	}
	if r.event {
		r.take(index, t, chunk, now)
	}
	return nil
}

// room waits, while the writer copies them, before m overwrites frames
// of the ring the writer has not copied yet: a source faster than the
// disk (a file) is held to the disk's pace, while a slow write, an fsync
// or a retention glob is absorbed by the ring, which first grows
// (doubling, up to PreSize or ContinuousRingSize) to hold them. A writer stuck for
// maxRoomWait (or half of Stall) lets the ring overwrite them: the writer
// counts them as lost, and the frames go on unheld until it moves again.
func (r *Recorder) room(ctx context.Context, m *imageio.Image) {
	for {
		r.qmu.Lock()
		need := min(r.wneed, r.qneed)
		r.qmu.Unlock()
		if need == noNeed || need == r.stuck || r.ring.Fits(need, m) {
			return
		}
		if r.grow(2 * r.ring.BufferSize()) {
			continue // room made for the frames the writer needs
		}
		r.qmu.Lock()
		r.wokeLocked(time.Now()) // the frames waiting for a batch too
		r.qmu.Unlock()
		r.wakeWriter()
		d := min(maxRoomWait, r.stall/2)
		if r.roomTimer == nil {
			r.roomTimer = time.NewTimer(d)
		} else {
			r.roomTimer.Reset(d)
		}
		select {
		case <-r.freed:
			r.roomTimer.Stop()
		case <-r.roomTimer.C:
			r.stuck = need
			return
		case <-ctx.Done():
			r.roomTimer.Stop()
			return
		}
	}
}

// chunkSize is the bytes m takes in the ring and in a file: its header,
// its payload and its padding.
func (r *Recorder) chunkSize(m *imageio.Image) int64 {
	return int64(r.ring.Version().HeaderSize() + len(m.Data) + container.Padding(len(m.Data)))
}

// growFor grows the ring in the Events mode, before m is written at t,
// when writing it would drop a frame of the last Pre (or m does not fit
// at all): to what the frames seen say Pre needs, an eighth more for the
// frames that grow (a busier scene makes larger JPEGs), at most PreSize.
// While the ring has seen less than Pre, its rate is extrapolated to Pre;
// while it has seen less than an eighth of Pre, too little to judge a
// rate by, it doubles. It never drops a frame: the ring keeps them all
// as it grows.
func (r *Recorder) growFor(m *imageio.Image, t time.Time) {
	size := r.ring.BufferSize()
	if size >= r.maxRing {
		return
	}
	// The frames to keep, m among them: their bytes, how many, and the
	// time from the first to m.
	keep, need, count := r.frames, float64(r.chunkSize(m)), 1.0
	var span time.Duration
	if d := r.c.Pre + t.Sub(r.last); r.frames > 0 && r.c.Pre > 0 && d > 0 {
		if rg, err := r.ring.Recent(d); err == nil {
			keep, need, span = rg.First, need+float64(rg.Bytes), rg.Span+t.Sub(r.last)
			count += float64(rg.Last - rg.First + 1)
		}
	}
	if r.ring.Fits(keep, m) {
		return
	}
	switch {
	case span >= r.c.Pre:
	case span >= r.c.Pre/8:
		// Pre holds one frame more than its intervals at this rate.
		need *= (float64(r.c.Pre)*(count-1)/float64(span) + 1) / count
	default:
		need = max(need, float64(2*size))
	}
	r.grow(int(min(need*9/8, float64(r.maxRing))))
}

// grow makes the ring n bytes, or a quarter larger if that is more, at
// most maxRing, and reports whether it grew.
func (r *Recorder) grow(n int) bool {
	size := r.ring.BufferSize()
	n = min(max(n, size+size/4), r.maxRing)
	if n <= size {
		return false
	}
	if err := r.ring.Grow(n); err != nil {
		return false // a ring stream always grows; nothing lost if not
	}
	return true
}

// openAsked asks the writer for a clip from frame from, named by t,
// starting with the frames of held (already in the ring).
func (r *Recorder) openAsked(from int, t time.Time, reason string, held imageio.Range) {
	r.asked, r.clipFrom = true, from
	r.clipStart, r.clipLast, r.clipBytes, r.clipFrames, r.clipNext = t, t, container.MagicSize, 0, from
	if held.Last >= held.First {
		r.clipStart, r.clipLast = r.last.Add(-held.Span), r.last
		r.clipBytes += held.Bytes
		r.clipFrames = held.Last - from + 1
		r.clipNext = held.Last + 1
	}
	r.push(command{kind: cmdOpen, index: from, t: t, reason: reason})
	if r.clipNext > from {
		// The writer copies them at once: the next frame may need
		// their room.
		r.push(command{kind: cmdTo, index: r.clipNext - 1, t: r.last})
	}
}

// take adds frame index, at t, of chunk bytes, to the clip asked: first
// splitting the clip when it is due, so that the frame starts the next.
func (r *Recorder) take(index int, t time.Time, chunk int64, now time.Time) {
	if index < r.clipNext {
		return // the clip started with it
	}
	if r.clipFrames > 0 && (r.c.SplitEvery > 0 && t.Sub(r.clipStart) >= r.c.SplitEvery ||
		r.c.SplitSize > 0 && r.clipBytes+chunk > r.c.SplitSize) {
		r.clipStart, r.clipBytes, r.clipFrames = t, container.MagicSize, 0
		r.push(command{kind: cmdSplit, index: index, t: t})
	}
	r.clipBytes += chunk
	r.clipFrames++
	r.clipLast, r.clipNext = t, index+1
	r.pushTo(command{kind: cmdTo, index: index, t: t}, chunk, now)
}

// closeAsked ends the clip asked at its last frame.
func (r *Recorder) closeAsked() {
	if !r.asked {
		return
	}
	r.asked = false
	if r.clipNext > r.clipFrom {
		r.lastEnd, r.lastEndIdx = r.clipLast, r.clipNext-1
	}
	r.push(command{kind: cmdClose})
}

// push queues c for the writer and wakes it. Consecutive cmdTo are one:
// the queue grows only by the clips' opens, splits and closes, however
// far behind the writer is.
func (r *Recorder) push(c command) {
	r.qmu.Lock()
	r.queueLocked(c)
	r.qmu.Unlock()
	r.wakeWriter()
}

// pushTo queues c, a cmdTo for a frame of chunk bytes that came at now,
// and wakes the writer only when writeBatch says so, else sees that a
// timer will.
func (r *Recorder) pushTo(c command, chunk int64, now time.Time) {
	r.qmu.Lock()
	r.queueLocked(c)
	r.unwoken += chunk
	wake := now.Sub(r.wokeAt) >= r.batch || r.unwoken >= int64(r.ring.BufferSize()/4)
	switch {
	case wake:
		r.wokeLocked(now)
	case !r.batchArmed:
		r.batchArmed = true
		if r.batchTimer == nil {
			r.batchTimer = time.AfterFunc(2*r.batch, r.wakeBatch)
		} else {
			r.batchTimer.Reset(2 * r.batch)
		}
	}
	r.qmu.Unlock()
	if wake {
		r.wakeWriter()
	}
}

// queueLocked queues c, with r.qmu held.
func (r *Recorder) queueLocked(c command) {
	if n := len(r.q); c.kind == cmdTo && n > 0 && r.q[n-1].kind == cmdTo {
		r.q[n-1] = c
	} else {
		r.q = append(r.q, c)
	}
	if c.kind == cmdOpen || c.kind == cmdSplit {
		r.qneed = min(r.qneed, c.index)
	}
}

// wokeLocked notes that the writer is woken at now for every frame queued,
// with r.qmu held.
func (r *Recorder) wokeLocked(now time.Time) {
	r.wokeAt, r.unwoken = now, 0
	if r.batchArmed {
		r.batchArmed = false
		r.batchTimer.Stop()
	}
}

// wakeBatch is batchTimer's: it wakes the writer for the frames queued
// since its last wake, when no frame came to.
func (r *Recorder) wakeBatch() {
	r.qmu.Lock()
	armed := r.batchArmed // else a push woke it meanwhile
	if armed {
		r.wokeLocked(time.Now())
	}
	r.qmu.Unlock()
	if armed {
		r.wakeWriter()
	}
}

// wakeWriter wakes the writer, if it sleeps.
func (r *Recorder) wakeWriter() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
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

// detect returns what the detector sees in m: no motion for a frame it
// cannot decode.
func (r *Recorder) detect(m *imageio.Image) motion.Result {
	switch m.Format {
	case container.JPEG:
		res, err := r.det.DetectJPEG(m.Data)
		if err != nil {
			return motion.Result{}
		}
		return res
	case container.Grayscale:
		r.grey = image.Gray{Pix: m.Data, Stride: m.Width, Rect: image.Rect(0, 0, m.Width, m.Height)}
		return r.det.Detect(&r.grey)
	}
	img, err := r.dec.Decode(m)
	if err != nil {
		return motion.Result{}
	}
	return r.det.Detect(img)
}

// motionSeen notes motion over area (0 to 1) in m at t: a MotionStart,
// with m as its snapshot, when none was in progress.
func (r *Recorder) motionSeen(t time.Time, area float64, m *imageio.Image) {
	r.lastMotion = t
	if r.moving {
		r.motionArea = max(r.motionArea, area)
		return
	}
	r.moving, r.motionArea = true, area
	r.setMotion(true)
	if r.c.Notify == nil {
		return
	}
	var snap []byte
	if m.Format == container.JPEG {
		snap = append([]byte(nil), m.Data...)
	} else if b, err := m.AppendJPEG(r.snap[:0]); err == nil {
		r.snap = b
		snap = append([]byte(nil), b...)
	}
	r.notify(Event{Kind: MotionStart, Start: t, Area: area, Snapshot: snap})
}

// setMotion sets Status.Motion.
func (r *Recorder) setMotion(on bool) {
	r.mu.Lock()
	r.status.Motion = on
	r.mu.Unlock()
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
func (r *Recorder) trigger(t time.Time, reason string) {
	r.lastTrigger = t
	if r.event {
		return
	}
	r.event, r.reason = true, reason
	// The clip starts with the frames of the ring from Pre before its
	// newest, after the previous clip's last, or with the next frame.
	next := r.frames
	held := imageio.Range{First: next, Last: next - 1}
	d := max(r.c.Pre, time.Nanosecond) // the newest frame only, at least
	if !r.lastEnd.IsZero() {
		// Nothing the previous clip holds.
		d = min(d, r.last.Sub(r.lastEnd))
	}
	if d > 0 && r.frames > r.lastEndIdx+1 {
		if rg, err := r.ring.Recent(d); err == nil {
			held = rg
			held.First = max(held.First, r.lastEndIdx+1)
			// The ring's bytes ran out before its time, though it has run
			// for longer than Pre and grown to PreSize: say so once.
			if d == r.c.Pre && !r.warnedPre && r.last.Sub(r.first) > r.c.Pre && rg.Span < r.c.Pre*9/10 &&
				r.ring.BufferSize() >= r.maxRing {
				r.warnedPre = true
				if r.c.Log != nil {
					r.c.Log.Printf("record: the pre-trigger ring of %d bytes holds only %v of the %v asked: raise PreSize", r.ring.BufferSize(), rg.Span.Round(time.Millisecond), r.c.Pre)
				}
			}
		}
	}
	r.openAsked(held.First, t, reason, held)
}

// expire ends the event when its Post has run out at now, closing its
// clip at its last frame.
func (r *Recorder) expire(now time.Time) {
	if r.moving && now.Sub(r.lastMotion) > r.c.Post {
		r.moving = false
		r.setMotion(false)
		r.notify(Event{Kind: MotionEnd, Start: r.lastMotion, Area: r.motionArea})
	}
	if r.c.Mode != Events || !r.event || now.Sub(r.lastTrigger) <= r.c.Post {
		return
	}
	r.event = false
	r.closeAsked()
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
