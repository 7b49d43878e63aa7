// Package shm passes frames between processes through shared memory: one
// writer, any number of readers, frames copied once (or not at all), no
// tearing. It is the answer to "how do I pass a video stream from one
// process to another" when a pipe is too slow: a reader gets each frame as
// a view of memory the writer filled.
//
// A stream is a file in /dev/shm (so that Python's
// multiprocessing.shared_memory.SharedMemory(name) attaches to it too),
// made by [Create] with N slots (DefaultSlots, 4) and opened by readers with
// [Open]. The writer fills the next slot in place ([Writer.Acquire], then
// [Writer.Publish]) or copies a frame in ([Writer.Write]); it never waits
// for readers. A reader's [Reader.Next] sleeps until a frame newer than its
// last is published and returns the newest, saying how many it skipped:
// a slow reader jumps ahead rather than falling behind.
//
// # Layout
//
// All integers are little-endian.
//
//	offset 0: header page (4096 bytes)
//	   0  magic "IMGSHM01"       16  slots (uint32)       40  futex word (uint32): +1 per publish
//	   8  layout version (1)     24  slot stride (uint64) 48  latest frame number (uint64), 0: none
//	  12  header size (4096)     32  frame capacity       56  closed (uint32)   60  writer PID
//	offset 4096 + i*stride: slot i (stride: 64 + capacity, rounded up to 4096)
//	   0  seq (uint64): 2n+1 while frame n is written, 2n once it is published
//	   8  publish time (Unix ns, int64)   16 width   20 height   24 pixel format (uint32)
//	  32  frame length (uint64)           64 frame bytes ...
//
// Frame n (counting from 1) goes into slot n mod N. The seq word is a
// seqlock: a reader that finds 2n before and after reading has read frame n
// whole; anything else means the writer reused the slot meanwhile, and the
// reader reads the newest frame instead. A frame is never returned torn.
// Views from Next and Latest stay valid until the writer reuses their slot,
// N-1 frames later at the earliest; [Frame.Valid] tells afterwards whether
// they did. NextInto copies and checks in one call.
//
// # Waiting and liveness
//
// Readers wait with FUTEX_WAIT on the header's futex word, woken by each
// publish, so an idle reader uses no CPU. The writer holds an exclusive
// flock on the file, which the kernel releases if it dies; a waiting reader
// checks it every 100 ms and returns [ErrWriterGone], with the last
// published frame still readable by Latest. The writer's Close marks the
// stream closed (readers get io.EOF) and removes the file. Create replaces a
// stale file whose writer died.
//
// # Python
//
// A Python process reads frames with mmap and numpy, following the seqlock
// (see python_test.go for a complete reader):
//
//	shm = SharedMemory(name)            # Python <= 3.12: see below
//	slot = 4096 + (n % slots) * stride
//	seq1 = struct.unpack_from("<Q", shm.buf, slot)[0]        # must be 2*n
//	frame = numpy.frombuffer(shm.buf, numpy.uint8, length, slot + 64).copy()
//	seq2 = struct.unpack_from("<Q", shm.buf, slot)[0]        # must still be 2*n
//
// Python up to 3.12 registers every SharedMemory it attaches to with its
// resource tracker, which unlinks it when the Python process exits,
// deleting the writer's stream from under it. Unregister it right after
// attaching (resource_tracker.unregister(shm._name, "shared_memory")),
// use SharedMemory(name, track=False) from Python 3.13, or open
// /dev/shm/NAME and mmap it directly.
//
// Off Linux, Create and Open return [ErrUnsupported].
package shm
