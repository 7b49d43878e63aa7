//go:build linux

package shm

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/imgstream/imgstream/container"
)

// A Reader reads the frames of a stream; any number of processes may each
// have any number. A Reader is not safe for concurrent use.
type Reader struct {
	// Follow makes Next and NextInto go on across writers: when the
	// stream's writer closes it or dies, they wait for the next writer of
	// the same name (a camera process that restarts), attach to its stream
	// and return its frames, instead of returning io.EOF or
	// ErrWriterGone. Frame numbers start again from 1 with each writer;
	// Frame.Restarted marks the first frame read from a new one.
	Follow bool

	name     string
	m        mapping
	f        *os.File
	previous *readerMapping // the mapping before the last Reopen, kept for views
	last     uint64         // number of the last frame returned
	lapped   uint64         // frames skipped in copies the writer lapped, for the next frame's Skipped
	fence    uint32         // target of the atomic read fence
	restart  bool           // the next frame returned is a new writer's first
	closed   bool
}

type readerMapping struct {
	m mapping
	f *os.File
}

// Open attaches to the stream name in Dir. A file that is not such a
// stream, or that is cut short, is ErrFormat; no file is an error matching
// os.ErrNotExist ([OpenWait] waits for one).
func Open(name string) (*Reader, error) {
	p, err := path(name)
	if err != nil {
		return nil, err
	}
	m, f, err := attach(p)
	if err != nil {
		return nil, err
	}
	return &Reader{name: name, m: m, f: f}, nil
}

// OpenWait is Open that waits, until ctx is done, for a live writer's
// stream of the name: for a reader that starts before its writer, or
// between two of its runs.
func OpenWait(ctx context.Context, name string) (*Reader, error) {
	if _, err := path(name); err != nil {
		return nil, err
	}
	r := &Reader{name: name}
	if err := r.Reopen(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// attach maps the stream file at p for reading and checks its header.
func attach(p string) (m mapping, f *os.File, err error) {
	f, err = openFile(p)
	if err != nil {
		return m, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return m, nil, err
	}
	if fi.Size() < headerSize {
		f.Close()
		return m, nil, fmt.Errorf("%w: %s: %d bytes, less than a header", ErrFormat, p, fi.Size())
	}
	// MAP_POPULATE, as the writer does: no fault at the first read of a page.
	mem, err := unix.Mmap(int(f.Fd()), 0, int(fi.Size()), unix.PROT_READ, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		f.Close()
		return m, nil, fmt.Errorf("shm: map %s: %w", p, err)
	}
	m.mem = mem
	bad := ""
	func() {
		// The file may shrink between Stat and the reads.
		defer recoverFault(&err, guard())
		bad = m.parse(fi.Size())
	}()
	if err == nil && bad != "" {
		err = fmt.Errorf("%w: %s: %s", ErrFormat, p, bad)
	}
	if err != nil {
		unix.Munmap(mem)
		f.Close()
		return mapping{}, nil, err
	}
	return m, f, nil
}

// Reopen waits, until ctx is done, for a live writer's stream of the
// Reader's name other than the one it has, and attaches to it: after
// ErrWriterGone or io.EOF, to go on with a writer that restarted (Follow
// does this by itself). It polls every 100 ms. Views of the stream it had
// stay readable until the next Reopen or Close.
func (r *Reader) Reopen(ctx context.Context) error {
	if r.closed {
		return ErrClosed
	}
	p, _ := path(r.name)
	for {
		if f, err := openFile(p); err == nil {
			fresh := r.f == nil || !sameFile(p, int(r.f.Fd()))
			alive := writerHolds(int(f.Fd()))
			f.Close()
			if fresh && alive {
				m, nf, err := attach(p)
				if err == nil {
					r.release(r.previous)
					if r.f != nil {
						r.previous = &readerMapping{r.m, r.f}
					}
					r.m, r.f, r.last, r.restart = m, nf, 0, r.f != nil
					return nil
				}
				if !errors.Is(err, ErrFormat) && !errors.Is(err, os.ErrNotExist) {
					return err
				}
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(waitSlice):
		}
	}
}

func (r *Reader) release(rm *readerMapping) {
	if rm != nil {
		unix.Munmap(rm.m.mem)
		rm.f.Close()
	}
}

// FrameSize returns the largest frame the stream holds, in bytes.
func (r *Reader) FrameSize() int { return r.m.capacity }

// view returns frame n as a view of its slot if the slot still holds it
// whole, and whether it does.
func (r *Reader) view(n uint64) (Frame, bool) {
	off := r.m.slot(n)
	seq := r.m.u64(off + slotSeq)
	if atomic.LoadUint64(seq) != 2*n {
		return Frame{}, false
	}
	le := binary.LittleEndian
	s := r.m.mem[off : off+slotHeader]
	length := le.Uint64(s[slotLength:])
	f := Frame{
		Number: n,
		Time:   time.Unix(0, int64(le.Uint64(s[slotTime:]))),
		Header: container.Header{
			Width:  int(le.Uint32(s[slotWidth:])),
			Height: int(le.Uint32(s[slotHeight:])),
			Format: container.PixFormat(le.Uint32(s[slotFormat:])),
		},
		seq:    seq,
		wanted: 2 * n,
		fence:  &r.fence,
	}
	if length > uint64(r.m.capacity) {
		return Frame{}, false // torn header
	}
	f.Header.Size = int(length)
	f.Data = r.m.mem[off+slotHeader : off+slotHeader+int(length) : off+slotHeader+int(length)]
	if !f.valid() {
		return Frame{}, false
	}
	return f, true
}

// Valid reports whether f.Data still holds frame f.Number: call it after
// using a view from Next or Latest; false means the writer reused the slot
// meanwhile and what was read may be torn. It reports false, too, when the
// stream's file was shrunk under the view.
func (f *Frame) Valid() (ok bool) {
	var err error
	defer func() {
		if err != nil {
			ok = false
		}
	}()
	defer recoverFault(&err, guard())
	return f.valid()
}

func (f *Frame) valid() bool {
	if f.seq == nil {
		return true // a copy
	}
	// An atomic read-modify-write keeps the reads of the frame before it
	// from moving after the sequence word's load, on every architecture.
	atomic.AddUint32(f.fence, 1)
	return atomic.LoadUint64(f.seq) == f.wanted
}

// Latest returns the newest frame, as a view, without waiting; ErrNoFrame
// before the first.
func (r *Reader) Latest() (f Frame, err error) {
	if r.closed {
		return Frame{}, ErrClosed
	}
	defer recoverFault(&err, guard())
	for {
		n := atomic.LoadUint64(r.m.u64(offLatest))
		if n == 0 {
			return Frame{}, ErrNoFrame
		}
		f, err := r.newest(n)
		if err != nil || f.Number != 0 {
			return f, err
		}
	}
}

// newest reads frame n, which the header names as the newest. It returns
// a zero Frame when the writer overwrote the slot as it was read (the
// caller tries the newer frame), and ErrFormat when the slot does not hold
// frame n though the writer has not moved on: the writer stores a slot's
// sequence word before it names the frame, so that is no race but a
// corrupt or foreign file.
func (r *Reader) newest(n uint64) (Frame, error) {
	if f, ok := r.view(n); ok {
		return f, nil
	}
	if atomic.LoadUint64(r.m.u64(offLatest)) == n {
		return Frame{}, fmt.Errorf("%w: the header names frame %d, which its slot does not hold", ErrFormat, n)
	}
	return Frame{}, nil
}

// Next waits for a frame newer than the last one this Reader returned and
// returns the newest, as a view of the shared memory (see Frame.Data and
// Valid); Skipped says how many it jumped over. Waiting uses no CPU: the
// Reader sleeps on a futex. It returns io.EOF when the writer has closed
// the stream and every frame was read, ErrWriterGone within about 100 ms of
// the writer dying (with Follow, neither: it waits for the next writer),
// ErrTruncated if the stream's file was shrunk under it, and ctx.Err()
// when ctx is done.
func (r *Reader) Next(ctx context.Context) (Frame, error) {
	for {
		f, err := r.next(ctx)
		if !r.Follow || (err != io.EOF && !errors.Is(err, ErrWriterGone)) {
			if err == nil && r.restart {
				f.Restarted, r.restart = true, false
			}
			return f, err
		}
		if err := r.Reopen(ctx); err != nil {
			return Frame{}, err
		}
	}
}

func (r *Reader) next(ctx context.Context) (f Frame, err error) {
	if r.closed {
		return Frame{}, ErrClosed
	}
	defer recoverFault(&err, guard())
	for {
		word := atomic.LoadUint32(r.m.u32(offFutex))
		n := atomic.LoadUint64(r.m.u64(offLatest))
		if n > r.last {
			f, err := r.newest(n)
			if err != nil {
				return f, err
			}
			if f.Number == 0 {
				continue // overwritten as we looked: a newer one is there
			}
			f.Skipped = n - r.last - 1
			r.last = n
			return f, nil
		}
		if atomic.LoadUint32(r.m.u32(offClosed)) != 0 {
			return Frame{}, io.EOF
		}
		if err := ctx.Err(); err != nil {
			return Frame{}, err
		}
		slice := waitSlice
		if d, ok := ctx.Deadline(); ok {
			slice = min(slice, max(time.Until(d), time.Millisecond))
		}
		if timedOut := futexWait(r.m.u32(offFutex), word, slice); timedOut && !writerHolds(int(r.f.Fd())) {
			if atomic.LoadUint32(r.m.u32(offClosed)) != 0 {
				continue // closed cleanly after all
			}
			if atomic.LoadUint64(r.m.u64(offLatest)) > r.last {
				continue // a last frame before dying
			}
			return Frame{}, ErrWriterGone
		}
	}
}

// NextInto is Next, copying the frame into buf (grown if needed, reused if
// large enough) so that it stays valid; a frame overwritten during the copy
// is detected and the newest read again, never returned torn. After 64
// copies in a row that the writer lapped it returns ErrTorn; calling it
// again goes on, and Skipped still counts every frame missed. The copy is
// guarded: a stream shrunk under it is ErrTruncated, not a crash.
func (r *Reader) NextInto(ctx context.Context, buf []byte) (f Frame, err error) {
	for range 64 {
		f, err := r.Next(ctx)
		if err != nil {
			return f, err
		}
		f.Skipped += r.lapped
		if cap(buf) < len(f.Data) {
			buf = make([]byte, len(f.Data))
		}
		buf = buf[:len(f.Data)]
		if err := copyGuarded(buf, f.Data); err != nil {
			return Frame{}, err
		}
		if f.Valid() {
			f.Data, f.seq = buf, nil
			r.lapped = 0
			return f, nil
		}
		// Torn: the writer lapped the copy, so it has published newer
		// frames (a slot is reused only after that); the frame returned
		// next, by this call or a later one after ErrTorn, counts this one
		// and those before it as skipped.
		r.lapped = f.Skipped + 1
	}
	return Frame{}, ErrTorn
}

func copyGuarded(dst, src []byte) (err error) {
	defer recoverFault(&err, guard())
	copy(dst, src)
	return nil
}

// Close detaches the Reader.
func (r *Reader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	r.release(r.previous)
	err := unix.Munmap(r.m.mem)
	if e := r.f.Close(); err == nil {
		err = e
	}
	return err
}
