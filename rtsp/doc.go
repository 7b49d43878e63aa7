// Package rtsp is an RTSP camera source for the recorder: a
// [record.Source] that plays a camera's video over RTSP or RTSPS with
// github.com/bluenviron/gortsplib/v5 and emits its frames as JPEG.
//
// It lives in a module of its own so that a program that imports only the
// library downloads no RTSP stack.
//
// MJPEG over RTP (RFC 2435) comes out as the camera encoded it: no
// decode, no re-encode. H.264 and H.265 are decoded and encoded to JPEG
// by an ffmpeg process, fed the access units on its stdin and read as
// JPEGs back to back on its stdout; without ffmpeg they are a permanent
// [ErrNoFFmpeg]. Frame times come from the RTP timestamps, so a recording
// keeps the intervals the camera had, whatever the network did to them.
//
// # Limits
//
//   - One video stream: the camera's first MJPEG one, else H.264, else
//     H.265. Audio and other streams are not set up.
//   - Up to [DefaultQueue] frames or access units wait for a slow
//     Recorder or decoder; beyond, frames are dropped (for H.264 and
//     H.265, up to the next key frame) and counted in Frame.Skipped.
//   - A JPEG is at most [mjpeg.DefaultMaxFrameSize] (16 MiB), as in the
//     mjpeg package.
//   - Decoded frames get their times in presentation order from the
//     access units given to ffmpeg (one in K of them under an FPS limit,
//     K learned from the first four). A frame ffmpeg cannot decode
//     (damaged by lost packets) can give the frames after it the time of
//     the frame before them, until 64 frames are pending and the oldest
//     time is dropped; a camera that changes its frame rate makes K wrong
//     until the next Run.
//   - H.264 and H.265 start at a key frame: a Run waits for one, and a
//     decoder that falls behind drops up to the next one.
//   - An RTP timestamp is placed within 2^31 ticks of the one before it
//     (6.6 hours at 90 kHz): a camera silent for longer is a stall, and
//     a new Run, long before.
//   - 401 and 403 answers are permanent; every other failure, 404
//     included (a relay whose camera is not there yet), is retried.
package rtsp
