package record

// The writer goroutine: every file operation of a Recorder, carried out
// from the ring in the order the frame path asked (see Recorder).

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
	"time"

	"github.com/imgstream/imgstream/circular"
	"github.com/imgstream/imgstream/imageio"
)

// writer is the state of the writer goroutine.
type writer struct {
	cur     *clip  // the clip being written, nil between clips and while the disk fails
	want    bool   // a clip is asked
	next    int    // the index of its next frame not yet written nor lost
	reason  string // what triggered its event
	disk    disk
	fatal   error // a clip that cannot be made: ends Run
	closed  error // the error of closing the last clip
	overrun bool  // the writer fell behind the ring, logged
}

// disk is the state of the disk the clips go to: a write that fails
// starts an outage, in which frames are lost and a new clip is tried
// after a backoff.
type disk struct {
	err      error     // the error that started the outage in progress; nil when none
	since    time.Time // when it started
	retry    time.Time // when to try again
	wait     time.Duration
	lost     uint64 // frames lost to write errors and to the writer falling behind, in all
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
	ringClip   *imageio.Clip // appends the ring's frames to the file
	name       string        // the name it is to take
	path       string        // the name it took with its first frame; "" before
	start      time.Time     // first frame
	end        time.Time     // last frame
	good       int64         // bytes of whole frames
	goodFrames int           // and how many frames
	lost       int           // frames the ring overwrote before they were written, counted
	lastSync   time.Time
	trigger    string
	triggerAt  time.Time // when the trigger came, for a clip an event opened
	sideDone   bool      // its side file was written (or tried)
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

// write is the writer goroutine: it carries out the commands in order,
// and tells Notify of the events, until cmdEnd.
func (r *Recorder) write() {
	defer close(r.wdone)
	var batch []command
	for {
		r.qmu.Lock()
		batch, r.q = r.q, batch[:0]
		r.wneed = min(r.wneed, r.qneed) // the batch's needs, until they are met
		r.qneed = noNeed
		r.qmu.Unlock()
		for i := range batch {
			c := &batch[i]
			if c.kind == cmdEnd {
				if cur := r.w.cur; cur != nil {
					r.w.cur = nil
					r.w.closed = r.closeFile(cur, false, nil)
				}
				r.report()
				return
			}
			r.do(c)
			r.need(batch[i+1:])
			r.report()
		}
		clear(batch) // no reason strings held
		if len(batch) == 0 {
			<-r.wake
		}
	}
}

// need tells the frame path which frames of the ring the writer still
// needs, the commands in rest still to do.
func (r *Recorder) need(rest []command) {
	w := &r.w
	n := noNeed
	switch {
	case w.fatal != nil:
	case w.want:
		n = w.next
	default:
		for _, c := range rest {
			if c.kind == cmdOpen || c.kind == cmdSplit {
				n = c.index
				break
			}
		}
	}
	r.qmu.Lock()
	changed := n != r.wneed
	r.wneed = n
	r.qmu.Unlock()
	if changed {
		select {
		case r.freed <- struct{}{}:
		default:
		}
	}
}

// report brings Status up to date with the clip being written.
func (r *Recorder) report() {
	c := r.w.cur
	r.mu.Lock()
	r.status.Recording, r.status.Clip, r.status.Frames = c != nil, "", 0
	if c != nil {
		r.status.Clip, r.status.Frames = c.path, c.goodFrames
	}
	r.mu.Unlock()
}

// do carries out one command.
func (r *Recorder) do(c *command) {
	w := &r.w
	if w.fatal != nil {
		return // Run ends
	}
	switch c.kind {
	case cmdOpen:
		w.want, w.next, w.reason = true, c.index, c.reason
		if r.diskDue() {
			r.openClip(c.t)
			if w.cur != nil && c.reason != "" {
				w.cur.triggerAt = c.t
			}
		}
	case cmdTo:
		if !w.want {
			return
		}
		if w.cur == nil && r.diskDue() {
			r.openClip(c.t) // the disk failed in the clip: it goes on in a new one
		}
		// A few frames a write: the copy stays small, and the frame
		// path has their room back sooner.
		for w.cur != nil && w.next <= c.index {
			r.flushTo(min(c.index, w.next+flushStep-1), c.index, c.t)
			r.need(nil)
		}
		if w.cur == nil {
			r.lose(c.index - w.next + 1) // the disk is failing
			w.next = max(w.next, c.index+1)
		}
	case cmdSplit:
		if !w.want {
			return
		}
		w.next = c.index
		old := w.cur
		if old == nil {
			return // the next frame makes a clip, once the disk takes it
		}
		next, err := r.open(c.t, c.index)
		var fe *fileError
		switch {
		case errors.As(err, &fe):
			r.fail(fe)
			return
		case err != nil:
			// The clip is whole: it closes as it is, and the frames go
			// until the disk takes them again.
			r.diskFailed(err)
			w.cur = nil
			r.closeQuiet(old, false, nil)
			return
		}
		next.trigger = old.trigger
		w.cur = next
		r.closeQuiet(old, true, nil)
	case cmdClose:
		w.want = false
		if cur := w.cur; cur != nil {
			w.cur = nil
			r.closeQuiet(cur, false, nil)
		}
	case cmdGap:
		r.notify(Event{Kind: Gap, Path: r.curPath(), Start: c.start, End: c.t})
	}
}

// fail ends Run with a clip that cannot be made.
func (r *Recorder) fail(err *fileError) {
	r.w.fatal = err
	r.notify(Event{Kind: DiskError, Err: err.err.Error()})
	r.mu.Lock()
	finish := r.finish
	r.mu.Unlock()
	if finish != nil {
		finish(err)
	}
}

// openClip opens a clip, named by t, from the writer's next frame. A disk
// that fails leaves it nil; a clip that cannot be made at all ends Run.
func (r *Recorder) openClip(t time.Time) {
	w := &r.w
	if w.disk.err != nil {
		r.retain() // it may make room
	}
	cur, err := r.open(t, w.next)
	var fe *fileError
	switch {
	case errors.As(err, &fe):
		r.fail(fe)
		return
	case err != nil:
		r.diskFailed(err)
		return
	}
	r.diskWorks()
	cur.trigger = w.reason
	w.cur = cur
}

// flushStep is how many frames the writer writes at most in one write.
const flushStep = 16

// flushTo writes the frames of the clip up to step, on the way to index,
// of time t; the clip is named with its first.
func (r *Recorder) flushTo(step, index int, t time.Time) {
	w := &r.w
	c := w.cur
	_, err := c.ringClip.FlushTo(step)
	w.next = c.ringClip.Next()
	if lost := c.ringClip.Lost() - c.lost; lost > 0 {
		c.lost += lost
		r.overran(lost, err)
	}
	if err != nil && !errors.Is(err, circular.ErrOverrun) {
		r.writeFailed(err)
		return
	}
	if err := r.written(c); err != nil {
		var fe *fileError
		if errors.As(err, &fe) {
			r.fail(fe)
		}
		return
	}
	if w.next <= index {
		return
	}
	if c.start.IsZero() && c.ringClip.Frames() > 0 {
		c.start = t.Add(-c.ringClip.Span())
	}
	c.end = t
	if !c.sideDone && c.path != "" && !c.start.IsZero() {
		c.sideDone = true
		writeSide(c.path, ClipInfo{Start: c.start, Trigger: c.trigger, TriggerAt: c.triggerAt})
	}
	r.syncIfDue(t)
}

// overran counts the frames the ring overwrote before the writer copied
// them, and logs it once.
func (r *Recorder) overran(n int, err error) {
	w := &r.w
	err = fmt.Errorf("record: the disk fell behind the ring: %w", err)
	if w.disk.first == nil {
		w.disk.first = err
	}
	r.lose(n)
	r.mu.Lock()
	r.status.LastError = err.Error()
	r.mu.Unlock()
	if !w.overrun {
		w.overrun = true
		if r.c.Log != nil {
			r.c.Log.Printf("%v; frames are lost while it does (logged once)", err)
		}
	}
}

// lose counts n frames lost to the disk.
func (r *Recorder) lose(n int) {
	if n <= 0 {
		return
	}
	r.w.disk.lost += uint64(n)
	r.mu.Lock()
	r.status.Dropped += uint64(n)
	r.mu.Unlock()
}

// diskDue reports whether a clip may be made: the disk works, or its
// backoff has run out.
func (r *Recorder) diskDue() bool {
	return r.w.disk.err == nil || !time.Now().Before(r.w.disk.retry)
}

// diskFailed starts an outage of the disk with err, logged once, or goes
// on with the one in progress, and sets when to try again.
func (r *Recorder) diskFailed(err error) {
	d := &r.w.disk
	now := time.Now()
	if d.first == nil {
		d.first = err
	}
	r.mu.Lock()
	r.status.LastError = err.Error()
	r.mu.Unlock()
	if d.err != nil {
		d.wait = min(2*d.wait, maxDiskRetry)
		d.retry = now.Add(d.wait)
		return
	}
	*d = disk{err: err, since: now, wait: minDiskRetry, retry: now.Add(minDiskRetry),
		lost: d.lost, lostThen: d.lost, first: d.first}
	r.notify(Event{Kind: DiskError, Err: err.Error()})
	if r.c.Log != nil {
		r.c.Log.Printf("record: %v: frames are lost until the disk takes them again; trying again in %v, then less often (at most every %v)", err, minDiskRetry, maxDiskRetry)
	}
}

// diskWorks ends the outage in progress, if any: a clip was made.
func (r *Recorder) diskWorks() {
	d := &r.w.disk
	if d.err == nil {
		return
	}
	if r.c.Log != nil {
		r.c.Log.Printf("record: writing again after %v; %d frames lost", time.Since(d.since).Round(time.Millisecond), d.lost-d.lostThen)
	}
	d.err = nil
}

// written notes that c's frames so far are whole in its file, and gives c
// its name with its first frame.
func (r *Recorder) written(c *clip) error {
	c.good, c.goodFrames = c.w.n, c.ringClip.Frames()
	if c.path != "" || c.goodFrames == 0 {
		return nil
	}
	p, err := commit(c.f, c.name)
	if err == nil {
		c.path = p
		r.notify(Event{Kind: ClipOpened, Path: p, Start: c.start, Trigger: c.trigger})
		return nil
	}
	if !diskFault(err) {
		return &fileError{err}
	}
	r.writeFailed(err)
	return err
}

// open makes the hidden file of a clip named by t, whose first frame is
// the ring's frame from; the clip is named when it holds a frame. A file
// that cannot be made, but for the disk's faults, is a fileError.
func (r *Recorder) open(t time.Time, from int) (*clip, error) {
	f, name, err := create(r.pattern, t)
	if err != nil {
		if diskFault(err) {
			return nil, err
		}
		return nil, &fileError{err}
	}
	w := &countingWriter{w: f}
	cur := &clip{f: f, w: w, name: name, lastSync: t}
	if cur.ringClip, err = r.ring.ClipFrom(w, from); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, cur.err(err)
	}
	cur.good = w.n
	return cur, nil
}

// writeFailed handles a failed write to the clip: it cuts the file back
// to its whole frames, closes it with the error, counts the frames cut,
// and starts an outage of the disk; the recording goes on in a new clip
// once the disk takes it, from the frame after them.
func (r *Recorder) writeFailed(err error) {
	c := r.w.cur
	err = c.err(err)
	c.f.Truncate(c.good)
	r.lose(c.ringClip.Frames() - c.goodFrames)
	r.diskFailed(err)
	r.w.cur = nil
	r.closeQuiet(c, false, err)
}

// syncIfDue fsyncs the clip when Sync has passed since the last.
func (r *Recorder) syncIfDue(t time.Time) {
	c := r.w.cur
	if c == nil || c.path == "" || r.sync < 0 || t.Sub(c.lastSync) < r.sync {
		return
	}
	if err := c.f.Sync(); err != nil {
		r.writeFailed(err)
		return
	}
	c.lastSync = t
	r.notify(Event{Kind: Synced, Path: c.path, Start: c.start, End: c.end, Frames: c.goodFrames, Bytes: c.good})
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
	if r.w.cur == nil {
		return ""
	}
	return r.w.cur.path
}
