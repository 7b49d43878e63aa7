package record

import (
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/mjpeg"
	"github.com/imgstream/imgstream/motion"
)

// Limits and defaults, with their reasons.
const (
	// MaxPre caps Config.Pre: the pre-trigger ring lives in memory, and
	// five minutes of a camera's frames is already hundreds of megabytes.
	MaxPre = 5 * time.Minute
	// InitialPreSize is the pre-trigger ring's size when a recording
	// starts (PreSize if that is smaller): 1 MiB, a second of a 640x480
	// MJPEG camera at 30 fps. It grows from there as the frames seen
	// require to hold Pre, to an eighth more than Pre of them, so a
	// camera costs the memory its own frames need: 10 s of 40 KB frames
	// at 30 fps take about 13.5 MB, where a fixed DefaultPreSize took
	// 64 MiB (71 MB of heap) for any camera.
	InitialPreSize = 1 << 20
	// DefaultPreSize is the most the pre-trigger ring grows to when
	// Config.PreSize is zero: 64 MiB, 10 s of a camera sending 6 MB/s (a
	// 1080p MJPEG camera at 30 fps, about 200 KB a frame), so that no
	// camera takes more unless it is asked.
	DefaultPreSize = 64 << 20
	// MaxPreSize caps Config.PreSize. An allocation past what the machine
	// can give ends the process (Go cannot recover from it): 1 GiB holds
	// MaxPre of a camera sending 3.5 MB/s, a 1080p MJPEG camera at 30 fps.
	// New also refuses a PreSize over a quarter of the machine's physical
	// memory, where it can tell (Linux), to leave the rest of the machine
	// room; the writer copies frames out of the ring a few at a time, so
	// an event takes little more than the ring, and a growth of the ring
	// holds the old one besides the new for the time of one copy.
	MaxPreSize = 1 << 30
	// ContinuousRingSize is the most the ring a continuous recording
	// passes its frames through on their way to the file grows to: room
	// for two of the largest MJPEG frames, or one raw 4K RGB frame, and
	// the writer's slack: 20 s of a camera sending 1.5 MB/s can wait
	// there for a slow disk without holding up a frame. It starts at
	// InitialPreSize and grows only when a frame is larger or the disk
	// lags, so a camera whose disk keeps up holds about 1 MiB, not 32.
	ContinuousRingSize = 2 * mjpeg.DefaultMaxFrameSize
	// DefaultSync is how often a clip is fsynced: the most a power loss
	// can take from it. A SIGKILL takes less: the frames waiting in the
	// ring for the writer, which is woken a batch of frames at a time
	// (less than 300 ms of them, and never more than 3/4 of Sync).
	DefaultSync = time.Second
	// DefaultStall is how long a source may send nothing before the
	// Recorder drops the connection and connects again.
	DefaultStall = 5 * time.Second
	// DefaultMaxBackoff caps the wait between two connection attempts,
	// which doubles from MinBackoff after each failure.
	DefaultMaxBackoff = 3 * time.Second
	// MinBackoff is the first wait before connecting again.
	MinBackoff = 100 * time.Millisecond
	// DefaultPattern names clips by the start of their event.
	DefaultPattern = "clips/%Y%m%d-%H%M%S.omv"
)

// Errors of the package, wrapped with context; match them with errors.Is.
var (
	// ErrInvalidConfig is returned by New for a Config it cannot run.
	ErrInvalidConfig = errors.New("record: invalid configuration")
	// ErrRunning is returned by Run on a Recorder that runs or ran.
	ErrRunning = errors.New("record: recorder already ran")
	// ErrWrite is returned by Run when clips could not be written: a
	// source that ended (a pipe, a file) lost frames to write errors (a
	// full disk), or the last clip did not close cleanly. It wraps the
	// write error.
	ErrWrite = errors.New("record: frames not written")
)

// Mode is how a Recorder decides what to keep.
type Mode int

// The modes.
const (
	// Continuous keeps every frame, in files split by time or size.
	Continuous Mode = iota
	// Events keeps the frames around triggers: Pre before the first,
	// Post after the last, in one clip per event.
	Events
)

// Keep bounds the clips a Recorder leaves on disk: when a clip closes,
// the oldest clips named by the pattern go until the rest fit, but never
// the clip being written, nor the newest when none is: a recording
// always keeps its last clip, however large or old. Only
// names the pattern can produce count as clips: each verb's digits at its
// width (four for %Y, two for %m...) and the "-N" of a taken name; other
// files beside them are never touched. Zero fields bound nothing.
type Keep struct {
	Size int64         // bytes of all clips together
	Age  time.Duration // age of a clip's last change
}

// Config says what a Recorder records and how. Source is required; the
// zero value of every other field works.
type Config struct {
	// Name names the camera: a Group's key for it, and the prefix of its
	// log lines there. A lone Recorder does not need it.
	Name string
	// Source delivers the frames.
	Source Source
	// Pattern names the files: strftime's %Y %m %d %H %M %S %j %s and %%
	// are replaced with the local time an event (or a continuous file)
	// starts at. Directories are made as needed. DefaultPattern when
	// empty. A name already taken gets "-1", "-2"... before its extension.
	Pattern string
	// Mode is Continuous or Events.
	Mode Mode

	// Duration and Frames end a recording after this much time or this
	// many frames, when positive. Duration counts from the start of Run,
	// whether frames come or not, and also ends it once the frames span
	// Duration on the source's own clock (an OMV stream read faster than
	// real time).
	Duration time.Duration
	Frames   int
	// SplitEvery and SplitSize start a new file (continuous) or clip
	// (events) when the current one spans this much time or would grow
	// past this many bytes, with no frame lost or repeated at the split.
	SplitEvery time.Duration
	SplitSize  int64

	// Pre is how much to keep from before a trigger, at most MaxPre. The
	// pre-trigger ring that holds it in memory starts at InitialPreSize
	// and grows as the frames seen require to hold Pre of them; PreSize
	// bounds it in bytes (DefaultPreSize when zero), at most MaxPreSize
	// and a quarter of the machine's memory. The ring is also where the
	// frames of an event wait for a slow disk: while they do, it grows
	// too, up to PreSize, before a frame waits for the disk.
	Pre     time.Duration
	PreSize int
	// Post is how long an event goes on after its last trigger; a
	// trigger within it extends the event.
	Post time.Duration
	// Motion, if not nil, triggers events by motion detection.
	Motion *motion.Config

	// Sync is how often an open file is fsynced: DefaultSync when zero;
	// negative, only when it closes.
	Sync time.Duration
	// Keep bounds the clips on disk.
	Keep Keep
	// Version is the format files are written in: container.V2_0 when
	// zero (V2_1 keeps microseconds).
	Version container.Version

	// Stall is how long the source may send nothing before the Recorder
	// connects again: DefaultStall when zero.
	Stall time.Duration
	// MaxBackoff caps the wait between connection attempts:
	// DefaultMaxBackoff when zero.
	MaxBackoff time.Duration

	// Live, if not nil, gets every frame as it arrives: JPEG frames as
	// they are, other frames encoded to JPEG while somebody watches.
	Live *mjpeg.Server
	// Notify, if not nil, is told of each Event, in order, one call at a
	// time, once the Recorder holds no lock: it may call Status and
	// Trigger. It runs on a goroutine of its own, so neither the frames
	// nor the files wait for it: a Notify slower than the events come
	// lets MaxQueuedEvents wait, then loses the newest, counted in
	// Status.EventsDropped. Run returns once Notify has been told of
	// every event queued. A sink that does I/O (a webhook, MQTT) should
	// queue the event and return: see Webhook.
	Notify func(Event)
	// Log, if not nil, logs connection faults and disk faults (once per
	// outage) and frames the Recorder could not keep.
	Log *log.Logger
}

func (c *Config) check() error {
	switch {
	case c.Source == nil:
		return fmt.Errorf("%w: no source", ErrInvalidConfig)
	case c.Mode != Continuous && c.Mode != Events:
		return fmt.Errorf("%w: mode %d", ErrInvalidConfig, c.Mode)
	case c.Pre < 0 || c.Post < 0 || c.Duration < 0 || c.SplitEvery < 0 || c.Stall < 0 || c.MaxBackoff < 0:
		return fmt.Errorf("%w: a negative duration", ErrInvalidConfig)
	case c.Frames < 0 || c.SplitSize < 0 || c.PreSize < 0 || c.Keep.Size < 0 || c.Keep.Age < 0:
		return fmt.Errorf("%w: a negative count or size", ErrInvalidConfig)
	case c.Pre > MaxPre:
		return fmt.Errorf("%w: a pre-trigger time of %v, over the %v the ring may hold", ErrInvalidConfig, c.Pre, MaxPre)
	case c.PreSize > MaxPreSize:
		return fmt.Errorf("%w: a pre-trigger ring of %d bytes, over MaxPreSize (%d MiB): the ring is held in memory", ErrInvalidConfig, c.PreSize, MaxPreSize>>20)
	case c.Mode == Continuous && (c.Pre > 0 || c.Post > 0 || c.Motion != nil):
		return fmt.Errorf("%w: Pre, Post and Motion need the Events mode", ErrInvalidConfig)
	case c.SplitSize > 0 && c.SplitSize < container.MagicSize+64:
		return fmt.Errorf("%w: a split size of %d bytes holds no frame", ErrInvalidConfig, c.SplitSize)
	}
	if mem := physicalMemory(); c.PreSize > 0 && mem > 0 && uint64(c.PreSize) > mem/4 {
		return fmt.Errorf("%w: a pre-trigger ring of %d bytes, over a quarter of this machine's %d MiB of memory", ErrInvalidConfig, c.PreSize, mem>>20)
	}
	if c.Version != 0 && c.Version != container.V2_0 && c.Version != container.V2_1 {
		return fmt.Errorf("%w: files in %s (the recorder writes V2.0 or V2.1)", ErrInvalidConfig, c.Version)
	}
	name, err := expand(c.pattern(), time.Now())
	if err != nil {
		return err
	}
	if fi, err := os.Stat(name); err == nil && fi.IsDir() {
		// A clip would be put beside it as NAME-1: surely not what was meant.
		return fmt.Errorf("%w: %s is a directory: give a pattern of files in it, such as %s",
			ErrInvalidConfig, name, filepath.Join(name, "%Y%m%d-%H%M%S.omv"))
	}
	return nil
}

func (c *Config) pattern() string {
	if c.Pattern == "" {
		return DefaultPattern
	}
	return c.Pattern
}
