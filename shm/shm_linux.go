//go:build linux

package shm

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The layout. All fields are little-endian and naturally aligned; the
// package doc has the table.
const (
	magic         = "IMGSHM01"
	layoutVersion = 1
	headerSize    = 4096
	slotHeader    = 64
	pageSize      = 4096

	offMagic    = 0  // [8]byte
	offVersion  = 8  // uint32
	offHdrSize  = 12 // uint32
	offSlots    = 16 // uint32
	offStride   = 24 // uint64: bytes from one slot to the next
	offCapacity = 32 // uint64: frame bytes a slot holds
	offFutex    = 40 // uint32: incremented by every publish; readers wait on it
	offLatest   = 48 // uint64: number of the newest published frame, 0 for none
	offClosed   = 56 // uint32: 1 once the writer closed the stream
	offPID      = 60 // uint32: the writer's process ID

	slotSeq    = 0  // uint64: 2n+1 while frame n is written, 2n once it is published
	slotTime   = 8  // int64: Unix nanoseconds of the publish
	slotWidth  = 16 // uint32
	slotHeight = 20 // uint32
	slotFormat = 24 // uint32: container.PixFormat
	slotLength = 32 // uint64: frame bytes
)

// waitSlice bounds each futex wait, so that a dead writer and a cancelled
// context are noticed within about this long. Tests lengthen it, so that a
// reader that a publish failed to wake hangs instead of being rescued.
var waitSlice = 100 * time.Millisecond

type mapping struct {
	mem      []byte
	slots    int
	stride   int
	capacity int
}

func (m *mapping) u32(off int) *uint32 { return (*uint32)(unsafe.Pointer(&m.mem[off])) }
func (m *mapping) u64(off int) *uint64 { return (*uint64)(unsafe.Pointer(&m.mem[off])) }
func (m *mapping) slot(n uint64) int   { return headerSize + int(n%uint64(m.slots))*m.stride }

// parse checks the header of a mapped stream of size bytes and fills in
// the geometry, or says what is wrong.
func (m *mapping) parse(size int64) string {
	mem := m.mem
	le := binary.LittleEndian
	slots, strd, capacity := int(le.Uint32(mem[offSlots:])), le.Uint64(mem[offStride:]), le.Uint64(mem[offCapacity:])
	switch {
	case string(mem[offMagic:offMagic+8]) != magic:
		return fmt.Sprintf("magic %q", mem[offMagic:offMagic+8])
	case le.Uint32(mem[offVersion:]) != layoutVersion || le.Uint32(mem[offHdrSize:]) != headerSize:
		return fmt.Sprintf("layout %d with a %d-byte header", le.Uint32(mem[offVersion:]), le.Uint32(mem[offHdrSize:]))
	case slots < 2 || capacity < 1 || capacity > 1<<40 || strd != uint64(stride(int(capacity))):
		return fmt.Sprintf("%d slots of %d bytes every %d", slots, capacity, strd)
	case strd > uint64(size-headerSize)/uint64(slots): // not slots*strd, which can overflow
		return fmt.Sprintf("%d bytes, too few for %d slots every %d", size, slots, strd)
	}
	m.slots, m.stride, m.capacity = slots, int(strd), int(capacity)
	return ""
}

func path(name string) (string, error) {
	if name == "" || strings.ContainsAny(name, "/\x00") || name == "." || name == ".." {
		return "", fmt.Errorf("%w: %q", ErrInvalidName, name)
	}
	return filepath.Join(Dir, name), nil
}

func stride(capacity int) int {
	return (slotHeader + capacity + pageSize - 1) / pageSize * pageSize
}

// guard makes a fault on the mapping (SIGBUS: another process shrank the
// file under it) panic instead of killing the process, for the calling
// goroutine until recoverFault runs. Every method that touches the mapping
// starts with
//
//	defer recoverFault(&err, guard())
func guard() (old bool) { return debug.SetPanicOnFault(true) }

// recoverFault restores the fault setting guard changed and turns a fault
// on the mapping into ErrTruncated. Other panics go on.
func recoverFault(err *error, old bool) {
	debug.SetPanicOnFault(old)
	if r := recover(); r != nil {
		fault, ok := r.(interface{ Addr() uintptr })
		if !ok {
			panic(r)
		}
		*err = fmt.Errorf("%w: fault at %#x", ErrTruncated, fault.Addr())
	}
}

// lockDir takes the exclusive lock on Dir that Create, a writer's Close
// and the clean-ups hold while they make, replace or remove a stream's
// file, so that no two of them, in any processes, act on a name at once.
// A reader never takes it. It waits at most lockWait (MaxLockWait), then
// returns an error matching ErrLocked. The returned function releases it.
func lockDir() (unlock func(), err error) {
	fd, err := unix.Open(Dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("shm: open %s: %w", Dir, err)
	}
	// flock has no timeout: poll without blocking, a millisecond apart at
	// first, then up to 20 ms, since the lock's holders keep it for the
	// microseconds a file takes to be made or named.
	deadline := time.Now().Add(lockWait)
	for pause := time.Millisecond; ; pause = min(2*pause, 20*time.Millisecond) {
		err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB)
		switch {
		case err == nil:
			return func() { unix.Close(fd) }, nil // closing releases the lock
		case errors.Is(err, unix.EINTR):
			continue
		case !errors.Is(err, unix.EWOULDBLOCK):
			unix.Close(fd)
			return nil, fmt.Errorf("shm: lock %s: %w", Dir, err)
		case time.Now().After(deadline):
			unix.Close(fd)
			return nil, fmt.Errorf("%w (for over %v)", ErrLocked, lockWait)
		}
		time.Sleep(pause)
	}
}

// lockWait is MaxLockWait, shortened by tests.
var lockWait = MaxLockWait

// writerHolds reports whether a writer holds the stream open as fd: the
// writer keeps an exclusive flock on its file. It probes with a shared lock,
// which readers may hold at the same moment without a false answer.
func writerHolds(fd int) bool {
	if err := unix.Flock(fd, unix.LOCK_SH|unix.LOCK_NB); err != nil {
		return true
	}
	unix.Flock(fd, unix.LOCK_UN)
	return false
}

// sameFile reports whether path names the file open as fd.
func sameFile(path string, fd int) bool {
	var a, b unix.Stat_t
	if unix.Fstat(fd, &a) != nil || unix.Stat(path, &b) != nil {
		return false
	}
	return a.Dev == b.Dev && a.Ino == b.Ino
}

// openFile opens the file at p for reading, refusing anything but a
// regular file with ErrFormat. The open does not block: a FIFO (or a
// device) of a stream's name, which any local user can make in Dir, would
// otherwise hold the open until someone wrote to it, and with it a Reader's
// context and the directory lock that Create holds. A name that does not
// exist is an error matching os.ErrNotExist.
func openFile(p string) (*os.File, error) {
	fd, err := unix.Open(p, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: p, Err: err}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, &os.PathError{Op: "stat", Path: p, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return nil, fmt.Errorf("%w: %s is not a regular file (mode %#o)", ErrFormat, p, st.Mode&unix.S_IFMT)
	}
	if err := unix.SetNonblock(fd, false); err != nil {
		unix.Close(fd)
		return nil, &os.PathError{Op: "fcntl", Path: p, Err: err}
	}
	return os.NewFile(uintptr(fd), p), nil
}

// readHeader reads the header page of the file at p, for List.
func readHeader(f *os.File) ([]byte, error) {
	hdr := make([]byte, headerSize)
	if _, err := f.ReadAt(hdr, 0); err != nil {
		return nil, err
	}
	return hdr, nil
}

const (
	futexWaitOp = 0 // FUTEX_WAIT, shared between processes
	futexWakeOp = 1 // FUTEX_WAKE, shared between processes
)

// futexWait sleeps while *addr == val, for at most d, and reports whether
// it timed out.
func futexWait(addr *uint32, val uint32, d time.Duration) bool {
	ts := unix.NsecToTimespec(d.Nanoseconds())
	_, _, errno := unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), futexWaitOp, uintptr(val), uintptr(unsafe.Pointer(&ts)), 0, 0)
	return errno == unix.ETIMEDOUT
}

// futexWake wakes every process waiting on addr.
func futexWake(addr *uint32) {
	unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), futexWakeOp, uintptr(^uint32(0)>>1), 0, 0, 0)
}
