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
//   - A frame is at most [MaxFrameSize] (64 MiB, what an OMV reader takes by
//     default). A message that declares more, or a size that its format and
//     dimensions do not give, is refused at its prefix, before any of it is
//     buffered, and counted in [Stats].Invalid.
//   - A Subscriber or a replay holds at most [MaxPendingBytes] (128 MiB) for
//     the chunked frames it is putting together, from at most 16 publishers:
//     past that the oldest give way and are counted in [Stats].Lost, however
//     many ids and sizes a hostile publisher declares.
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
package natsbus
