package shm

import (
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/imgstream/imgstream/container"
)

// Errors returned by this package.
var (
	// ErrUnsupported is returned on systems other than Linux. It matches
	// errors.ErrUnsupported.
	ErrUnsupported = fmt.Errorf("shm: shared memory streams need Linux: %w", errors.ErrUnsupported)

	// ErrInvalidName is returned by Create and Open for a name that is
	// empty, ".", "..", or holds a slash or a NUL byte: a stream's name is
	// one file name in Dir.
	ErrInvalidName = errors.New("shm: invalid stream name")

	// ErrInvalidSize is returned by Create for a frame size under 1 byte,
	// or a slot count under 2 or over 65 536.
	ErrInvalidSize = errors.New("shm: invalid frame size or slot count")

	// ErrNotAcquired is returned by Publish without a slot from Acquire.
	ErrNotAcquired = errors.New("shm: Publish without Acquire")

	// ErrExists is returned by Create when a live writer holds the name.
	ErrExists = errors.New("shm: a writer holds this name")

	// ErrFormat is returned by Open for a file that is not a stream of this
	// package's layout, or is cut short, or is not a regular file at all (a
	// FIFO or a device of the stream's name, which no open waits on); and
	// by Create and Remove for such a file of the name, which they leave
	// alone.
	ErrFormat = errors.New("shm: not an imgstream shared-memory stream")

	// ErrWriterGone is returned by a Reader waiting for frames when the
	// writer died without closing the stream (the kernel released its
	// lock). The last frame it published stays readable with Latest.
	ErrWriterGone = errors.New("shm: the writer is gone")

	// ErrNoFrame is returned by Latest before the first frame.
	ErrNoFrame = errors.New("shm: no frame published yet")

	// ErrTooLarge is returned by Publish and Write for a frame larger than
	// the stream's frame size.
	ErrTooLarge = errors.New("shm: frame larger than a slot")

	// ErrClosed is returned by the methods of a closed Writer or Reader.
	ErrClosed = errors.New("shm: closed")

	// ErrTorn is returned by NextInto when the writer overwrote the frame
	// while it was copied out, more often than a reader retries.
	ErrTorn = errors.New("shm: frame overwritten while read")

	// ErrTruncated is returned by a Writer's or a Reader's methods when the
	// stream's file was shrunk under its mapping (truncate(1), or a
	// program that reused the name wrongly): the memory is gone, and the
	// fault that touching it raised (SIGBUS) was caught. It matches
	// ErrFormat.
	ErrTruncated = fmt.Errorf("%w: its file was shrunk under the mapping", ErrFormat)

	// ErrLocked is returned by Create (and a writer's Close leaves its
	// file for a clean-up) when the lock on Dir that writers share was
	// held by another process for over MaxLockWait.
	ErrLocked = errors.New("shm: another process holds the lock on " + Dir)
)

// MaxLockWait bounds the wait for the lock on Dir that Create, a writer's
// Close and the clean-ups take to make, name or remove a stream's file.
// They hold it for microseconds; any local user can lock a directory it
// can read, though, and unbounded, such a lock would block every Create
// on the machine for as long as it was held.
const MaxLockWait = 5 * time.Second

// DefaultMode is the permission of a stream's file unless Options say
// otherwise: the writer's user only.
const DefaultMode fs.FileMode = 0o600

// Options refine CreateWith. The zero value is Create's default.
type Options struct {
	// Slots is the number of slots: DefaultSlots when 0.
	Slots int
	// Mode is the permission of the stream's file: DefaultMode when 0.
	// 0o640 lets the file's group read the stream too, 0o644 everyone; the
	// file's group is the writer's (see chgrp, or a setgid directory).
	// Readers need only read permission.
	Mode fs.FileMode
}

// Info describes a stream in Dir, as List gives it.
type Info struct {
	Name      string
	Path      string
	Size      int64     // bytes of the file
	Slots     int       // frames it holds at once
	FrameSize int       // largest frame, in bytes
	Frames    uint64    // frames published so far
	WriterPID int       // the process that created it
	Alive     bool      // a writer holds it: it is in use
	Closed    bool      // its writer closed it
	ModTime   time.Time // the file's last change
}

// DefaultSlots is the number of slots Create makes when asked for 0.
const DefaultSlots = 4

// Dir is where streams live: a tmpfs every process on the machine shares,
// where Python's multiprocessing.shared_memory.SharedMemory(name) looks.
const Dir = "/dev/shm"

// A Frame is a frame read from a stream.
type Frame struct {
	// Number counts the frames the writer published, from 1.
	Number uint64
	// Skipped is how many frames were published after the one this
	// reader returned before and before this one: the frames it missed
	// by being slower than the writer.
	Skipped uint64
	// Restarted is set on the first frame a Reader with Follow set reads
	// from a new writer of the stream's name.
	Restarted bool
	// Time is when the writer published the frame.
	Time time.Time
	// Header is the frame's description: Width, Height, Format and Size
	// (Elapsed is not used).
	Header container.Header
	// Data is the frame's bytes. From Next and Latest it is a view of the
	// shared memory, valid until the writer reuses the slot (Slots-1
	// frames later at the earliest): check Valid after using it. From
	// NextInto it is the caller's buffer.
	Data []byte

	seq    *uint64 // the slot's sequence word, for Valid; nil for a copy
	wanted uint64
	fence  *uint32 // the Reader's fence word, for Valid
}
