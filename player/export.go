package player

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"

	"github.com/imgstream/imgstream/export"
)

// The exports are export's, as the command line's are: the same frames
// give the same bytes.

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

func attachment(w http.ResponseWriter, name, ext string) {
	base := name
	if e := len(base) - len(".omv"); e > 0 && base[e:] == ".omv" {
		base = base[:e]
	}
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", base+ext))
}

// exportOptions are the options of an export of frames [from, to): the
// command line's defaults, and one worker, so that an export holds one
// frame being encoded at a time (MaxStreams of them run at once).
func exportOptions(from, to int) export.Options {
	return export.Options{Range: export.Frames(from, to), Workers: 1}
}

// exportAVI sends frames [from, to) as an MJPEG AVI (export.AVI, as the
// command line's export). When every frame is a JPEG, the file is laid
// out from the index and streamed as it is made (export.AVIStream), with
// its Content-Length; else it is made in a temporary file, then served.
// Either way it stops as soon as the request's context ends (the client
// went), and gives its place back.
func (rec *recording) exportAVI(w http.ResponseWriter, r *http.Request) {
	from, to, ok := rec.span(w, r)
	if !ok || !acquire(rec.slots, w) {
		return
	}
	defer release(rec.slots)
	rec.sendAVI(w, r, exportOptions(from, to))
}

// sendAVI sends the frames of rec that o picks as an MJPEG AVI; the
// caller holds a place.
func (rec *recording) sendAVI(w http.ResponseWriter, r *http.Request, o export.Options) {
	ctx := r.Context()
	s, err := export.NewAVIStream(ctx, rec.src, o)
	if errors.Is(err, export.ErrNotLaidOut) {
		rec.tempAVI(w, r, o)
		return
	}
	if err != nil {
		if ctx.Err() == nil {
			rec.exportFailed(w, err)
		}
		return
	}
	attachment(w, rec.name, ".avi")
	h := w.Header()
	h.Set("Content-Type", "video/x-msvideo")
	h.Set("Content-Length", strconv.FormatInt(s.Size(), 10))
	h.Set("Last-Modified", rec.mod.UTC().Format(http.TimeFormat))
	h.Set("Accept-Ranges", "none") // made as it is sent
	if r.Method == http.MethodHead {
		return
	}
	// A client that goes leaves the connection with fewer bytes than
	// announced: it closes.
	if _, err := s.WriteTo(ctx, w); err != nil && ctx.Err() == nil {
		rec.logf("player: %s: export: %v", rec.name, err)
	}
}

// exportFailed answers a failed export that has sent nothing yet.
func (rec *recording) exportFailed(w http.ResponseWriter, err error) {
	rec.logf("player: %s: export: %v", rec.name, err)
	http.Error(w, "cannot export: "+err.Error(), http.StatusInternalServerError)
}

// tempAVI makes the AVI in a temporary file (frames to encode have no
// size until they are encoded), looking at the request's context each
// frame, then serves it.
func (rec *recording) tempAVI(w http.ResponseWriter, r *http.Request, o export.Options) {
	f, err := os.CreateTemp("", "imgstream-export-*.avi")
	if err != nil {
		rec.exportFailed(w, err)
		return
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if _, err := export.AVI(r.Context(), f, rec.src, o); err != nil {
		if r.Context().Err() == nil {
			rec.exportFailed(w, err)
		}
		return
	}
	attachment(w, rec.name, ".avi")
	w.Header().Set("Content-Type", "video/x-msvideo")
	http.ServeContent(w, r, "", rec.mod, f)
}

// exportGIF streams frames [from, to) as an animated GIF (export.GIF, as
// the command line's export), one palette made from the first frames. Each
// frame is decoded in one of the MaxRenders places, and the export stops
// when its request ends.
func (rec *recording) exportGIF(w http.ResponseWriter, r *http.Request) {
	from, to, ok := rec.span(w, r)
	if !ok || !acquire(rec.slots, w) {
		return
	}
	defer release(rec.slots)
	rec.sendGIF(w, r, exportOptions(from, to))
}

// sendGIF sends the frames of rec that o picks as an animated GIF; the
// caller holds a place.
func (rec *recording) sendGIF(w http.ResponseWriter, r *http.Request, o export.Options) {
	ctx := r.Context()
	o.Render = func(ctx context.Context) (func(), error) {
		if !rec.acquireRender(ctx) {
			return nil, context.Cause(ctx)
		}
		return rec.releaseRender, nil
	}
	hw := &headersFirst{ResponseWriter: w, set: func(h http.Header) {
		attachment(w, rec.name, ".gif")
		h.Set("Content-Type", "image/gif")
	}}
	if _, err := export.GIF(ctx, hw, rec.src, o); err != nil && ctx.Err() == nil {
		if !hw.started {
			rec.exportFailed(w, err)
			return
		}
		rec.logf("player: %s: export: %v", rec.name, err)
	}
}

// headersFirst sets an export's headers before its first byte: an export
// that fails before it answers with an error instead.
type headersFirst struct {
	http.ResponseWriter
	set     func(http.Header)
	started bool
}

func (h *headersFirst) Write(p []byte) (int, error) {
	if !h.started {
		h.started = true
		h.set(h.Header())
	}
	return h.ResponseWriter.Write(p)
}
