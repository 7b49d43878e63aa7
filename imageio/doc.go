// Package imageio is OpenMV's ImageIO for Go: record image sequences with
// the time between frames, replay them at the recorded pace, and keep short
// histories in memory.
//
// A [Stream] keeps frames in one of three places:
//
//   - a file in OpenMV's OMV IMG STR format ([Create], [Open], or [New] over
//     any io.ReadWriteSeeker), byte-compatible with OpenMV cameras and IDE;
//   - preallocated memory slots ([NewMemory], [NewMemoryBuffer]), as
//     ImageIO((w, h, format), count);
//   - a ring that keeps the newest frames within a byte or time bound
//     ([NewRing]), which [Stream.SaveTo] saves as a file when something
//     happens, going on with the frames that follow.
//
// The methods mirror OpenMV's: Write, Read (with loop and pause options,
// off by default here, on by default in OpenMV), Seek (constant time: a
// file's headers are indexed when it is opened), Sync (fsync), Close,
// Count, Offset, Version, BufferSize, Size, Type and IsClosed. Read, Write
// and Seek work on whole frames, as OpenMV's do: they are not the io
// package's methods of the same names, and a Stream is not an io.Reader,
// io.Writer or io.Seeker. For the bytes of a file, use the container
// package, or the io.ReadWriteSeeker a stream was made over.
//
// An [Image] is a frame as OpenMV stores it. [Image.Decode] and [Encode]
// convert to and from Go's image.Image for every pixel format: RGB565,
// grayscale, binary, the four Bayer mosaics (demosaiced bilinearly), YUV422
// and YVU422, JPEG and PNG. A [Decoder] does what Image.Decode does into
// pictures it reuses from frame to frame, for programs that decode many.
//
// # Damaged recordings
//
// A recording cut off by a power loss or a killed process opens with every
// complete frame; [Stream.Damage] tells of the damage at once, Read returns
// the frames, then the damage as a *container.FrameError saying which frame
// and where, and a looping Read goes round them. [Repair] cuts the file back
// to its complete frames, and [DryRepair] says what it would cut. Frames written before Sync returned survive
// a crash.
//
// # Time
//
// Write records the time since the previous write from the stream's
// [Clock]; WriteAt takes the capture time. Times are kept whole in the
// file's unit from the stream's start, so rounding never accumulates over a
// long recording. Paced reads sleep on the same Clock; ReadContext cancels
// them.
//
// # Limits
//
// Each limit, and why it is there:
//
//   - A frame's width and height are 1 to [container.MaxDimension] (32767),
//     as OpenMV IDE checks and the firmware's 16-bit sizes allow.
//   - Opening a file reads its frame headers through the container package:
//     a frame over [container.DefaultMaxFrameSize] (64 MiB), or one whose
//     bytes run past the end of the file, is damage ([Stream.Damage]),
//     found before anything is allocated for it, so a hostile or cut-off
//     file costs no more memory than its good frames. Write refuses a
//     larger frame ([ErrFrameTooLarge]), which could not be read back.
//   - The interval between two frames is a uint32 in the file's unit, what
//     its header holds: at most about 49.7 days in V2.0 (milliseconds) and
//     71.6 minutes in V2.1 (microseconds); Write refuses a longer one
//     ([container.ErrInvalidElapsed]), and a capture time before the
//     previous frame's ([ErrTimeBackwards]).
//   - A memory stream's slot holds the frame size for raw formats and two
//     bits a pixel for JPEG and PNG ([SlotCapacity]), as OpenMV sizes them,
//     so that its memory is allocated once; a larger frame is
//     [ErrFrameTooLarge].
//   - A ring stream holds what its [circular.FrameConfig] bounds (bytes,
//     age, frame count); a frame larger than the whole ring is
//     circular.ErrTooLarge, since it could never be held whole.
//   - A paced Read waits at least [MinFramePeriod] (1 ms, the unit of V2.0
//     files) between two frames and a looped one [MinLoopPeriod] (100 ms) a
//     round, so that intervals of 0 never send frames as fast as the CPU
//     can.
//   - [Image.Decode] checks a raw frame's size against its width and height,
//     and reads a JPEG or PNG frame's own header before decoding it: a size
//     other than the frame's, or over [MaxDecodePixels] (64 Mpx), is
//     refused before its pixels are allocated.
package imageio
