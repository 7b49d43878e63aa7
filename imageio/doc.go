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
// and YVU422, JPEG and PNG.
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
package imageio
