package player

import (
	"net/http"

	"github.com/imgstream/imgstream/mjpeg"
)

// GridFPS is the frame rate of each camera's view in the grid page: the
// page asks /cam/NAME/stream.mjpg?fps=GridFPS for each tile, and the full
// stream for the one opened.
const GridFPS = 2

// A LiveCamera is one camera of a grid page (see NewGrid).
type LiveCamera struct {
	// Name names the camera in the page and in its paths.
	Name string
	// Live serves its frames.
	Live *mjpeg.Server
	// Trigger, if not nil, is what POST /cam/NAME/trigger calls.
	Trigger func()
}

// NewGrid returns the live page of many cameras: a grid of their live
// views at GridFPS, each opened to its full stream with a click, their
// status and a trigger button each. Its paths:
//
//	GET  /                       the page
//	GET  /api/cameras            what status returns, as JSON (the page
//	                             reads a list of objects with name, connected,
//	                             recording, fps, frames_in, dropped,
//	                             last_event and last_error)
//	GET  /cam/NAME/stream.mjpg   the camera's stream (?fps= caps its rate)
//	GET  /cam/NAME/snapshot.jpg  its newest frame
//	POST /cam/NAME/trigger       its trigger (204; 404 if it has none)
//	GET  /api/events             Options.Events, if set: Server-Sent
//	                             Events, each a JSON object with a
//	                             "camera" (the page shows each camera's
//	                             last event and its motion)
//
// cameras is called for each request, so the cameras may change while
// the page is served (a reload). The Options' credentials and Host
// checks apply as for NewLive; Trigger and Status in them are not used.
func NewGrid(cameras func() []LiveCamera, status func() any, o Options) *Player {
	find := func(name string) *LiveCamera {
		for _, c := range cameras() {
			if c.Name == name {
				return &c
			}
		}
		return nil
	}
	m := http.NewServeMux()
	m.HandleFunc("GET /{$}", page("grid.html"))
	m.Handle("GET /static/", staticHandler())
	m.HandleFunc("GET /api/cameras", func(w http.ResponseWriter, r *http.Request) {
		if status != nil {
			writeJSON(w, status())
			return
		}
		var names []map[string]string
		for _, c := range cameras() {
			names = append(names, map[string]string{"name": c.Name})
		}
		writeJSON(w, names)
	})
	m.HandleFunc("GET /cam/{name}/stream.mjpg", func(w http.ResponseWriter, r *http.Request) {
		if c := find(r.PathValue("name")); c != nil && c.Live != nil {
			c.Live.ServeHTTP(w, r)
			return
		}
		http.NotFound(w, r)
	})
	m.HandleFunc("GET /cam/{name}/snapshot.jpg", func(w http.ResponseWriter, r *http.Request) {
		if c := find(r.PathValue("name")); c != nil && c.Live != nil {
			c.Live.Snapshot().ServeHTTP(w, r)
			return
		}
		http.NotFound(w, r)
	})
	// A state change: refused to other sites' pages in a browser (CSRF),
	// allowed to curl and to the page itself.
	m.Handle("POST /cam/{name}/trigger", http.NewCrossOriginProtection().Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := find(r.PathValue("name"))
		if c == nil || c.Trigger == nil {
			http.NotFound(w, r)
			return
		}
		c.Trigger()
		w.WriteHeader(http.StatusNoContent)
	})))
	if o.Events != nil {
		m.Handle("GET /api/events", o.Events)
	}
	o.Trigger, o.Status = nil, nil
	return &Player{h: m, o: o}
}
