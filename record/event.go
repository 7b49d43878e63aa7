package record

import (
	"encoding/json"
	"time"
)

// Kind is what an Event tells of.
type Kind string

// The kinds of Event.
const (
	// ClipClosed: a clip (an event's, or a continuous file) is complete
	// on disk.
	ClipClosed Kind = "clip"
	// Synced: a clip was fsynced; its first Frames frames survive a crash.
	Synced Kind = "sync"
	// Gap: the source came back after a drop or a stall.
	Gap Kind = "gap"
	// Removed: retention removed an old clip.
	Removed Kind = "removed"
)

// An Event is something a Recorder did, for Config.Notify: as a JSON
// line, it is what `imgstream record --json` prints.
type Event struct {
	Kind Kind `json:"event"`
	// Path is the clip's file.
	Path string `json:"path,omitempty"`
	// Start and End are the times of the clip's first and last frames;
	// for a Gap, the last frame before it and the first after it.
	Start time.Time `json:"start,omitzero"`
	End   time.Time `json:"end,omitzero"`
	// Frames and Bytes are what the clip holds.
	Frames int   `json:"frames,omitempty"`
	Bytes  int64 `json:"bytes,omitempty"`
	// Trigger is what started the event: "motion", or the reason given
	// to Trigger ("manual", "signal", "http", "stdin").
	Trigger string `json:"trigger,omitempty"`
	// Split is set on a clip closed because it reached SplitEvery,
	// SplitSize: the recording goes on in the next clip.
	Split bool `json:"split,omitempty"`
	// Err is what went wrong, for a clip cut short by a write error or
	// one that did not close cleanly; it names the clip's path.
	Err string `json:"error,omitempty"`
}

// String returns the event as a JSON line without the newline.
func (e Event) String() string {
	b, _ := json.Marshal(e) // a struct of strings, times and numbers: no error
	return string(b)
}

// Status is a snapshot of a Recorder, for a status page.
type Status struct {
	Connected bool    `json:"connected"`       // the source is delivering
	Recording bool    `json:"recording"`       // a clip is open
	Clip      string  `json:"clip,omitempty"`  // the open clip's path
	Frames    int     `json:"clip_frames"`     // frames in the open clip
	Clips     int     `json:"clips"`           // clips closed so far
	FramesIn  uint64  `json:"frames_in"`       // frames the source delivered
	Dropped   uint64  `json:"dropped"`         // frames lost: skipped by the source, corrupt, or not written
	Gaps      int     `json:"gaps"`            // reconnections after a drop or stall
	FPS       float64 `json:"fps"`             // frames per second coming in, over the last frames
	LastError string  `json:"error,omitempty"` // the last source or write error
}
