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
	// ClipOpened: a clip has its first frame on disk, under Path; its
	// ClipClosed comes when it is complete.
	ClipOpened Kind = "clip_opened"
	// MotionStart: the detector sees motion after none for Post. Area is
	// the changed part of the picture in the frame that started it, and
	// Snapshot that frame as a JPEG.
	MotionStart Kind = "motion_start"
	// MotionEnd: no motion for Post since the last frame with motion.
	// Area is the largest changed part of the picture during the motion.
	MotionEnd Kind = "motion_end"
	// CameraUp: the source delivers its first frame, at the start or
	// after an outage.
	CameraUp Kind = "camera_up"
	// CameraDown: the source failed or ended; Err says why. The
	// Recorder connects again (see Config.MaxBackoff) unless it ended.
	CameraDown Kind = "camera_down"
	// CameraStalled: the source sent no frame for Config.Stall; the
	// Recorder drops it and connects again.
	CameraStalled Kind = "camera_stalled"
	// DiskError: a clip could not be written (a full disk, a directory
	// that cannot be written to); Err says what and where. Frames are
	// lost until the disk takes them again, once per outage.
	DiskError Kind = "disk_error"
)

// Kinds lists every Kind, in the order of their constants.
var Kinds = []Kind{ClipClosed, Synced, Gap, Removed, ClipOpened, MotionStart, MotionEnd, CameraUp, CameraDown, CameraStalled, DiskError}

// An Event is something a Recorder did, for Config.Notify: as a JSON
// line, it is what `imgstream record --json` prints.
type Event struct {
	Kind Kind `json:"event"`
	// Camera is the Recorder's Config.Name; empty for a camera with no
	// name.
	Camera string `json:"camera,omitempty"`
	// Time is when the Recorder told of the event, on its clock.
	Time time.Time `json:"time,omitzero"`
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
	// Area is the changed part of the picture, from 0 to 1, for
	// MotionStart and MotionEnd.
	Area float64 `json:"area,omitempty"`
	// Snapshot is the frame that started a MotionStart, as a JPEG; it is
	// not in the JSON (a sink sends it on its own, as MQTT's snapshot
	// topic does). The Event owns it: it is not reused.
	Snapshot []byte `json:"-"`
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
	// EventsDropped counts the events not told to Notify because
	// MaxQueuedEvents were waiting for it already (a Notify too slow).
	EventsDropped uint64 `json:"events_dropped,omitempty"`
	Motion        bool   `json:"motion"` // motion seen within the last Post
}
