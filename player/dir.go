package player

import (
	"errors"
	"net/http"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/imgstream/imgstream/export"
)

// Limits of a folder's player; see [NewDir].
const (
	// MaxRecordings is the most recordings a folder's player lists.
	MaxRecordings = 10000
	// MaxOpenRecordings is how many of a folder's recordings stay open and
	// indexed while no request uses them; a recording is opened when a
	// request needs it, and the one least recently used is closed when
	// another is needed.
	MaxOpenRecordings = 8
	// MaxIndexedFrames bounds the frames of the recordings a folder's
	// player keeps indexed while no request uses them: about 64 bytes
	// each, so 64 MiB. A recording longer than that is indexed for its
	// requests only.
	MaxIndexedFrames = 1 << 20
)

type listed struct {
	ID       int       `json:"id"`
	Name     string    `json:"name"`
	Frames   int       `json:"frames"`
	Duration int64     `json:"duration_us"`
	Size     int64     `json:"size"`
	Modified time.Time `json:"modified"`
	Damaged  bool      `json:"damaged"`
}

// NewDir returns the player of the recordings found under dir (an SD
// card): every regular file that starts with an OMV IMG STR magic and
// holds a frame, in subfolders too, found once, now. dir may be a link to
// a folder; the links under it are not followed, so nothing outside dir
// is served.
//
// Finding them (export.ReadFolder, which also places them on the clock
// for the timeline: see the package doc) reads each file's frame headers
// once, and its side file, one file at a time;
// afterwards the player holds the list (a few hundred bytes a recording)
// and keeps a file open only while it serves it, and up to
// [MaxOpenRecordings] recordings and [MaxIndexedFrames] frames indexed
// between requests: one file descriptor for dir, and one for each
// recording open, whatever the number of recordings.
func NewDir(dir string, o Options) (*Player, error) {
	p, _, err := newDir(dir, o, MaxOpenRecordings, MaxIndexedFrames)
	return p, err
}

// newDir is NewDir with the bounds of what it keeps open.
func newDir(dir string, o Options, maxOpen, maxFrames int) (*Player, *folder, error) {
	root, err := os.OpenRoot(dir) // follows dir itself if it is a link
	if err != nil {
		return nil, nil, err
	}
	o.Stream = nil // one file's stream: none in a folder
	d := &folder{root: root, o: o, pl: newPlaces(), open: map[int]*opened{}, maxOpen: maxOpen, maxFrames: maxFrames}
	tl, err := export.ReadFolder(root)
	if err != nil {
		root.Close()
		return nil, nil, err
	}
	clips := slices.Clone(tl.Clips())
	slices.SortFunc(clips, func(a, b export.Clip) int { return strings.Compare(a.Path, b.Path) })
	clips = clips[:min(len(clips), MaxRecordings)]
	list := make([]listed, len(clips))
	d.ids = make(map[string]int, len(clips))
	for i, c := range clips {
		list[i] = listed{ID: i, Name: c.Path, Frames: c.Frames, Duration: c.Duration.Microseconds(), Size: c.Size, Modified: c.Modified, Damaged: c.Damaged}
		d.ids[c.Path] = i
	}
	d.tl = tl
	d.list = list
	m := http.NewServeMux()
	m.HandleFunc("GET /{$}", page("timeline.html"))
	m.HandleFunc("GET /list", page("list.html"))
	d.timelineRoutes(m)
	m.Handle("GET /static/", staticHandler())
	m.HandleFunc("GET /api/recordings", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, list) })
	m.HandleFunc("GET /r/{id}/{rest...}", func(w http.ResponseWriter, r *http.Request) {
		id, ok := frameNumber(r.PathValue("id"), len(list))
		if !ok {
			http.NotFound(w, r)
			return
		}
		rec, err := d.get(id)
		if err != nil {
			d.logf("player: %s: %v", list[id].Name, err)
			http.Error(w, "player: the recording cannot be opened", http.StatusNotFound)
			return
		}
		defer d.release(id, rec)
		prefix := "/r/" + strconv.Itoa(id)
		http.StripPrefix(prefix, rec.mux).ServeHTTP(w, r)
	})
	m.HandleFunc("GET /r/{id}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Path+"/", http.StatusMovedPermanently)
	})
	return &Player{h: m, o: o, close: d.close}, d, nil
}

// A folder opens its recordings on demand, and keeps the ones used last
// open within its bounds. It is safe for concurrent use.
type folder struct {
	root      *os.Root
	o         Options
	pl        places
	list      []listed       // set before the folder is served
	ids       map[string]int // list's ids by path
	tl        *export.Folder // the clips on the clock
	maxOpen   int            // MaxOpenRecordings
	maxFrames int            // MaxIndexedFrames

	mu     sync.Mutex // guards the fields below
	open   map[int]*opened
	frames int // indexed in open
	tick   uint64
	closed bool
}

// opened is an open recording of a folder.
type opened struct {
	rec  *recording
	refs int    // requests using it
	used uint64 // the folder's tick when last used
}

// errClosed is returned for a request on a closed folder's player.
var errClosed = errors.New("player: closed")

// get returns recording id, open, for one request, which calls release
// when it is done with it.
func (d *folder) get(id int) (*recording, error) {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil, errClosed
	}
	if op := d.open[id]; op != nil {
		op.refs++
		d.tick++
		op.used = d.tick
		d.mu.Unlock()
		return op.rec, nil
	}
	d.mu.Unlock()

	// Opened and indexed without the lock: other requests go on.
	name := d.list[id].Name
	f, err := d.root.OpenFile(name, openFlags, 0)
	if err != nil {
		return nil, err
	}
	rec, err := newRecording(f, path.Join(d.root.Name(), name), name, d.o, d.pl)
	if err != nil {
		return nil, err
	}

	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		rec.close()
		return nil, errClosed
	}
	if op := d.open[id]; op != nil { // opened meanwhile by another request
		op.refs++
		d.tick++
		op.used = d.tick
		d.mu.Unlock()
		rec.close()
		return op.rec, nil
	}
	d.tick++
	d.open[id] = &opened{rec: rec, refs: 1, used: d.tick}
	d.frames += len(rec.x.Entries)
	shut := d.evict()
	d.mu.Unlock()
	closeAll(shut)
	return rec, nil
}

// release ends a request's use of recording id.
func (d *folder) release(id int, rec *recording) {
	d.mu.Lock()
	var shut []*recording
	if op := d.open[id]; op != nil && op.rec == rec {
		op.refs--
		shut = d.evict()
	}
	d.mu.Unlock()
	closeAll(shut)
}

// evict takes the least recently used recordings that no request uses out
// of open until open is within the folder's bounds, and returns them to
// be closed once the lock is released. d.mu is held.
func (d *folder) evict() []*recording {
	var shut []*recording
	for len(d.open) > d.maxOpen || d.frames > d.maxFrames {
		victim, oldest := -1, uint64(0)
		for id, op := range d.open {
			if op.refs == 0 && (victim < 0 || op.used < oldest) {
				victim, oldest = id, op.used
			}
		}
		if victim < 0 {
			break // all in use: closed when released
		}
		op := d.open[victim]
		delete(d.open, victim)
		d.frames -= len(op.rec.x.Entries)
		shut = append(shut, op.rec)
	}
	return shut
}

// close closes the recordings open and the folder; requests still using a
// recording fail to read it.
func (d *folder) close() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	var shut []*recording
	for id, op := range d.open {
		shut = append(shut, op.rec)
		delete(d.open, id)
	}
	d.frames = 0
	d.mu.Unlock()
	errs := []error{closeAll(shut), d.root.Close()}
	return errors.Join(errs...)
}

func (d *folder) logf(format string, args ...any) {
	if d.o.ErrorLog != nil {
		d.o.ErrorLog.Printf(format, args...)
	}
}

// closeAll closes recs.
func closeAll(recs []*recording) error {
	var errs []error
	for _, rec := range recs {
		errs = append(errs, rec.close())
	}
	return errors.Join(errs...)
}
