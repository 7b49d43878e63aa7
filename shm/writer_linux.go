//go:build linux

package shm

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/imgstream/imgstream/container"
)

// A Writer publishes frames to a stream; there is one per stream. It never
// waits for readers. A Writer is not safe for concurrent use.
type Writer struct {
	m      mapping
	f      *os.File
	path   string
	next   uint64 // number of the frame Acquire hands out
	leased bool   // Acquire was called and Publish not yet
	closed bool
}

// Create makes the stream name in Dir with slots slots (DefaultSlots when
// 0) of frameSize bytes each, and returns its Writer: CreateWith with only
// Slots set.
func Create(name string, frameSize, slots int) (*Writer, error) {
	return CreateWith(name, frameSize, Options{Slots: slots})
}

// CreateWith makes the stream name in Dir, with slots of frameSize bytes,
// and returns its Writer. The file's space is reserved at once, so a full
// tmpfs fails here rather than mid-stream. The file appears under its name
// whole, initialised and locked, so a reader never sees half a stream.
//
// Exactly one writer holds a name: a stream whose writer lives is
// ErrExists, whoever asks and however many ask at once. A stale stream of
// the name, whose writer died, is replaced; a file of the name that is not
// a stream of this package is left alone, and is ErrFormat. Close removes
// the stream.
func CreateWith(name string, frameSize int, o Options) (*Writer, error) {
	p, err := path(name)
	if err != nil {
		return nil, err
	}
	slots := o.Slots
	if slots == 0 {
		slots = DefaultSlots
	}
	mode := o.Mode.Perm()
	if mode == 0 {
		mode = DefaultMode
	}
	if frameSize < 1 || slots < 2 || slots > 1<<16 {
		return nil, fmt.Errorf("%w: %d slots of %d bytes: need 2 to 65536 slots of at least 1 byte", ErrInvalidSize, slots, frameSize)
	}
	size := headerSize + slots*stride(frameSize)

	unlock, err := lockDir()
	if err != nil {
		return nil, err
	}
	defer unlock()
	if err := removeStaleLocked(p); err != nil {
		return nil, err
	}
	f, named, err := createFile(p, mode)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*Writer, error) {
		if named {
			os.Remove(p)
		}
		f.Close()
		return nil, err
	}
	fd := int(f.Fd())
	if err := unix.Fchmod(fd, uint32(mode)); err != nil { // past the umask
		return fail(fmt.Errorf("shm: chmod %s: %w", p, err))
	}
	// Nobody else can reach the file yet, so this cannot fail for a lock
	// held elsewhere.
	if err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB); err != nil {
		return fail(fmt.Errorf("shm: lock %s: %w", p, err))
	}
	if err := unix.Fallocate(fd, 0, 0, int64(size)); err != nil {
		return fail(fmt.Errorf("shm: reserve %d bytes in %s: %w", size, Dir, err))
	}
	// MAP_POPULATE maps every page now: a first write to each would
	// otherwise fault, about 3 µs a page, a quarter of the first frames' time.
	mem, err := unix.Mmap(fd, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return fail(fmt.Errorf("shm: map %s: %w", p, err))
	}
	w := &Writer{m: mapping{mem: mem, slots: slots, stride: stride(frameSize), capacity: frameSize}, f: f, path: p, next: 1}
	le := binary.LittleEndian
	le.PutUint32(mem[offVersion:], layoutVersion)
	le.PutUint32(mem[offHdrSize:], headerSize)
	le.PutUint32(mem[offSlots:], uint32(slots))
	le.PutUint64(mem[offStride:], uint64(w.m.stride))
	le.PutUint64(mem[offCapacity:], uint64(frameSize))
	le.PutUint32(mem[offPID:], uint32(os.Getpid()))
	copy(mem[offMagic:], magic) // last: a reader that sees the magic sees the rest
	if !named {
		// Give the finished file its name; link fails if the name was
		// taken by a program that does not take the directory lock.
		err := unix.Linkat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(fd), unix.AT_FDCWD, p, unix.AT_SYMLINK_FOLLOW)
		if err != nil {
			unix.Munmap(mem)
			if errors.Is(err, unix.EEXIST) {
				return fail(fmt.Errorf("%w: %s", ErrExists, p))
			}
			return fail(fmt.Errorf("shm: link %s: %w", p, err))
		}
	}
	return w, nil
}

// createFile makes the stream's file: unnamed (O_TMPFILE), to be linked
// under p once it is ready, or, where the file system cannot, under p at
// once (named is then true).
func createFile(p string, mode os.FileMode) (f *os.File, named bool, err error) {
	fd, err := unix.Open(Dir, unix.O_TMPFILE|unix.O_RDWR|unix.O_CLOEXEC, uint32(mode))
	if err == nil {
		return os.NewFile(uintptr(fd), p), false, nil
	}
	if !errors.Is(err, unix.EOPNOTSUPP) && !errors.Is(err, unix.EISDIR) && !errors.Is(err, unix.EINVAL) {
		return nil, false, fmt.Errorf("shm: create in %s: %w", Dir, err)
	}
	f, err = os.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil, false, fmt.Errorf("%w: %s", ErrExists, p)
		}
		return nil, false, fmt.Errorf("shm: create %s: %w", p, err)
	}
	return f, true, nil
}

// removeStaleLocked removes the file at p if it is a stream whose writer is
// gone (or an empty file, left by a writer that died while creating it
// where files are made under their name), and reports ErrExists if a
// writer holds it and ErrFormat if it is some other file. The caller holds
// the directory lock.
func removeStaleLocked(p string) error {
	old, err := openFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("shm: open %s: %w", p, err)
	}
	defer old.Close()
	if writerHolds(int(old.Fd())) {
		return fmt.Errorf("%w: %s", ErrExists, p)
	}
	fi, err := old.Stat()
	if err != nil {
		return err
	}
	if fi.Size() > 0 {
		var m [8]byte
		if n, _ := old.ReadAt(m[:], offMagic); n < len(m) || string(m[:]) != magic {
			return fmt.Errorf("%w: %s exists and is another kind of file", ErrFormat, p)
		}
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("shm: remove stale %s: %w", p, err)
	}
	return nil
}

// FrameSize returns the largest frame the stream holds, in bytes.
func (w *Writer) FrameSize() int { return w.m.capacity }

// Path returns the stream's file.
func (w *Writer) Path() string { return w.path }

// Acquire returns the slot the next frame goes into, to fill in place (no
// copy), and marks it as being written: a reader never returns it until
// Publish. Calling Acquire again before Publish returns the same slot.
//
// The caller writes the slot itself: if another process shrinks the
// stream's file meanwhile, that write faults (SIGBUS) in the caller's code,
// where this package cannot catch it. [Writer.Write] copies a frame in
// under the package's guard, and returns ErrTruncated instead.
func (w *Writer) Acquire() (slot []byte, err error) {
	if w.closed {
		return nil, ErrClosed
	}
	defer recoverFault(&err, guard())
	off := w.m.slot(w.next)
	if !w.leased {
		// A swap, not a store: it orders the writes into the slot after
		// it on every architecture.
		atomic.SwapUint64(w.m.u64(off+slotSeq), 2*w.next+1)
		w.leased = true
	}
	return w.m.mem[off+slotHeader : off+slotHeader+w.m.capacity : off+slotHeader+w.m.capacity], nil
}

// checkFrame checks that h describes a frame a reader can use: a defined
// pixel format (container's, or RGB24 and BGR24), dimensions in
// 1..container.MaxDimension, and for uncompressed formats the size those
// give.
func checkFrame(h *container.Header) error {
	if !h.Format.Defined() {
		return fmt.Errorf("%w: %v", container.ErrInvalidPixFormat, h.Format)
	}
	if h.Width < 1 || h.Height < 1 || h.Width > container.MaxDimension || h.Height > container.MaxDimension {
		return fmt.Errorf("%w: %dx%d", container.ErrInvalidDimensions, h.Width, h.Height)
	}
	if n, ok := h.Format.PayloadSize(h.Width, h.Height); ok && n != h.Size {
		return fmt.Errorf("%w: %d bytes for a %dx%d %v frame, want %d", container.ErrInvalidSize, h.Size, h.Width, h.Height, h.Format, n)
	}
	if h.Format.Compressed() && h.Size < 1 {
		return fmt.Errorf("%w: an empty %v frame", container.ErrInvalidSize, h.Format)
	}
	return nil
}

// Publish makes the frame in the acquired slot visible to readers, with
// h describing it (h.Size bytes of it count), and wakes readers waiting
// for it. A header that does not describe a usable frame (see the package
// doc's Formats) is refused with the container package's error, and the
// slot stays acquired.
func (w *Writer) Publish(h container.Header) (err error) {
	if w.closed {
		return ErrClosed
	}
	if !w.leased {
		return ErrNotAcquired
	}
	if h.Size < 0 || h.Size > w.m.capacity {
		return fmt.Errorf("%w: %d bytes, slots hold %d", ErrTooLarge, h.Size, w.m.capacity)
	}
	if err := checkFrame(&h); err != nil {
		return err
	}
	defer recoverFault(&err, guard())
	off := w.m.slot(w.next)
	s := w.m.mem[off : off+slotHeader]
	le := binary.LittleEndian
	le.PutUint64(s[slotTime:], uint64(time.Now().UnixNano()))
	le.PutUint32(s[slotWidth:], uint32(h.Width))
	le.PutUint32(s[slotHeight:], uint32(h.Height))
	le.PutUint32(s[slotFormat:], uint32(h.Format))
	le.PutUint64(s[slotLength:], uint64(h.Size))
	atomic.StoreUint64(w.m.u64(off+slotSeq), 2*w.next)
	atomic.StoreUint64(w.m.u64(offLatest), w.next)
	atomic.AddUint32(w.m.u32(offFutex), 1)
	futexWake(w.m.u32(offFutex))
	w.next++
	w.leased = false
	return nil
}

// Write copies frame into the next slot and publishes it, with h
// describing it (h.Size is set to len(frame)).
func (w *Writer) Write(h container.Header, frame []byte) (err error) {
	if len(frame) > w.m.capacity {
		return fmt.Errorf("%w: %d bytes, slots hold %d", ErrTooLarge, len(frame), w.m.capacity)
	}
	h.Size = len(frame)
	if err := checkFrame(&h); err != nil {
		return err
	}
	slot, err := w.Acquire()
	if err != nil {
		return err
	}
	defer recoverFault(&err, guard())
	copy(slot, frame)
	return w.Publish(h)
}

// Close marks the stream closed (readers get io.EOF once they have the
// last frame), removes its file if the name is still its own, and
// releases the Writer's memory. Readers that have it open keep their
// mapping.
func (w *Writer) Close() (err error) {
	if w.closed {
		return nil
	}
	w.closed = true
	func() {
		defer recoverFault(&err, guard())
		atomic.StoreUint32(w.m.u32(offClosed), 1)
		atomic.AddUint32(w.m.u32(offFutex), 1)
		futexWake(w.m.u32(offFutex))
	}()
	if unlock, e := lockDir(); e == nil {
		// Only this writer's own file: the name may have been given to
		// another stream since (after a clean-up removed this one).
		if sameFile(w.path, int(w.f.Fd())) {
			if e := os.Remove(w.path); e != nil && err == nil {
				err = e
			}
		}
		unlock()
	} else if err == nil {
		err = e
	}
	if e := unix.Munmap(w.m.mem); err == nil {
		err = e
	}
	if e := w.f.Close(); err == nil { // releases the lock
		err = e
	}
	return err
}
