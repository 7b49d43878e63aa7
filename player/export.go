package player

import (
	"bufio"
	"context"
	"net/http"
	"os"
	"strconv"

	"github.com/imgstream/imgstream/avi"
	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
)

// exportAVI sends frames [from, to) as an MJPEG AVI at the rate
// avi.RateFor gives for their times, as the command line's export does for
// the same frames. When every frame is a JPEG, the file is laid out from
// the index and streamed as it is made, with its Content-Length; else it is
// made in a temporary file, then served. Either way it stops as soon as the
// request's context ends (the client went), and gives its place back.
func (rec *recording) exportAVI(w http.ResponseWriter, r *http.Request) {
	from, to, ok := rec.span(w, r)
	if !ok || !acquire(rec.slots, w) {
		return
	}
	defer release(rec.slots)
	first := &rec.x.Entries[from].Header
	c := avi.Config{Width: first.Width, Height: first.Height, Rate: avi.RateFor(rec.at[from:to])}
	for i := from; i < to; i++ {
		if rec.x.Entries[i].Format != container.JPEG {
			rec.tempAVI(w, r, c, from, to)
			return
		}
	}
	rec.streamAVI(w, r, c, from, to)
}

// exportFailed answers a failed export that has sent nothing yet.
func (rec *recording) exportFailed(w http.ResponseWriter, err error) {
	rec.logf("player: %s: export: %v", rec.name, err)
	http.Error(w, "cannot export: "+err.Error(), http.StatusInternalServerError)
}

// streamAVI sends JPEG frames [from, to) as an AVI laid out in advance
// from their sizes in the index: no copy, the first byte at once.
func (rec *recording) streamAVI(w http.ResponseWriter, r *http.Request, c avi.Config, from, to int) {
	ctx := r.Context()
	l, err := avi.NewLayout(c)
	if err != nil {
		rec.exportFailed(w, err)
		return
	}
	for i := from; i < to; i++ {
		if i%4096 == 0 && ctx.Err() != nil {
			return
		}
		if err := l.Add(rec.x.Entries[i].Size, rec.at[i]); err != nil {
			rec.exportFailed(w, err)
			return
		}
	}
	size, err := l.Size()
	if err != nil {
		rec.exportFailed(w, err)
		return
	}
	attachment(w, rec.name, ".avi")
	h := w.Header()
	h.Set("Content-Type", "video/x-msvideo")
	h.Set("Content-Length", strconv.FormatInt(size, 10))
	h.Set("Last-Modified", rec.mod.UTC().Format(http.TimeFormat))
	h.Set("Accept-Ranges", "none") // made as it is sent
	if r.Method == http.MethodHead {
		return
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	aw, err := l.NewWriter(bw)
	if err != nil {
		rec.exportFailed(w, err)
		return
	}
	var m imageio.Image
	for i := from; i < to; i++ {
		if ctx.Err() != nil {
			return // the client went: with fewer bytes than announced, the connection closes
		}
		if err = rec.read(i, &m); err == nil {
			err = aw.WriteFrame(m.Data, rec.at[i])
		}
		if err != nil {
			if ctx.Err() == nil {
				rec.logf("player: %s: export: frame %d: %v", rec.name, i, err)
			}
			return
		}
	}
	if err = aw.Close(); err == nil {
		err = bw.Flush()
	}
	if err != nil && ctx.Err() == nil {
		rec.logf("player: %s: export: %v", rec.name, err)
	}
}

// tempAVI makes frames [from, to) an AVI in a temporary file (frames to
// encode have no size until they are encoded), looking at the request's
// context each frame, then serves it.
func (rec *recording) tempAVI(w http.ResponseWriter, r *http.Request, c avi.Config, from, to int) {
	f, err := os.CreateTemp("", "imgstream-export-*.avi")
	if err != nil {
		rec.exportFailed(w, err)
		return
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if err := rec.writeAVI(r.Context(), f, c, from, to); err != nil {
		if r.Context().Err() == nil {
			rec.exportFailed(w, err)
		}
		return
	}
	attachment(w, rec.name, ".avi")
	w.Header().Set("Content-Type", "video/x-msvideo")
	http.ServeContent(w, r, "", rec.mod, f)
}

// writeAVI writes frames [from, to) to f as an AVI described by c.
func (rec *recording) writeAVI(ctx context.Context, f *os.File, c avi.Config, from, to int) error {
	aw, err := avi.NewWriter(f, c)
	if err != nil {
		return err
	}
	var m imageio.Image
	var jpg []byte
	for i := from; i < to; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err = rec.read(i, &m); err == nil {
			jpg, err = m.AppendJPEG(jpg[:0])
		}
		if err == nil {
			err = aw.WriteFrame(jpg, rec.at[i])
		}
		if err != nil {
			return err
		}
	}
	return aw.Close()
}
