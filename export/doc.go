// Package export turns a recording into outputs and facts: what
// "imgstream export", "convert" and "info" do, and the player's exports
// and /api/info, as a library (as go/format is the library form of gofmt).
// The command line and the player both call it, so the same request gives
// the same bytes from either.
//
// A recording goes in as a [Recording]: from an index and the bytes it
// describes ([Open], [FromIndex]), which knows every frame's time before a
// frame is read, or from a stream read once ([FromReader]), such as a
// pipe. Out come:
//
//   - a [Summary] ([SummaryOf], [ReadSummary]): version, frames, duration,
//     frame rates, formats, damage; one JSON schema ([Summary.WriteJSON]);
//   - an MJPEG AVI ([AVI]; [AVIStream] sends one that is laid out from the
//     index, with its size, to a writer that cannot seek);
//   - an animated GIF ([GIF]), written frame by frame;
//   - one picture a frame, PNG or JPEG, named by a pattern ([Pictures]);
//   - MP4, MKV or WebM through an ffmpeg subprocess ([Video]);
//   - an OMV IMG STR recording of another version, range, timing, pixel
//     format or size ([Convert]);
//   - a paced MJPEG replay of an OMV stream, as an mjpeg.Source
//     ([NewReplay], which "imgstream serve" plays).
//
// A recorder's folder of clips (one camera or many) goes in as a
// [Folder] ([OpenFolder]): its clips on the clock, and [Folder.Recording],
// the frames of one camera between two wall times from every clip in
// order, the gaps kept as time, as one Recording that every export above
// takes (what "imgstream export DIR --from --to" and the player's
// timeline export).
//
// [Options] pick the frames ([Range]: by index or by time since the first
// frame), resize them ([Scale]), set the JPEG quality and the number of
// frames encoded at once (an [Encoder], the ordered parallel encoder,
// which a caller may use for outputs of its own), and report progress
// through a callback. Every export looks at its context before each frame,
// and returns the context's cause when it is done.
//
// # Timing
//
// A frame's time is its time since the recording's first frame: the first
// frame's own elapsed time (since the stream was opened) does not count.
// A video places each frame on the grid of its frame rate at that time,
// and shows it until the next one (avi.Writer's rule, which Video follows
// for ffmpeg too). Unless [Options.Rate] is set, the rate is
// [avi.RateFor] the picked frames' times ([VideoRate]): one on whose grid
// no two frames share a slot, so every frame is kept. A GIF shows each
// frame in hundredths of a second with the rounding carried, so its total
// stays within 10 ms of the recording's.
//
// # Limits
//
//   - A [Folder] lists at most [MaxClips] clips, holding a few hundred
//     bytes each; a range takes at most [MaxRangeFrames] frames (its
//     index, about 80 bytes a frame) and holds one clip open at a time;
//     a side file is read up to [MaxSideFile] bytes.
//   - A video frame is shown for at most avi.DefaultMaxHold (one minute):
//     a longer gap is shortened to it and counted in [Result.Shortened],
//     so that a recording with a 49-day gap makes a small file.
//   - A GIF frame is shown for at most [MaxGIFDelay] (655.35 s, what a
//     GIF's 16-bit delay holds); with one palette, the first
//     [GIFPaletteSample] (16) frames wait in memory, decoded, until the
//     palette is chosen from them.
//   - An [Encoder] holds at most twice as many frames as it has workers
//     (one per core by default, at most [MaxWorkers]), each with its
//     decoded picture: about 20 MB a frame for 5 MP frames. Put waits for
//     room.
//   - A [Scale] enlarges by at most [MaxScaleFactor] (16), and to at most
//     container.MaxDimension a side.
//   - [AVI] and [AVIStream] keep avi's limits (package avi): 1 GiB
//     segments, DefaultMaxSegments of them.
//   - [Convert] shortens a gap longer than the output version's time
//     field holds (V2.0: 49.7 days; V2.1: 71.6 minutes) to the longest it
//     holds.
//   - [ReadSummary] reads headers only unless asked for payloads, and
//     holds one payload at a time.
//   - A [Replay] holds one payload and one JPEG at a time; a read already
//     blocked on a pipe is not interrupted by its context (read a pipe
//     beside the context, as "imgstream serve -" does).
//
// Recordings are untrusted input: sizes are checked by package container
// before anything is allocated, and a damaged recording exports its good
// frames ([Recording.Damage] says where the damage is).
package export
