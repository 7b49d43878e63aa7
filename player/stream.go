package player

import (
	"bufio"
	"fmt"
	"image"
	"image/draw"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/imgstream/imgstream/avi"
	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/internal/gifenc"
)

// Limits of the stream's speed parameter.
const (
	MinSpeed = 0.25
	MaxSpeed = 4
)

// writeTimeout bounds each write to a viewer: one that takes longer is
// dropped as stalled.
const writeTimeout = 10 * time.Second

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
	defer func() { <-rec.slots }()
	const boundary = "frame"
	h := w.Header()
	h.Set("Content-Type", "multipart/x-mixed-replace; boundary="+boundary)
	h.Set("Cache-Control", "no-cache, no-store, must-revalidate")
	h.Set("Connection", "close")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	var m imageio.Image
	var jpg, part []byte
	due := time.Now()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for i, first := from, true; ; i, first = (i+1)%n, false {
		// Each frame is due its recorded interval (over speed) after the
		// one before: the schedule, not the time of the last write, so the
		// pace does not drift.
		if !first {
			due = due.Add(time.Duration(float64(rec.x.Entries[i].Elapsed) / speed))
		}
		timer.Reset(time.Until(due))
		select {
		case <-timer.C:
		case <-r.Context().Done():
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
		rc.SetWriteDeadline(time.Now().Add(writeTimeout))
		if _, err := w.Write(part); err != nil {
			return
		}
		if rc.Flush() != nil {
			return
		}
	}
}

// span parses ?from=&to= into frames [from, to): all of them by default.
func (rec *recording) span(w http.ResponseWriter, r *http.Request) (from, to int, ok bool) {
	n := len(rec.x.Entries)
	from, to = 0, n
	q := r.URL.Query()
	if v := q.Get("from"); v != "" {
		if from, ok = frameNumber(v, n); !ok {
			http.Error(w, fmt.Sprintf("from=%q: want a frame from 0 to %d", v, n-1), http.StatusBadRequest)
			return 0, 0, false
		}
	}
	if v := q.Get("to"); v != "" {
		t, ok := frameNumber(v, n+1)
		if !ok || t <= from {
			http.Error(w, fmt.Sprintf("to=%q: want a frame after from, at most %d", v, n), http.StatusBadRequest)
			return 0, 0, false
		}
		to = t
	}
	if from >= to {
		http.Error(w, "no frames to export", http.StatusNotFound)
		return 0, 0, false
	}
	return from, to, true
}

// times returns frame i's time since the first frame.
func (rec *recording) times() []time.Duration {
	ts := make([]time.Duration, len(rec.x.Entries))
	var t time.Duration
	for i, e := range rec.x.Entries {
		if i > 0 {
			t += e.Elapsed
		}
		ts[i] = t
	}
	return ts
}

func attachment(w http.ResponseWriter, name, ext string) {
	base := name
	if e := len(base) - len(".omv"); e > 0 && base[e:] == ".omv" {
		base = base[:e]
	}
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", base+ext))
}

// exportAVI writes frames [from, to) as an MJPEG AVI at the recording's
// mean rate, through a temporary file (an AVI's headers are patched at the
// end), and serves it.
func (rec *recording) exportAVI(w http.ResponseWriter, r *http.Request) {
	from, to, ok := rec.span(w, r)
	if !ok || !acquire(rec.slots, w) {
		return
	}
	defer func() { <-rec.slots }()
	ts := rec.times()
	rate := avi.Rate{Num: 30, Den: 1}
	if to-from > 1 && ts[to-1] > ts[from] {
		if rr, err := avi.ParseRate(fmt.Sprintf("%.3f", float64(to-from-1)/(ts[to-1]-ts[from]).Seconds())); err == nil {
			rate = rr
		}
	}
	f, err := os.CreateTemp("", "imgstream-export-*.avi")
	if err != nil {
		http.Error(w, "cannot export", http.StatusInternalServerError)
		return
	}
	defer os.Remove(f.Name())
	defer f.Close()
	var aw *avi.Writer
	var m imageio.Image
	var jpg []byte
	for i := from; i < to; i++ {
		if err = rec.read(i, &m); err == nil {
			jpg, err = m.AppendJPEG(jpg[:0])
		}
		if err == nil && aw == nil {
			aw, err = avi.NewWriter(f, avi.Config{Width: m.Width, Height: m.Height, Rate: rate})
		}
		if err == nil {
			err = aw.WriteFrame(jpg, ts[i])
		}
		if err != nil {
			rec.logf("player: %s: export: %v", rec.name, err)
			http.Error(w, "cannot export: "+err.Error(), http.StatusInternalServerError)
			return
		}
	}
	if err := aw.Close(); err != nil {
		http.Error(w, "cannot export", http.StatusInternalServerError)
		return
	}
	attachment(w, rec.name, ".avi")
	w.Header().Set("Content-Type", "video/x-msvideo")
	http.ServeContent(w, r, "", rec.mod, f)
}

// exportGIF streams frames [from, to) as an animated GIF, one palette made
// from the first frames.
func (rec *recording) exportGIF(w http.ResponseWriter, r *http.Request) {
	from, to, ok := rec.span(w, r)
	if !ok || !acquire(rec.slots, w) {
		return
	}
	defer func() { <-rec.slots }()
	ts := rec.times()
	var m imageio.Image
	decode := func(i int) (*image.RGBA, error) {
		if err := rec.read(i, &m); err != nil {
			return nil, err
		}
		img, err := m.Decode()
		if err != nil {
			return nil, err
		}
		if rgba, ok := img.(*image.RGBA); ok && rgba.Rect.Min == (image.Point{}) {
			return rgba, nil
		}
		b := img.Bounds()
		dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
		draw.Draw(dst, dst.Rect, img, b.Min, draw.Src)
		return dst, nil
	}
	var sample []*image.RGBA
	for i := from; i < min(to, from+8); i++ {
		img, err := decode(i)
		if err != nil {
			http.Error(w, "cannot export: "+err.Error(), http.StatusInternalServerError)
			return
		}
		sample = append(sample, img)
	}
	q := gifenc.NewQuantizer(sample)
	attachment(w, rec.name, ".gif")
	w.Header().Set("Content-Type", "image/gif")
	bw := bufio.NewWriterSize(w, 64<<10)
	b := sample[0].Bounds()
	g := gifenc.NewWriter(bw, b.Dx(), b.Dy(), q.Palette)
	cs := func(t time.Duration) int { return int((t + 5*time.Millisecond) / (10 * time.Millisecond)) }
	for i := from; i < to; i++ {
		var img *image.RGBA
		if i-from < len(sample) {
			img = sample[i-from]
		} else {
			var err error
			if img, err = decode(i); err != nil {
				rec.logf("player: %s: export: %v", rec.name, err)
				return
			}
		}
		delay := 10
		if i+1 < to {
			delay = cs(ts[i+1]) - cs(ts[i])
		} else if i > from {
			delay = max(1, cs(ts[i])-cs(ts[i-1]))
		}
		g.Frame(q.Paletted(img), delay)
	}
	if err := g.Close(); err == nil {
		bw.Flush()
	}
}
