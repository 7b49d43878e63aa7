package player

import (
	"net/http"
	"sync"
	"time"

	"github.com/imgstream/imgstream/mjpeg"
)

// NewLive returns the player of a live source: the page in live mode, the
// server's stream and snapshot, and /api/info with the viewers and the
// frames per second coming in.
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
		writeJSON(w, in)
	})
	if o.Status != nil {
		m.HandleFunc("GET /api/status", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, o.Status()) })
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
