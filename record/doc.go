// Package record is the recorder: frames from a camera, a pipe or shared
// memory into OMV IMG STR files, continuously or as events around triggers,
// the security camera that keeps the last seconds.
//
// A [Source] delivers frames: [MJPEG] reads an IP camera's stream over
// HTTP, [OMV] a camera program's standard output, [SHM] an shm stream;
// programs add their own. Frames are never re-encoded: a JPEG is stored as
// the camera sent it, raw pixels as they came. The exception is RGB24 and
// BGR24 (numpy's and OpenCV's frames, from shm), which no OMV file holds:
// they are encoded to JPEG at [imageio.JPEGQuality] (90). A frame of a
// format the Recorder can neither store nor convert ends Run with
// [ErrUnstorable]. Each frame is timed by its
// arrival on the monotonic clock, or by the source's own timing where it
// has one (OMV streams, shm).
//
// In the [Continuous] mode a [Recorder] keeps every frame, for Duration or
// Frames, in files that SplitEvery or SplitSize start anew with no frame
// lost or repeated at the split. In the [Events] mode frames go through a
// ring in memory that starts at [InitialPreSize] and grows as the frames
// seen require to hold Pre of them, up to PreSize ([DefaultPreSize] when
// zero, at most [MaxPreSize]), never losing a frame as it grows, so a
// camera costs the memory its own frames need; a trigger (motion seen by
// the motion package's detector, or [Recorder.Trigger]) opens a clip with
// the ring's frames of the last Pre (at most [MaxPre]), and the clip
// goes on until Post has passed since the last trigger, so that events
// close together merge. A manual trigger includes the Pre seconds too.
//
// # Files
//
// Clips are named by Pattern from the local time their event (or file)
// starts at, such as clips/20261201-231500.omv. They are fsynced every
// Sync: after a crash or a SIGKILL at any moment, every clip opens with
// every frame up to its last sync ([imageio.Open] reads a file cut
// anywhere; imageio.Repair trims it). A clip is written first to a
// hidden file beside it (.NAME.*.partial) and takes its name once its
// first frame is written, so no clip is ever an empty file, nor one with
// no frame; a partial left by a kill in that instant is removed a minute
// later. Beside each clip, once its first frame is written, the
// Recorder writes its side file, CLIP.omv.json ([ClipInfo]: the wall time
// of its first frame, and its trigger), which no OMV IMG STR field can
// hold; export.Folder places clips on the clock by it, and by the time in
// their names without it. Keep bounds the clips on disk by size or age,
// removing the oldest with their side files, so that a full disk never
// stops the recording. A write that
// fails all the same (a full disk, a failing card) is no fault of the
// source: it cuts the clip back to its whole frames, is logged once, and
// the disk is tried again after a backoff (from one second, doubling up
// to 30), retention running first, while the frames that come meanwhile
// are lost and counted in [Status].Dropped; the recording goes on in a
// new clip. A source that ends (a pipe, a file) cannot send them again:
// Run then returns an error matching [ErrWrite].
//
// # Concurrency
//
// [Recorder.Trigger] and [Recorder.Status] never wait for the disk:
// Trigger only marks the trigger, which the Recorder acts on before its
// next frame. Neither does a frame: the goroutine that receives the
// frames puts each into the ring (imageio's ring stream), keeps the
// Status and decides, by motion and triggers, what goes into which clip,
// all in memory. A writer goroutine, which Run starts and waits for,
// does every file operation (making, naming, writing, fsyncing, splitting
// and closing clips, retention, the disk's backoff): it copies the frames
// from the ring, as it is told in order, each command bounded by a
// frame's index, so that a split or the end of an event falls at an exact
// frame however far behind the disk is. A slow write or fsync is absorbed
// by the ring, which grows for it, up to ContinuousRingSize or in the
// Events mode PreSize, before a frame waits. A frame
// that would overwrite frames the writer has not copied yet waits for it,
// so a source faster than the disk (a file) loses nothing; a writer stuck
// for longer than five seconds (or half of Stall) lets the ring overwrite
// them, and those frames are counted in [Status].Dropped and logged once
// (circular.ErrOverrun). Run returns once the writer has written and
// closed everything. Events are queued under the Recorder's lock and told
// to Config.Notify by a goroutine of their own after it is released, one
// at a time and in order, so Notify may call Trigger and Status, and a
// slow Notify holds up neither the frames nor the disk (at most
// [MaxQueuedEvents] wait; more are dropped and counted).
//
// # Faults
//
// When the source drops or sends nothing for Stall, the Recorder connects
// again, waiting from [MinBackoff] doubling up to MaxBackoff, logs the
// outage once (a source that never delivered, at its first failure, with
// what it answered), and goes on with the clip in progress: the gap shows in its
// timing, and a [Gap] event tells of it. A frame that is not a whole JPEG
// (cut off when a camera dropped) is counted in [Status].Dropped and not
// kept.
//
// # Limits
//
// Memory, time and names are bounded, each for a reason:
//
//   - Pre is at most [MaxPre] (5 minutes), and the pre-trigger ring at
//     most PreSize: [DefaultPreSize] (64 MiB, 10 s of a 1080p MJPEG
//     camera) when zero, at most [MaxPreSize] (1 GiB) and a quarter of
//     the machine's memory (Linux), since an allocation the machine
//     cannot give ends the process. It starts at [InitialPreSize]
//     (1 MiB) and grows to an eighth more than Pre of the frames seen
//     (10 s of 40 KB frames at 30 fps: about 13.5 MB), or, while the
//     disk lags, doubling; a ring that reaches PreSize and holds less
//     than Pre logs it once. A growth holds the old ring beside the new
//     one for the time of one copy.
//   - A continuous recording's ring starts at [InitialPreSize] too and
//     grows only for a frame larger than it or a disk that lags, up to
//     [ContinuousRingSize] (32 MiB): room for the largest MJPEG frames
//     and seconds of a slow disk. A camera whose disk keeps up holds
//     about 1 MiB of ring (TestContinuousRingSized).
//   - A frame larger than the ring (PreSize, or ContinuousRingSize) is
//     dropped and counted in [Status].Dropped: it could never be held
//     whole. [MJPEG] and [Input] read frames of at most
//     mjpeg.DefaultMaxFrameSize (16 MiB), so a stream that never ends a
//     frame cannot make them buffer without end.
//   - A frame waits at most five seconds (or half of Stall) for a writer
//     stuck in the disk before it overwrites what the writer has not
//     copied: a disk that hangs costs frames, never the source's
//     connection. The writer copies at most 16 frames a write, so its
//     copy buffer stays small.
//   - A disk that fails is tried again after a backoff from one second
//     doubling to 30: often enough to resume soon, seldom enough not to
//     spin on a full disk.
//   - A source is run again after [MinBackoff] (100 ms) doubling to
//     MaxBackoff ([DefaultMaxBackoff], 3 s), and dropped when it sends no
//     frame for Stall ([DefaultStall], 5 s). [NewClient], which MJPEG uses
//     when given no client, bounds connecting ([DialTimeout],
//     [TLSHandshakeTimeout], 5 s) and the wait for the headers
//     ([HeaderTimeout], 10 s), never the stream, which Stall watches.
//   - A [Program] has [DefaultStopWait] (2 s) after SIGTERM before its
//     process group is killed: time for ffmpeg to close a device, short
//     enough for a Ctrl-C. A line of its stderr is logged up to 4 KiB, so
//     a program that never writes a newline cannot grow the log's buffer.
//   - A clip is fsynced every Sync ([DefaultSync], 1 s): the most a
//     power loss takes.
//   - A taken clip name gets "-1" to "-999": a thousandth clip of one
//     second is an error, not a loop. A partial left by a kill is removed
//     after a minute, when no process can still be writing it.
//
// # Time
//
// The Recorder uses the time package's clock and timers, so tests run it
// in a testing/synctest bubble on a fake clock.
package record
