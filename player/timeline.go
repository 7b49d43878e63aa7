package player

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/imgstream/imgstream/export"
	"github.com/imgstream/imgstream/imageio"
)

// A folder's timeline: its clips on the clock (export.Folder), one row a
// camera, played across clips and exported by wall time.

// timelineClip is a clip in /api/timeline.
type timelineClip struct {
	ID int `json:"id"` // its recording's id: /r/ID/
	export.Clip
	Duration int64 `json:"duration_us"`
}

// timelineEvent is an event in /api/timeline: a clip's trigger.
type timelineEvent struct {
	Camera string    `json:"camera"`
	Time   time.Time `json:"time"`
	Kind   string    `json:"kind"`
	Path   string    `json:"path"`
}

// timeline is /api/timeline's answer.
type timeline struct {
	From    time.Time       `json:"from"`
	To      time.Time       `json:"to"`
	Cameras []string        `json:"cameras"`
	Days    []string        `json:"days"` // the local dates with clips, YYYY-MM-DD
	Clips   []timelineClip  `json:"clips"`
	Events  []timelineEvent `json:"events"`
}

func (d *folder) timelineRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /api/timeline", d.timeline)
	m.HandleFunc("GET /api/snapshot", d.snapshot)
	m.HandleFunc("GET /export.avi", func(w http.ResponseWriter, r *http.Request) { d.exportRange(w, r, ".avi") })
	m.HandleFunc("GET /export.gif", func(w http.ResponseWriter, r *http.Request) { d.exportRange(w, r, ".gif") })
}

// badRequest answers 400 with err's text.
func badRequest(w http.ResponseWriter, err error) {
	http.Error(w, "player: "+err.Error(), http.StatusBadRequest)
}

// clockRange reads ?from=&to= (RFC 3339; a time without a zone is the
// server's local time, and to may be a time of day on from's date).
func clockRange(r *http.Request) (from, to time.Time, err error) {
	q := r.URL.Query()
	from, to, err = export.ParseClockRange(q.Get("from"), q.Get("to"), nil)
	if err != nil {
		return from, to, fmt.Errorf("?from=%q&to=%q: %w", q.Get("from"), q.Get("to"), err)
	}
	return from, to, nil
}

// timeline serves /api/timeline?from=&to=: the clips that have a frame
// in the range and the events in it; without from and to, the last day
// that has clips (local time).
func (d *folder) timeline(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var from, to time.Time
	if q.Has("from") || q.Has("to") {
		var err error
		if from, to, err = clockRange(r); err != nil {
			badRequest(w, err)
			return
		}
	} else if clips := d.tl.Clips(); len(clips) > 0 {
		last := clips[len(clips)-1].End.Local()
		from = time.Date(last.Year(), last.Month(), last.Day(), 0, 0, 0, 0, time.Local)
		to = from.AddDate(0, 0, 1)
	} else {
		now := time.Now()
		from = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.Local)
		to = from.AddDate(0, 0, 1)
	}
	tl := timeline{From: from, To: to, Cameras: d.tl.Cameras(), Days: []string{}, Clips: []timelineClip{}, Events: []timelineEvent{}}
	if tl.Cameras == nil {
		tl.Cameras = []string{}
	}
	for _, c := range d.tl.Clips() {
		if day := c.Start.Local().Format(time.DateOnly); len(tl.Days) == 0 || tl.Days[len(tl.Days)-1] != day {
			tl.Days = append(tl.Days, day) // clips by start: days in order
		}
	}
	for _, c := range d.tl.Between(from, to) {
		id, ok := d.ids[c.Path]
		if !ok {
			continue // past MaxRecordings
		}
		tl.Clips = append(tl.Clips, timelineClip{ID: id, Clip: c, Duration: c.Duration.Microseconds()})
		if c.Trigger != "" && !c.TriggerAt.IsZero() && !c.TriggerAt.Before(from) && c.TriggerAt.Before(to) {
			tl.Events = append(tl.Events, timelineEvent{Camera: c.Camera, Time: c.TriggerAt, Kind: c.Trigger, Path: c.Path})
		}
	}
	writeJSON(w, tl)
}

// snapshot serves /api/snapshot?at=TIME&camera=NAME: the frame of the
// camera's clips nearest to TIME, as a JPEG, with its wall time in
// X-Frame-Time and its clip in X-Clip.
func (d *folder) snapshot(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	at, err := export.ParseClock(q.Get("at"), time.Time{}, nil)
	if err != nil {
		badRequest(w, fmt.Errorf("?at=%q: %w", q.Get("at"), err))
		return
	}
	if !d.acquireRender(r.Context()) {
		http.Error(w, "player: the request ended before a frame could be rendered", http.StatusServiceUnavailable)
		return
	}
	defer d.releaseRender()
	var m imageio.Image
	c, when, err := d.tl.Nearest(q.Get("camera"), at, &m)
	switch {
	case errors.Is(err, export.ErrCamera):
		badRequest(w, err)
		return
	case errors.Is(err, export.ErrNoClips):
		http.Error(w, "player: "+err.Error(), http.StatusNotFound)
		return
	case err != nil:
		d.logf("player: snapshot at %s: %v", at.Format(time.RFC3339Nano), err)
		http.Error(w, "player: the frame cannot be read", http.StatusInternalServerError)
		return
	}
	body, err := m.AppendJPEG(nil)
	if err != nil {
		d.logf("player: %s: snapshot: %v", c.Path, err)
		http.Error(w, "player: the frame cannot be decoded", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "image/jpeg")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Frame-Time", when.Format(time.RFC3339Nano))
	h.Set("X-Clip", c.Path)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.Write(body)
}

func (d *folder) acquireRender(ctx context.Context) bool {
	return (&recording{renders: d.pl.renders}).acquireRender(ctx)
}

func (d *folder) releaseRender() { <-d.pl.renders }

// exportRange serves /export.avi and /export.gif?from=&to=&camera=: the
// frames of the camera's clips in the range, the gaps kept as time
// (export.Folder.Recording), as the command line's export DIR gives them.
func (d *folder) exportRange(w http.ResponseWriter, r *http.Request, ext string) {
	from, to, err := clockRange(r)
	if err != nil {
		badRequest(w, err)
		return
	}
	src, picked, err := d.tl.Span(r.URL.Query().Get("camera"), from, to)
	switch {
	case errors.Is(err, export.ErrNoClips):
		http.Error(w, "player: "+err.Error(), http.StatusNotFound)
		return
	case err != nil && (errors.Is(err, export.ErrCamera) || errors.Is(err, export.ErrTooManyFrames) || errors.Is(err, export.ErrMixedVersions)):
		badRequest(w, err)
		return
	case err != nil:
		d.logf("player: export %s to %s: %v", from.Format(time.RFC3339), to.Format(time.RFC3339), err)
		http.Error(w, "player: the clips cannot be read", http.StatusInternalServerError)
		return
	}
	defer src.Close()
	if !acquire(d.pl.slots, w) {
		return
	}
	defer release(d.pl.slots)
	name := picked.Camera
	if name == "" {
		name = "timeline"
	}
	name += "-" + picked.First.Local().Format("20060102-150405")
	rec := &recording{name: name, src: src, mod: picked.Last, log: d.o.ErrorLog, slots: d.pl.slots, renders: d.pl.renders}
	w.Header().Set("X-Frames", strconv.Itoa(picked.Frames))
	o := export.Options{Workers: 1}
	if ext == ".gif" {
		rec.sendGIF(w, r, o)
		return
	}
	rec.sendAVI(w, r, o)
}
