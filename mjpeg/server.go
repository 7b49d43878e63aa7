package mjpeg

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of a Server whose fields are zero.
const (
	// DefaultIdleTimeout is how long a Source runs on with nobody
	// watching: the Flask recipe's ten seconds.
	DefaultIdleTimeout = 10 * time.Second

	// DefaultWriteTimeout bounds each frame's write to a viewer; a viewer
	// that takes longer is dropped as stalled.
	DefaultWriteTimeout = 10 * time.Second

	// DefaultBoundary is the multipart boundary, as in the Flask recipe.
	DefaultBoundary = "frame"

	// DefaultRepeatAfter is how long a viewer waits for a newer frame
	// before it is sent the newest again; see Server.RepeatAfter.
	DefaultRepeatAfter = 100 * time.Millisecond
)

// ErrClosed is returned by Publish after Close.
var ErrClosed = errors.New("mjpeg: server closed")

// A Source produces frames while somebody watches: Run publishes JPEG
// frames until ctx is done, then returns. A Server starts it when the first
// viewer arrives and cancels ctx after IdleTimeout with nobody watching.
type Source interface {
	Run(ctx context.Context, publish func(jpeg []byte)) error
}

// SourceFunc adapts a function to a Source.
type SourceFunc func(ctx context.Context, publish func(jpeg []byte)) error

// Run calls f.
func (f SourceFunc) Run(ctx context.Context, publish func(jpeg []byte)) error {
	return f(ctx, publish)
}

// A Server streams JPEG frames to any number of viewers as MJPEG
// (multipart/x-mixed-replace), the format every browser, ffmpeg, VLC and
// OpenCV read. Frames come from Publish, or from a Source that runs only
// while somebody watches. The Server itself is the stream's http.Handler;
// Handler adds a snapshot and an index page.
//
// Every viewer gets the newest frame: a viewer that cannot keep up skips
// frames and never holds up Publish or the other viewers. Each frame is
// made once into the part every viewer's [Writer] writes ([AppendPart]),
// when it is published.
//
// The zero Server is ready to use; set its fields before it serves. A
// Server is safe for concurrent use. Close stops it and its Source.
type Server struct {
	// Source, if not nil, produces the frames; see Source.
	Source Source
	// IdleTimeout is how long Source runs with no viewer:
	// DefaultIdleTimeout when zero.
	IdleTimeout time.Duration
	// WriteTimeout bounds the write of one frame to one viewer:
	// DefaultWriteTimeout when zero.
	WriteTimeout time.Duration
	// MaxViewers caps the viewers of the stream; more get 503 Service
	// Unavailable. Zero means no cap.
	MaxViewers int
	// Boundary is the multipart boundary: DefaultBoundary when empty. One
	// that Writer.SetBoundary refuses makes every stream 500 Internal
	// Server Error.
	Boundary string
	// RepeatAfter is how long a viewer that has the newest frame waits for
	// another before it is sent the newest once more (DefaultRepeatAfter
	// when zero; negative: never). Browsers show a part only once the next
	// part's headers arrive, which cannot be sent before the next frame
	// exists (they carry its length); without the repeat, a stream that
	// pauses would leave browsers showing the frame before the newest.
	// While frames keep coming faster than this, nothing is repeated.
	RepeatAfter time.Duration
	// ErrorLog, if not nil, logs the errors a Source returns; they are kept
	// in Stats in any case.
	ErrorLog *log.Logger
	// Hosts lists the Host names, besides the loopback ones, that a request
	// arriving on a loopback address may name (a reverse proxy's name, say);
	// any other gets 403 Forbidden, against DNS rebinding (see HostAllowed).
	// Requests on other addresses are not checked.
	Hosts []string

	initOnce sync.Once
	done     chan struct{} // closed by Close

	mu      sync.Mutex // guards the fields below
	newest  *frame
	notify  chan struct{} // closed and replaced when a frame is published, if waited
	waited  bool          // notify was handed out
	viewers int
	closed  bool
	source  *sourceRun // the running source, or nil
	idle    *time.Timer

	published, delivered, skipped, dropped, repeated atomic.Uint64
	sourceErr                                        atomic.Pointer[error]
}

// frame is a published frame, made once into the part every viewer's
// Writer writes as it is.
type frame struct {
	seq  uint64
	jpeg []byte // in part
	// part is what a viewer writes for this frame (AppendPart): the part's
	// headers, the JPEG, and the next boundary line, so that browsers show
	// the frame at once instead of waiting for the next one.
	part []byte
	// taken is set, under the Server's mu, once current has handed the
	// frame out: from then on it never changes.
	taken bool
}

type sourceRun struct {
	cancel context.CancelFunc
	done   chan struct{}
}

func (s *Server) init() {
	s.initOnce.Do(func() {
		s.done = make(chan struct{})
		s.notify = make(chan struct{})
	})
}

func (s *Server) boundary() string {
	if s.Boundary == "" {
		return DefaultBoundary
	}
	return s.Boundary
}

func (s *Server) idleTimeout() time.Duration {
	return cmp.Or(max(s.IdleTimeout, 0), DefaultIdleTimeout)
}

func (s *Server) writeTimeout() time.Duration {
	return cmp.Or(max(s.WriteTimeout, 0), DefaultWriteTimeout)
}

// repeatAfter is negative when repeating is off.
func (s *Server) repeatAfter() time.Duration {
	return cmp.Or(s.RepeatAfter, DefaultRepeatAfter)
}

// arm makes *t fire after d, creating it the first time, and returns its
// channel.
func arm(t **time.Timer, d time.Duration) <-chan time.Time {
	if *t == nil {
		*t = time.NewTimer(d)
	} else {
		(*t).Reset(d)
	}
	return (*t).C
}

// Publish makes jpeg the newest frame, for every viewer. It copies jpeg, so
// the caller may reuse it at once, and never waits for a viewer. It returns
// ErrClosed after Close. While no viewer or snapshot has taken the newest
// frame, Publish writes over it and allocates nothing (unless its buffer,
// left by a larger frame, is more than twice what this one needs): a
// camera recorded with no one watching costs one copy a frame.
func (s *Server) Publish(jpeg []byte) error {
	s.init()
	b := s.boundary()
	now := time.Now()
	need := len(jpeg) + len(b) + 96 // AppendPart's bytes, and some
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	if f := s.newest; f != nil && !f.taken && cap(f.part) <= 2*need {
		// (A buffer more than twice the frame, left by a larger one,
		// is dropped: a frame made anew below holds only its bytes.)
		f.setPart(AppendPart(f.part[:0], b, jpeg, now), len(b), len(jpeg))
		s.publishLocked(f)
		s.mu.Unlock()
		return nil
	}
	s.mu.Unlock()

	f := new(frame) // made outside the lock: a viewer may be waiting for it
	f.setPart(AppendPart(make([]byte, 0, need), b, jpeg, now), len(b), len(jpeg))
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.publishLocked(f)
	return nil
}

// setPart makes part, made by AppendPart with a boundary of boundary bytes
// and a JPEG of n, f's.
func (f *frame) setPart(part []byte, boundary, n int) {
	end := len(part) - len("\r\n--"+"\r\n") - boundary
	f.part, f.jpeg = part, part[end-n:end:end]
}

// publishLocked makes f the newest frame, and wakes the viewers waiting for
// one. It runs with s.mu held.
func (s *Server) publishLocked(f *frame) {
	f.seq = s.published.Add(1)
	s.newest = f
	if s.waited {
		close(s.notify)
		s.notify = make(chan struct{})
		s.waited = false
	}
}

// current returns the newest frame (nil before the first) and a channel
// closed when a newer one is published.
func (s *Server) current() (*frame, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.newest != nil {
		s.newest.taken = true // Publish no longer writes over it
	}
	s.waited = true
	return s.newest, s.notify
}

// join registers a viewer and starts the Source if it is not running. It
// reports false when the server is closed or full.
func (s *Server) join(limit bool) (ok bool, status int) {
	s.init()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false, http.StatusServiceUnavailable
	}
	if limit && s.MaxViewers > 0 && s.viewers >= s.MaxViewers {
		return false, http.StatusServiceUnavailable
	}
	s.viewers++
	if s.idle != nil {
		s.idle.Stop()
		s.idle = nil
	}
	if s.Source != nil && s.source == nil {
		ctx, cancel := context.WithCancel(context.Background())
		run := &sourceRun{cancel: cancel, done: make(chan struct{})}
		s.source = run
		go func() {
			defer close(run.done)
			if err := s.Source.Run(ctx, func(jpeg []byte) { s.Publish(jpeg) }); err != nil && !errors.Is(err, context.Canceled) {
				s.sourceErr.Store(&err)
				if s.ErrorLog != nil {
					s.ErrorLog.Printf("mjpeg: source: %v", err)
				}
			}
			s.mu.Lock()
			if s.source == run {
				s.source = nil // a source that stops is started again by the next viewer
			}
			s.mu.Unlock()
		}()
	}
	return true, 0
}

// leave unregisters a viewer; the last one out starts the idle timer.
func (s *Server) leave() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.viewers--
	if s.viewers == 0 && s.source != nil && !s.closed {
		run := s.source
		s.idle = time.AfterFunc(s.idleTimeout(), func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.viewers == 0 && s.source == run {
				run.cancel()
				s.source = nil
			}
		})
	}
}

// refuseBody answers 400 Bad Request to a request that announces a body
// (a Content-Length or a Transfer-Encoding), closes its connection, and
// reports whether it did. A frame request has no body. Left to itself,
// net/http waits to discard such a body, before it writes the response and
// again after the handler returns, and does not notice meanwhile that the
// client went away: a request whose body never comes would hold a viewer's
// place, or at least a connection, for ever. So the connection is taken
// over, answered and closed at once (over HTTP/2, where a stream's body
// cannot hold the connection, the answer is a plain one).
func refuseBody(w http.ResponseWriter, r *http.Request) bool {
	if r.ContentLength == 0 && len(r.TransferEncoding) == 0 {
		return false
	}
	const msg = "mjpeg: a frame request has no body\n"
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		http.Error(w, msg, http.StatusBadRequest)
		return true
	}
	defer conn.Close()
	conn.SetWriteDeadline(time.Now().Add(time.Second))
	fmt.Fprintf(conn, "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"+
		"Content-Length: %d\r\nConnection: close\r\n\r\n%s", len(msg), msg)
	return true
}

// The range of the fps query parameter. Below MinFPS a frame would wait
// over a quarter of an hour; above MaxFPS the cap is no cap.
const (
	MinFPS = 0.001
	MaxFPS = 1000
)

// parseFPS returns the interval between frames that the fps parameter v
// asks for (0 when v is empty): a finite number from MinFPS to MaxFPS.
func parseFPS(v string) (time.Duration, error) {
	if v == "" {
		return 0, nil
	}
	fps, err := strconv.ParseFloat(v, 64)
	// The comparisons are false for NaN, so NaN is refused too.
	if err != nil || !(fps >= MinFPS && fps <= MaxFPS) {
		return 0, fmt.Errorf("mjpeg: fps must be a number from %g to %g, not %q", float64(MinFPS), float64(MaxFPS), v)
	}
	return time.Duration(float64(time.Second) / fps), nil
}

// ServeHTTP streams the frames to one viewer until it goes away, a write to
// it stalls for WriteTimeout, or the server closes. The query parameter
// fps (?fps=5) caps the frames per second this viewer is sent: a number
// from MinFPS to MaxFPS, or the response is 400 Bad Request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if refuseBody(w, r) || s.refuseHost(w, r) {
		return
	}
	// A request refused, or a HEAD, is no viewer: it does not start the
	// Source.
	interval, err := parseFPS(r.URL.Query().Get("fps"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	mw := NewWriter(w)
	mw.WriteTimeout = s.writeTimeout()
	if err := mw.SetBoundary(s.boundary()); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if r.Method == http.MethodHead {
		mw.SetHeader(w.Header())
		w.WriteHeader(http.StatusOK)
		return
	}
	ok, status := s.join(true)
	if !ok {
		http.Error(w, http.StatusText(status), status)
		return
	}
	defer s.leave()

	v := &viewer{s: s, w: mw, ctx: r.Context(), interval: interval, repeatAfter: s.repeatAfter()}
	defer v.stopTimers()
	if v.sent(mw.Start()) {
		v.run()
	}
}

// A viewer is the state of one stream: where it writes, what it was sent,
// and its timers.
type viewer struct {
	s           *Server
	w           *Writer
	ctx         context.Context // the request's
	interval    time.Duration   // the least time between frames (?fps=); 0: no cap
	repeatAfter time.Duration   // negative: never
	last        uint64          // the newest frame sent
	repeated    uint64          // the frame last sent again
	at          time.Time       // when the newest frame was sent
	wait        *time.Timer     // for interval
	repeat      *time.Timer     // for repeatAfter
}

// run sends the viewer each frame it can take, until it goes away, a write
// to it fails, or the server closes.
func (v *viewer) run() {
	for {
		f, ok := v.next()
		if ok {
			f, ok = v.pace(f)
		}
		if !ok || !v.deliver(f) {
			return
		}
	}
}

// next waits for a frame newer than the last one sent and returns it;
// meanwhile it sends the newest once more after repeatAfter (see
// RepeatAfter). It reports false when the viewer or the server is done, or
// a write failed.
func (v *viewer) next() (*frame, bool) {
	for {
		f, newer := v.s.current()
		if f != nil && f.seq != v.last {
			return f, true
		}
		var again <-chan time.Time
		if f != nil && v.repeated != v.last && v.repeatAfter > 0 {
			again = arm(&v.repeat, v.repeatAfter)
		}
		select {
		case <-newer:
		case <-again:
			// Nothing newer: send the newest again, so that browsers show
			// it.
			v.repeated = v.last
			if !v.sent(v.w.WritePart(f.part)) {
				return nil, false
			}
			v.s.repeated.Add(1)
		case <-v.ctx.Done():
			return nil, false
		case <-v.s.done:
			return nil, false
		}
	}
}

// pace holds f back, under ?fps=, until interval has passed since the
// last frame was sent, and returns the newest frame then. It reports false
// when the viewer or the server is done first.
func (v *viewer) pace(f *frame) (*frame, bool) {
	if v.interval <= 0 || v.at.IsZero() {
		return f, true
	}
	d := v.interval - time.Since(v.at)
	if d <= 0 {
		return f, true
	}
	select {
	case <-arm(&v.wait, d):
		f, _ = v.s.current()
		return f, true
	case <-v.ctx.Done():
	case <-v.s.done:
	}
	return nil, false
}

// deliver sends f, and counts it and the frames the viewer skipped.
func (v *viewer) deliver(f *frame) bool {
	if v.last != 0 && f.seq > v.last+1 {
		v.s.skipped.Add(f.seq - v.last - 1)
	}
	if !v.sent(v.w.WritePart(f.part)) {
		return false
	}
	v.s.delivered.Add(1)
	v.last, v.at = f.seq, time.Now()
	return true
}

// sent reports whether a write succeeded; one that stalled for
// WriteTimeout (not one to a viewer that went away) counts the viewer as
// dropped.
func (v *viewer) sent(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		v.s.dropped.Add(1)
	}
	return err == nil
}

func (v *viewer) stopTimers() {
	for _, t := range []*time.Timer{v.wait, v.repeat} {
		if t != nil {
			t.Stop()
		}
	}
}

// Snapshot returns a handler that responds with the newest frame as
// image/jpeg, at once. Before the first frame it starts the Source if need
// be and waits for a frame until the request is cancelled or WriteTimeout
// passes; then it responds 503 Service Unavailable.
func (s *Server) Snapshot() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if refuseBody(w, r) || s.refuseHost(w, r) {
			return
		}
		if ok, status := s.join(false); !ok {
			http.Error(w, http.StatusText(status), status)
			return
		}
		defer s.leave()
		ctx, cancel := context.WithTimeout(r.Context(), s.writeTimeout())
		defer cancel()
		for {
			f, next := s.current()
			if f != nil {
				w.Header().Set("Content-Type", "image/jpeg")
				w.Header().Set("Content-Length", strconv.Itoa(len(f.jpeg)))
				w.Header().Set("Cache-Control", "no-cache, no-store, must-revalidate")
				w.Write(f.jpeg)
				return
			}
			select {
			case <-next:
			case <-ctx.Done():
				http.Error(w, "mjpeg: no frame yet", http.StatusServiceUnavailable)
				return
			case <-s.done:
				http.Error(w, http.StatusText(http.StatusServiceUnavailable), http.StatusServiceUnavailable)
				return
			}
		}
	})
}

// Handler returns a handler that serves an index page showing the stream
// at "/", the stream at "/stream.mjpg" and the newest frame at
// "/snapshot.jpg". Wrap it (or the Server) in middleware for
// authentication.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", IndexPage("stream.mjpg"))
	mux.Handle("GET /stream.mjpg", s)
	mux.Handle("GET /snapshot.jpg", s.Snapshot())
	return mux
}

// Stats are a Server's counters, for the application to show or export.
type Stats struct {
	Viewers   int    // viewers of the stream and snapshots now
	Published uint64 // frames published
	Delivered uint64 // frames written to viewers
	Skipped   uint64 // frames viewers skipped because they were slower than the frames, or capped by ?fps=
	Dropped   uint64 // viewers dropped because a write to them stalled for WriteTimeout
	Repeated  uint64 // frames sent again to viewers after a pause (see RepeatAfter), not counted in Delivered
	Running   bool   // whether the Source is running
	SourceErr error  // the last error a Source returned, if any
}

// Stats returns the server's counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	st := Stats{Viewers: s.viewers, Running: s.source != nil}
	s.mu.Unlock()
	st.Published, st.Delivered = s.published.Load(), s.delivered.Load()
	st.Skipped, st.Dropped, st.Repeated = s.skipped.Load(), s.dropped.Load(), s.repeated.Load()
	if p := s.sourceErr.Load(); p != nil {
		st.SourceErr = *p
	}
	return st
}

// Close stops the Server: every stream handler returns, the Source is
// cancelled and waited for, and Publish returns ErrClosed. It does not close
// the http.Server that serves it. Closing twice is not an error.
func (s *Server) Close() error {
	s.init()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.done)
	if s.idle != nil {
		s.idle.Stop()
	}
	run := s.source
	s.source = nil
	s.mu.Unlock()
	if run != nil {
		run.cancel()
		<-run.done
	}
	return nil
}
