package player

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image/png"
	"io/fs"
	"log"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/export"
	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/mjpeg"
)

// Limits on requests; see the package doc.
const (
	// MaxURL is the longest request URL (path and query) served.
	MaxURL = 2048
	// MaxStreams is how many streams and exports run at once.
	MaxStreams = 32
	// MaxRenders is how many frames are rendered at once, for
	// /frame/N.jpg and N.png and for each frame of a GIF export: read,
	// decoded and encoded, each of which holds the frame and its decoded
	// picture (about 20 MB for a 5 MP frame). A request beyond it waits
	// for a place, until it is cancelled, so that a burst of requests
	// takes time, not memory.
	MaxRenders = 4
)

// DefaultWriteTimeout bounds each write of a response to a client unless
// Options.WriteTimeout says otherwise: 10 s, as mjpeg.DefaultWriteTimeout.
// A client that takes none of a write's bytes for that long (stalled, or
// one that sends requests and never reads) loses its response, and with it
// the place among MaxStreams or MaxRenders that its request held.
const DefaultWriteTimeout = 10 * time.Second

//go:embed static
var static embed.FS

// Options refine a player. The zero value serves every request that
// comes in on the loopback interface and names a loopback Host (see
// Hosts), which is what a player on the loopback interface wants; beyond
// it, a player needs credentials (Token, or User and Password) or Public.
type Options struct {
	// Token, if set, is needed for every request: as ?token=, which also
	// sets a cookie for the page's own requests, as that cookie, or as
	// "Authorization: Bearer TOKEN".
	Token string
	// User and Password, if set, are needed for every request, with HTTP
	// basic authentication.
	User, Password string
	// ErrorLog, if not nil, logs errors reading recordings.
	ErrorLog *log.Logger
	// Stream, if not nil, serves a recording's /stream.mjpg when the
	// request has neither from nor speed: a stream that every viewer shares,
	// such as an mjpeg.Server replaying the file, which keeps a slow viewer
	// from holding the others up. Without it, each viewer gets a stream of
	// its own.
	Stream http.Handler
	// Trigger and Status, if not nil, make a live page a recorder's (such
	// as a record.Recorder's Trigger and Status): POST /trigger calls
	// Trigger, and the page has a button for it; GET /api/status serves
	// what Status returns as JSON, and /api/info holds it as "recorder",
	// which the page shows (it reads the fields recording and clip).
	Trigger func()
	Status  func() any
	// Events, if not nil, is served at /api/events by a live page
	// (NewLive) and a grid page (NewGrid): Server-Sent Events, such as a
	// recorder's events as JSON, which the page shows (the last event,
	// and motion from motion_start and motion_end).
	Events *EventStream
	// SnapshotAt, if not nil, serves a live page's /api/snapshot?at=TIME:
	// it reads into m the frame nearest to at that a live source keeps in
	// memory (such as a record.Recorder's FrameAt, from its ring) and
	// returns its wall time; an error (a time the ring no longer holds)
	// is 404 with its text.
	SnapshotAt func(at time.Time, m *imageio.Image) (time.Time, error)
	// Hosts are the names (without a port) that a request on the
	// loopback interface may give as its Host when neither Token nor User
	// is set, besides the loopback names that are always accepted
	// (localhost, 127.0.0.0/8, ::1, with any port). Without credentials a
	// player answers any other Host 403, so that a web page whose name
	// was rebound to 127.0.0.1 (DNS rebinding) cannot read it or trigger
	// a recorder. With credentials, any Host is served; beyond loopback,
	// see Public.
	Hosts []string
	// Public serves requests without credentials that come in on an
	// address beyond the loopback interface (a LAN address, as when
	// listening on 0.0.0.0), to anyone who can reach it, with any Host.
	// Without it, a player with neither Token nor User answers those
	// requests 403, and logs why once: an address beyond loopback is
	// reachable by others, and recordings, a live camera and a recorder's
	// trigger are not for everyone by default. Set it only when that is
	// meant (a kiosk on a closed network). The address is the one the
	// request came in on (http.LocalAddrContextKey, which net/http's
	// Server sets); a request served otherwise, or on a Unix socket, is
	// judged by its Host alone.
	Public bool
	// Clock paces a recording's own streams (/stream.mjpg with from or
	// speed): the system clock when nil. Tests give a fake one.
	Clock imageio.Clock
	// WriteTimeout bounds each write of a response to a client (each
	// frame of a stream, each piece of a frame or an export), counted from
	// the write's start: DefaultWriteTimeout when 0 or less. A handler
	// that sets its own write deadlines with http.ResponseController, as
	// an mjpeg.Server does, keeps them. http.Server's WriteTimeout would
	// cut every stream: leave it unset.
	WriteTimeout time.Duration
}

func (o *Options) writeTimeout() time.Duration {
	if o.WriteTimeout <= 0 {
		return DefaultWriteTimeout
	}
	return o.WriteTimeout
}

// deadlineWriter gives each write of a response a deadline, timeout from
// the write's start, so that a client that never reads cannot hold a
// request's place for ever; unless the handler sets write deadlines of its
// own, through http.ResponseController (SetWriteDeadline here). Unwrap
// lets http.ResponseController reach the connection's Flush, Hijack and
// read deadlines.
type deadlineWriter struct {
	http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
	own     bool // the handler set a write deadline itself
}

// extend moves the write deadline to timeout from now.
func (d *deadlineWriter) extend() {
	if !d.own {
		d.rc.SetWriteDeadline(time.Now().Add(d.timeout))
	}
}

func (d *deadlineWriter) WriteHeader(code int) {
	d.extend()
	d.ResponseWriter.WriteHeader(code)
}

func (d *deadlineWriter) Write(b []byte) (int, error) {
	d.extend()
	return d.ResponseWriter.Write(b)
}

// SetWriteDeadline is what http.ResponseController calls: the handler
// takes the deadlines over.
func (d *deadlineWriter) SetWriteDeadline(t time.Time) error {
	d.own = true
	return d.rc.SetWriteDeadline(t)
}

func (d *deadlineWriter) Unwrap() http.ResponseWriter { return d.ResponseWriter }

// recording is one recording file, open and indexed.
type recording struct {
	path    string
	name    string
	f       *os.File
	x       *container.Index
	src     *export.Recording // x and f, for exports and the summary
	damage  error
	tag     string // identifies the file's content, for ETags
	mod     time.Time
	size    int64
	info    []byte // /api/info
	mux     *http.ServeMux
	log     *log.Logger
	slots   chan struct{} // MaxStreams places, shared by a folder's recordings
	renders chan struct{} // MaxRenders places, shared likewise
	shared  http.Handler  // Options.Stream
	clock   imageio.Clock // Options.Clock
}

// frameInfo is one frame in /api/frames.
type frameInfo struct {
	Index    int    `json:"index"`
	Offset   int64  `json:"offset"`
	Time     int64  `json:"time_us"`
	Interval int64  `json:"interval_us"`
	Size     int    `json:"size"`
	Format   string `json:"format"`
	W        int    `json:"w"`
	H        int    `json:"h"`
}

// openFlags open a recording for reading without waiting: a FIFO put in
// its place would block a plain open until a writer came (newRecording
// then refuses it, as any file that is not a regular one).
const openFlags = os.O_RDONLY | syscall.O_NONBLOCK

// openRecording indexes the recording at path. A file that is not one, or
// has no complete frame, is an error.
func openRecording(path, name string, o Options, pl places) (*recording, error) {
	f, err := os.OpenFile(path, openFlags, 0)
	if err != nil {
		return nil, err
	}
	return newRecording(f, path, name, o, pl)
}

// newRecording indexes the recording open as f, which it keeps, or closes
// on an error: a file that is not a regular one holding a complete frame.
func newRecording(f *os.File, path, name string, o Options, pl places) (*recording, error) {
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("player: %s: not a regular file", path)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	src, err := export.Open(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("player: %s: %w", path, err)
	}
	x, damage := src.Index(), src.Damage()
	x.Entries = slices.Clip(x.Entries) // held as long as the file is open
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s\x00%d\x00%d", path, fi.Size(), fi.ModTime().UnixNano())))
	rec := &recording{path: path, name: name, f: f, x: x, src: src, damage: damage, tag: hex.EncodeToString(sum[:8]),
		mod: fi.ModTime(), size: fi.Size(), log: o.ErrorLog, slots: pl.slots, renders: pl.renders, shared: o.Stream, clock: o.Clock}
	rec.describe()
	rec.routes()
	return rec, nil
}

// describe makes the JSON of /api/info once: export.Summary, the schema
// of imgstream info --json.
func (rec *recording) describe() {
	sum := export.SummaryOf(rec.name, rec.src)
	sum.Size, sum.Modified = rec.size, rec.mod
	var b bytes.Buffer
	sum.WriteJSON(&b)
	rec.info = b.Bytes()
}

// writeFrames serves /api/frames, made from the index as it is written
// rather than held: it is about twice the index's size.
func (rec *recording) writeFrames(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	bw := bufio.NewWriterSize(w, 32<<10)
	bw.WriteByte('[')
	var b []byte
	for i := range rec.x.Entries {
		e := &rec.x.Entries[i]
		var gap time.Duration
		if i > 0 {
			gap = e.Elapsed
			bw.WriteByte(',')
		}
		b, _ = json.Marshal(frameInfo{Index: i, Offset: e.Offset, Time: e.Time.Microseconds(), Interval: gap.Microseconds(),
			Size: e.Size, Format: e.Format.String(), W: e.Width, H: e.Height})
		if _, err := bw.Write(b); err != nil {
			return
		}
	}
	bw.WriteByte(']')
	bw.Flush()
}

func (rec *recording) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /{$}", page("player.html"))
	m.Handle("GET /static/", staticHandler())
	m.HandleFunc("GET /api/info", rawJSON(func() []byte { return rec.info }))
	m.HandleFunc("GET /api/frames", rec.writeFrames)
	m.HandleFunc("GET /frame/{file}", rec.frame)
	if rec.shared == nil {
		m.HandleFunc("GET /stream.mjpg", rec.stream)
	} else {
		m.HandleFunc("GET /stream.mjpg", func(w http.ResponseWriter, r *http.Request) {
			if q := r.URL.Query(); !q.Has("from") && !q.Has("speed") {
				rec.shared.ServeHTTP(w, r)
				return
			}
			rec.stream(w, r)
		})
	}
	m.HandleFunc("GET /export.avi", rec.exportAVI)
	m.HandleFunc("GET /export.gif", rec.exportGIF)
	rec.mux = m
}

func (rec *recording) close() error { return rec.f.Close() }

func (rec *recording) logf(format string, args ...any) {
	if rec.log != nil {
		rec.log.Printf(format, args...)
	}
}

// read reads frame i.
func (rec *recording) read(i int, m *imageio.Image) error {
	data, err := rec.x.ReadPayload(rec.f, i, m.Data)
	if err != nil {
		return err
	}
	e := &rec.x.Entries[i]
	*m = imageio.ImageOf(&e.Header, data)
	m.Time = e.Time
	return nil
}

// frameNumber parses a frame number in 0..n-1; ok is false for anything
// else (negative, huge, not a number).
func frameNumber(s string, n int) (int, bool) {
	if s == "" || len(s) > 10 || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	i, err := strconv.Atoi(s)
	return i, err == nil && i < n
}

func (rec *recording) frame(w http.ResponseWriter, r *http.Request) {
	file := r.PathValue("file")
	num, ext, ok := strings.Cut(file, ".")
	if !ok || (ext != "jpg" && ext != "png") {
		http.NotFound(w, r)
		return
	}
	i, ok := frameNumber(num, len(rec.x.Entries))
	if !ok {
		http.Error(w, fmt.Sprintf("no frame %q: the recording has frames 0 to %d", num, len(rec.x.Entries)-1), http.StatusNotFound)
		return
	}
	etag := `"` + rec.tag + "-" + strconv.Itoa(i) + "-" + ext + `"`
	h := w.Header()
	h.Set("ETag", etag)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if !rec.acquireRender(r.Context()) {
		h.Del("Cache-Control")
		http.Error(w, "player: the request ended before a frame could be rendered", http.StatusServiceUnavailable)
		return
	}
	defer rec.releaseRender()
	var m imageio.Image
	if err := rec.read(i, &m); err != nil {
		rec.logf("player: %s: frame %d: %v", rec.name, i, err)
		http.Error(w, "the frame cannot be read", http.StatusInternalServerError)
		return
	}
	var body []byte
	var err error
	if ext == "jpg" {
		h.Set("Content-Type", "image/jpeg")
		body, err = m.AppendJPEG(nil)
	} else {
		h.Set("Content-Type", "image/png")
		img, derr := m.Decode()
		if err = derr; err == nil {
			var b bytes.Buffer
			err = framePNG.Encode(&b, img)
			body = b.Bytes()
		}
	}
	if err != nil {
		rec.logf("player: %s: frame %d: %v", rec.name, i, err)
		h.Del("Cache-Control")
		http.Error(w, "the frame cannot be decoded", http.StatusInternalServerError)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.Write(body)
}

// framePNG encodes /frame/N.png: at png.BestSpeed, 5.2x as fast as the
// default level for 23 % more bytes on a 640x480 camera picture
// (BenchmarkFramePNG), since a browser asks for it to show at once; its
// buffers are reused across requests.
var framePNG = png.Encoder{CompressionLevel: png.BestSpeed, BufferPool: new(pngBuffers)}

// pngBuffers is a png.EncoderBufferPool over a sync.Pool, safe for
// concurrent use.
type pngBuffers struct{ p sync.Pool }

func (b *pngBuffers) Get() *png.EncoderBuffer {
	e, _ := b.p.Get().(*png.EncoderBuffer)
	return e
}

func (b *pngBuffers) Put(e *png.EncoderBuffer) { b.p.Put(e) }

// places are the places a player's requests take: MaxStreams for streams
// and exports, MaxRenders for frames rendered.
type places struct{ slots, renders chan struct{} }

func newPlaces() places {
	return places{slots: make(chan struct{}, MaxStreams), renders: make(chan struct{}, MaxRenders)}
}

// testHook, if not nil, is told "wait" when a render waits for a place,
// "render" when it has one, and "gave up" when its request ended first;
// and "slot" and "slot freed" when a stream or an export takes one of the
// MaxStreams places and gives it back.
var testHook func(event string)

// acquireRender takes one of the MaxRenders places, waiting for one until
// ctx is done; it reports whether it got one.
func (rec *recording) acquireRender(ctx context.Context) bool {
	select {
	case rec.renders <- struct{}{}:
	default:
		if testHook != nil {
			testHook("wait")
		}
		select {
		case rec.renders <- struct{}{}:
		case <-ctx.Done():
			if testHook != nil {
				testHook("gave up")
			}
			return false
		}
	}
	if testHook != nil {
		testHook("render")
	}
	return true
}

func (rec *recording) releaseRender() { <-rec.renders }

// acquire takes one of the MaxStreams places, or answers 503.
func acquire(slots chan struct{}, w http.ResponseWriter) bool {
	select {
	case slots <- struct{}{}:
		if testHook != nil {
			testHook("slot")
		}
		return true
	default:
		http.Error(w, "player: too many streams and exports at once", http.StatusServiceUnavailable)
		return false
	}
}

// release gives back a place that acquire took.
func release(slots chan struct{}) {
	<-slots
	if testHook != nil {
		testHook("slot freed")
	}
}

func rawJSON(body func() []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(body())
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	json.NewEncoder(w).Encode(v)
}

func staticHandler() http.Handler {
	sub, _ := fs.Sub(static, "static")
	return http.StripPrefix("/static/", http.FileServerFS(sub))
}

// page serves one of the embedded pages.
func page(name string) http.HandlerFunc {
	body, err := static.ReadFile("static/" + name)
	if err != nil {
		panic(err) // embedded at build time
	}
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; style-src 'self'")
		w.Write(body)
	}
}

// A Player is an http.Handler: the page and API of a recording, of a folder
// of recordings, or of a live source. It is safe for concurrent use.
type Player struct {
	h       http.Handler
	o       Options
	close   func() error
	refused atomic.Bool // a request beyond loopback without credentials was refused, and logged
}

// NewFile returns the player of the recording at path. A damaged recording
// plays its good frames, and its info says where the damage is.
func NewFile(path string, o Options) (*Player, error) {
	rec, err := openRecording(path, filepath.Base(path), o, newPlaces())
	if err != nil {
		return nil, err
	}
	return &Player{h: rec.mux, o: o, close: rec.close}, nil
}

// ServeHTTP checks the request's size and credentials, and serves it,
// each write of the response bounded by Options.WriteTimeout.
func (p *Player) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	dw := &deadlineWriter{ResponseWriter: w, rc: http.NewResponseController(w), timeout: p.o.writeTimeout()}
	// From now, and again once the handler returns, for the bytes that
	// net/http writes itself (the headers of a response with no body, the
	// end of a chunked one): a kept-alive connection must not keep an old
	// deadline, and no write is left without one.
	dw.extend()
	defer dw.extend()
	p.serve(dw, r)
}

func (p *Player) serve(w http.ResponseWriter, r *http.Request) {
	if len(r.URL.RawPath)+len(r.URL.Path)+len(r.URL.RawQuery) > MaxURL {
		http.Error(w, "player: URL too long", http.StatusRequestURITooLong)
		return
	}
	switch p.access(r) {
	case beyondLoopback:
		local := r.Context().Value(http.LocalAddrContextKey)
		if !p.refused.Swap(true) {
			logger := p.o.ErrorLog
			if logger == nil {
				logger = log.Default() // as net/http's Server logs without an ErrorLog
			}
			logger.Printf("player: refusing requests on %v, beyond the loopback interface, without credentials: give the player Options.Token, or User and Password (or Options.Public to serve anyone); logged once", local)
		}
		http.Error(w, fmt.Sprintf("player: this player has no credentials, and serves no one on %v, beyond the loopback interface", local), http.StatusForbidden)
		return
	case foreignHost:
		http.Error(w, fmt.Sprintf("player: Host %q is not a loopback name: open the player at 127.0.0.1 or localhost, or give it credentials", r.Host), http.StatusForbidden)
		return
	}
	if !p.authorized(w, r) {
		return
	}
	p.h.ServeHTTP(w, r)
}

// A verdict is what access decides of a request before its credentials
// are checked.
type verdict int

const (
	allowed        verdict = iota
	beyondLoopback         // no credentials, not Public, and a local address beyond loopback
	foreignHost            // no credentials, on loopback, and a Host that is not its name
)

// access decides whether a request is served (its credentials checked
// then, if the player has some). With credentials, every request is.
// Without: a request that came in on an address beyond the loopback
// interface only with Options.Public, and then whatever its Host, as
// mjpeg.HostAllowed does; one on loopback (or on an address unknown or
// not IP, such as a Unix socket) only if it names a loopback Host, one of
// Options.Hosts, or none (HTTP/1.0, never a browser), against DNS
// rebinding.
func (p *Player) access(r *http.Request) verdict {
	if p.o.Token != "" || p.o.User != "" || p.o.Password != "" {
		return allowed
	}
	if local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if ap, err := netip.ParseAddrPort(local.String()); err == nil && !ap.Addr().Unmap().IsLoopback() {
			if p.o.Public {
				return allowed
			}
			return beyondLoopback
		}
	}
	if r.Host == "" || mjpeg.HostIn(r.Host, p.o.Hosts) {
		return allowed
	}
	return foreignHost
}

// Close closes the recordings.
func (p *Player) Close() error {
	if p.close == nil {
		return nil
	}
	return p.close()
}

const tokenCookie = "imgstream_token"

// authorized checks the request's credentials, answering 401 when they
// are missing or wrong.
func (p *Player) authorized(w http.ResponseWriter, r *http.Request) bool {
	if p.o.User != "" || p.o.Password != "" {
		u, pw, ok := r.BasicAuth()
		if !ok || !equal(u, p.o.User) || !equal(pw, p.o.Password) {
			w.Header().Set("WWW-Authenticate", `Basic realm="imgstream", charset="UTF-8"`)
			http.Error(w, "player: credentials needed", http.StatusUnauthorized)
			return false
		}
	}
	if p.o.Token == "" {
		return true
	}
	if t := r.URL.Query().Get("token"); t != "" && equal(t, p.o.Token) {
		http.SetCookie(w, &http.Cookie{Name: tokenCookie, Value: t, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
		return true
	}
	if c, err := r.Cookie(tokenCookie); err == nil && equal(c.Value, p.o.Token) {
		return true
	}
	if a, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && equal(a, p.o.Token) {
		return true
	}
	http.Error(w, "player: a token is needed (?token=)", http.StatusUnauthorized)
	return false
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
