// Package circular implements ring-buffer streams that keep the newest data:
// picamera's CircularIO ([Buffer]) and PiCameraCircularIO ([FrameBuffer]),
// the pieces of a security camera that keeps the last seconds of video and
// saves them when something happens.
//
// Both are io.ReadWriteSeeker streams over one ring allocated at
// construction. When an append would overflow the ring, the oldest whole
// writes are dropped, so the stream always starts where a write started and
// a frame written in one write is never kept in part. Positions are relative
// to the oldest byte held.
//
// A [FrameBuffer] also keeps each frame's index, type, size and timestamp.
// [FrameBuffer.CopyTo] saves the newest complete frames within a limit of
// bytes, time or frames, starting at a frame of a chosen type (a key frame,
// a stream header), and [FrameBuffer.CopySince] follows on with the frames
// recorded after them: the pre-trigger and post-trigger halves of one clip,
// with no gap and no overlap. [FrameBuffer.CopyRange] copies the frames
// between two indexes, for a writer on its own goroutine that must stop
// at an exact frame however late it runs; [FrameBuffer.Fits] tells the
// recording side whether a frame would overwrite frames that writer has
// not copied yet.
//
// # Limits
//
// Memory is fixed at construction, but for one buffer and for
// [FrameBuffer.Grow], which a caller asks for, and writes never allocate:
//
//   - A ring of Size bytes. A single write larger than Size is
//     [ErrTooLarge]: it could never be held whole.
//   - A ring of write boundaries, 8 bytes each: by default one per 256 bytes
//     of Size, at least 1024 (at most Size). When it is full, the next write
//     drops the oldest one though its bytes would fit, so a workload of
//     writes much smaller than 256 bytes should say how many to keep
//     ([NewWrites], FrameConfig.MaxWrites).
//   - For a FrameBuffer, a ring of frame records, 32 bytes each: by default
//     one per KiB of Size, at least 1024 (FrameConfig.MaxFrames). When it is
//     full, the oldest frame is dropped with its bytes.
//   - For a FrameBuffer's copies (CopyTo, CopySince, CopyRange), a scratch buffer that
//     the frames are copied into under the lock, to be written out after
//     it. It is allocated at the first copy, as large as that copy, and
//     grows with later ones up to Size; it is kept for reuse. A
//     FrameBuffer that is copied from can so hold up to twice Size.
//
// For comparison, picamera's CircularIO keeps each write as a Python bytes
// object in a deque, and holds up to six times its size in memory when the
// writes are small.
//
// # Concurrency
//
// Every method of both types is safe for concurrent use and atomic with
// respect to the others. A FrameBuffer's copies select frames and copy their
// bytes under the lock, then write to the destination after releasing it,
// so a slow disk never stalls the recorder.
package circular
