package player

import (
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/imgstream/imgstream/container"
)

// MaxRecordings is the most recordings a folder's player lists.
const MaxRecordings = 10000

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
// holds a frame, in subfolders too, found once, now. Links are not
// followed, so nothing outside dir is served.
func NewDir(dir string, o Options) (*Player, error) {
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	pl := newPlaces()
	o.Stream = nil // one file's stream: none in a folder
	var recs []*recording
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() || len(recs) >= MaxRecordings {
			return nil // unreadable entries, links, devices: left out
		}
		if !isRecording(path) {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return nil
		}
		rec, err := openRecording(path, filepath.ToSlash(rel), o, pl)
		if err != nil || len(rec.x.Entries) == 0 {
			if rec != nil {
				rec.close()
			}
			return nil
		}
		recs = append(recs, rec)
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(recs, func(a, b *recording) int { return strings.Compare(a.name, b.name) })
	list := make([]listed, len(recs))
	for i, rec := range recs {
		var dur time.Duration
		for _, e := range rec.x.Entries[1:] {
			dur += e.Elapsed
		}
		list[i] = listed{ID: i, Name: rec.name, Frames: len(rec.x.Entries), Duration: dur.Microseconds(), Size: rec.size, Modified: rec.mod, Damaged: rec.damage != nil}
	}
	m := http.NewServeMux()
	m.HandleFunc("GET /{$}", page("list.html"))
	m.Handle("GET /static/", staticHandler())
	m.HandleFunc("GET /api/recordings", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, list) })
	m.HandleFunc("GET /r/{id}/{rest...}", func(w http.ResponseWriter, r *http.Request) {
		id, ok := frameNumber(r.PathValue("id"), len(recs))
		if !ok {
			http.NotFound(w, r)
			return
		}
		prefix := "/r/" + strconv.Itoa(id)
		http.StripPrefix(prefix, recs[id].mux).ServeHTTP(w, r)
	})
	m.HandleFunc("GET /r/{id}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Path+"/", http.StatusMovedPermanently)
	})
	closeAll := func() error {
		var errs []error
		for _, rec := range recs {
			errs = append(errs, rec.close())
		}
		return errors.Join(errs...)
	}
	return &Player{h: m, o: o, close: closeAll}, nil
}

// isRecording reports whether the file at path starts with an OMV IMG STR
// magic.
func isRecording(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var magic [container.MagicSize]byte
	if _, err := io.ReadFull(f, magic[:]); err != nil {
		return false
	}
	return strings.HasPrefix(string(magic[:]), "OMV IMG STR V")
}
