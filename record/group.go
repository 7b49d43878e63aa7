package record

import (
	"context"
	"errors"
	"fmt"
	"log"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/imgstream/imgstream/mjpeg"
)

// Errors of a Group.
var (
	// ErrGroupClosed is returned by Group.Set and Group.Run once Run has
	// returned.
	ErrGroupClosed = errors.New("record: group closed")
	// ErrNoCamera is returned by Group.Trigger for a name it does not run.
	ErrNoCamera = errors.New("record: no such camera")
)

// A Group runs many Recorders, one per camera, in one process: each
// camera records on its own (one that fails, one whose disk is full, one
// whose source never answers, never holds up the others), under one
// retention (Keep, across all their patterns), each with its live
// mjpeg.Server. Set gives it the cameras, and again at any time with a
// changed set (a reload): it starts the cameras added, stops those
// removed, restarts those changed, and leaves the others running, so an
// unchanged camera loses no frame.
//
// The zero Group is ready: set its fields, call Set and Run (in either
// order). Its methods are safe for concurrent use.
type Group struct {
	// Keep bounds the clips of all the cameras together: when a clip of
	// any camera closes, the oldest clips of all their patterns go until
	// the rest fit. Each camera's newest clip and open clip are spared.
	// Each Config's own Keep still applies to its own clips.
	Keep Keep
	// Log, if not nil, logs what each camera logs, its name first, and
	// the cameras started, stopped and ended.
	Log *log.Logger
	// Same reports whether a running camera's Config (old) may be kept
	// running in place of a new one of the same Name that Set is given.
	// When nil, Configs are the same when their fields are equal, Live,
	// Notify and Log aside, and Sources by ==, which is never for a
	// SourceFunc (such as MJPEG returns): give Same to keep such a
	// camera running across a Set.
	Same func(old, new Config) bool

	setMu sync.Mutex // one Set at a time

	// mu guards the fields below.
	mu      sync.Mutex
	ctx     context.Context // Run's, nil before it
	closed  bool
	cams    map[string]*groupCamera
	lives   map[string]*mjpeg.Server // kept across restarts, so viewers stay
	running sync.WaitGroup

	rmu sync.Mutex // one retention at a time
}

// groupCamera is a running camera of a Group.
type groupCamera struct {
	c      Config
	rec    *Recorder
	cancel context.CancelFunc
	done   chan struct{} // closed when its Run returns

	// mu guards the fields below.
	mu    sync.Mutex
	last  *Event // its last clip closed
	ended error  // what its Run returned, once it has
}

// CameraStatus is the status of a camera of a Group.
type CameraStatus struct {
	Name string `json:"name"`
	Status
	// LastClip is the last clip the camera closed, if any.
	LastClip *Event `json:"last_clip,omitempty"`
	// Ended is set when the camera's Recorder stopped on its own (a
	// source that ended, Duration reached, an error): why.
	Ended string `json:"ended,omitempty"`
}

// Set makes the cameras of the Group configs: each is a camera, named by
// its Name (which must be unique and not empty). Cameras not in configs
// stop (their open clip closed); cameras new or changed (see Same) start,
// a changed one after its old Recorder has stopped, and so does one that
// had stopped on its own (see Run). A Config that New
// refuses is left out, the others are set, and the error returned names
// it. Before Run, Set only records the cameras; Run starts them.
func (g *Group) Set(configs []Config) error {
	g.setMu.Lock()
	defer g.setMu.Unlock()
	var errs []error
	want := make(map[string]Config, len(configs))
	for _, c := range configs {
		switch _, dup := want[c.Name]; {
		case c.Name == "":
			errs = append(errs, fmt.Errorf("%w: a camera with no name", ErrInvalidConfig))
			continue
		case dup:
			errs = append(errs, fmt.Errorf("%w: two cameras named %q", ErrInvalidConfig, c.Name))
			continue
		}
		want[c.Name] = c
	}
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return ErrGroupClosed
	}
	if g.cams == nil {
		g.cams = make(map[string]*groupCamera)
		g.lives = make(map[string]*mjpeg.Server)
	}
	running := maps.Clone(g.cams)
	g.mu.Unlock()
	// Same is the caller's: called with no lock held. Set calls are one at
	// a time, and only Set changes the cameras, so running stays true.
	var stop []*groupCamera
	for name, cam := range running {
		cam.mu.Lock()
		ended := cam.ended != nil // it stopped on its own: Set starts it again
		cam.mu.Unlock()
		if c, ok := want[name]; ok && !ended && g.same(cam.c, c) {
			delete(want, name) // unchanged: it runs on
			continue
		}
		stop = append(stop, cam)
	}
	cancels := make([]context.CancelFunc, len(stop))
	g.mu.Lock()
	for i, cam := range stop {
		delete(g.cams, cam.c.Name)
		cancels[i] = cam.cancel // set by start, under g.mu
	}
	g.mu.Unlock()
	for i, cam := range stop { // outside the lock: closing a clip is I/O
		if cancels[i] != nil { // it was started (by Run)
			cancels[i]()
			<-cam.done
		}
		if _, ok := want[cam.c.Name]; !ok {
			g.logf("%s: stopped", cam.c.Name)
			g.mu.Lock()
			live := g.lives[cam.c.Name]
			delete(g.lives, cam.c.Name)
			g.mu.Unlock()
			if live != nil {
				live.Close() // its viewers' streams end
			}
		}
	}
	names := make([]string, 0, len(want))
	for name := range want {
		names = append(names, name)
	}
	slices.Sort(names)
	// New looks at the disk: outside the lock, which Status needs.
	var made []*groupCamera
	for _, name := range names {
		c := want[name]
		if c.Live == nil {
			c.Live = g.live(name)
		}
		cam, err := g.newCamera(c)
		if err != nil {
			errs = append(errs, fmt.Errorf("camera %s: %w", name, err))
			continue
		}
		made = append(made, cam)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return ErrGroupClosed
	}
	for _, cam := range made {
		g.cams[cam.c.Name] = cam
		if g.ctx != nil {
			g.start(cam)
		}
	}
	return errors.Join(errs...)
}

// live returns the Group's live server of the camera name, made the
// first time.
func (g *Group) live(name string) *mjpeg.Server {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.lives[name] == nil {
		g.lives[name] = &mjpeg.Server{}
	}
	return g.lives[name]
}

// same reports whether a camera running old may run on for new.
func (g *Group) same(old, new Config) bool {
	if g.Same != nil {
		return g.Same(old, new)
	}
	oldSrc, newSrc := old.Source, new.Source
	old.Source, new.Source = nil, nil
	old.Live, new.Live, old.Notify, new.Notify, old.Log, new.Log = nil, nil, nil, nil, nil, nil
	if !reflect.DeepEqual(old, new) || oldSrc == nil || newSrc == nil {
		return false
	}
	to, tn := reflect.TypeOf(oldSrc), reflect.TypeOf(newSrc)
	return to == tn && to.Comparable() && oldSrc == newSrc
}

// newCamera makes the Recorder of c, with its log and its Notify.
func (g *Group) newCamera(c Config) (*groupCamera, error) {
	cam := &groupCamera{done: make(chan struct{})}
	user := c.Notify
	if c.Log == nil && g.Log != nil {
		c.Log = log.New(g.Log.Writer(), g.Log.Prefix()+c.Name+": ", g.Log.Flags())
	}
	c.Notify = func(e Event) {
		if e.Kind == ClipClosed {
			cam.mu.Lock()
			cam.last = &e
			cam.mu.Unlock()
		}
		if user != nil {
			user(e)
		}
		if e.Kind == ClipClosed {
			g.retain()
		}
	}
	rec, err := New(c)
	if err != nil {
		return nil, err
	}
	cam.c, cam.rec = c, rec
	return cam, nil
}

// start runs cam under g.ctx; g.mu is held.
func (g *Group) start(cam *groupCamera) {
	ctx, cancel := context.WithCancel(g.ctx)
	cam.cancel = cancel
	g.running.Go(func() {
		defer close(cam.done)
		err := cam.rec.Run(ctx)
		if ctx.Err() == nil { // it ended on its own
			if err == nil {
				err = errors.New("its source ended")
			}
			cam.mu.Lock()
			cam.ended = err
			cam.mu.Unlock()
			g.logf("%s: stopped: %v", cam.c.Name, err)
		}
	})
}

// Run runs the cameras Set gives, before and while it runs, until ctx is
// done; then it stops them all, closing their clips, and returns
// ctx.Err(). A camera whose Recorder ends on its own (a source that
// ended, an error) stays stopped, and its Status says why; the others
// run on. The live servers the Group made close as it returns. Run may
// be called once.
func (g *Group) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g.mu.Lock()
	if g.closed || g.ctx != nil {
		g.mu.Unlock()
		return ErrGroupClosed
	}
	g.ctx = ctx
	if g.cams == nil {
		g.cams = make(map[string]*groupCamera)
		g.lives = make(map[string]*mjpeg.Server)
	}
	for _, cam := range g.cams {
		g.start(cam)
	}
	g.mu.Unlock()
	<-ctx.Done()
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
	g.running.Wait()
	g.mu.Lock()
	lives := g.lives
	g.mu.Unlock()
	for _, live := range lives {
		live.Close()
	}
	return ctx.Err()
}

// Names returns the names of the cameras, sorted.
func (g *Group) Names() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	names := make([]string, 0, len(g.cams))
	for name := range g.cams {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// Status returns the status of each camera, sorted by name.
func (g *Group) Status() []CameraStatus {
	g.mu.Lock()
	cams := make([]*groupCamera, 0, len(g.cams))
	for _, cam := range g.cams {
		cams = append(cams, cam)
	}
	g.mu.Unlock()
	out := make([]CameraStatus, 0, len(cams))
	for _, cam := range cams {
		st := CameraStatus{Name: cam.c.Name, Status: cam.rec.Status()}
		cam.mu.Lock()
		st.LastClip = cam.last
		if cam.ended != nil {
			st.Ended = cam.ended.Error()
		}
		cam.mu.Unlock()
		out = append(out, st)
	}
	slices.SortFunc(out, func(a, b CameraStatus) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Trigger triggers the camera name (see Recorder.Trigger), or returns
// ErrNoCamera.
func (g *Group) Trigger(name, reason string) error {
	g.mu.Lock()
	cam := g.cams[name]
	g.mu.Unlock()
	if cam == nil {
		return fmt.Errorf("%w: %q", ErrNoCamera, name)
	}
	cam.rec.Trigger(reason)
	return nil
}

// Live returns the live server of the camera name, or nil: the Config's
// Live, or one the Group made. That one stays the same server when the
// camera restarts, so its viewers stay, and closes when the camera is
// removed.
func (g *Group) Live(name string) *mjpeg.Server {
	g.mu.Lock()
	defer g.mu.Unlock()
	if cam := g.cams[name]; cam != nil {
		return cam.c.Live
	}
	return nil
}

// Recorder returns the running Recorder of the camera name, or nil. A
// restart (a changed Config) replaces it.
func (g *Group) Recorder(name string) *Recorder {
	g.mu.Lock()
	defer g.mu.Unlock()
	if cam := g.cams[name]; cam != nil {
		return cam.rec
	}
	return nil
}

func (g *Group) logf(format string, args ...any) {
	if g.Log != nil {
		g.Log.Printf(format, args...)
	}
}

// retain applies the Group's Keep across the cameras' patterns.
func (g *Group) retain() {
	if g.Keep.Size <= 0 && g.Keep.Age <= 0 {
		return
	}
	g.mu.Lock()
	var sets []clipSet
	for _, cam := range g.cams {
		sets = append(sets, clipSet{pattern: cam.rec.pattern, open: cam.rec.Status().Clip, notify: cam.rec.notify})
	}
	g.mu.Unlock()
	g.rmu.Lock()
	defer g.rmu.Unlock()
	removed, err := retainAll(sets, g.Keep, time.Now())
	for _, r := range removed {
		r.set.notify(Event{Kind: Removed, Path: r.path})
	}
	if err != nil {
		g.logf("retention (Keep of all cameras): %v", err)
	}
}
