// Package mjpeg streams JPEG frames live over HTTP as MJPEG
// (multipart/x-mixed-replace), the format every browser, ffmpeg, VLC and
// OpenCV read, and reads such streams back from IP cameras and servers.
//
// A [Server] is fed JPEG frames by Publish or by a [Source] that runs only
// while somebody watches, and serves them to any number of viewers:
//
//	s := &mjpeg.Server{Source: camera}
//	mjpeg.ListenAndServe(ctx, "127.0.0.1:8080", s) // "/" page, "/stream.mjpg", "/snapshot.jpg"
//
// The wire format is what every client reads: a boundary line before the
// first part; each part with Content-Type: image/jpeg and an exact
// Content-Length; and right after each JPEG, the next boundary line.
// Chromium shows a part only once the next part's headers have arrived,
// and those carry the next frame's length, so they cannot go out before the
// next frame exists: when a stream pauses, each viewer is sent the newest
// frame once more after RepeatAfter (100 ms), and browsers show the newest
// frame, not the one before it. While frames keep coming, nothing repeats.
//
// A viewer always gets the newest frame. One that reads slowly skips frames
// instead of holding up the publisher or the other viewers, and its
// connection's kernel send buffer is kept small ([LimitSendBuffer],
// [DefaultSendBuffer]) so that its picture lags by the frames that buffer
// and the viewer's own hold: measured, 1.3 s at the median for a viewer at
// a third of a 30 fps stream of 640x480 frames, against 2.7 s with the
// kernel's autotuned buffer (BenchmarkSlowViewer). A write
// that stalls for WriteTimeout drops the viewer. Each frame is made into
// the bytes every viewer writes once, when it is published.
//
// A [Writer] writes the stream to one client, the partner of [Reader] as
// mime/multipart's Writer is of its Reader: what a Server does for each
// viewer, for a handler that makes its own frames (a recording's replay,
// say) and needs no Server.
//
// A Server has no credentials of its own (wrap it in middleware for them),
// but on a loopback address it answers only requests that name a loopback
// Host, or one listed in Server.Hosts ([HostAllowed]): otherwise any web
// page could read the camera through DNS rebinding.
//
// A [Reader] reads MJPEG streams as real cameras send them: with or
// without a first boundary, with or without dashes, LF or CRLF lines, and
// a missing or wrong Content-Length. A [Splitter] reads JPEGs written back
// to back with no multipart framing at all (ffmpeg -f mjpeg, rpicam-vid, a
// program that writes OpenCV's encoded frames to stdout), finding each by
// its marker segments: from a pipe it reads 640x480 camera frames as fast
// as a plain read of the same bytes does (1.0x; from bytes already in the
// CPU's cache, where a read is a copy at tens of GB/s, 0.25x of that copy:
// BenchmarkSplit).
//
// This package uses only the standard library.
//
// # Limits
//
//   - A Reader accepts frames up to MaxFrameSize ([DefaultMaxFrameSize],
//     16 MiB, by default), so a stream without boundaries cannot make it
//     buffer without end; so does a Splitter, which reads a larger frame
//     through without keeping it.
//   - A Server holds only the newest frame, whatever the number of viewers
//     and however slow they are; MaxViewers caps the viewers.
//   - Each write of a frame to a viewer has WriteTimeout
//     ([DefaultWriteTimeout], 10 s); http.Server's own WriteTimeout would
//     cut every stream, so leave it unset.
package mjpeg
