package player

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/imgstream/imgstream/export"
	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/mjpeg"
)

// NewLive returns the player of a live source: the page in live mode, the
// server's stream and snapshot, /api/info with the viewers and the frames
// per second coming in, and /api/events when Options.Events is set.
func NewLive(srv *mjpeg.Server, name string, o Options) *Player {
	m := http.NewServeMux()
	m.HandleFunc("GET /{$}", page("player.html"))
	m.Handle("GET /static/", staticHandler())
	m.Handle("GET /stream.mjpg", srv)
	m.Handle("GET /snapshot.jpg", srv.Snapshot())
	var mu sync.Mutex // guards the rate below
	var lastN uint64
	var lastT time.Time
	var fps float64
	m.HandleFunc("GET /api/info", func(w http.ResponseWriter, r *http.Request) {
		st := srv.Stats()
		mu.Lock()
		now := time.Now()
		if !lastT.IsZero() && now.Sub(lastT) >= 500*time.Millisecond {
			fps = float64(st.Published-lastN) / now.Sub(lastT).Seconds()
			lastN, lastT = st.Published, now
		} else if lastT.IsZero() {
			lastN, lastT = st.Published, now
		}
		in := map[string]any{"name": name, "live": true, "viewers": st.Viewers, "published": st.Published, "fps_in": fps, "dropped": st.Dropped}
		mu.Unlock()
		if o.Status != nil {
			in["recorder"] = o.Status()
		}
		in["trigger"] = o.Trigger != nil
		in["events"] = o.Events != nil
		writeJSON(w, in)
	})
	if o.Status != nil {
		m.HandleFunc("GET /api/status", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, o.Status()) })
	}
	if o.Events != nil {
		m.Handle("GET /api/events", o.Events)
	}
	if o.SnapshotAt != nil {
		m.HandleFunc("GET /api/snapshot", func(w http.ResponseWriter, r *http.Request) { liveSnapshot(w, r, o) })
	}
	if o.Trigger != nil {
		// A state change: refused to other sites' pages in a browser
		// (CSRF), allowed to curl and to the page itself.
		m.Handle("POST /trigger", http.NewCrossOriginProtection().Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			o.Trigger()
			w.WriteHeader(http.StatusNoContent)
		})))
	}
	return &Player{h: m, o: o}
}

// liveSnapshot serves a live page's /api/snapshot?at=TIME from
// Options.SnapshotAt, as a JPEG with its wall time in X-Frame-Time.
func liveSnapshot(w http.ResponseWriter, r *http.Request, o Options) {
	q := r.URL.Query()
	at, err := export.ParseClock(q.Get("at"), time.Time{}, nil)
	if err != nil {
		badRequest(w, fmt.Errorf("?at=%q: %w", q.Get("at"), err))
		return
	}
	var m imageio.Image
	when, err := o.SnapshotAt(at, &m)
	if err != nil {
		http.Error(w, "player: "+err.Error(), http.StatusNotFound)
		return
	}
	body, err := m.AppendJPEG(nil)
	if err != nil {
		http.Error(w, "player: the frame cannot be decoded", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "image/jpeg")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Frame-Time", when.Format(time.RFC3339Nano))
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.Write(body)
}
