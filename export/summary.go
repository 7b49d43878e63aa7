package export

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/imgstream/imgstream/container"
)

// A Summary is what a recording holds: the one JSON schema of
// "imgstream info --json" and of the player's /api/info. Make it with
// SummaryOf (from an index) or ReadSummary (reading a stream), and write
// it with WriteJSON, so that the same recording gives the same bytes.
type Summary struct {
	// File is the recording's name, as the caller gives it.
	File string `json:"file"`
	// Version is the format's version, such as "V2.0".
	Version string `json:"version"`
	// TimeUnit is the unit of the frames' elapsed times: "ms" (V1.x,
	// V2.0) or "us" (V2.1).
	TimeUnit string `json:"time_unit"`
	// Count is the number of complete frames.
	Count int `json:"count"`
	// DurationUS is the time from the first frame to the last, in
	// microseconds: the first frame's own elapsed time does not count.
	DurationUS int64 `json:"duration_us"`
	// FPS is the mean frame rate; MinFPS and MaxFPS those of the longest
	// and the shortest interval above zero. All are 0 without two frames
	// with time between them.
	FPS    float64 `json:"fps"`
	MinFPS float64 `json:"min_fps"`
	MaxFPS float64 `json:"max_fps"`
	// Width and Height are the first frame's; 0 without frames.
	Width  int `json:"width"`
	Height int `json:"height"`
	// Bytes is the frames' payload bytes.
	Bytes int64 `json:"bytes"`
	// Formats counts the frames by "FORMAT WxH", such as "JPEG 320x240".
	Formats map[string]int `json:"formats"`
	// Size is the file's size in bytes, when known (left out for a
	// stream).
	Size int64 `json:"size,omitzero"`
	// Modified is the file's modification time, when known.
	Modified time.Time `json:"modified,omitzero"`
	// Damage says where the recording is damaged; null when it is not.
	Damage *Damage `json:"damage"`
	// Live is set by a caller that describes a live source; a recording's
	// summary leaves it out.
	Live bool `json:"live,omitzero"`
}

// Damage says where a recording is damaged.
type Damage struct {
	// Frame is the index of the frame that is damaged: the recording's
	// complete frames are those before it.
	Frame int `json:"frame"`
	// Offset is the byte offset of that frame's header.
	Offset int64 `json:"offset"`
	// Error says what is wrong.
	Error string `json:"error"`
}

// DamageOf returns the Damage that err, from reading a recording at frame
// i, describes: a *container.FrameError gives its own frame and offset.
// It returns nil for a nil err.
func DamageOf(i int, err error) *Damage {
	if err == nil {
		return nil
	}
	var fe *container.FrameError
	if errors.As(err, &fe) {
		return &Damage{Frame: fe.Index, Offset: fe.Offset, Error: fe.Err.Error()}
	}
	return &Damage{Frame: i, Error: err.Error()}
}

// tally sums up a recording's frames as they come.
type tally struct {
	s              *Summary
	at             time.Duration // the last frame's time since the first
	minGap, maxGap time.Duration
}

func newTally(file string, v container.Version) *tally {
	unit := "ms"
	if v.TimeUnit() == time.Microsecond {
		unit = "us"
	}
	return &tally{s: &Summary{File: file, Version: v.String(), TimeUnit: unit, Formats: map[string]int{}}}
}

// add counts frame h, at time at since the first frame.
func (t *tally) add(h *container.Header, at time.Duration) {
	s := t.s
	if s.Count == 0 {
		s.Width, s.Height = h.Width, h.Height
	} else if gap := at - t.at; gap > 0 {
		if t.minGap == 0 || gap < t.minGap {
			t.minGap = gap
		}
		t.maxGap = max(t.maxGap, gap)
	}
	t.at = at
	s.Count++
	s.Bytes += int64(h.Size)
	s.Formats[fmt.Sprintf("%v %dx%d", h.Format, h.Width, h.Height)]++
}

// done finishes the summary.
func (t *tally) done() *Summary {
	s := t.s
	s.DurationUS = t.at.Microseconds()
	if s.Count > 1 && t.at > 0 {
		s.FPS = float64(s.Count-1) / t.at.Seconds()
	}
	if t.maxGap > 0 {
		s.MinFPS, s.MaxFPS = 1/t.maxGap.Seconds(), 1/t.minGap.Seconds()
	}
	return s
}

// SummaryOf returns the Summary of the indexed recording rec (Open,
// FromIndex), named file, from its index alone; its Damage is the one
// Open met. Size and Modified are the caller's to fill in. A stream's
// Summary is ReadSummary's: SummaryOf gives it empty.
func SummaryOf(file string, rec *Recording) *Summary {
	if rec.x == nil {
		return newTally(file, rec.Version()).done()
	}
	t := newTally(file, rec.x.Version)
	for i := range rec.x.Entries {
		t.add(&rec.x.Entries[i].Header, rec.x.Entries[i].Time)
	}
	s := t.done()
	s.Damage = DamageOf(len(rec.x.Entries), rec.damage)
	return s
}

// A Frame is one frame as ReadSummary reads it.
type Frame struct {
	// Index is the frame's index in the recording, from 0.
	Index int
	// Offset is the byte offset of its header.
	Offset int64
	// Time is its time since the first frame.
	Time time.Duration
	// Header is its header.
	Header *container.Header
	// Payload is its payload, when ReadSummary reads payloads; it is
	// valid until the visit returns.
	Payload []byte
}

// ReadSummary reads the recording zr reads to its end and returns its
// Summary, named file, calling visit (if not nil) with each complete
// frame. With payloads it reads every payload (and gives it to visit);
// without, it skips them. Damage ends the reading and is reported in the
// Summary; a failure to read (an I/O error) is an error, and so is ctx's
// cause when ctx is done, even in a read that waits on a pipe, if zr's
// reader returns it then.
func ReadSummary(ctx context.Context, file string, zr *container.Reader, payloads bool, visit func(*Frame)) (*Summary, error) {
	t := newTally(file, zr.Version())
	var buf []byte
	for i := 0; ; i++ {
		if err := stopped(ctx); err != nil {
			return nil, err
		}
		var h *container.Header
		var err error
		if payloads {
			h, buf, err = zr.ReadFrame(buf)
		} else {
			h, err = zr.Next()
		}
		if err != nil {
			if err != io.EOF && !container.IsDamage(err) {
				if err := stopped(ctx); err != nil {
					return nil, err
				}
				return nil, err
			}
			if err != io.EOF {
				t.s.Damage = DamageOf(i, err)
			}
			break
		}
		at := zr.Time()
		if visit != nil {
			f := Frame{Index: i, Offset: zr.Offset(), Time: at, Header: h}
			if payloads {
				f.Payload = buf
			}
			visit(&f)
		}
		t.add(h, at)
	}
	return t.done(), nil
}

// WriteJSON writes s as JSON, indented by two spaces, with a newline: the
// bytes of "imgstream info --json" and of the player's /api/info.
func (s *Summary) WriteJSON(w io.Writer) error {
	e := json.NewEncoder(w)
	e.SetIndent("", "  ")
	return e.Encode(s)
}
