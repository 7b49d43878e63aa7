// Package natsbus carries frames across hosts through NATS: a Publisher
// per camera, any number of Subscribers, and JetStream to record and
// replay. It is a module of its own, so the core library never pulls NATS
// in; the embedded server is in natsbus/server, a further module, so that
// programs which only connect never download it.
//
// # Subjects and messages
//
// A camera's frames go on the subject imgstream.<camera> ([Subject]), one
// message a frame: a 40-byte binary prefix ([HeaderSize]: format, width,
// height, size, frame number, capture time, publisher id, chunk index and
// count), then the bytes. JPEG goes as it is. The prefix is binary, not
// NATS headers: it costs no parsing, and it survives every path a message
// takes, JetStream and replays included.
//
// A frame over the server's max payload (1 MB by default; a raw 1280x688
// RGB frame is 2.6 MB) goes in chunks, a message each, which a Subscriber
// puts together. A frame with a chunk missing is dropped and counted in
// [Stats].Lost, never delivered torn. Chunks of one frame travel in order
// on one connection; two publishers on one subject are told apart by
// their ids.
//
// # Limits
//
// Each limit, and why it is there:
//
//   - A frame is at most [MaxFrameSize] (64 MiB), what an OMV reader takes by
//     default, so that every frame that passes can be recorded and read back;
//     a message that declares more, or a size its format and dimensions do
//     not give, is refused at its prefix, before any of it is buffered, and
//     counted in [Stats].Invalid.
//   - A frame's width and height are at most [container.MaxDimension] (32767),
//     as OpenMV IDE takes them.
//   - A Subscriber or a replay holds at most [MaxPendingBytes] (128 MiB, two
//     of the largest frames interleaved) for the chunked frames it is putting
//     together, from at most 16 publishers at a time, so that a hostile
//     publisher cannot make it buffer without end: past that the oldest give
//     way and are counted in [Stats].Lost.
//   - A message carries at most the server's max payload (1 MB by default,
//     natsbus/server's Options.MaxPayload), NATS's own limit: a larger frame
//     goes in chunks of the max payload less [HeaderSize].
//   - A frame is at most [MaxChunks] (65 535) chunks, what the prefix's
//     16-bit count holds: 64 GB at the default max payload, far beyond a
//     frame.
//   - A replay pulls at most [PullMaxBytes] (16 MiB) at a time, under the
//     server's 64 MB pending limit: with the client's 500 messages a pull,
//     600 KB frames overran it and the replay was dropped as a slow consumer.
//   - A replay waits at most [ReplayOptions].MaxWait (5 s by default) for
//     each message, so that it never hangs on a server that went away.
//   - An acknowledged Publisher tries to have each message stored for at most
//     [AckWait] (10 s), long enough for a cluster's leader election.
//   - [Export] writes intervals of at most [MaxInterval] (about 71.6
//     minutes), the uint32 of microseconds of a V2.1 file; a longer gap is
//     shortened to it and counted in [ExportStats].Clamped.
//   - A recording has at most 5 replicas ([RecordOptions].Replicas),
//     JetStream's own limit.
//
// # Live and slow subscribers
//
// [Subscriber.Next] returns the newest whole frame. A subscriber slower
// than its camera skips frames, counted in [Stats].Skipped, and never
// stalls the publisher or the other subscribers: NATS gives each
// subscription its own buffer, and the server drops a connection that
// does not read rather than wait for it.
//
// # JetStream
//
// [Record] makes a stream (StreamName(camera)) record a camera, bounded
// by time or bytes, replicated in a cluster; [Replay] replays it from any
// time, at the recorded pace or as fast as possible (a range with no frame
// is an empty replay; a camera not recorded is [ErrNotRecorded]); [Export]
// writes a time range as an OMV file, going on past what a file cannot
// hold and counting it in [ExportStats]: RGB24 and BGR24 frames become
// JPEG, a gap over [MaxInterval] is shortened to it. Replays pull at most [PullMaxBytes] at a time
// and bound every wait: with the client's defaults, a replay of 600 KB
// frames overran the server's pending limit and was dropped as a slow
// consumer again and again. [Upload] and [Download] move whole recordings
// through an Object Store bucket; a key-value entry is one message and
// cannot hold one.
//
// # Examples
//
// The Examples that publish, subscribe, record and replay are those of
// natsbus/server: they need its embedded server, which this module does
// not download.
package natsbus
