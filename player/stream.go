package player

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/mjpeg"
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
	// The stream's writes have Options.WriteTimeout each, as every response
	// of the player (Player.ServeHTTP's deadlineWriter); the Writer sets
	// them itself, per frame: a viewer that stalls is dropped.
	mw := mjpeg.NewWriter(w)
	if dw, ok := w.(*deadlineWriter); ok {
		mw.WriteTimeout = dw.timeout
	}
	if mw.Start() != nil {
		return
	}
	var m imageio.Image
	var jpg []byte
	// Each frame is due its recorded interval (over speed) after the one
	// before: the schedule, not the time of the last write, so the pace
	// does not drift; frames are at least imageio.MinFramePeriod apart, and
	// a round of the loop takes at least imageio.MinLoopPeriod, so a
	// one-frame recording, or one whose frames were recorded at once, does
	// not flood the viewer. Each JPEG is followed at once by the next
	// boundary (mjpeg.Writer), so that browsers show it without waiting for
	// the next frame.
	pace := imageio.Pacer{Clock: rec.clock}
	for i, first := from, true; ; i, first = (i+1)%n, false {
		// The first frame, and the first of each round, is due at once
		// (after the loop's floor): the first frame's Elapsed does not
		// count.
		var interval time.Duration
		if !first {
			if i == 0 {
				pace.Loop()
			} else {
				interval = time.Duration(float64(rec.x.Entries[i].Time-rec.x.Entries[i-1].Time) / speed)
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
		if mw.WriteFrame(jpg) != nil {
			return
		}
	}
}
