package player

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/imgstream/imgstream/imageio"
)

// Limits of the stream's speed parameter.
const (
	MinSpeed = 0.25
	MaxSpeed = 4
)

// stream serves the recording as MJPEG from ?from= at ?speed= times the
// recorded pace, round and round, until the viewer goes.
func (rec *recording) stream(w http.ResponseWriter, r *http.Request) {
	n := len(rec.x.Entries)
	q := r.URL.Query()
	from := 0
	if v := q.Get("from"); v != "" {
		var ok bool
		if from, ok = frameNumber(v, n); !ok {
			http.Error(w, fmt.Sprintf("from=%q: want a frame from 0 to %d", v, n-1), http.StatusBadRequest)
			return
		}
	}
	speed := 1.0
	if v := q.Get("speed"); v != "" {
		s, err := strconv.ParseFloat(v, 64)
		if err != nil || !(s >= MinSpeed && s <= MaxSpeed) {
			http.Error(w, fmt.Sprintf("speed=%q: want a number from %g to %g", v, float64(MinSpeed), float64(MaxSpeed)), http.StatusBadRequest)
			return
		}
		speed = s
	}
	if n == 0 {
		http.Error(w, "the recording has no frames", http.StatusNotFound)
		return
	}
	if !acquire(rec.slots, w) {
		return
	}
	defer release(rec.slots)
	const boundary = "frame"
	h := w.Header()
	h.Set("Content-Type", "multipart/x-mixed-replace; boundary="+boundary)
	h.Set("Cache-Control", "no-cache, no-store, must-revalidate")
	h.Set("Connection", "close")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	var m imageio.Image
	var jpg, part []byte
	// Each frame is due its recorded interval (over speed) after the one
	// before: the schedule, not the time of the last write, so the pace
	// does not drift; frames are at least imageio.MinFramePeriod apart, and
	// a round of the loop takes at least imageio.MinLoopPeriod, so a
	// one-frame recording, or one whose frames were recorded at once, does
	// not flood the viewer.
	pace := imageio.Pacer{Clock: rec.clock}
	for i, first := from, true; ; i, first = (i+1)%n, false {
		var interval time.Duration
		if !first {
			interval = time.Duration(float64(rec.x.Entries[i].Elapsed) / speed)
			if i == 0 {
				pace.Loop()
			}
		}
		if pace.Wait(r.Context(), interval) != nil {
			return
		}
		if err := rec.read(i, &m); err != nil {
			rec.logf("player: %s: frame %d: %v", rec.name, i, err)
			return
		}
		var err error
		if jpg, err = m.AppendJPEG(jpg[:0]); err != nil {
			rec.logf("player: %s: frame %d: %v", rec.name, i, err)
			return
		}
		part = append(part[:0], "--"+boundary+"\r\nContent-Type: image/jpeg\r\nContent-Length: "...)
		part = strconv.AppendInt(part, int64(len(jpg)), 10)
		part = append(part, "\r\n\r\n"...)
		part = append(part, jpg...)
		part = append(part, "\r\n"...)
		// Each write has Options.WriteTimeout (Player.ServeHTTP's
		// deadlineWriter): a viewer that stalls is dropped.
		if _, err := w.Write(part); err != nil {
			return
		}
		if rc.Flush() != nil {
			return
		}
	}
}
