// Package container implements OpenMV's OMV IMG STR image-stream format: the
// files that OpenMV cameras record with image.ImageIO(path, "w") and that
// OpenMV IDE plays back and converts. It reads every version the firmware and
// the IDE have written (1.0, 1.1, 2.0, 2.1) and writes files they read, byte
// for byte.
//
// The format is a 16-byte magic followed by one chunk per frame, with no
// index, no frame count and no trailer, so it streams: a [Writer] on a pipe
// or a socket and a [Reader] on the other end pass frames between processes
// one at a time.
//
// # Format
//
// All integers are little-endian uint32.
//
//	offset 0   "OMV IMG STR V2.0"                 16-byte magic: V<major>.<minor>
//	offset 16  +---------+------------+---------+
//	           | header  | payload    | padding |  frame 0
//	           +---------+------------+---------+
//	           | header  | payload    | padding |  frame 1
//	           +---------+------------+---------+
//	           ...                                 the file ends after the last chunk
//
//	V2.x header (32 bytes)                         V1.x header (16 bytes)
//	 0 elapsed  time since the previous frame       0 elapsed (ms)
//	 4 width                                        4 width
//	 8 height                                       8 height
//	12 pixfmt   OpenMV pixel-format code           12 bpp: 0 binary, 1 grayscale,
//	16 size     payload bytes of JPEG and PNG;         2 RGB565, 3 Bayer BGGR,
//	            0 (or stale) for raw formats           >= 4 JPEG of that many bytes
//	20 12 reserved bytes, zero
//
// The padding is zero bytes up to a multiple of 16. Elapsed times are in
// milliseconds, except in V2.1, where they are in microseconds. V1.0 stored
// RGB565 pixels byte-reversed; a Reader hands them out little-endian, as
// every other version stores them, and a Writer of V1.0 reverses them back.
// The payload size of raw formats follows from the dimensions (see
// [PixFormat.PayloadSize]); the size field of raw frames is ignored when
// reading and written as 0.
//
// # Reading
//
// A [Reader] works on any [io.Reader] in the manner of archive/tar:
// [Reader.Next] returns the next frame's [Header] and the Reader reads its
// payload; [Reader.ReadFrame] reads a whole frame into a reused buffer.
// [ReadIndex] scans the headers of a seekable stream for random access.
//
// A damaged stream yields every complete frame before the damage, then a
// [*FrameError] giving the damaged frame's index and byte offset. The causes
// match with [errors.Is]: [ErrTruncatedHeader] and [ErrTruncatedPayload]
// (both also match [io.ErrUnexpectedEOF]) for a stream cut off (power loss,
// a killed recorder), [ErrInvalidPixFormat], [ErrInvalidDimensions],
// [ErrInvalidSize], and, for a Reader with Strict set, [ErrNonZeroPadding].
// Repairing a cut-off file means truncating it to the FrameError's Offset.
//
// # Limits
//
// Untrusted input never makes a Reader allocate more than the bytes it has
// actually seen, and never more than its limit:
//
//   - Width and height are 1..[MaxDimension] (32767), as OpenMV IDE checks.
//   - A payload over Reader.MaxFrameSize ([DefaultMaxFrameSize], 64 MiB, by
//     default) is [ErrInvalidSize].
//   - On a seekable source, a frame whose payload runs past the end of the
//     stream is reported at its header, before any of it is read.
//   - On a source that cannot seek, [Reader.ReadFrame] grows its buffer in
//     steps as bytes arrive, so a lying size field costs at most about twice
//     the bytes actually sent.
//   - Elapsed times are uint32 in the stream's unit: at most about 49.7 days
//     in milliseconds, 71.6 minutes in microseconds (V2.1).
package container
