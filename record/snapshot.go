package record

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
)

// ErrNotInRing is returned by FrameAt for a time before the oldest frame
// the ring holds, or before any frame: the clips on disk may have it.
var ErrNotInRing = errors.New("record: no frame of that time in the ring")

// FrameAt reads into m (reusing m.Data) the frame of the Recorder's ring
// (the last Pre of frames, or in the Continuous mode the frames the
// writer took last, in memory) nearest to
// at, and returns its wall time: the newest frame for a time after it; a
// time before the oldest frame the ring holds is ErrNotInRing. It is safe
// to call while Run runs, from any goroutine: it copies the frame or two
// around at from the ring, holding the frame path for that copy only
// (no disk).
func (r *Recorder) FrameAt(at time.Time, m *imageio.Image) (time.Time, error) {
	var buf bytes.Buffer
	r.fmu.Lock()
	last := r.last
	all, err := r.ring.Recent(0)
	if err != nil || last.IsZero() {
		r.fmu.Unlock()
		return time.Time{}, fmt.Errorf("%w: no frame yet", ErrNotInRing)
	}
	oldest := last.Add(-all.Span)
	if at.Before(oldest) {
		r.fmu.Unlock()
		return time.Time{}, fmt.Errorf("%w: it holds %s to %s", ErrNotInRing, oldest.Format(time.RFC3339Nano), last.Format(time.RFC3339Nano))
	}
	// after is the first frame after at; the one before it is the other
	// candidate.
	after := imageio.Range{First: all.Last, Last: all.Last}
	if at.Before(last) {
		if after, err = r.ring.Recent(last.Sub(at)); err != nil {
			r.fmu.Unlock()
			return time.Time{}, err
		}
	}
	lo := max(after.First-1, all.First)
	afterWall := last.Add(-after.Span)
	c, err := r.ring.ClipFrom(&buf, lo)
	if err == nil {
		_, err = c.FlushTo(after.First)
	}
	r.fmu.Unlock()
	if err != nil {
		return time.Time{}, err
	}
	x, err := container.ReadIndex(bytes.NewReader(buf.Bytes()))
	if err != nil || len(x.Entries) == 0 {
		return time.Time{}, fmt.Errorf("record: the ring's frames around %s: %w", at.Format(time.RFC3339Nano), err)
	}
	i, when := len(x.Entries)-1, afterWall
	if i > 0 {
		before := afterWall.Add(-(x.Entries[i].Time - x.Entries[0].Time))
		if at.Sub(before) <= afterWall.Sub(at) {
			i, when = 0, before
		}
	}
	data, err := x.ReadPayload(bytes.NewReader(buf.Bytes()), i, m.Data)
	if err != nil {
		return time.Time{}, err
	}
	e := &x.Entries[i]
	*m = imageio.ImageOf(&e.Header, data)
	return when, nil
}
