// Package shm passes frames between processes through shared memory: one
// writer, any number of readers, frames copied once (or not at all), no
// tearing. It is the answer to "how do I pass a video stream from one
// process to another" when a pipe is too slow: a reader gets each frame as
// a view of memory the writer filled. Python programs read and write the
// same streams with the imgstream package in the repository's python/
// directory.
//
// A stream is a file in /dev/shm, made by [Create] with N slots
// (DefaultSlots, 4) and opened by readers with [Open] or [OpenWait]. The
// writer fills the next slot in place ([Writer.Acquire], then
// [Writer.Publish]) or copies a frame in ([Writer.Write]); it never waits
// for readers. A reader's [Reader.Next] sleeps until a frame newer than its
// last is published and returns the newest, saying how many it skipped: a
// slow reader jumps ahead rather than falling behind.
//
// # Layout
//
// Every integer is little-endian and naturally aligned. The header page:
//
//	offset  width  field
//	     0    8    magic "IMGSHM01" (written last by Create: a reader that sees it sees the rest)
//	     8    4    layout version: 1
//	    12    4    header size: 4096
//	    16    4    slots: N, 2 to 65 536
//	    24    8    slot stride: bytes from one slot to the next (64 + capacity, rounded up to 4096)
//	    32    8    frame capacity: the largest frame, in bytes
//	    40    4    futex word: incremented by every publish and by Close; readers sleep on it
//	    48    8    latest: the number of the newest published frame; 0: no frame yet
//	    56    4    closed: 1 once the writer closed the stream
//	    60    4    the writer's process ID (for people; liveness is the lock, below)
//
// Slot i starts at 4096 + i*stride; frame n (counting from 1) goes into slot
// n mod N:
//
//	offset  width  field
//	     0    8    seq: 2n+1 while frame n is written, 2n once it is published
//	     8    8    publish time, Unix nanoseconds (signed)
//	    16    4    width
//	    20    4    height
//	    24    4    pixel format (container.PixFormat; see Formats)
//	    32    8    frame length in bytes
//	    64         the frame's bytes
//
// # Reading
//
// The seq word is a seqlock. A reader, in this order:
//
//  1. loads the futex word (to sleep on it, step 5, if nothing is new);
//  2. loads latest, n; 0 means no frame yet, and n no larger than the last
//     frame it returned means nothing new;
//  3. loads slot n's seq, which must be 2n (else the writer is reusing the
//     slot: read latest again);
//  4. loads the length, width, height, format and bytes, then seq again:
//     still 2n means the frame was read whole; anything else means the
//     writer reused the slot meanwhile, and the reader goes back to step 2;
//  5. if nothing was new, sleeps with FUTEX_WAIT on the futex word, with
//     the value it loaded in step 1 and a timeout of 100 ms. The futex is
//     shared between processes: not FUTEX_PRIVATE_FLAG, which would never
//     be woken by another process.
//
// The seq and latest words must be loaded whole (one 8-byte load), and the
// loads must not be reordered: Go's atomic loads guarantee both on every
// architecture, and an atomic read-modify-write before the second seq load
// keeps the frame's loads before it. On x86-64, plain aligned loads are
// enough (loads are not reordered with loads); on ARM they are not, which
// is why the Python package documents its reads as safe on x86-64 only.
//
// Views from Next and Latest stay valid until the writer reuses their slot,
// N-1 frames later at the earliest; [Frame.Valid] tells afterwards whether
// it did. NextInto copies and checks in one call.
//
// # Writing, liveness and restarts
//
// The writer holds an exclusive flock(2) on its file for as long as it
// lives; the kernel releases it when the process dies. A waiting reader
// checks it between two sleeps, and returns [ErrWriterGone] within about
// 100 ms of the writer dying, with the last published frame still readable
// by Latest. The check is a shared, non-blocking flock (LOCK_SH|LOCK_NB),
// released at once: it fails while a writer holds the file, and since it
// is shared, readers probing at the same moment do not make each other, or
// a new writer, see a live writer that is not there.
//
// Create makes the file unnamed (O_TMPFILE), locks it, reserves its space,
// writes the header and only then links it under its name, all under an
// exclusive flock on the /dev/shm directory that every creator (Go or
// Python) takes. So exactly one writer holds a name, however many processes
// start at once, and a reader never finds half a stream. A stale stream of
// the name (its writer died) is replaced; a live one is [ErrExists]; a file
// that is not a stream of this package is never removed ([ErrFormat]); nor
// is a FIFO or another file that is not a regular one, which Open, Create
// and Remove open without blocking and refuse as ErrFormat. The lock on
// the directory is waited for at most [MaxLockWait] (5 s): any local user
// can hold it, and Create then fails with [ErrLocked]. The
// writer's Close marks the stream closed (readers get io.EOF), and removes
// the file only if the name is still its own.
//
// A camera process that restarts makes a new stream of the same name. A
// reader with [Reader.Follow] set goes on with it by itself; otherwise
// [Reader.Reopen] waits for it after ErrWriterGone or io.EOF.
//
// A stream whose writer was killed stays in /dev/shm until its name is
// used again. [List] shows the streams, [Remove] and [RemoveStale] remove
// those with no live writer (`imgstream shm ls`, `imgstream shm rm`).
//
// # Hostile peers
//
// Another process can shrink the file (truncate -s 100) under the
// mappings. Touching the lost memory raises SIGBUS, which would kill the
// process; every method of this package touches the mapping with faults
// turned into panics and recovers them as [ErrTruncated] instead. Memory
// the caller touches itself, a view's Data or a slot from Acquire, is not
// guarded: a program that cannot trust the other users of /dev/shm uses
// NextInto and Write. Built with the race detector, whose atomic operations
// run where a fault cannot be recovered, a shrunk file still kills the
// process.
//
// # Formats
//
// A frame's pixel format is a container.PixFormat: OpenMV's (GRAYSCALE,
// RGB565, JPEG, ...) or container.RGB24 and container.BGR24, the 3-byte
// pixels of numpy and OpenCV images. Publish and Write refuse a format that
// is none of these (such as 0) and a size that does not match an
// uncompressed frame's dimensions. RGB24 and BGR24 have no place in an OMV
// IMG STR file: to record such frames, convert them (imageio.Image.Decode,
// then Encode to RGB565 or JPEG).
//
// # Permissions
//
// The file is 0600 (DefaultMode): only the writer's user can read it. To
// share a stream with other users, give [Options].Mode, such as 0o640 for
// the file's group (the writer's group, or the directory's if it is
// setgid); readers need only read permission, as they map the file
// read-only.
//
// # Limits
//
// Each limit, and why it is there:
//
//   - A stream has 2 to 65 536 slots, [DefaultSlots] (4) by default: two at
//     least, so that the newest frame stays whole while the writer fills the
//     next; four leave a view from Next three frames to be used in before
//     its slot is reused; more only lengthen the file, since a reader always
//     jumps to the newest frame.
//   - A frame is 1 byte or more, up to the stream's frame size
//     ([ErrTooLarge]): a slot's space is reserved by Create, so a full
//     /dev/shm fails there, not mid-stream.
//   - A frame's width and height are 1 to [container.MaxDimension] (32767),
//     what OpenMV and an OMV file take, so that every frame can be recorded.
//   - Open refuses, as [ErrFormat], a header that declares frames over 1 TiB
//     or more slots than the file holds: a hostile or damaged file never
//     makes a reader map or touch memory that is not there.
//   - A name is one file name in [Dir]: no slash or NUL, not "." or ".."
//     ([ErrInvalidName]), so a stream never lands outside it.
//   - Create waits at most [MaxLockWait] (5 s) for the lock on Dir, which any
//     local user can hold: unbounded, one such lock would stop every Create
//     on the machine.
//   - A stream's file is [DefaultMode] (0600) unless [Options].Mode says
//     otherwise: other users read nothing by default.
//   - A waiting reader sleeps at most about 100 ms at a time, so that a dead
//     writer ([ErrWriterGone]) and a cancelled context are noticed within
//     that, while an idle reader uses no CPU; a publish wakes it at once.
//   - NextInto gives up with [ErrTorn] after 64 copies in a row that the
//     writer lapped, so that a reader slower at copying a frame than the
//     writer at writing one is told so instead of trying for ever.
//
// # Python
//
// Python's multiprocessing.shared_memory.SharedMemory(name) maps a file of
// /dev/shm read-write and, up to Python 3.12, registers it with the
// resource tracker, which unlinks it when the Python process exits,
// deleting the writer's stream from under it. The imgstream Python package
// maps streams read-only with mmap(2) instead, and follows every rule
// above; with SharedMemory, unregister the segment right after attaching
// (resource_tracker.unregister(shm._name, "shared_memory")) or pass
// track=False (Python 3.13), and follow the read order.
//
// Off Linux, Create and Open return [ErrUnsupported].
package shm
